import CoreMetrics
import Hummingbird
import RxDomain

/// Serves the spend report, `GET /v1/consortia/{code}/spend?from=YYYY-MM-DD&to=YYYY-MM-DD`, directly (see
/// `DirectRoute`): a year of a consortium is thousands of rows (member, drug and month), and writing them through
/// `JSONEncoder` and the OpenAPI transport cost more than reading them from the month's kept figures. A query other
/// than the two dates, each once and each a real date, is the generated route's.
struct SpendReportRoute<Context: RequestContext>: RouterMiddleware {
    static var endpoint: String { "/v1/consortia/{code}/spend" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.GetSpendReport.id)

    init(handler: APIHandler, roles: OperationRoles) {
        self.handler = handler
        self.roles = roles
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .get, context.endpointPath == Self.endpoint else { return try await next(request, context) }
        guard let code = context.parameters.get("code"), DirectRoute.isCode(code), DirectRoute.acceptsJSON(request),
            let period = DirectRoute.periodQuery(request.uri.query)
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(Operations.GetSpendReport.id)
        counters.direct.increment()
        return DirectRoute.ok(try await handler.spendReport(code: code, from: period.from, to: period.to).json)
    }
}

extension DirectRoute {
    /// A query of exactly `from` and `to`, each once, each a date `YYYY-MM-DD` that exists; nil for any other query,
    /// which is the generated route's to read and refuse.
    static func periodQuery(_ query: String?) -> (from: String, to: String)? {
        guard let query, !query.isEmpty else { return nil }
        var from: String?
        var to: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let value = String(pair[pair.index(after: equals)...])
            guard BusinessDate(value) != nil else { return nil }
            switch pair[..<equals] {
            case "from" where from == nil: from = value
            case "to" where to == nil: to = value
            default: return nil
            }
        }
        guard let from, let to else { return nil }
        return (from, to)
    }
}

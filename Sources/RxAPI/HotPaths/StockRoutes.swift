import CoreMetrics
import Hummingbird
import RxDomain

/// Serves a member's stock page with no filter, `GET /v1/institutions/{code}/stock[?limit=N][&cursor=C]`, directly
/// (see `DirectRoute`): the list a pharmacy opens and a HIS polls. Its read is one statement
/// (`StockStore.memberView`), so writing twenty lots through `JSONEncoder` and the OpenAPI transport cost more than
/// the read. A filter, or a query it does not read exactly, is the generated route's.
struct MemberStockRoute<Context: RequestContext>: RouterMiddleware {
    static var endpoint: String { "/v1/institutions/{code}/stock" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.ListInstitutionStock.id)

    init(handler: APIHandler, roles: OperationRoles) {
        self.handler = handler
        self.roles = roles
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .get, context.endpointPath == Self.endpoint else { return try await next(request, context) }
        guard let code = context.parameters.get("code"), DirectRoute.isCode(code), DirectRoute.acceptsJSON(request),
            let page = DirectRoute.pageQuery(request.uri.query)
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(Operations.ListInstitutionStock.id)
        counters.direct.increment()
        return DirectRoute.ok(try await handler.memberStock(code: code, limit: page.limit, cursor: page.cursor).json)
    }
}

/// Serves a drug's stock across the consortium, `GET /v1/consortia/{code}/stock/drugs/{drugCode}`, directly (see
/// `DirectRoute`): one statement (`StockStore.drugView`), the answer written with `JSONText`.
struct DrugStockRoute<Context: RequestContext>: RouterMiddleware {
    static var endpoint: String { "/v1/consortia/{code}/stock/drugs/{drugCode}" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.GetDrugStockAcrossConsortium.id)

    init(handler: APIHandler, roles: OperationRoles) {
        self.handler = handler
        self.roles = roles
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .get, context.endpointPath == Self.endpoint else { return try await next(request, context) }
        guard let code = context.parameters.get("code"), DirectRoute.isCode(code),
            let drugCode = context.parameters.get("drugCode"), DirectRoute.isDrugCode(drugCode),
            DirectRoute.acceptsJSON(request), DirectRoute.hasNoQuery(request)
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(Operations.GetDrugStockAcrossConsortium.id)
        counters.direct.increment()
        return DirectRoute.ok(try await handler.drugStock(consortiumCode: code, drugCode: drugCode).json)
    }
}

extension DirectRoute {
    /// A path segment as sent that matches the contract's `Code` (`^[A-Z0-9][A-Z0-9_-]{1,31}$`), so it needs no
    /// percent-decoding and the generated route's guard would let it through.
    static func isCode(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (2...32).contains(bytes.count), let first = bytes.first, isUpperOrDigit(first) else { return false }
        return bytes.allSatisfy { isUpperOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// A path segment as sent that matches the contract's `DrugCodeValue` (`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`).
    static func isDrugCode(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...40).contains(bytes.count), let first = bytes.first,
            isUpperOrDigit(first) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return bytes.allSatisfy {
            isUpperOrDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isUpperOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// A query of at most `limit` (1 to `PageRequest.maximumLimit` in plain digits) and `cursor` (a cursor as this service writes them,
    /// base64url without padding, at most 200 characters), each once; nil for any other query, which is the generated
    /// route's to read and refuse.
    static func pageQuery(_ query: String?) -> (limit: Int?, cursor: String?)? {
        guard let query, !query.isEmpty else { return (nil, nil) }
        var limit: Int?
        var cursor: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let name = pair[..<equals]
            let value = pair[pair.index(after: equals)...]
            switch name {
            case "limit":
                guard limit == nil, (1...3).contains(value.utf8.count), value.utf8.first != UInt8(ascii: "0"),
                    value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let number = Int(value),
                    number <= PageRequest.maximumLimit
                else { return nil }
                limit = number
            case "cursor":
                guard cursor == nil, (1...200).contains(value.utf8.count),
                    value.utf8.allSatisfy({
                        isUpperOrDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-")
                            || $0 == UInt8(ascii: "_")
                    })
                else { return nil }
                cursor = String(value)
            default:
                return nil
            }
        }
        return (limit, cursor)
    }
}

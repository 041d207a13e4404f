import CoreMetrics
import Hummingbird
import RxDomain

/// Serves the open shortages of a consortium with no filter, `GET /v1/consortia/{code}/shortages[?limit=N][&cursor=C]`,
/// directly (see `DirectRoute`): the list the pharmacy centre and every member's dashboard poll. A page is fifty
/// records with their affected members, and writing them through `JSONEncoder` and the OpenAPI transport cost more
/// than reading them. A filter (`level`, `list`, `member`), or a query it does not read exactly, is the generated
/// route's.
struct OpenShortagesRoute<Context: RequestContext>: RouterMiddleware {
    static var endpoint: String { "/v1/consortia/{code}/shortages" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.ListOpenShortages.id)

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
        try roles.authorize(Operations.ListOpenShortages.id)
        counters.direct.increment()
        let shortages = try await handler.openShortages(
            code: code, level: nil, list: nil, member: nil, limit: page.limit, cursor: page.cursor)
        return DirectRoute.ok(try shortages.json())
    }
}

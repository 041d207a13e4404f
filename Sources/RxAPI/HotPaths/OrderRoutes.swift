import CoreMetrics
import Hummingbird
import RxDomain

/// Serves a member's orders page with no filter, `GET /v1/institutions/{code}/orders[?limit=N][&cursor=C]`,
/// directly (see `DirectRoute`): the list a member's HIS polls for its orders' states. A page is fifty orders with
/// their lines, and writing them through `JSONEncoder` and the OpenAPI transport cost more than reading them. A
/// `status` filter, or a query it does not read exactly, is the generated route's.
struct MemberOrdersRoute<Context: RequestContext>: RouterMiddleware {
    static var endpoint: String { "/v1/institutions/{code}/orders" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.ListOrders.id)

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
        try roles.authorize(Operations.ListOrders.id)
        counters.direct.increment()
        return DirectRoute.ok(
            try await handler.memberOrders(code: code, status: nil, limit: page.limit, cursor: page.cursor).json)
    }
}

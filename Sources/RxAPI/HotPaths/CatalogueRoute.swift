import CoreMetrics
import Hummingbird
import RxDomain

/// Serves the catalogue in effect today as JSON, `GET /v1/consortia/{code}/catalogue`, directly (see `DirectRoute`):
/// what every member's HIS reads to know what it may prescribe and order. Its read is two statements; writing its
/// hundreds of items through `JSONEncoder` and the OpenAPI transport cost more than reading them. A query (another
/// day, CSV, FHIR) is the generated route's.
struct CatalogueInEffectRoute<Context: RequestContext>: RouterMiddleware {
    static var endpoint: String { "/v1/consortia/{code}/catalogue" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.GetCatalogueInEffect.id)

    init(handler: APIHandler, roles: OperationRoles) {
        self.handler = handler
        self.roles = roles
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .get, context.endpointPath == Self.endpoint else { return try await next(request, context) }
        guard let code = context.parameters.get("code"), DirectRoute.isCode(code), DirectRoute.acceptsJSON(request),
            DirectRoute.hasNoQuery(request)
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(Operations.GetCatalogueInEffect.id)
        counters.direct.increment()
        return DirectRoute.ok(try await handler.catalogueInEffect(code: code, on: nil).json)
    }
}

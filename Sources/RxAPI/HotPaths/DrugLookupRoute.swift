import CoreMetrics
import Hummingbird

/// Serves `GET /v1/drugs/{code}` directly (see `DirectRoute`): the lookup every screen that shows a drug makes,
/// one primary-key read, so writing the answer through `JSONEncoder` and the OpenAPI transport cost more than
/// the read.
struct DrugLookupRoute<Context: RequestContext>: RouterMiddleware {
    /// The route as the router names it: middleware runs once the router has matched the request.
    static var endpoint: String { "/v1/drugs/{code}" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.GetDrug.id)

    init(handler: APIHandler, roles: OperationRoles) {
        self.handler = handler
        self.roles = roles
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .get, context.endpointPath == Self.endpoint else { return try await next(request, context) }
        // The path segment as sent. Only one that percent-decoding cannot change is read here; the rest (and any
        // code longer than the contract's 40 characters) is the generated server's to decode and answer.
        guard let code = context.parameters.get("code"), code.utf8.count <= 40, code.utf8.allSatisfy(Self.isPlainCodeByte),
            DirectRoute.acceptsJSON(request), DirectRoute.hasNoQuery(request)
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(Operations.GetDrug.id)
        counters.direct.increment()
        return DirectRoute.ok(try await handler.drug(code: code).json)
    }

    static func isPlainCodeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}

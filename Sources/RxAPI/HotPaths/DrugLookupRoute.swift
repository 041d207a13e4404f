import Hummingbird

/// Serves `GET /v1/drugs/{code}` directly (see `DirectRoute`): the lookup every screen that shows a drug makes,
/// one primary-key read, so writing the answer through `JSONEncoder` and the OpenAPI transport cost more than
/// the read.
struct DrugLookupRoute<Context: RequestContext>: RouterMiddleware {
    static var prefix: String { "/v1/drugs/" }
    static var endpoint: String { "/v1/drugs/{code}" }

    let handler: APIHandler
    let roles: OperationRoles
    private let counters = DirectRoute.Counters(operation: Operations.GetDrug.id)

    init(handler: APIHandler, roles: OperationRoles) {
        self.handler = handler
        self.roles = roles
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method == .get, path.hasPrefix(Self.prefix) else { return try await next(request, context) }
        // Only a code as the contract writes one: it needs no percent-decoding and is one path segment.
        let code = path.utf8.dropFirst(Self.prefix.utf8.count)
        guard let first = code.first, first != UInt8(ascii: "."), code.count <= 40, code.allSatisfy(Self.isCodeByte),
            DirectRoute.acceptsJSON(request)
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        context.coreContext.endpointPath.value = Self.endpoint
        try roles.authorize(Operations.GetDrug.id)
        counters.direct.increment()
        return DirectRoute.ok(try await handler.drug(code: String(Substring(code))).json)
    }

    static func isCodeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}

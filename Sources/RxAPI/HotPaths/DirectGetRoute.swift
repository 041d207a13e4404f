import CoreMetrics
import Hummingbird
import NIOCore

/// A direct route for a read (see `DirectRoute`): its endpoint and operation, and what it answers to a request plain
/// enough to answer itself. The routes are made in `DirectGetRoutes.swift`, one factory each.
struct DirectGetRoute<Context: RequestContext>: RouterMiddleware {
    typealias Answer = @Sendable () async throws -> ByteBuffer

    let endpoint: String
    let operation: String
    let roles: OperationRoles
    /// The answer to a request whose path parameters and query the route reads exactly; nil sends the request on to
    /// the generated route. (`Accept` is checked before.)
    let plain: @Sendable (Request, Parameters) -> Answer?
    private let counters: DirectRoute.Counters

    init(
        _ endpoint: String, operation: String, roles: OperationRoles,
        plain: @escaping @Sendable (Request, Parameters) -> Answer?
    ) {
        self.endpoint = endpoint
        self.operation = operation
        self.roles = roles
        self.plain = plain
        counters = DirectRoute.Counters(operation: operation)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .get, context.endpointPath == endpoint else { return try await next(request, context) }
        guard DirectRoute.acceptsJSON(request), let answer = plain(request, context.parameters) else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(operation)
        counters.direct.increment()
        return DirectRoute.ok(try await answer())
    }
}

import Hummingbird
import RxStore

/// Gives each request one budget for database leases (`Database.requestDeadline`): however many leases a request
/// makes, together they wait at most the lease timeout, so a request is answered (503 at worst) within the lease
/// timeout plus its own queries' time, even when the database goes away midway. Each request also gets its own
/// `RequestWrites`, so that once it writes its reads stay on the primary (`Database.lagTolerant`).
struct LeaseDeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
    let leaseTimeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        try await Database.$requestDeadline.withValue(ContinuousClock.now.advanced(by: leaseTimeout)) {
            try await RequestWrites.$current.withValue(RequestWrites()) {
                try await next(request, context)
            }
        }
    }
}

import Hummingbird
import Logging

/// One structured line per request: method, path (never the query string, which may carry identifiers),
/// status and duration.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        let start = ContinuousClock.now
        func log(_ status: Int) {
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.info(
                "request",
                metadata: [
                    "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
                    "duration_ms": "\((ms * 100).rounded() / 100)",
                ])
        }
        do {
            let response = try await next(request, context)
            log(response.status.code)
            return response
        } catch {
            log((error as? any HTTPResponseError)?.status.code ?? 500)
            throw error
        }
    }
}

/// Refuses request bodies over a set size with 413 before any handler reads them.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumBytes: Int
    /// POST routes that read their body as it arrives, under their own limit (the console's file upload).
    var streamedPaths: Set<String> = []

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        if request.method == .post, streamedPaths.contains(request.uri.path) { return try await next(request, context) }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBytes {
            throw HTTPError(.contentTooLarge, message: "the request body is larger than \(maximumBytes) bytes")
        }
        var request = request
        _ = try await request.collectBody(upTo: maximumBytes)
        return try await next(request, context)
    }
}

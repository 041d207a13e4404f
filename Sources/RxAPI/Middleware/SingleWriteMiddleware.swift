import Hummingbird

/// Sends a small response of known length in one socket write.
///
/// The OpenAPI transport hands Hummingbird every body as a stream, so the head and the body leave in two writes,
/// each a system call and, on loopback, the receiving side's work too. Collected into one buffer, the body takes
/// Hummingbird's path for a single buffer: head, body and end in one write. Larger or unsized bodies (the CSV
/// exports) still stream. Added before every other middleware, it collects the body as they wrapped it, so
/// their after-the-write closures (request metrics) run once the body is collected, just before it is sent.
struct SingleWriteMiddleware<Context: RequestContext>: RouterMiddleware {
    var maximumBytes = 1 << 20

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        var response = try await next(request, context)
        guard let length = response.body.contentLength, length > 0, length <= maximumBytes else { return response }
        let collected = CollectedBody(capacity: length)
        try await response.body.write(CollectingWriter(into: collected))
        response.body = ResponseBody(byteBuffer: collected.buffer)
        return response
    }
}

/// Where `CollectingWriter` puts what it is given: the writer itself is consumed by `ResponseBody.write`.
private final class CollectedBody {
    var buffer: ByteBuffer
    init(capacity: Int) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }
}

private struct CollectingWriter: ResponseBodyWriter {
    let collected: CollectedBody

    init(into collected: CollectedBody) { self.collected = collected }

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        collected.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

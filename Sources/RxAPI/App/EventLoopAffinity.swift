import HummingbirdCore
import Logging
import NIOCore
import RxStore

/// Runs each HTTP connection's requests on the event loop that owns its socket, instead of hopping to Swift
/// concurrency's pool and back for every read and write. Handlers are short and never block, so the loop is
/// not held up; the database calls still hop to their connection's loop. Raw UTF-8 in a request target is
/// percent-encoded before the HTTP parser reads it (`RawRequestTargetHandler`).
struct EventLoopBoundChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RawRequestTargetHandler(), position: .first)
        }.flatMap { base.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor.of(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1, each connection served on its own event loop (`EventLoopBoundChannel`).
    static func http1OnEventLoops() -> HTTPServerBuilder {
        .init { responder in EventLoopBoundChannel(base: HTTP1Channel(responder: responder)) }
    }
}

import Metrics
import Synchronization

/// Reads of the same key that share one query under load: the reads of a key that arrive before its query has
/// begun (while it waits for a connection, say) are answered by it; those that arrive once it has begun wait for it to
/// end, and the first of them then runs the next one for them all. A page that many clients poll at once (a
/// consortium's open shortages on every dashboard, a member's orders in its HIS and its pharmacists' consoles) is then
/// read and written out once for a handful of requests, not once each. Reads of different keys never wait for each
/// other, and an idle server runs each read at once and alone.
///
/// A read only ever shares a query that began after it arrived, so its answer is never older than one read afresh
/// (unlike a cache: nothing is kept once a key's reads are answered). The reading closure says when its query begins
/// (`began`, called with the connection in hand, before the statement is sent). The key must hold everything the
/// answer depends on; whoever may read is checked before the read joins, by each caller.
///
/// No read is stranded, as with `ReadCoalescer`: a failed query answers its reads with its error, except that a query
/// cancelled with its own request's task is run again by one of them; a waiting read whose task is cancelled stops
/// waiting at once. A query is bounded by the lease timeout; one that runs far longer shows in `health`, so that
/// `/readyz` fails while reads are stuck.
package final class ReadSharing<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// What the reading closure calls when its query begins.
    package typealias Began = @Sendable () -> Void

    private enum Turn: Sendable {
        case answered(Value)
        /// Run the key's next read (for the reads in `Running.joined`).
        case lead
    }

    private struct Waiting: Sendable {
        var reader: CheckedContinuation<Turn, any Error>
        /// Finds the read again when its task is cancelled while it waits.
        var id: UInt64
    }

    /// A key being read: since when, whether its query has begun, the reads it answers besides its own, and those
    /// that arrived after it began, for the next.
    private struct Running {
        var since: ContinuousClock.Instant = .now
        var began = false
        var joined: [Waiting] = []
        var next: [Waiting] = []
    }

    private struct State {
        var running: [Key: Running] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Reads and queries, so that `/metrics` shows how many reads a query answers.
    private let reads: Counter
    private let queries: Counter

    /// `name` labels the metrics (with `ReadCoalescer`'s); `health`: where the oldest running read is reported.
    package init(name: String, health: ReadHealth? = nil) {
        self.reads = Counter(label: "crx.coalesced.reads", dimensions: [("read", name)])
        self.queries = Counter(label: "crx.coalesced.queries", dimensions: [("read", name)])
        health?.watch(name: name) { [weak self] in self?.oldestQueryStart }
    }

    /// When the longest-running read started, if one is running.
    var oldestQueryStart: ContinuousClock.Instant? { state.withLock { $0.running.values.map(\.since).min() } }

    /// Reads waiting (joined to a read or for the next), not counting those running one: for tests.
    var waitingCount: Int { state.withLock { $0.running.values.reduce(0) { $0 + $1.joined.count + $1.next.count } } }

    /// The value for `key`: `read`'s own, or that of a read of the key whose query began after this call.
    package func value(for key: Key, read: @Sendable (_ began: @escaping Began) async throws -> Value) async throws
        -> Value
    {
        while true {
            // 0: run now; otherwise the id this read waits under.
            let id: UInt64 = state.withLock { state in
                guard state.running[key] != nil else {
                    state.running[key] = Running()
                    return 0
                }
                state.nextID &+= 1
                if state.nextID == 0 { state.nextID = 1 }
                return state.nextID
            }
            if id == 0 { return try await run(key, read: read) }
            let turn: Turn
            do {
                turn = try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { reader in
                        let runsNow: Bool? = state.withLock { state in
                            guard var running = state.running[key] else {
                                state.running[key] = Running()
                                return true
                            }
                            // Cancelled before it could wait: the handler below found nothing to remove.
                            if Task.isCancelled { return nil }
                            if running.began {
                                running.next.append(Waiting(reader: reader, id: id))
                            } else {
                                running.joined.append(Waiting(reader: reader, id: id))
                            }
                            state.running[key] = running
                            return false
                        }
                        switch runsNow {
                        case true?: reader.resume(returning: .lead)
                        case nil: reader.resume(throwing: CancellationError())
                        case false?: break
                        }
                    }
                } onCancel: {
                    // Still waiting (not yet answered or leading): stop waiting now.
                    let reader: CheckedContinuation<Turn, any Error>? = state.withLock { state in
                        guard var running = state.running[key] else { return nil }
                        defer { state.running[key] = running }
                        if let index = running.joined.firstIndex(where: { $0.id == id }) {
                            return running.joined.remove(at: index).reader
                        }
                        if let index = running.next.firstIndex(where: { $0.id == id }) {
                            return running.next.remove(at: index).reader
                        }
                        return nil
                    }
                    reader?.resume(throwing: CancellationError())
                }
            } catch is CancellationError where !Task.isCancelled {
                // The task that ran this read's query was cancelled, not this one: read again.
                continue
            }
            switch turn {
            case .answered(let value): return value
            case .lead: return try await run(key, read: read)
            }
        }
    }

    /// Runs `read`, answers the reads that joined it, hands the key's next read to the first that arrived after it
    /// began (the others join that one), and returns the value.
    private func run(_ key: Key, read: @Sendable (_ began: @escaping Began) async throws -> Value) async throws -> Value {
        queries.increment()
        let answer: Result<Value, any Error>
        do {
            answer = .success(
                try await read { self.state.withLock { $0.running[key]?.began = true } })
        } catch { answer = .failure(error) }

        let (joined, leader): ([Waiting], Waiting?) = state.withLock { state in
            let running = state.running[key] ?? Running()
            if let leader = running.next.first {
                state.running[key] = Running(joined: Array(running.next.dropFirst()))
                return (running.joined, leader)
            }
            state.running[key] = nil
            return (running.joined, nil)
        }
        reads.increment(by: joined.count + 1)
        leader?.reader.resume(returning: .lead)
        for waiting in joined { waiting.reader.resume(with: answer.map { .answered($0) }) }
        return try answer.get()
    }
}

import Metrics
import Synchronization

/// Reads of the same key that share one query under load: while a read of a key runs, the reads of that key that
/// arrive wait for it to end, and the first of them then runs the next one for them all. A page that many clients
/// poll at once (a consortium's open shortages on every dashboard, a member's orders in its HIS and its pharmacists'
/// consoles) is then read and written out once for a handful of requests, not once each. Reads of different keys
/// never wait for each other, and an idle server runs each read at once and alone.
///
/// A read only ever shares a query that started after it arrived, so its answer is never older than one read
/// afresh (unlike a cache: nothing is kept once a key's reads are answered). The key must hold everything the
/// answer depends on; whoever may read is checked before the read joins, by each caller.
///
/// No read is stranded, as with `ReadCoalescer`: a failed query answers its waiting reads with its error, except that
/// a query cancelled with its own request's task is run again by one of them; a waiting read whose task is
/// cancelled stops waiting at once. A query is bounded by the lease timeout; one that runs far longer shows in
/// `health`, so that `/readyz` fails while reads are stuck.
package final class ReadSharing<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private enum Turn: Sendable {
        case answered(Value)
        /// Run the next read of the key, and answer these with it.
        case lead([Waiting])
    }

    private struct Waiting: Sendable {
        var reader: CheckedContinuation<Turn, any Error>
        /// Finds the read again when its task is cancelled while it waits.
        var id: UInt64
    }

    /// A key being read: since when, and the reads that arrived meanwhile, in arrival order.
    private struct Running {
        var started: ContinuousClock.Instant = .now
        var waiting: [Waiting] = []
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
    var oldestQueryStart: ContinuousClock.Instant? { state.withLock { $0.running.values.map(\.started).min() } }

    /// Reads waiting for a key's next read (not counting those running it): for tests.
    var waitingCount: Int { state.withLock { $0.running.values.reduce(0) { $0 + $1.waiting.count } } }

    /// The value for `key`: `read`'s own, or that of a read of the key that started after this call.
    package func value(for key: Key, read: @Sendable () async throws -> Value) async throws -> Value {
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
            if id == 0 { return try await run(key, answering: [], read: read) }
            let turn: Turn
            do {
                turn = try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { reader in
                        let runsNow: Bool? = state.withLock { state in
                            guard state.running[key] != nil else {
                                state.running[key] = Running()
                                return true
                            }
                            // Cancelled before it could wait: the handler below found nothing to remove.
                            if Task.isCancelled { return nil }
                            state.running[key]?.waiting.append(Waiting(reader: reader, id: id))
                            return false
                        }
                        switch runsNow {
                        case true?: reader.resume(returning: .lead([]))
                        case nil: reader.resume(throwing: CancellationError())
                        case false?: break
                        }
                    }
                } onCancel: {
                    // Still waiting (not yet answered or leading): stop waiting now.
                    let reader: CheckedContinuation<Turn, any Error>? = state.withLock { state in
                        guard let index = state.running[key]?.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.running[key]?.waiting.remove(at: index).reader
                    }
                    reader?.resume(throwing: CancellationError())
                }
            } catch is CancellationError where !Task.isCancelled {
                // The task that ran this read's query was cancelled, not this one: read again.
                continue
            }
            switch turn {
            case .answered(let value): return value
            case .lead(let others): return try await run(key, answering: others, read: read)
            }
        }
    }

    /// Runs `read`, hands the key's next read to the first read that arrived meanwhile, answers `others` and returns
    /// the value.
    private func run(_ key: Key, answering others: [Waiting], read: @Sendable () async throws -> Value) async throws
        -> Value
    {
        reads.increment(by: others.count + 1)
        queries.increment()
        let answer: Result<Value, any Error>
        do { answer = .success(try await read()) } catch { answer = .failure(error) }

        let next: [Waiting] = state.withLock { state in
            let waiting = state.running[key]?.waiting ?? []
            state.running[key] = waiting.isEmpty ? nil : Running()
            return waiting
        }
        if let leader = next.first { leader.reader.resume(returning: .lead(Array(next.dropFirst()))) }
        for waiting in others { waiting.reader.resume(with: answer.map { .answered($0) }) }
        return try answer.get()
    }
}

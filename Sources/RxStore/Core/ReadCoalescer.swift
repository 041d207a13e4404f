import Metrics
import Synchronization

/// Point reads by key that share their queries under load: while `concurrency` queries are running, a read waits,
/// and every read that arrives meanwhile joins it, so the next query answers them all with one statement (over
/// `unnest($1)` of the keys, say). An idle server runs each read at once and alone; a busy one runs fewer, larger
/// queries, where one query per request would keep a small pool and the database's cores busy with overhead.
///
/// A read only ever joins a batch whose query has not started, so its answer is never older than its arrival.
/// No extra task is made: the waiting read that comes first runs the next batch itself.
///
/// No read is stranded: a failed or cancelled query answers its whole batch (with the error; a read whose own task
/// was not cancelled reads again) and hands the next batch on; a waiting read whose task is cancelled stops waiting
/// at once. The query itself is bounded by the lease timeout; one that runs far longer shows in `health`, so that
/// `/readyz` fails while reads are stuck.
package final class ReadCoalescer<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One query for many keys; keys without a value are left out of the answer.
    package typealias Fetch = @Sendable ([Key]) async throws -> [Key: Value]

    private enum Turn: Sendable {
        case answered(Value?)
        /// Run this batch (the first key is the reader's own).
        case lead([Waiting])
    }

    private struct Waiting: Sendable {
        var key: Key
        /// Nil for the reader that runs the batch.
        var reader: CheckedContinuation<Turn, any Error>?
        /// Finds the read again when its task is cancelled while it waits.
        var id: UInt64 = 0
    }

    private struct State {
        var running = 0
        /// In arrival order, so a batch capped at `maxBatch` takes the oldest first.
        var waiting: [Waiting] = []
        var nextID: UInt64 = 0
        /// When each running query started (by batch), for `oldestQueryStart`.
        var started: [UInt64: ContinuousClock.Instant] = [:]
    }

    private let fetch: Fetch
    private let concurrency: Int
    private let maxBatch: Int
    private let state = Mutex(State())
    /// Reads and queries, so that `/metrics` shows how many reads a query answers.
    private let reads: Counter
    private let queries: Counter

    /// `name` labels the metrics; `concurrency`: how many queries may run at once (keep it under the pool's size so
    /// that other requests still find connections); `maxBatch`: the most reads one query answers.
    /// `health`: where the coalescer reports its oldest running query (`ReadHealth`).
    package init(name: String, concurrency: Int, maxBatch: Int = 256, health: ReadHealth? = nil, fetch: @escaping Fetch) {
        self.concurrency = max(1, concurrency)
        self.maxBatch = max(1, maxBatch)
        self.fetch = fetch
        self.reads = Counter(label: "crx.coalesced.reads", dimensions: [("read", name)])
        self.queries = Counter(label: "crx.coalesced.queries", dimensions: [("read", name)])
        health?.watch(name: name) { [weak self] in self?.oldestQueryStart }
    }

    /// When the longest-running query started, if one is running.
    var oldestQueryStart: ContinuousClock.Instant? { state.withLock { $0.started.values.min() } }

    /// Reads waiting for a batch (not counting those running one): for tests.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    package func value(for key: Key) async throws -> Value? {
        while true {
            // 0: run now; otherwise the id this read waits under.
            let id: UInt64 = state.withLock { state in
                guard state.running < concurrency else {
                    state.nextID &+= 1
                    if state.nextID == 0 { state.nextID = 1 }
                    return state.nextID
                }
                state.running += 1
                return 0
            }
            let turn: Turn
            if id == 0 {
                turn = .lead([Waiting(key: key)])
            } else {
                do {
                    turn = try await withTaskCancellationHandler {
                        try await withCheckedThrowingContinuation { reader in
                            let runsNow: Bool? = state.withLock { state in
                                if state.running < concurrency {
                                    state.running += 1
                                    return true
                                }
                                // Cancelled before it could wait: the handler below found nothing to remove.
                                if Task.isCancelled { return nil }
                                state.waiting.append(Waiting(key: key, reader: reader, id: id))
                                return false
                            }
                            switch runsNow {
                            case true?: reader.resume(returning: .lead([Waiting(key: key)]))
                            case nil: reader.resume(throwing: CancellationError())
                            case false?: break
                            }
                        }
                    } onCancel: {
                        // Still waiting (not yet taken into a batch): stop waiting now.
                        let reader: CheckedContinuation<Turn, any Error>? = state.withLock { state in
                            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                            return state.waiting.remove(at: index).reader
                        }
                        reader?.resume(throwing: CancellationError())
                    }
                } catch is CancellationError where !Task.isCancelled {
                    // The task that ran this read's batch was cancelled, not this one: read again.
                    continue
                }
            }
            switch turn {
            case .answered(let value): return value
            case .lead(let batch): return try await run(batch)
            }
        }
    }

    /// Runs one query for `batch`, hands the next batch to a waiting reader, answers the rest of this one, and
    /// returns the leader's own value.
    private func run(_ batch: [Waiting]) async throws -> Value? {
        var keys: [Key] = []
        var seen = Set<Key>()
        for waiting in batch where seen.insert(waiting.key).inserted { keys.append(waiting.key) }
        reads.increment(by: batch.count)
        queries.increment()
        let id = state.withLock { state in
            state.nextID &+= 1
            if state.nextID == 0 { state.nextID = 1 }
            state.started[state.nextID] = .now
            return state.nextID
        }
        let answer: Result<[Key: Value], any Error>
        do { answer = .success(try await fetch(keys)) } catch { answer = .failure(error) }

        let next: [Waiting]? = state.withLock { state in
            state.started[id] = nil
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            let count = min(maxBatch, state.waiting.count)
            let next = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return next
        }
        if var next, let leader = next[0].reader {
            next[0].reader = nil
            leader.resume(returning: .lead(next))
        }
        for waiting in batch.dropFirst() {
            waiting.reader?.resume(with: answer.map { .answered($0[waiting.key]) })
        }
        return try answer.get()[batch[0].key]
    }
}

/// Where `ReadCoalescer`s report how long their running queries have been running, so that readiness can tell
/// a server whose shared reads are stuck (every caller of that read waits) from one that serves.
package final class ReadHealth: Sendable {
    private let sources = Mutex<[(name: String, oldestStart: @Sendable () -> ContinuousClock.Instant?)]>([])

    package init() {}

    func watch(name: String, oldestStart: @escaping @Sendable () -> ContinuousClock.Instant?) {
        sources.withLock { $0.append((name, oldestStart)) }
    }

    /// The reads whose oldest running query started more than `limit` ago.
    package func stuck(longerThan limit: Duration) -> [String] {
        let now = ContinuousClock.now
        return sources.withLock { sources in
            sources.compactMap { source in
                guard let start = source.oldestStart(), start.duration(to: now) > limit else { return nil }
                return source.name
            }
        }
    }
}

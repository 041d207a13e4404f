import Metrics
import Synchronization

/// Point reads by key that share their queries under load: while `concurrency` queries are running, a read waits,
/// and every read that arrives meanwhile joins it, so the next query answers them all with one statement (over
/// `unnest($1)` of the keys, say). An idle server runs each read at once and alone; a busy one runs fewer, larger
/// queries, where one query per request would keep a small pool and the database's cores busy with overhead.
///
/// A read only ever joins a batch whose query has not started, so its answer is never older than its arrival.
/// No extra task is made: the waiting read that comes first runs the next batch itself.
public final class ReadCoalescer<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One query for many keys; keys without a value are left out of the answer.
    public typealias Fetch = @Sendable ([Key]) async throws -> [Key: Value]

    private enum Turn: Sendable {
        case answered(Value?)
        /// Run this batch (the first key is the reader's own).
        case lead([Waiting])
    }

    private struct Waiting: Sendable {
        var key: Key
        /// Nil for the reader that runs the batch.
        var reader: CheckedContinuation<Turn, any Error>?
    }

    private struct State {
        var running = 0
        /// In arrival order, so a batch capped at `maxBatch` takes the oldest first.
        var waiting: [Waiting] = []
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
    public init(name: String, concurrency: Int, maxBatch: Int = 256, fetch: @escaping Fetch) {
        self.concurrency = max(1, concurrency)
        self.maxBatch = max(1, maxBatch)
        self.fetch = fetch
        self.reads = Counter(label: "crx.coalesced.reads", dimensions: [("read", name)])
        self.queries = Counter(label: "crx.coalesced.queries", dimensions: [("read", name)])
    }

    public func value(for key: Key) async throws -> Value? {
        while true {
            let runsNow = state.withLock { state in
                guard state.running < concurrency else { return false }
                state.running += 1
                return true
            }
            let turn: Turn
            if runsNow {
                turn = .lead([Waiting(key: key)])
            } else {
                do {
                    turn = try await withCheckedThrowingContinuation { reader in
                        let runsNow = state.withLock { state in
                            if state.running < concurrency {
                                state.running += 1
                                return true
                            }
                            state.waiting.append(Waiting(key: key, reader: reader))
                            return false
                        }
                        if runsNow { reader.resume(returning: .lead([Waiting(key: key)])) }
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
        let answer: Result<[Key: Value], any Error>
        do { answer = .success(try await fetch(keys)) } catch { answer = .failure(error) }

        let next: [Waiting]? = state.withLock { state in
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

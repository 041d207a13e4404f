import Metrics
import Synchronization

/// Answers a server keeps with the stamp they were read at, served again to a request that reads the same stamp
/// (a member's orders page and `member_order_stamps`, ADR 0016). The stamp is read by each request from the database,
/// after it arrived and before the answer's own read, so a kept answer is never older than one read afresh; what is
/// kept only saves the reading and writing of the answer. Stamps are compared for equality only: a kept answer is
/// replaced by the latest one written, and a slower request's older one costs the next request a read, never a stale
/// answer.
///
/// Bounded by `budget` (the answers' `cost`, bytes for JSON): past it, the answers used longest ago are let go until
/// three quarters of the budget are left.
package final class KeptAnswers<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Kept {
        var stamp: Int64
        var value: Value
        var cost: Int
        var used: UInt64
    }

    private struct State {
        var kept: [Key: Kept] = [:]
        var cost = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    private let budget: Int
    private let cost: @Sendable (Value) -> Int
    private let hits: Counter
    private let misses: Counter

    /// `name` labels the metrics (`crx_kept_hits`, `crx_kept_misses`).
    package init(name: String, budget: Int, cost: @escaping @Sendable (Value) -> Int) {
        self.budget = budget
        self.cost = cost
        self.hits = Counter(label: "crx.kept.hits", dimensions: [("read", name)])
        self.misses = Counter(label: "crx.kept.misses", dimensions: [("read", name)])
    }

    /// The answer kept for `key` at `stamp`, if any.
    package func answer(for key: Key, at stamp: Int64) -> Value? {
        let value: Value? = state.withLock { state in
            guard var kept = state.kept[key], kept.stamp == stamp else { return nil }
            state.clock &+= 1
            kept.used = state.clock
            state.kept[key] = kept
            return kept.value
        }
        if value == nil { misses.increment() } else { hits.increment() }
        return value
    }

    /// Keeps `value` for `key` at `stamp`, in place of what was kept for it. An answer costing more than the whole
    /// budget is not kept.
    package func keep(_ value: Value, for key: Key, at stamp: Int64) {
        let cost = cost(value)
        guard cost <= budget else { return }
        state.withLock { state in
            state.clock &+= 1
            if let old = state.kept.updateValue(Kept(stamp: stamp, value: value, cost: cost, used: state.clock), forKey: key) {
                state.cost -= old.cost
            }
            state.cost += cost
            guard state.cost > budget else { return }
            for (key, kept) in state.kept.sorted(by: { $0.value.used < $1.value.used }) {
                guard state.cost > budget / 4 * 3 else { break }
                state.kept[key] = nil
                state.cost -= kept.cost
            }
        }
    }

    /// The answers kept and what they cost: for tests.
    var size: (count: Int, cost: Int) { state.withLock { ($0.kept.count, $0.cost) } }
}

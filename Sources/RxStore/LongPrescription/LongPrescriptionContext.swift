import Foundation
import Logging
import NIOCore
import PostgresNIO
import RxDomain
import Synchronization

extension LongPrescriptionContext {
    package static func load(
        consortiumID: Int64, on date: BusinessDate, database: Database, connection: PostgresConnection
    ) async throws
        -> LongPrescriptionContext
    {
        let logger = database.logger
        let store = LongPrescriptionStore(database: database)
        let rules = try await store.ruleSet(consortiumID: consortiumID, on: date, connection: connection)
        let national = try await store.national(consortiumID: consortiumID, on: date, connection: connection)
        let members = try await InstitutionStore(database: database).list(consortiumID: consortiumID, connection: connection)
        var institutions: [String: (id: Int64, level: InstitutionLevel)] = [:]
        for member in members { institutions[member.code] = (member.id, member.level) }
        var catalogues = try await MemberCatalogueStore(database: database)
            .drugCodes(consortiumID: consortiumID, on: date, connection: connection)
        for member in members where catalogues[member.id] == nil { catalogues[member.id] = [] }
        var prescribers: [String: (institutionID: Int64, title: PrescriberTitle, level: InstitutionLevel)] = [:]
        for row in try await connection.rows(
            """
            SELECT p.pseudonym, p.institution_id, p.title, i.level FROM prescribers p
            JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID)
            """, as: (String, Int64, String, String).self, logger: logger)
        {
            prescribers[row.0] = (row.1, try decodeEnum(row.2), try decodeEnum(row.3))
        }
        let codes = Array(catalogues.values.reduce(into: Set<String>()) { $0.formUnion($1) })
        let drugs = Dictionary(
            try await DrugStore(database: database).find(codes: codes, on: connection).map { ($0.code, $0) },
            uniquingKeysWith: { a, _ in a })
        return LongPrescriptionContext(
            consortiumID: consortiumID, date: date, rules: rules, national: national, institutions: institutions,
            prescribers: prescribers, catalogues: catalogues, drugs: drugs)
    }
}

/// Contexts per consortium, kept until anything they hold changes (LISTEN crx_changes, fed by triggers; see
/// sql/008) or the business date turns. A server that misses a notification still refreshes every `lifetime`.
///
/// Concurrent checks of a cold consortium share one load, and each waits for it only as long as its own request
/// may (`Database.requestDeadline`, else the lease timeout) or until its task is cancelled, then gets
/// `DomainError.unavailable` or `CancellationError` (503 with Retry-After): a slow or stuck load never holds its
/// callers. The load is bounded too: it waits at most the lease timeout for its connection, and each of its
/// queries at most as long (`statement_timeout`); one that runs past twice the lease timeout counts as stuck, so
/// the next caller starts a fresh load, and `health` (readiness) reports it. A failed load leaves nothing behind:
/// the next caller loads again. Invalidation forgets loads in flight as well as loaded contexts, so a caller never
/// gets a context read before the invalidation (the previous one is not served while a new one loads: after the
/// listener reconnects, what changed meanwhile is unknown).
package final class LongPrescriptionContextCache: Sendable {
    typealias Waiter = CheckedContinuation<LongPrescriptionContext, any Error>

    private enum Entry {
        case ready(LongPrescriptionContext, loadedAt: ContinuousClock.Instant)
        case loading(id: UInt64)
    }

    /// A load in flight, with the callers waiting for it (those that joined before an invalidation included).
    private struct Load {
        var date: BusinessDate
        var startedAt: ContinuousClock.Instant
        var waiters: [UInt64: Waiter] = [:]
        var task: Task<Void, Never>?
    }

    private struct State {
        /// What a new caller finds, by consortium.
        var entries: [Int64: Entry] = [:]
        var loads: [UInt64: Load] = [:]
        /// Callers inside `context` that may wait, and those of them given up (deadline passed, task cancelled)
        /// before they could wait: they must not wait.
        var callers: Set<UInt64> = []
        var abandoned: [UInt64: any Error] = [:]
        var nextID: UInt64 = 0

        mutating func makeID() -> UInt64 {
            nextID &+= 1
            return nextID
        }
    }

    private let state = Mutex(State())
    let lifetime: Duration

    /// `health`: where the cache reports its oldest load in flight, so that `/readyz` fails while loads are stuck.
    package init(lifetime: Duration = .seconds(60), health: ReadHealth? = nil) {
        self.lifetime = lifetime
        health?.watch(name: "long-prescription contexts") { [weak self] in self?.oldestLoadStart }
    }

    /// When the oldest load in flight started, if one is.
    var oldestLoadStart: ContinuousClock.Instant? { state.withLock { $0.loads.values.map(\.startedAt).min() } }

    /// Callers waiting for a load: for tests.
    var waitingCount: Int { state.withLock { $0.loads.values.reduce(0) { $0 + $1.waiters.count } } }

    package func context(consortiumID: Int64, on date: BusinessDate, database: Database) async throws -> LongPrescriptionContext {
        let now = ContinuousClock.now
        if case .ready(let context, let loadedAt)? = state.withLock({ $0.entries[consortiumID] }),
            context.date == date, now - loadedAt < lifetime
        {
            return context
        }
        let deadline = Database.requestDeadline ?? now.advanced(by: database.leaseTimeout)
        let waiterID = state.withLock { state in
            let id = state.makeID()
            state.callers.insert(id)
            return id
        }
        defer {
            state.withLock { state in
                state.callers.remove(waiterID)
                state.abandoned[waiterID] = nil
            }
        }
        let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(
            in: TimeAmount(ContinuousClock.now.duration(to: deadline))
        ) {
            self.abandon(waiterID, DomainError.unavailable("the long-prescription rules could not be read in time; retry later"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                let now = ContinuousClock.now
                let stuckAfter = database.leaseTimeout * 2
                enum Decision {
                    case answer(Result<LongPrescriptionContext, any Error>), wait, start(UInt64, cancelling: Task<Void, Never>?)
                }
                let decision: Decision = state.withLock { state in
                    if let error = state.abandoned.removeValue(forKey: waiterID) { return .answer(.failure(error)) }
                    switch state.entries[consortiumID] {
                    case .ready(let context, let loadedAt)? where context.date == date && now - loadedAt < lifetime:
                        return .answer(.success(context))
                    case .loading(let id)?
                    where state.loads[id].map { $0.date == date && now - $0.startedAt < stuckAfter } ?? false:
                        state.loads[id]?.waiters[waiterID] = waiter
                        return .wait
                    case .loading(let id)?:
                        // Another day's load, or a stuck one: its own waiters keep it, new callers do not join it.
                        let stuck = state.loads[id]?.task
                        let fresh = state.makeID()
                        state.loads[fresh] = Load(date: date, startedAt: now, waiters: [waiterID: waiter])
                        state.entries[consortiumID] = .loading(id: fresh)
                        return .start(fresh, cancelling: stuck)
                    case .ready?, nil:
                        let fresh = state.makeID()
                        state.loads[fresh] = Load(date: date, startedAt: now, waiters: [waiterID: waiter])
                        state.entries[consortiumID] = .loading(id: fresh)
                        return .start(fresh, cancelling: nil)
                    }
                }
                switch decision {
                case .answer(let result):
                    waiter.resume(with: result)
                case .wait:
                    break
                case .start(let id, let stuck):
                    stuck?.cancel()
                    // On Swift's pool, not on the event loop that serves the request (`EventLoopBoundChannel`).
                    let task = Task(executorPreference: globalConcurrentExecutor) {
                        await self.load(id, consortiumID: consortiumID, on: date, database: database)
                    }
                    state.withLock { $0.loads[id]?.task = task }
                }
            }
        } onCancel: {
            abandon(waiterID, CancellationError())
        }
    }

    /// Forgets every context, and every load in flight for new callers (those already waiting get its answer).
    package func invalidateAll() { state.withLock { $0.entries.removeAll() } }

    /// Runs load `id` and answers its waiters; only a load still current becomes the consortium's context.
    private func load(_ id: UInt64, consortiumID: Int64, on date: BusinessDate, database: Database) async {
        let result: Result<LongPrescriptionContext, any Error>
        do {
            // Its own budget, not the first caller's: it serves every caller that joins.
            result = .success(
                try await Database.$requestDeadline.withValue(nil) {
                    try await database.transaction { connection in
                        // One snapshot for the whole context, and no query of it waits longer than a lease may.
                        try await connection.run(
                            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: database.logger)
                        let timeout = "\(max(1, Int((database.leaseTimeout / .milliseconds(1)).rounded(.up))))ms"
                        try await connection.run(
                            "SELECT set_config('statement_timeout', \(timeout), true)", logger: database.logger)
                        return try await LongPrescriptionContext.load(
                            consortiumID: consortiumID, on: date, database: database, connection: connection)
                    }
                })
        } catch {
            result = .failure(error)
        }
        let waiters: [Waiter] = state.withLock { state in
            guard let load = state.loads.removeValue(forKey: id) else { return [] }
            if case .loading(id)? = state.entries[consortiumID] {
                switch result {
                case .success(let context): state.entries[consortiumID] = .ready(context, loadedAt: load.startedAt)
                case .failure: state.entries[consortiumID] = nil
                }
            }
            return Array(load.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    /// The waiter stops waiting with `error`; one not yet waiting will not wait.
    private func abandon(_ waiterID: UInt64, _ error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            for (id, load) in state.loads {
                if let waiter = load.waiters[waiterID] {
                    state.loads[id]?.waiters[waiterID] = nil
                    return waiter
                }
            }
            if state.callers.contains(waiterID) { state.abandoned[waiterID] = error }
            return nil
        }
        waiter?.resume(throwing: error)
    }
}

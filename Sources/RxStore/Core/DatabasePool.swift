import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The connection pool the stores lease from; as a service, it renews the pool when the database returns after an
/// outage.
///
/// PostgresNIO 1.33's pool, once its connections fail, retries on a growing backoff (100 ms × 1.25ⁿ): after an
/// outage of eight seconds its next attempt may come almost two seconds after the database is back, and it then
/// grows one connection at a time while every request queued during the outage waits (issue 19.4). So when a lease
/// loses its connection or waits in vain (`mayBeAway`), this service probes the database every `probeInterval`: one
/// connection (`reach`) tells a database that refuses (or a host that cannot be reached) from one that answers, and a
/// fresh pool that connects after the database refused (it was away and is back) takes the old pool's place; the old
/// one is shut down. Leases waiting on the old pool move to the new one (`Database.timedLease`). A database that
/// answers without having refused (a lost session, or a busy pool) keeps the old pool. A connection that neither
/// answers nor is refused in time is a machine too loaded to answer soon, not an outage: it changes nothing, so an
/// overloaded server never swaps a pool that was only busy.
///
/// With several hosts (`DatabaseHosts`: a primary and its standby under pg_auto_failover), each fresh pool is made on
/// the host that takes writes now (`choose`), when the service starts and at each probe: when the primary is lost,
/// the probes find no writable host until the standby is promoted, then renew the pool on it. A pool whose host
/// refuses a write as read-only (a primary demoted under it) is put on watch the same way (`Database.timedLease`).
package final class DatabasePool: Service, Sendable {
    private let make: @Sendable (_ host: Int) throws -> PostgresClient
    private let reach: @Sendable (_ host: Int) async -> Reach
    private let choose: (@Sendable () async -> Int?)?
    private let logger: Logger
    private let probeInterval: Duration
    private let state: Mutex<State>
    private let runs = Mutex<[ObjectIdentifier: Task<Void, Never>]>([:])
    private let origin = ContinuousClock.now
    /// When a lease last got its connection, in nanoseconds since `origin` (`Int64.min`: never).
    private let lastServed = Atomic<Int64>(.min)

    struct State {
        var client: PostgresClient
        /// The host `client` connects to (an index into the URL's hosts).
        var host = 0
        /// The database seemed to go away at this moment, and has not been seen back since.
        var lostAt: ContinuousClock.Instant?
        /// No probing before this: the last probe found the database there (a busy pool, not an outage).
        var quietUntil: ContinuousClock.Instant?
        /// How many fresh pools have renewed the old one.
        var renewals = 0
    }

    /// What one connection opened on a host found: the probe's evidence.
    package enum Reach: Sendable, Equatable {
        /// It connected: the database is there.
        case answered
        /// It was refused, or the host could not be reached: the database is away.
        case refused
        /// Neither within the time given: no evidence either way.
        case silent
    }

    /// A pool made by `make` now (on the first host), and again for each renewal on the host `choose` names (nil:
    /// always the first; `choose` answering nil: no host takes writes now). `reach` opens one connection on a host
    /// (`reach(_:within:logger:)`).
    package init(
        logger: Logger, probeInterval: Duration = .milliseconds(200), choose: (@Sendable () async -> Int?)? = nil,
        reach: @escaping @Sendable (_ host: Int) async -> Reach,
        make: @escaping @Sendable (_ host: Int) throws -> PostgresClient
    ) throws {
        self.make = make
        self.reach = reach
        self.choose = choose
        self.logger = logger
        self.probeInterval = probeInterval
        self.state = Mutex(State(client: try make(0)))
    }

    /// A pool that is never renewed (commands, tests that run a client of their own).
    package init(fixed client: PostgresClient, logger: Logger) {
        self.make = { _ in client }
        self.reach = { _ in .answered }
        self.choose = nil
        self.logger = logger
        self.probeInterval = .zero
        self.state = Mutex(State(client: client))
    }

    package var client: PostgresClient { state.withLock { $0.client } }
    package var renewals: Int { state.withLock { $0.renewals } }
    /// The host the pool leases from now (an index into the URL's hosts).
    package var host: Int { state.withLock { $0.host } }

    /// Whether a lease's failure has put the pool on watch for an outage (probing until the database answers).
    package var seemsAway: Bool { state.withLock { $0.lostAt != nil } }

    /// A lease got its connection.
    package func served() {
        lastServed.store(Self.nanoseconds(origin.duration(to: .now)), ordering: .relaxed)
    }

    /// A lease got no connection within `waited`. When another lease got one meanwhile, the pool is busy, not cut
    /// off from the database, and there is nothing to probe.
    package func leaseTimedOut(waited: Duration) {
        let last = lastServed.load(ordering: .relaxed)
        if last != .min, Self.nanoseconds(origin.duration(to: .now)) - last <= Self.nanoseconds(waited) { return }
        mayBeAway()
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A lease lost its connection, or got none in time: the database may have gone away, or the pool is busy.
    package func mayBeAway() {
        state.withLock { state in
            guard state.lostAt == nil else { return }
            if let quiet = state.quietUntil, ContinuousClock.now < quiet { return }
            state.lostAt = .now
        }
    }

    package func run() async throws {
        start(client)
        // With several hosts the first may not be the primary: look before the first probe would.
        if let choose, let chosen = await choose(), chosen != host { _ = await probe(away: true) }
        await cancelWhenGracefulShutdown {
            var away = false
            while !Task.isCancelled {
                try? await Task.sleep(for: self.probeInterval)
                guard self.state.withLock({ $0.lostAt != nil }) else { away = false; continue }
                away = await self.probe(away: away)
            }
        }
        for task in runs.withLock({ Array($0.values) }) { task.cancel() }
        for task in runs.withLock({ Array($0.values) }) { await task.value }
    }

    /// Looks for the database: when it answers after it refused, or on another host, a fresh pool replaces the old
    /// one. Returns whether the database is (still) away: refusing, or (with `choose`) no host taking writes.
    private func probe(away: Bool) async -> Bool {
        var host = self.host
        if let choose {
            // No host takes writes now (the primary lost, the standby not yet promoted): still away.
            guard let chosen = await choose() else { return true }
            host = chosen
        }
        switch await reach(host) {
        case .refused: return true
        case .silent: return away
        case .answered: break
        }
        guard let fresh = try? make(host) else { return away }
        start(fresh)
        // The host has just answered one connection: a fresh pool slow to connect is a loaded machine.
        guard await Self.connects(fresh, within: .seconds(1), logger: logger) else {
            stop(fresh)
            return away
        }
        let moved = host != self.host
        guard away || moved else {
            // The database never refused: the old pool reconnects by itself, or is only busy.
            stop(fresh)
            state.withLock {
                $0.lostAt = nil; $0.quietUntil = .now + .seconds(2)
            }
            return false
        }
        let old = state.withLock { state in
            defer { state.client = fresh; state.host = host; state.lostAt = nil; state.renewals += 1 }
            return state.client
        }
        if moved {
            logger.warning("the database's primary moved: leasing from host \(host + 1) of the URL")
        } else {
            logger.warning("the database is back: leasing from a fresh connection pool")
        }
        Counter(label: "crx.database.pool_renewals").increment()
        stop(old)
        return false
    }

    /// Opens one connection and closes it: `answered` when it connects within `limit`, `refused` when the database
    /// refuses it (stopped, not accepting connections) or the host cannot be reached (`connectTimeout`), `silent`
    /// otherwise. A refusal is the evidence of an outage: PostgresNIO's pool only retries it, so a pool's lease
    /// cannot tell it from a slow connection.
    package static func reach(
        _ configuration: PostgresConnection.Configuration, within limit: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(2), logger: Logger
    ) async -> Reach {
        var probe = configuration
        probe.options.connectTimeout = .nanoseconds(nanoseconds(connectTimeout))
        let configuration = probe
        return await withTaskGroup(of: Reach.self) { group in
            group.addTask {
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: configuration, id: 0, logger: logger)
                    try? await connection.close()
                    return .answered
                } catch {
                    // Cancelled by the limit below: neither answered nor refused in time.
                    return Task.isCancelled ? .silent : .refused
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return .silent
            }
            let first = await group.next() ?? .silent
            group.cancelAll()  // the connection attempt is abandoned, its socket closed
            return first
        }
    }

    private static func connects(_ client: PostgresClient, within limit: Duration, logger: Logger) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await client.withConnection { try await $0.run("SELECT 1", logger: logger) }) != nil }
            group.addTask {
                try? await Task.sleep(for: limit); return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func start(_ client: PostgresClient) {
        let task = Task { await client.run() }
        runs.withLock { $0[ObjectIdentifier(client)] = task }
    }

    /// Shuts a pool down: its queued leases fail, and the leases still out close their connections when returned.
    private func stop(_ client: PostgresClient) {
        runs.withLock { $0.removeValue(forKey: ObjectIdentifier(client)) }?.cancel()
    }
}

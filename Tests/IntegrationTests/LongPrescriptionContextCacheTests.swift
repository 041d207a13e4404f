import Foundation
import PostgresNIO
import RxDomain
import RxUseCases
import Testing

@testable import RxStore

/// Issue 19.4: the long-prescription check's shared context load never holds its callers past their own bound,
/// a failed or stuck load leaves nothing behind, and a caller never gets a context read before an invalidation.
/// A load is made to stick by a lock on a table it reads, held by another session.
@Suite("Long-prescription context cache: stuck, failed and invalidated loads (issue 19)")
struct LongPrescriptionContextCacheTests {
    static func consortiumID(_ app: TestApp) async throws -> Int64 {
        try await app.database.rows("SELECT id FROM consortia WHERE code = \(TestApp.demoConsortium)", as: Int64.self)[0]
    }

    /// A handle on the app's test pool whose leases and statements wait `leaseTimeout`.
    static func database(_ app: TestApp, leaseTimeout: Duration) -> Database {
        Database(client: app.database.client, logger: app.database.logger, leaseTimeout: leaseTimeout)
    }

    /// Runs `body` while another session holds `long_rx_rule_sets` locked, so the context load's first read waits.
    /// `body` gets a pool of its own (the loads may hold all of the app's), for what it needs meanwhile.
    static func whileRulesLocked<T: Sendable>(_ app: TestApp, _ body: @escaping @Sendable (Database) async throws -> T)
        async throws -> T
    {
        try await TestDatabases.withDatabase(url: app.databaseURL) { holder in
            try await holder.transaction { connection in
                try await connection.sql("LOCK TABLE long_rx_rule_sets IN ACCESS EXCLUSIVE MODE")
                return try await body(holder)
            }
        }
    }

    /// Waits until `count` sessions wait on a lock (loads that have taken their snapshot and are stuck).
    static func untilLoadsWaitOnTheLock(_ database: Database, count: Int = 1) async throws {
        let waiting = try await poll(within: .seconds(30), every: .milliseconds(20), until: { $0 >= count }) {
            try await database.rows(
                "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                as: Int.self
            ).first ?? 0
        }
        try #require(waiting.last.map { $0 >= count } ?? false, "no load waited on the lock: \(waiting.suffix(3))")
    }

    /// `work`'s outcome, or nil when it did not come within a bound generous for a loaded machine. The lock is held
    /// until the test body returns, so a caller that waited for the stuck load would fail the test, not hang it.
    static func outcome<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> Result<T, any Error>? {
        try await OutageTests.answer(within: .seconds(30)) {
            do { return Result<T, any Error>.success(try await work()) } catch { return .failure(error) }
        }
    }

    static func isUnavailable<T>(_ outcome: Result<T, any Error>?) -> Bool {
        guard case .failure(let error)? = outcome, case .unavailable = error as? DomainError else { return false }
        return true
    }

    static func untilTrue(_ condition: () -> Bool) async throws {
        let answers = try await poll(within: .seconds(30), every: .milliseconds(10), until: { $0 }) { condition() }
        try #require(answers.last == true)
    }

    @Test(
        "19.4: a caller waits for a stuck load only until its own deadline, or until it is cancelled; the load, once free, serves the next"
    )
    func stuckLoadHoldsNobody() async throws {
        try await TestApp.run { app in
            let consortium = try await Self.consortiumID(app)
            let today = BusinessDate.today()
            // Neither the load's lease nor its statement timeout cuts it short: it waits until the lock goes.
            let database = Self.database(app, leaseTimeout: .seconds(120))
            let cache = LongPrescriptionContextCache()
            try await Self.whileRulesLocked(app) { _ in
                // A request with little of its budget left gives up at its deadline, with the load still stuck.
                let late = try await Self.outcome {
                    try await Database.$requestDeadline.withValue(ContinuousClock.now + .milliseconds(300)) {
                        try await cache.context(consortiumID: consortium, on: today, database: database)
                    }
                }
                #expect(late != nil, "the caller waited for the stuck load past its deadline")
                #expect(Self.isUnavailable(late), "\(String(describing: late))")
                #expect(cache.oldestLoadStart != nil, "the load still runs")

                // A caller without a near deadline waits, and stops waiting when its task is cancelled.
                let waiter = Task { try await cache.context(consortiumID: consortium, on: today, database: database) }
                try await Self.untilTrue { cache.waitingCount == 1 }
                waiter.cancel()
                let cancelled = try await Self.outcome { try await waiter.value }
                #expect(cancelled != nil, "the cancelled caller waited for the stuck load")
                guard case .failure(let error)? = cancelled else { Issue.record("\(String(describing: cancelled))"); return }
                #expect(error is CancellationError, "\(error)")
                #expect(cache.waitingCount == 0 && cache.oldestLoadStart != nil)
            }
            // The lock is gone: the same load completes, and the next caller gets its context.
            let context = try await cache.context(consortiumID: consortium, on: today, database: database)
            #expect(context.rules != nil && !context.institutions.isEmpty)
            #expect(cache.oldestLoadStart == nil)
        }
    }

    @Test("19.4: a failed load leaves nothing behind: its caller gets 503's error, and the next caller loads again")
    func failedLoadIsRetried() async throws {
        try await TestApp.run { app in
            let consortium = try await Self.consortiumID(app)
            let today = BusinessDate.today()
            let cache = LongPrescriptionContextCache()
            try await Self.whileRulesLocked(app) { _ in
                // Each of the load's statements may wait 300 ms: the one on the locked table fails, and so does
                // the load, while its caller (with a long deadline) still waits for it.
                let failed = try await Self.outcome {
                    try await Database.$requestDeadline.withValue(ContinuousClock.now + .seconds(120)) {
                        try await cache.context(
                            consortiumID: consortium, on: today, database: Self.database(app, leaseTimeout: .milliseconds(300)))
                    }
                }
                #expect(failed != nil, "the load waited on the lock past its statement timeout")
                #expect(Self.isUnavailable(failed), "\(String(describing: failed))")
                #expect(cache.oldestLoadStart == nil && cache.waitingCount == 0)
            }
            let context = try await cache.context(
                consortiumID: consortium, on: today, database: Self.database(app, leaseTimeout: .seconds(120)))
            #expect(context.rules != nil)
        }
    }

    @Test("19.4: after an invalidation a caller does not join the load in flight: it sees what changed meanwhile")
    func invalidationDetachesTheLoadInFlight() async throws {
        try await TestApp.run { app in
            let consortium = try await Self.consortiumID(app)
            let today = BusinessDate.today()
            let database = Self.database(app, leaseTimeout: .seconds(120))
            let cache = LongPrescriptionContextCache()
            let (early, late) = try await Self.whileRulesLocked(app) { side in
                let early = Task { try await cache.context(consortiumID: consortium, on: today, database: database) }
                // The early load has its snapshot, and waits on the lock. Then a prescriber is registered, and
                // the listener would invalidate.
                try await Self.untilLoadsWaitOnTheLock(side)
                try await side.transaction { connection in
                    try await connection.sql(
                        """
                        INSERT INTO prescribers (consortium_id, pseudonym, institution_id, title)
                        SELECT consortium_id, 'DR-CACHE-TEST', id, 'senior' FROM institutions
                        WHERE consortium_id = \(consortium) ORDER BY code LIMIT 1
                        """)
                }
                cache.invalidateAll()
                let late = Task { try await cache.context(consortiumID: consortium, on: today, database: database) }
                // Its own load, not the early one: two wait on the lock.
                try await Self.untilLoadsWaitOnTheLock(side, count: 2)
                return (early, late)
            }
            #expect(try await early.value.prescribers["DR-CACHE-TEST"] == nil)
            #expect(try await late.value.prescribers["DR-CACHE-TEST"] != nil)
            // What the cache keeps is the late load's.
            #expect(
                try await cache.context(consortiumID: consortium, on: today, database: database).prescribers["DR-CACHE-TEST"]
                    != nil)
        }
    }

    @Test("the context's member catalogues (read in a few queries) are each member's catalogue as the member store reads it")
    func cataloguesMatchTheMemberStore() async throws {
        try await TestApp.run { app in
            let consortium = try await Self.consortiumID(app)
            let today = BusinessDate.today()
            // One member keeps a list of its own (two drugs of the catalogue), another an empty one.
            try await app.database.transaction { connection in
                try await connection.sql(
                    """
                    INSERT INTO member_catalogues (consortium_id, institution_id)
                    SELECT consortium_id, id FROM institutions WHERE consortium_id = \(consortium) ORDER BY code LIMIT 2
                    """)
                try await connection.sql(
                    """
                    INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
                    SELECT i.consortium_id, i.id, c.drug_code
                    FROM (SELECT consortium_id, id FROM institutions WHERE consortium_id = \(consortium) ORDER BY code LIMIT 1) i
                    CROSS JOIN (SELECT DISTINCT drug_code FROM catalogue_items WHERE consortium_id = \(consortium) ORDER BY drug_code LIMIT 2) c
                    """)
            }
            let database = Self.database(app, leaseTimeout: .seconds(120))
            let context = try await LongPrescriptionContextCache().context(
                consortiumID: consortium, on: today, database: database)
            let members = try await database.read {
                try await InstitutionStore(database: database).list(consortiumID: consortium, connection: $0)
            }
            try #require(members.count == context.institutions.count)
            let useCases = MemberCatalogueUseCases(database: database)
            for member in members {
                let expected = Set(try await useCases.get(institution: member, on: today).drugs.map(\.code))
                #expect(context.catalogues[member.id] == expected, "\(member.code)")
            }
            #expect(context.catalogues.values.contains { $0.count == 2 } && context.catalogues.values.contains { $0.isEmpty })
        }
    }
}

import Logging
import PostgresNIO
import Testing

@testable import RxStore

/// When `DatabasePool` goes on watch for an outage. The renewal itself is tested against a database taken away
/// (`Tests/System/outage.sh`).
@Suite("Database pool: outage or busy")
struct DatabasePoolTests {
    /// A pool that never connects: these tests only look at its bookkeeping.
    func pool() -> DatabasePool {
        let configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: nil, tls: .disable)
        return DatabasePool(fixed: PostgresClient(configuration: configuration), logger: Logger(label: "test"))
    }

    @Test("a lease that times out while no other lease is served puts the pool on watch")
    func timeoutAlone() {
        let pool = pool()
        #expect(!pool.seemsAway)
        pool.leaseTimedOut(waited: .seconds(5))
        #expect(pool.seemsAway)
    }

    @Test("a lease that times out while others were served meanwhile waited on a busy pool: no watch")
    func timeoutWhileBusy() {
        let pool = pool()
        pool.served()
        pool.leaseTimedOut(waited: .seconds(5))
        #expect(!pool.seemsAway)
    }

    @Test("a lease served before this one began waiting does not count")
    func servedLongAgo() async throws {
        let pool = pool()
        pool.served()
        try await Task.sleep(for: .milliseconds(30))
        pool.leaseTimedOut(waited: .milliseconds(10))
        #expect(pool.seemsAway)
    }

    @Test("a lost connection puts the pool on watch whatever else is served")
    func lostConnection() {
        let pool = pool()
        pool.served()
        pool.mayBeAway()
        #expect(pool.seemsAway)
    }
}

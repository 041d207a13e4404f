import Logging
import PostgresNIO
import RxStore
import Testing

@Suite("28: the reads that tolerate a replica's lag")
struct ReplicaRoutingTests {
    /// Pools on a port nothing listens on: nothing here connects; the routing is what is looked at.
    static func pool(_ logger: Logger) throws -> DatabasePool {
        DatabasePool(
            fixed: try Database.makeClient(url: "postgres://rx@127.0.0.1:1/x", poolSize: 1, logger: logger), logger: logger)
    }

    @Test("the replica answers them until the request writes; a request never reads its own write from the replica")
    func routing() async throws {
        let logger = Logger(label: "replica-routing")
        let primary = try Self.pool(logger)
        let replica = try Self.pool(logger)
        let database = Database(pool: primary, logger: logger, leaseTimeout: .milliseconds(20), replicaPool: replica)
        #expect(database.lagTolerant.pool === replica)
        #expect(Database(pool: primary, logger: logger).lagTolerant.pool === primary, "no replica: the primary")
        await RequestWrites.$current.withValue(RequestWrites()) {
            #expect(database.lagTolerant.pool === replica)
            _ = try? await database.read { _ in 1 }
            #expect(database.lagTolerant.pool === replica, "a read is not a write")
            _ = try? await database.transaction { _ in 1 }
            #expect(database.lagTolerant.pool === primary, "after a write, the primary")
        }
        await RequestWrites.$current.withValue(RequestWrites()) {
            _ = try? await database.autocommit { _ in 1 }
            #expect(database.lagTolerant.pool === primary, "an autocommitted change is a write")
        }
        await RequestWrites.$current.withValue(RequestWrites()) {
            #expect(database.lagTolerant.pool === replica, "each request starts afresh")
        }
        replica.mayBeAway()
        #expect(database.lagTolerant.pool === primary, "a replica that seems away: the primary answers")
    }
}

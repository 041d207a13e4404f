import PostgresNIO
import RxStore
import Testing

@Suite("DATABASE_URL")
struct DatabaseURLTests {
    @Test func tcp() throws {
        let c = try DatabaseURL.configuration("postgres://rx:p%40ss@db.example:6543/consortiumrx")
        #expect(c.host == "db.example" && c.port == 6543 && c.username == "rx" && c.database == "consortiumrx")
    }

    @Test("a unix socket as a percent-encoded host or as libpq's host= parameter")
    func unixSockets() throws {
        let encoded = try DatabaseURL.configuration("postgres://rx@%2Fvar%2Frun%2Fpostgresql/consortiumrx")
        #expect(encoded.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")
        let libpq = try DatabaseURL.configuration("postgresql://rx@localhost:5433/consortiumrx?host=/tmp/pg")
        #expect(libpq.unixSocketPath == "/tmp/pg/.s.PGSQL.5433")
        #expect(libpq.database == "consortiumrx")
    }

    @Test(arguments: ["mysql://x@y/z", "not a url", "postgres:///nohost"])
    func refused(url: String) {
        #expect(throws: DatabaseURL.Invalid.self) { try DatabaseURL.configuration(url) }
    }
}

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

    @Test("the probe's single connection reads the same URL: host, socket, user, database and TLS")
    func connectionConfiguration() throws {
        let tcp = try DatabaseURL.connectionConfiguration("postgres://rx:p%40ss@db.example:6543/consortiumrx?sslmode=require")
        #expect(tcp.host == "db.example" && tcp.port == 6543 && tcp.username == "rx" && tcp.password == "p@ss")
        #expect(tcp.database == "consortiumrx" && tcp.tls.isEnforced)
        let socket = try DatabaseURL.connectionConfiguration("postgresql://rx@localhost:5433/consortiumrx?host=/tmp/pg")
        #expect(socket.unixSocketPath == "/tmp/pg/.s.PGSQL.5433" && !socket.tls.isAllowed)
        #expect(throws: DatabaseURL.Invalid.self) { try DatabaseURL.connectionConfiguration("mysql://a/x") }
    }

    @Test("28: several hosts as libpq takes them, each with the URL's user, database and options")
    func severalHosts() throws {
        let two = try DatabaseHosts(
            url: "postgres://rx:p%40ss@127.0.0.1:55491,127.0.0.1:55492/consortiumrx?target_session_attrs=read-write")
        #expect(two.configurations.map(\.port) == [55491, 55492])
        #expect(two.configurations.allSatisfy { $0.host == "127.0.0.1" && $0.username == "rx" && $0.database == "consortiumrx" })
        #expect(two.configurations.allSatisfy { $0.password == "p@ss" })
        #expect(two.readWrite && two.choosing)
        let primary = try DatabaseHosts(url: "postgresql://rx@db1,db2:6543/x?target_session_attrs=primary&sslmode=require")
        #expect(primary.configurations.map(\.host) == ["db1", "db2"] && primary.configurations.map(\.port) == [5432, 6543])
        #expect(primary.readWrite)
        let one = try DatabaseHosts(url: "postgres://rx@db.example:6543/consortiumrx")
        #expect(one.configurations.count == 1 && !one.readWrite && !one.choosing)
    }

    @Test(
        "28: a host list with an empty host, or a target_session_attrs the service cannot honour, is refused",
        arguments: ["postgres://rx@a:1,/x", "postgres://rx@a:1,b:2/x?target_session_attrs=standby", "mysql://a,b/x"])
    func refusedHosts(url: String) {
        #expect(throws: DatabaseURL.Invalid.self) { try DatabaseHosts(url: url) }
    }

    @Test(arguments: ["mysql://x@y/z", "not a url", "postgres:///nohost"])
    func refused(url: String) {
        #expect(throws: DatabaseURL.Invalid.self) { try DatabaseURL.configuration(url) }
    }
}

import Foundation
import PostgresNIO
import RxDomain

/// Reads a `postgres://user:password@host:port/database` URL into a client configuration.
///
/// A unix socket is named either by a percent-encoded path as the host (`postgres://u@%2Fvar%2Frun%2Fpostgresql/db`)
/// or by a `host=/path` query parameter (libpq's convention). `sslmode=require` turns TLS on.
package enum DatabaseURL {
    package struct Invalid: Error, CustomStringConvertible {
        package var description: String
    }

    package static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw Invalid(description: "DATABASE_URL must be a postgres:// URL") }
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let host = components.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""
        let socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (host.hasPrefix("/") ? host : nil)
        let port = components.port ?? 5432
        if let socketDirectory {
            // libpq names the directory; the socket inside it is .s.PGSQL.<port>.
            let path = socketDirectory.hasSuffix(".s.PGSQL.\(port)") ? socketDirectory : "\(socketDirectory)/.s.PGSQL.\(port)"
            return .init(unixSocketPath: path, username: user, password: password, database: database.isEmpty ? nil : database)
        }
        guard !host.isEmpty else { throw Invalid(description: "DATABASE_URL has no host") }
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] {
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        return .init(
            host: host, port: port, username: user, password: password,
            database: database.isEmpty ? nil : database, tls: tls)
    }
}

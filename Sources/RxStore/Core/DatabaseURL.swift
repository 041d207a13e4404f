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
        let parts = try Parts(url)
        switch parts.endpoint {
        case .socket(let path):
            return .init(unixSocketPath: path, username: parts.user, password: parts.password, database: parts.database)
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS
            switch parts.tls {
            case .require: tls = .require(.makeClientConfiguration())
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .disable: tls = .disable
            }
            return .init(
                host: host, port: port, username: parts.user, password: parts.password, database: parts.database, tls: tls)
        }
    }

    /// The same URL as one connection's configuration: what `DatabasePool`'s probe opens to tell a database that
    /// refuses from one that is only slow.
    package static func connectionConfiguration(_ url: String) throws -> PostgresConnection.Configuration {
        let parts = try Parts(url)
        switch parts.endpoint {
        case .socket(let path):
            return .init(unixSocketPath: path, username: parts.user, password: parts.password, database: parts.database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            switch parts.tls {
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .disable: tls = .disable
            }
            return .init(
                host: host, port: port, username: parts.user, password: parts.password, database: parts.database, tls: tls)
        }
    }

    /// What a URL names, before either configuration is made of it.
    private struct Parts {
        enum Endpoint { case socket(String), tcp(String, Int) }
        enum TLS { case disable, prefer, require }
        var user: String
        var password: String?
        var database: String?
        var endpoint: Endpoint
        var tls: TLS

        init(_ url: String) throws {
            guard let components = URLComponents(string: url),
                let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
            else { throw Invalid(description: "DATABASE_URL must be a postgres:// URL") }
            user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
            password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
            var database = components.path
            if database.hasPrefix("/") { database.removeFirst() }
            self.database = database.isEmpty ? nil : database
            let query = Dictionary(
                (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
            let host = components.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""
            let socketDirectory =
                query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (host.hasPrefix("/") ? host : nil)
            let port = components.port ?? 5432
            if let socketDirectory {
                // libpq names the directory; the socket inside it is .s.PGSQL.<port>.
                endpoint = .socket(
                    socketDirectory.hasSuffix(".s.PGSQL.\(port)") ? socketDirectory : "\(socketDirectory)/.s.PGSQL.\(port)")
            } else {
                guard !host.isEmpty else { throw Invalid(description: "DATABASE_URL has no host") }
                endpoint = .tcp(host, port)
            }
            switch query["sslmode"] {
            case "require", "verify-ca", "verify-full": tls = .require
            case "prefer": tls = .prefer
            default: tls = .disable
            }
        }
    }
}

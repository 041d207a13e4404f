import Foundation
import Logging
import PostgresNIO

/// The hosts of a `DATABASE_URL`: one, or several as libpq takes them
/// (`postgres://user@h1:p1,h2:p2/db?target_session_attrs=read-write`).
///
/// PostgresNIO connects to one host. With several, the service's pool (`DatabasePool`) asks `writable` which host
/// takes writes when it starts and again whenever its connections are lost or refused a write, and leases from a pool
/// on that host: after a failover (pg_auto_failover promoting the standby) it finds the new primary without a restart.
/// This is the one place that chooses; the commands (`DatabaseOptions`) choose the same way once when they start.
package struct DatabaseHosts: Sendable {
    /// One configuration per host, in the URL's order; user, password, database and options are the same for each.
    package var configurations: [PostgresClient.Configuration]
    /// The same hosts as single connections' configurations (`DatabasePool`'s probe).
    package var connections: [PostgresConnection.Configuration]
    /// `target_session_attrs=read-write` (or `primary`): only a host that takes writes will do. With `any` (the
    /// default) the first host that answers.
    package var readWrite: Bool

    package init(url: String) throws {
        // URLComponents takes one host: each host of the list is read as a URL of its own.
        guard let schemeEnd = url.range(of: "://") else {
            throw DatabaseURL.Invalid(description: "DATABASE_URL must be a postgres:// URL")
        }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var prefix = String(url[..<schemeEnd.upperBound])
        var hostList = authority
        if let at = authority.lastIndex(of: "@") {
            prefix += authority[...at]
            hostList = authority[authority.index(after: at)...]
        }
        let suffix = String(rest[authorityEnd...])
        let hosts = hostList.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        configurations = try hosts.map { try DatabaseURL.configuration(prefix + $0 + suffix) }
        connections = try hosts.map { try DatabaseURL.connectionConfiguration(prefix + $0 + suffix) }
        let attributes =
            URLComponents(string: prefix + hosts[0] + suffix)?.queryItems?.last { $0.name == "target_session_attrs" }?.value
            ?? "any"
        switch attributes {
        case "any": readWrite = false
        case "read-write", "primary": readWrite = true
        default:
            throw DatabaseURL.Invalid(description: "DATABASE_URL: target_session_attrs must be any, read-write or primary")
        }
    }

    /// Whether there is anything to choose: several hosts, or one that must take writes.
    package var choosing: Bool { configurations.count > 1 || readWrite }

    /// The index of the first host, in the URL's order, that answers within `timeout` and (with `readWrite`) takes
    /// writes: not a standby in recovery, not read-only. Nil when none does now.
    package func writable(timeout: Duration = .seconds(2), logger: Logger) async -> Int? {
        for (index, configuration) in configurations.enumerated()
        where await Self.answers(configuration, writable: readWrite, timeout: timeout, logger: logger) {
            return index
        }
        return nil
    }

    private static func answers(
        _ configuration: PostgresClient.Configuration, writable: Bool, timeout: Duration, logger: Logger
    ) async -> Bool {
        var configuration = configuration
        configuration.options.maximumConnections = 1
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = timeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let run = Task { await client.run() }
        defer { run.cancel() }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                let takes = try? await client.withConnection { connection -> Bool in
                    guard writable else { return true }
                    let readOnly = try await connection.row(
                        "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'", as: Bool.self,
                        logger: logger)
                    return readOnly == false
                }
                return takes ?? false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}

internal import Foundation
import Logging
import RxDomain

/// What `serve` needs, read from flags and the environment.
package struct AppConfiguration: Sendable {
    package var host: String
    package var port: Int
    package var databaseURL: String
    /// A streaming replica for the reads that tolerate its lag (reports, exports, dashboards, the audit trail);
    /// nil: every read on `databaseURL`.
    package var databaseReadURL: String?
    /// Connections in the pool; a small pool serves best on few cores (docs/performance.md).
    package var poolSize: Int
    /// Whether the pool opens all its connections at start and keeps them (`Database.makeClient`): what a server
    /// wants; tests that start many apps against one cluster open them on demand.
    package var keepConnectionsOpen: Bool
    /// How long a request waits for a pooled connection before it gets 503 with `Retry-After`.
    package var leaseTimeout: Duration
    /// How long a transaction waits for a lock another holds (an import applying a file, most often) before it
    /// gives up and the request gets 503 with `Retry-After` (PostgreSQL's `lock_timeout` on every pooled connection);
    /// nil: as long as `leaseTimeout`.
    package var lockTimeout: Duration?
    /// Request bodies larger than this are refused with 413.
    package var maximumBodyBytes: Int
    package var logLevel: Logger.Level
    /// Where the server takes "today" from: the wall clock, or a fixed date in tests.
    package var clock: BusinessClock = .system
    /// How often the server rescans the drugs whose facts changed, and each business day every drug (issue 22,
    /// `ShortageScanService`); nil: it does not (tests, and servers left to cron's `consortiumrx shortages scan`).
    package var shortageScanInterval: Duration?
    /// Bytes of a member's orders pages a server keeps to serve again while the member's orders are unchanged
    /// (ADR 0016); 0 keeps none.
    package var keptPagesBudget = 64 << 20
    /// The console's cookies carry `Secure`: set when the server is reached through TLS (a proxy in front of it).
    package var consoleSecureCookies = false

    package init(
        host: String = "127.0.0.1", port: Int = 8080, databaseURL: String, poolSize: Int = 8,
        keepConnectionsOpen: Bool = true, leaseTimeout: Duration = .seconds(5), lockTimeout: Duration? = nil,
        maximumBodyBytes: Int = 1 << 20, logLevel: Logger.Level = .info
    ) {
        self.leaseTimeout = leaseTimeout
        self.lockTimeout = lockTimeout
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.poolSize = poolSize
        self.keepConnectionsOpen = keepConnectionsOpen
        self.maximumBodyBytes = maximumBodyBytes
        self.logLevel = logLevel
    }
}

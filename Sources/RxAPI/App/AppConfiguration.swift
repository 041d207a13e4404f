internal import Foundation
import Logging
import RxDomain

/// What `serve` needs, read from flags and the environment.
public struct AppConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databaseURL: String
    /// Connections in the pool; a small pool serves best on few cores (docs/performance.md).
    public var poolSize: Int
    /// Whether the pool opens all its connections at start and keeps them (`Database.makeClient`): what a server
    /// wants; tests that start many apps against one cluster open them on demand.
    public var keepConnectionsOpen: Bool
    /// How long a request waits for a pooled connection before it gets 503 with `Retry-After`.
    public var leaseTimeout: Duration
    /// How long a transaction waits for a lock another holds (an import applying a file, most often) before it
    /// gives up and the request gets 503 with `Retry-After` (PostgreSQL's `lock_timeout` on every pooled connection);
    /// nil: as long as `leaseTimeout`.
    public var lockTimeout: Duration?
    /// Request bodies larger than this are refused with 413.
    public var maximumBodyBytes: Int
    public var logLevel: Logger.Level
    /// Where the server takes "today" from: the wall clock, or a fixed date in tests.
    public var clock: BusinessClock = .system

    public init(
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

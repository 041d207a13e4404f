package import Foundation
import Logging

/// What `serve` needs, read from flags and the environment.
public struct AppConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databaseURL: String
    /// Connections in the pool; a small pool serves best on few cores (bench/README.md).
    public var poolSize: Int
    /// How long a request waits for a pooled connection before it gets 503 with `Retry-After`.
    public var leaseTimeout: Duration
    /// Request bodies larger than this are refused with 413.
    public var maximumBodyBytes: Int
    public var logLevel: Logger.Level

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databaseURL: String, poolSize: Int = 8,
        leaseTimeout: Duration = .seconds(5), maximumBodyBytes: Int = 1 << 20, logLevel: Logger.Level = .info
    ) {
        self.leaseTimeout = leaseTimeout
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.poolSize = poolSize
        self.maximumBodyBytes = maximumBodyBytes
        self.logLevel = logLevel
    }
}

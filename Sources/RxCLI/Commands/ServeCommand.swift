import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RxAPI

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the JSON API (stops cleanly on SIGTERM or SIGINT).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on (default: $PORT, else 8080).")
    var port: Int?

    @Option(
        name: .customLong("database-read-url"),
        help:
            "A streaming replica for reports, exports, dashboards and the audit trail, which tolerate its lag (default: $DATABASE_READ_URL; none: the primary)."
    )
    var databaseReadURL: String?

    @Option(name: .customLong("pool-size"), help: "Database connections in the pool (default: $DB_POOL_SIZE, else 8).")
    var poolSize: Int?

    @Option(
        name: .customLong("lease-timeout-ms"),
        help: "How long a request waits for a database connection before 503 (default: $DB_LEASE_TIMEOUT_MS, else 5000).")
    var leaseTimeoutMilliseconds: Int?

    @Option(
        name: .customLong("lock-timeout-ms"),
        help:
            "How long a request waits for a lock another transaction holds (an import) before 503 (default: $DB_LOCK_TIMEOUT_MS, else the lease timeout)."
    )
    var lockTimeoutMilliseconds: Int?

    @Option(
        name: .customLong("shortage-scan-seconds"),
        help:
            "How often the server rescans drugs whose stock changed, and once a business day every consortium, for shortages; 0 turns it off (default: $SHORTAGE_SCAN_SECONDS, else 60)."
    )
    var shortageScanSeconds: Int?

    @Option(
        name: .customLong("kept-pages-mib"),
        help:
            "MiB of members' orders pages the server keeps to answer again while their orders are unchanged; 0 keeps none (default: $KEPT_PAGES_MIB, else 64)."
    )
    var keptPagesMiB: Int?

    @Flag(
        name: .customLong("console-secure-cookies"),
        help:
            "Mark the web console's cookies Secure: set when users reach the server through TLS (default: $CRX_CONSOLE_SECURE_COOKIES=1)."
    )
    var consoleSecureCookies = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let configuration = AppConfiguration(
            host: host, port: port ?? env["PORT"].flatMap(Int.init) ?? 8080, databaseURL: try database.url(),
            poolSize: poolSize ?? env["DB_POOL_SIZE"].flatMap(Int.init) ?? 8,
            leaseTimeout: DatabaseOptions.leaseTimeout(flag: leaseTimeoutMilliseconds, defaultMilliseconds: 5000),
            lockTimeout: (lockTimeoutMilliseconds ?? env["DB_LOCK_TIMEOUT_MS"].flatMap(Int.init)).map {
                .milliseconds(max(1, $0))
            },
            logLevel: level)
        var serving = configuration
        serving.databaseReadURL = (databaseReadURL ?? env["DATABASE_READ_URL"]).flatMap { $0.isEmpty ? nil : $0 }
        let scanSeconds = shortageScanSeconds ?? env["SHORTAGE_SCAN_SECONDS"].flatMap(Int.init) ?? 60
        serving.shortageScanInterval = scanSeconds > 0 ? .seconds(scanSeconds) : nil
        serving.keptPagesBudget = max(0, keptPagesMiB ?? env["KEPT_PAGES_MIB"].flatMap(Int.init) ?? 64) << 20
        serving.consoleSecureCookies = consoleSecureCookies || env["CRX_CONSOLE_SECURE_COOKIES"] == "1"
        try await serve(serving)
    }
}

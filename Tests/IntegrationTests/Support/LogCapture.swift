import Foundation
import Logging
import Synchronization

/// Every log line the test process writes once installed, for the tests of what must never be logged.
/// Errors are also written to standard error, so a failing test still shows them.
enum LogCapture {
    private static let lines = Mutex<[String]>([])
    private static let installed: Bool = {
        LoggingSystem.bootstrap { label in Handler(label: label) }
        return true
    }()

    static func install() { _ = installed }

    static var text: String { lines.withLock { $0.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let label: String
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let line =
                "\(event.level) \(label): \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
            LogCapture.lines.withLock { $0.append(line) }
            if event.level >= .error { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
    }
}

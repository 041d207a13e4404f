import Foundation

/// The built `consortiumrx`, run as an operator runs it, on one test database.
struct Command {
    let binary: URL
    let databaseURL: String
    /// `$USER` as the command sees it.
    var user = "command-test"

    /// The built `consortiumrx` beside the test bundle (`swift build --build-tests` builds it).
    static var binary: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent(),
            TestDatabases.repositoryRoot.appendingPathComponent(".build/debug"),
        ].map { $0.appendingPathComponent("consortiumrx") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs the command to its end. Standard output is read first, then standard error (which these commands keep
    /// short). The same long lease wait as the test servers': on a loaded machine a connection can take seconds.
    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = [
            "DATABASE_URL": databaseURL, "USER": user, "PATH": "/usr/bin:/bin", "DB_LEASE_TIMEOUT_MS": "60000",
        ]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

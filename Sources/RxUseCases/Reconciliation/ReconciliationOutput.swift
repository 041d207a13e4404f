import Foundation
import RxDomain

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a reconciliation's report goes as it is produced. Used from one task at a time.
package protocol ReconciliationOutput: AnyObject {
    func write(_ text: String) throws
    /// The discrepancies of a batch, in line order, as they are found (an output may keep them; a stream does not).
    func found(_ batch: [ReconciliationDiscrepancy])
    /// The report is complete: everything written is out (called once, at the end of a report).
    func flush() throws
}

/// The report kept in memory, with its discrepancies (tests and small files).
package final class InMemoryReconciliationOutput: ReconciliationOutput {
    package private(set) var text = ""
    package private(set) var discrepancies: [ReconciliationDiscrepancy] = []

    package init() {}
    package func write(_ text: String) throws { self.text += text }
    package func found(_ batch: [ReconciliationDiscrepancy]) { discrepancies += batch }
    package func flush() throws {}
}

/// No report: the run's summary is returned and its discrepancies are recorded (the console's upload).
package final class SummaryOnlyReconciliationOutput: ReconciliationOutput {
    package init() {}
    package func write(_ text: String) throws {}
    package func found(_ batch: [ReconciliationDiscrepancy]) {}
    package func flush() throws {}
}

/// The report written to a file descriptor (standard output) or a file, through a 64 KiB buffer. A file's report is
/// written beside it under a temporary name (`.NAME.PID.partial`) and takes the file's name only once complete
/// (`flush`): a run refused halfway (bad input, the file changed while it was read) leaves no file and no half of a
/// report behind, and an earlier report at that path stays as it was.
package final class FileReconciliationOutput: ReconciliationOutput {
    package struct CannotWrite: Error, CustomStringConvertible {
        package var path: String
        package var description: String { "cannot write \(path)" }
    }

    private enum Target { case descriptor(Int32), path(String) }
    private let target: Target
    private var fd: Int32 = -1
    /// The temporary file being written, until it takes its name.
    private var partialPath: String?
    private var buffer: [UInt8] = []
    /// Called before buffered text goes out (a progress bar on the same terminal takes itself off first).
    package var beforeWriting: (() -> Void)?

    package static func standardOutput() -> FileReconciliationOutput { FileReconciliationOutput(target: .descriptor(1)) }
    package init(path: String) { target = .path(path) }
    private init(target: Target) { self.target = target }

    deinit {
        if case .path = target, fd >= 0 { close(fd) }
        if let partialPath { unlink(partialPath) }
    }

    private var name: String {
        switch target {
        case .descriptor: "standard output"
        case .path(let path): path
        }
    }

    package func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try drain() }
    }

    package func found(_ batch: [ReconciliationDiscrepancy]) {}

    package func flush() throws {
        try drain()
        guard case .path(let path) = target, let partial = partialPath else { return }
        close(fd)
        fd = -1
        guard rename(partial, path) == 0 else { throw CannotWrite(path: path) }
        partialPath = nil
    }

    private func drain() throws {
        guard !buffer.isEmpty else { return }
        beforeWriting?()
        if fd < 0 {
            switch target {
            case .descriptor(let d): fd = d
            case .path(let path):
                let url = URL(fileURLWithPath: path)
                let partial = url.deletingLastPathComponent()
                    .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial").path
                fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw CannotWrite(path: path) }
                partialPath = partial
            }
        }
        var offset = 0
        try buffer.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CannotWrite(path: name)
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(fd, bytes, count)
    #else
        Darwin.write(fd, bytes, count)
    #endif
}

/// How far a reconciliation is, for a progress bar.
package struct ReconciliationProgress: Sendable, Equatable {
    package enum Phase: Sendable, Equatable { case reading, matching, done }
    package var phase: Phase
    package var linesRead: Int
    package var bytesRead: Int
    /// The file's size, when known.
    package var totalBytes: Int?
    /// Lines judged so far, and of how many (while matching).
    package var linesMatched: Int
    package var totalLines: Int

    package init(
        phase: Phase, linesRead: Int = 0, bytesRead: Int = 0, totalBytes: Int? = nil, linesMatched: Int = 0,
        totalLines: Int = 0
    ) {
        self.phase = phase
        self.linesRead = linesRead
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.linesMatched = linesMatched
        self.totalLines = totalLines
    }
}

/// Told of progress about once per chunk read or batch matched (the implementation throttles what it shows).
package protocol ReconciliationProgressReporter: AnyObject {
    func report(_ progress: ReconciliationProgress)
}

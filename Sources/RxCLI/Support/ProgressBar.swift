import Foundation
import RxStore
import RxUseCases

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-line progress bar on standard error, redrawn at most ten times a second; only when standard error is a
/// terminal (`forStandardError()` is nil in a pipe or a file, so scripts see nothing of it).
final class ProgressBar: ReconciliationProgressReporter {
    private let label: String
    private var last: ContinuousClock.Instant?
    private var shown = false

    static func forStandardError(label: String) -> ProgressBar? {
        isatty(2) == 1 ? ProgressBar(label: label) : nil
    }

    private init(label: String) { self.label = label }

    func report(_ p: ReconciliationProgress) {
        if p.phase == .done { clear(); return }
        let now = ContinuousClock.now
        if let last, now - last < .milliseconds(100) { return }
        last = now
        let text: String
        switch p.phase {
        case .reading:
            var t = "\(label): read \(Self.grouped(p.linesRead)) lines"
            if let total = p.totalBytes, total > 0 {
                t += ", \(p.bytesRead * 100 / total)% of \(Self.megabytes(total))"
            }
            text = t
        case .matching:
            let percent = p.totalLines > 0 ? p.linesMatched * 100 / p.totalLines : 100
            text = "\(label): matched \(Self.grouped(p.linesMatched)) of \(Self.grouped(p.totalLines)) lines, \(percent)%"
        case .done:
            text = ""
        }
        FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
        shown = true
    }

    /// Takes the bar off the screen (before the report or errors are written to the same terminal).
    func clear() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(max(1, bytes >> 10)) KiB"
    }
}

import Foundation

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

/// The text encoding of an input file (`--encoding` of `reconcile invoices`, `import prices`, `import herb-usage`).
package enum FileEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gbk

    /// GBK is read as GB 18030, its superset.
    var foundation: String.Encoding {
        switch self {
        case .utf8: .utf8
        case .gbk:
            String.Encoding(
                rawValue: CFStringConvertEncodingToNSStringEncoding(
                    CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))
        }
    }

    var csv: CSVStreamParser.TextEncoding {
        switch self {
        case .utf8: .utf8
        case .gbk: .foundation(foundation, name: rawValue)
        }
    }
}

/// Where an input file comes from.
package enum FileInput: Sendable {
    case data(Data)
    case file(path: String)
}

/// The input in chunks of at most 1 MiB.
package struct ChunkSource {
    static let chunkSize = 1 << 20

    private let input: FileInput
    private var handle: FileHandle?
    package private(set) var bytesRead = 0
    package let totalBytes: Int?

    struct CannotRead: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot read \(path)" }
    }

    package init(_ input: FileInput) throws {
        self.input = input
        switch input {
        case .data(let data):
            totalBytes = data.count
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CannotRead(path: path) }
            self.handle = handle
            totalBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        }
    }

    package mutating func next() throws -> Data? {
        switch input {
        case .data(let data):
            guard bytesRead < data.count else { return nil }
            let end = min(data.count, bytesRead + Self.chunkSize)
            defer { bytesRead = end }
            return data.subdata(in: data.startIndex + bytesRead..<data.startIndex + end)
        case .file:
            guard let chunk = try handle?.read(upToCount: Self.chunkSize), !chunk.isEmpty else {
                try? handle?.close()
                handle = nil
                return nil
            }
            bytesRead += chunk.count
            return chunk
        }
    }
}

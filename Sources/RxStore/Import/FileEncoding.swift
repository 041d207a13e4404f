import Foundation

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

/// The text encoding of an input file (`--encoding` of `reconcile invoices`, `import prices`, `import herb-usage`;
/// found by `detect` when not given).
package enum FileEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gbk

    /// GBK is read as GB 18030, its superset.
    package var foundation: String.Encoding {
        switch self {
        case .utf8: .utf8
        case .gbk:
            String.Encoding(
                rawValue: CFStringConvertEncodingToNSStringEncoding(
                    CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))
        }
    }

    /// The encoding of a file given without one: UTF-8 when it opens with a byte-order mark or its first 64 KiB are
    /// UTF-8, else GBK, what Excel on Chinese Windows saves as "CSV (逗号分隔)". Chinese text in GBK is almost never
    /// valid UTF-8 (its lead bytes 0x81–0xFE are followed by bytes UTF-8 does not allow there).
    package static func detect(_ input: FileInput) throws -> FileEncoding {
        let sample = 1 << 16
        switch input {
        case .data(let data):
            return detect(prefix: [UInt8](data.prefix(sample)), whole: data.count <= sample)
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else { throw ChunkSource.CannotRead(path: path) }
            defer { try? handle.close() }
            let bytes = [UInt8](try handle.read(upToCount: sample) ?? Data())
            return detect(prefix: bytes, whole: bytes.count < sample)
        }
    }

    /// `prefix` is the file's start, the whole file when `whole`; a character cut at the end of a prefix is not held
    /// against it.
    static func detect(prefix: [UInt8], whole: Bool) -> FileEncoding {
        if prefix.starts(with: [0xEF, 0xBB, 0xBF]) { return .utf8 }
        let cuts = whole ? 0...0 : 0...min(3, prefix.count)
        for cut in cuts where String(validating: prefix.dropLast(cut), as: UTF8.self) != nil { return .utf8 }
        return .gbk
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

    package struct CannotRead: Error, CustomStringConvertible {
        var path: String
        package var description: String { "cannot read \(path)" }
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

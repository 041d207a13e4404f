/// Reads the plain JSON that well-formed requests are made of, for the hot paths that skip the generated
/// server's `Codable` round trip (`DirectRoute`).
///
/// It accepts a strict subset and declines everything else: string escapes, `null`, numbers with a fraction or
/// an exponent, a repeated key, a key the schema does not name, a missing required key, bytes that are not
/// UTF-8. A declined body goes to the generated server unchanged, whose decoder answers it as the contract says
/// (the value, or a 400 naming the field). So what this reader accepts it must read exactly as `JSONDecoder`
/// does, and `HotPathTests` hold it to that.
struct StrictJSONReader {
    /// Thrown when the input leaves the subset; never reaches a caller of `read`.
    struct Decline: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// Reads a whole document with `value`, or nil when anything in it leaves the subset.
    static func read<T>(_ bytes: UnsafeRawBufferPointer, _ value: (inout StrictJSONReader) throws(Decline) -> T) -> T? {
        var reader = StrictJSONReader(bytes: bytes)
        do {
            let result = try value(&reader)
            reader.skipWhitespace()
            return reader.index == bytes.count ? result : nil
        } catch {
            return nil
        }
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, consumed.
    private mutating func next() throws(Decline) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw Decline() }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws(Decline) {
        guard try next() == byte else { throw Decline() }
    }

    /// A string without escapes or control characters, valid UTF-8.
    mutating func string() throws(Decline) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                guard let text else { throw Decline() }
                return text
            }
            guard byte >= 0x20, byte != UInt8(ascii: "\\") else { throw Decline() }
            index += 1
        }
        throw Decline()
    }

    /// An integer written as JSON writes one (`-?(0|[1-9][0-9]*)`), within `Int`.
    mutating func int() throws(Decline) -> Int {
        skipWhitespace()
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var value = 0
        while index < bytes.count, case let digit = bytes[index], digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") {
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (added, o2) = shifted.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw Decline() }
            value = added
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { throw Decline() }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw Decline()
            default: break
            }
        }
        return negative ? -value : value
    }

    mutating func bool() throws(Decline) -> Bool {
        skipWhitespace()
        func matches(_ word: StaticString) -> Bool {
            guard bytes.count - index >= word.utf8CodeUnitCount else { return false }
            for offset in 0..<word.utf8CodeUnitCount where bytes[index + offset] != word.utf8Start[offset] { return false }
            return true
        }
        if matches("true") {
            index += 4
            return true
        }
        if matches("false") {
            index += 5
            return false
        }
        throw Decline()
    }

    /// An object: `field` is called with each key and reads its value; it throws `Decline` for a key it does not
    /// know. A key seen twice is declined here (decoders differ on which one wins).
    mutating func object(_ field: (inout StrictJSONReader, String) throws(Decline) -> Void) throws(Decline) {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        var seen: [String] = []
        while true {
            let key = try string()
            guard !seen.contains(key) else { throw Decline() }
            seen.append(key)
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw Decline()
            }
        }
    }

    /// An array whose elements `element` reads.
    mutating func array<T>(_ element: (inout StrictJSONReader) throws(Decline) -> T) throws(Decline) -> [T] {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        var elements: [T] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            elements.append(try element(&self))
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return elements
            default: throw Decline()
            }
        }
    }
}

/// A required value that an object reader fills in: declines when the object ended without it.
func required<T>(_ value: T?) throws(StrictJSONReader.Decline) -> T {
    guard let value else { throw StrictJSONReader.Decline() }
    return value
}

/// An array kept in chunks of a fixed size: it grows without moving what it holds, so a table of millions of rows
/// never needs room for twice its size while it grows, as an `Array` does when it reallocates.
struct ChunkedArray<Element> {
    private static var chunkShift: Int { 16 }
    private static var chunkMask: Int { (1 << chunkShift) - 1 }

    private var chunks: [[Element]] = []
    private(set) var count = 0

    init() {}

    mutating func append(_ element: Element) {
        if count & Self.chunkMask == 0 { chunks.append([]) }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    subscript(index: Int) -> Element {
        get { chunks[index >> Self.chunkShift][index & Self.chunkMask] }
        _modify { yield &chunks[index >> Self.chunkShift][index & Self.chunkMask] }
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}

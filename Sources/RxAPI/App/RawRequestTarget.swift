internal import Foundation
import NIOCore

/// Reads a request whose target carries raw UTF-8 (`GET /v1/drugs?q=黄芪`, as some browsers and scripts send it)
/// instead of refusing it: HTTP/1.1's parser takes only ASCII there and would answer an empty 400. Each byte
/// above 0x7F of a request line is percent-encoded before the parser sees it, so the request reads as if the
/// client had encoded it. Headers pass unchanged; bodies are skipped by `Content-Length`. A chunked body ends the
/// rewriting for that connection (its later requests are read as sent).
package struct RequestTargetEncoder: Sendable {
    enum State: Sendable, Equatable {
        case requestLine
        case headers
        case body(remaining: Int)
        case asSent
    }

    private(set) var state = State.requestLine
    /// The start of the current header line, enough to read `Content-Length` and `Transfer-Encoding`.
    private var line: [UInt8] = []
    private var lineLength = 0
    private var contentLength = 0
    private var chunked = false

    package init() {}

    /// The bytes as the parser should see them: the same buffer when nothing needs encoding.
    package mutating func encode(_ buffer: ByteBuffer) -> ByteBuffer {
        if state == .asSent { return buffer }
        let bytes = buffer.readableBytesView
        var output: ByteBuffer? = nil
        var copiedUpTo = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            switch state {
            case .asSent:
                i = bytes.endIndex
            case .body(let remaining):
                let take = min(remaining, bytes.endIndex - i)
                i += take
                state = remaining - take == 0 ? .requestLine : .body(remaining: remaining - take)
            case .requestLine:
                let byte = bytes[i]
                if byte >= 0x80 {
                    if output == nil { output = ByteBuffer(); output!.reserveCapacity(bytes.count + 32) }
                    output!.writeBytes(bytes[copiedUpTo..<i])
                    output!.writeString("%")
                    output!.writeString(Self.hex[Int(byte >> 4)])
                    output!.writeString(Self.hex[Int(byte & 0x0F)])
                    copiedUpTo = i + 1
                } else if byte == UInt8(ascii: "\n") {
                    // An empty line before the request line is allowed and ignored.
                    if lineLength > 0 { state = .headers; contentLength = 0; chunked = false }
                    lineLength = 0
                } else if byte != UInt8(ascii: "\r") {
                    lineLength += 1
                }
                i += 1
            case .headers:
                let byte = bytes[i]
                if byte == UInt8(ascii: "\n") {
                    if lineLength == 0 {
                        state = chunked ? .asSent : (contentLength > 0 ? .body(remaining: contentLength) : .requestLine)
                    } else {
                        readHeaderLine()
                    }
                    line.removeAll(keepingCapacity: true)
                    lineLength = 0
                } else if byte != UInt8(ascii: "\r") {
                    if line.count < 64 { line.append(byte) }
                    lineLength += 1
                }
                i += 1
            }
        }
        guard var output else { return buffer }
        output.writeBytes(bytes[copiedUpTo..<bytes.endIndex])
        return output
    }

    private static let hex = (0..<16).map { String($0, radix: 16, uppercase: true) }

    private mutating func readHeaderLine() {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        switch name {
        case "content-length": contentLength = Int(value) ?? 0
        case "transfer-encoding": chunked = chunked || value.lowercased().contains("chunked")
        default: break
        }
    }
}

/// `RequestTargetEncoder` in front of the HTTP/1.1 parser.
final class RawRequestTargetHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private var encoder = RequestTargetEncoder()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(encoder.encode(unwrapInboundIn(data))))
    }
}

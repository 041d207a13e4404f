import NIOCore
import RxAPI
import Testing

@Suite("Raw UTF-8 in a request target (issue 19.13)")
struct RawRequestTargetTests {
    func encoded(_ chunks: [[UInt8]]) -> String {
        var encoder = RequestTargetEncoder()
        var out: [UInt8] = []
        for chunk in chunks { out += Array(encoder.encode(ByteBuffer(bytes: chunk)).readableBytesView) }
        return String(decoding: out, as: UTF8.self)
    }

    func encoded(_ text: String) -> String { encoded([Array(text.utf8)]) }

    @Test("a raw UTF-8 query is percent-encoded as a browser would have; the rest of the request is left as sent")
    func rawQuery() {
        #expect(
            encoded("GET /v1/drugs?q=黄芪 HTTP/1.1\r\nHost: x\r\nX-Name: 黄芪\r\n\r\n")
                == "GET /v1/drugs?q=%E9%BB%84%E8%8A%AA HTTP/1.1\r\nHost: x\r\nX-Name: 黄芪\r\n\r\n")
        let ascii = "GET /v1/drugs?q=%E9%BB%84 HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(encoded(ascii) == ascii)
    }

    @Test("a body is skipped by its length, so a pipelined request after it is read too; any split of the bytes gives the same")
    func bodiesAndSplits() {
        let body = #"{"name": "黄芪"}"#
        let request =
            "POST /v1/x HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            + "\r\nGET /v1/drugs?q=芪 HTTP/1.1\r\nHost: x\r\n\r\n"
        let expected =
            "POST /v1/x HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            + "\r\nGET /v1/drugs?q=%E8%8A%AA HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(encoded(request) == expected)
        let bytes = Array(request.utf8)
        #expect(encoded(bytes.map { [$0] }) == expected)
        for split in stride(from: 1, to: bytes.count, by: 7) {
            #expect(encoded([Array(bytes[..<split]), Array(bytes[split...])]) == expected)
        }
    }

    @Test("after a chunked body the connection's requests are read as sent")
    func chunked() {
        let request = "POST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n黄\r\n0\r\n\r\nGET /?q=芪 HTTP/1.1\r\n\r\n"
        #expect(encoded(request) == request)
    }
}

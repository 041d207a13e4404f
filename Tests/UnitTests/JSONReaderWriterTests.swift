import Foundation
import RxDomain
import Testing

@testable import RxAPI

/// The hot paths' JSON reader (`StrictJSONReader`) and the service's JSON writer (`JSONText`), held to what
/// `JSONDecoder` and `JSONSerialization` make of the same bytes.
@Suite("JSON reader and writer")
struct JSONReaderWriterTests {
    /// Reads `{"name": string, "count": int, "flag": bool, "tags": [string]}` with every key optional.
    struct Sample: Decodable, Equatable {
        var name: String?
        var count: Int?
        var flag: Bool?
        var tags: [String]?
    }

    func strict(_ text: String) -> Sample? {
        Array(text.utf8).withUnsafeBytes { bytes in
            StrictJSONReader.read(bytes) { (reader: inout StrictJSONReader) throws(StrictJSONReader.Decline) -> Sample in
                var sample = Sample()
                try reader.object { (reader, key) throws(StrictJSONReader.Decline) in
                    switch key {
                    case "name": sample.name = try reader.string()
                    case "count": sample.count = try reader.int()
                    case "flag": sample.flag = try reader.bool()
                    case "tags":
                        sample.tags = try reader.array { (reader) throws(StrictJSONReader.Decline) in try reader.string() }
                    default: throw StrictJSONReader.Decline()
                    }
                }
                return sample
            }
        }
    }

    @Test(
        "what the strict reader accepts it reads as JSONDecoder does",
        arguments: [
            #"{}"#,
            #"{"name":"黄芪","count":0}"#,
            #" { "name" : "a b" , "count" : -42 , "flag" : true , "tags" : [ "x" , "饮片" ] } "#,
            #"{"flag":false,"tags":[]}"#,
            "{\"count\":\(Int.max)}",
            "{\"count\":\(Int.min + 1)}",
        ])
    func acceptsAsDecoderDoes(_ text: String) throws {
        let read = try #require(strict(text))
        #expect(read == (try JSONDecoder().decode(Sample.self, from: Data(text.utf8))))
    }

    @Test(
        "it declines what leaves its subset, so the generated server answers it",
        arguments: [
            #"{"name":"a\"b"}"#,  // an escape
            #"{"name":null}"#,  // null
            #"{"count":1.5}"#,  // a fraction
            #"{"count":1e3}"#,  // an exponent
            #"{"count":01}"#,  // a leading zero
            #"{"count":99999999999999999999}"#,  // beyond Int
            #"{"name":"a","name":"b"}"#,  // a repeated key
            #"{"other":1}"#,  // a key the schema does not name
            #"{"name":"a"} x"#,  // trailing bytes
            #"{"name":"a",}"#,  // a trailing comma
            #"{"tags":["a",]}"#,
            "{\"name\":\"a\u{01}\"}",  // a control character
            "",
        ])
    func declines(_ text: String) {
        #expect(strict(text) == nil)
    }

    @Test("bytes that are not UTF-8 are declined")
    func notUTF8() {
        let bytes: [UInt8] = Array(#"{"name":""#.utf8) + [0xff, 0xfe] + Array(#""}"#.utf8)
        let read = bytes.withUnsafeBytes { bytes in
            StrictJSONReader.read(bytes) { (reader: inout StrictJSONReader) throws(StrictJSONReader.Decline) -> String in
                var name = ""
                try reader.object { (reader, _) throws(StrictJSONReader.Decline) in name = try reader.string() }
                return name
            }
        }
        #expect(read == nil)
    }

    @Test(
        "JSONText writes strings that JSONSerialization reads back unchanged",
        arguments: ["", "plain", "引号\"反斜杠\\", "lines\n\r\ttab", "\u{08}\u{0C}\u{01}\u{1F}", "emoji 🧪 and 黄芪", "</script>"])
    func writerRoundTrip(_ value: String) throws {
        var writer = JSONText()
        writer.object { writer in
            writer.member("s", value)
            writer.member("n", -7)
            writer.member("b", true)
            writer.key("a")
            writer.array([value, "x"]) { writer, element in writer.value(element) }
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        #expect(object["s"] as? String == value)
        #expect((object["n"] as? NSNumber)?.intValue == -7)
        #expect(object["b"] as? Bool == true)
        #expect(object["a"] as? [String] == [value, "x"])
        let fragment = try JSONSerialization.jsonObject(with: Data(JSONText.string(value).utf8), options: .fragmentsAllowed)
        #expect(fragment as? String == value)
    }

    @Test("an object of strings is written with its keys sorted")
    func sortedObject() {
        #expect(JSONText.object(["b": "2", "a": "1", "中": "x"]) == #"{"a":"1","b":"2","中":"x"}"#)
    }
}

import Foundation
import RxDomain
import Testing

@testable import RxStore

/// `CSVStreamParser.records` and `CSVTable`, the whole-text reading that `CSVReader` did before it was retired:
/// the same records, and the same first error with the same line.
@Suite("CSV parser")
struct CSVParserTests {
    typealias Malformed = CSVStreamParser.Malformed

    static func records(_ text: String) throws -> [[String]] { try CSVStreamParser.records(text).map(\.fields) }
    static func lines(_ text: String) throws -> [Int] { try CSVStreamParser.records(text).map(\.line) }

    static func malformed(_ text: String) -> Malformed? {
        do {
            _ = try CSVStreamParser.records(text)
            return nil
        } catch {
            return error as? Malformed
        }
    }

    @Test("quotes, doubled quotes, CRLF, empty fields, a byte-order mark, line breaks in quotes and blank lines")
    func reads() throws {
        #expect(
            try Self.records("a,b\r\n\"x, y\",\"he said \"\"hi\"\"\"\r\n,x\r\n") == [
                ["a", "b"], ["x, y", "he said \"hi\""], ["", "x"],
            ])
        #expect(try Self.records("\u{FEFF}\"code\",name\n1,2") == [["code", "name"], ["1", "2"]])
        #expect(try Self.records("\u{FEFF}code\n") == [["code"]])
        #expect(try Self.records("a\n\"line\nbreak\",x\nlast") == [["a"], ["line\nbreak", "x"], ["last"]])
        #expect(try Self.lines("a\n\"line\nbreak\",x\nlast") == [1, 2, 4])
        #expect(try Self.lines("a\n\n\r\nb\n") == [1, 4])
        #expect(try Self.records("\"\"\n\"\",x\n") == [[""], ["", "x"]])
        #expect(try Self.records("\"a\r\nb\"\r\n") == [["a\r\nb"]])
        #expect(try Self.records("中药,é\n") == [["中药", "é"]])
        #expect(try Self.records("") == [])
    }

    @Test("rows of empty cells, which a spreadsheet writes for rows it once touched, are skipped; the header is not")
    func emptyRows() throws {
        #expect(try Self.records("a,b\r\n1,2\r\n,\r\n , \r\n\"\",\r\n3,\r\n,,\r\n") == [["a", "b"], ["1", "2"], ["3", ""]])
        #expect(try Self.lines("a,b\n,\n1,2\n") == [1, 3])
        #expect(try Self.records(",\n1,2\n") == [["", ""], ["1", "2"]])
        let table = try CSVTable(text: "code,name\nA1,x\n,\n,,,\n", requiredColumns: ["code"], file: "f", reportRagged: true)
        #expect(table.rows.count == 1)
        #expect(table.ragged.isEmpty)
    }

    @Test("the encoding of a file given without one: a byte-order mark or UTF-8 text is UTF-8, else GBK")
    func detectsEncoding() throws {
        let text = "药品编码,数量\n黄芪,1\n"
        #expect(try FileEncoding.detect(.data(Data(text.utf8))) == .utf8)
        #expect(try FileEncoding.detect(.data(Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)))) == .utf8)
        #expect(try FileEncoding.detect(.data(Data("code,qty\n".utf8))) == .utf8)
        let gbk = try #require(text.data(using: FileEncoding.gbk.foundation))
        #expect(try FileEncoding.detect(.data(gbk)) == .gbk)
        // A sample cut inside a character is still UTF-8; a whole file cut there is not.
        let cut = Array(text.utf8.prefix(4))
        #expect(FileEncoding.detect(prefix: cut, whole: false) == .utf8)
        #expect(FileEncoding.detect(prefix: cut, whole: true) == .gbk)
    }

    @Test("the first malformed spot is thrown with its line")
    func refuses() {
        #expect(Self.malformed("a\nb\"c\nd") == Malformed(line: 2, reason: "a quote inside an unquoted field"))
        #expect(Self.malformed("a\n\"x\"y\n") == Malformed(line: 2, reason: "text after a closing quote"))
        #expect(Self.malformed("a\n\"open\nmore") == Malformed(line: 2, reason: "a quoted field is not closed"))
        #expect(Self.malformed("\"a\nb\",c\nd\"e\nf\"g") == Malformed(line: 3, reason: "a quote inside an unquoted field"))
    }

    @Test("a table names a missing column, an empty file and a ragged line")
    func tables() throws {
        let table = try CSVTable(text: "code, name \nA1, Aspirin \nB2,\n", requiredColumns: ["code", "name"], file: "drugs.csv")
        #expect(table.header == ["code", "name"])
        #expect(table.rows.map { table.value($0, "name") } == ["Aspirin", nil])
        #expect(throws: Malformed(line: 1, reason: "drugs.csv lacks the column(s) price")) {
            try CSVTable(text: "code,name\n", requiredColumns: ["code", "price"], file: "drugs.csv")
        }
        #expect(throws: Malformed(line: 1, reason: "drugs.csv is empty")) {
            try CSVTable(text: "\n", requiredColumns: [], file: "drugs.csv")
        }
        #expect(throws: Malformed(line: 3, reason: "1 fields where the header has 2")) {
            try CSVTable(text: "code,name\nA,B\nC\n", requiredColumns: [], file: "drugs.csv")
        }
        let ragged = try CSVTable(text: "code,name\nA,B\nC\n", requiredColumns: [], file: "drugs.csv", reportRagged: true)
        #expect(ragged.rows.map(\.line) == [2])
        #expect(ragged.ragged == [Malformed(line: 3, reason: "1 fields where the header has 2")])
    }

    @Test("a file for Excel: the byte-order mark first; a text Excel would take for a formula kept as text, numbers as they are")
    func excel() throws {
        var writer = CSVWriter.forExcel(header: ["编码", "名称"])
        writer.append(["=HYPERLINK(\"x\")", "-12.30"])
        writer.append(["+1+1", "@SUM(A1)"])
        writer.append(["-", "+86"])
        #expect(writer.text.hasPrefix("\u{FEFF}编码,名称\r\n"))
        let records = try CSVStreamParser.records(String(writer.text.dropFirst()))
        #expect(
            records.map(\.fields) == [
                ["编码", "名称"], ["'=HYPERLINK(\"x\")", "-12.30"], ["'+1+1", "'@SUM(A1)"], ["'-", "+86"],
            ])
        #expect(CSVWriter.inert("氨氯地平") == "氨氯地平" && CSVWriter.inert("") == "")
    }

    @Test("what CSVWriter writes reads back the same")
    func roundTrip() throws {
        let fields = ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\rlf\r\n", "", " spaced ", "中药"]
        var writer = CSVWriter(header: ["h"])
        writer.append(fields)
        #expect(try Self.records(writer.text) == [["h"], fields])
        #expect(CSVWriter.field("x,y") == "\"x,y\"")
        #expect(CSVWriter.field("q\"") == "\"q\"\"\"")
        #expect(CSVWriter.field("plain") == "plain")
    }
}

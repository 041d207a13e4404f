import Foundation
import PostgresNIO
import RxDomain
import Testing

@testable import RxStore

/// An array of records (`ARRAY(SELECT ROW(…) …)`) read by `RowReader.nextRecords`: each record's fields as PostgreSQL
/// sent them, NULLs as nil, an empty array as no records, and anything that is not an array of records refused.
@Suite("Record arrays")
struct RecordArrayTests {
    struct Line: Equatable {
        var number: Int
        var text: String
        var amount: Decimal
        var optional: Int64?
    }

    @Test("Each record's fields are read in order, with NULLs, Chinese text and quotes")
    func records() async throws {
        let url = await TestDatabases.shared.adminURL
        try await TestDatabases.withDatabase(url: url) { database in
            let rows = try await database.rows(
                """
                SELECT g.n,
                       ARRAY(SELECT ROW(s.i, '第' || s.i || '行 "x"', (s.i * 1.25)::numeric(14,3),
                                        CASE WHEN s.i % 2 = 0 THEN s.i * 10::bigint END)
                             FROM generate_series(1, g.n) s(i) ORDER BY s.i),
                       'after'
                FROM generate_series(0, 3) g(n) ORDER BY g.n
                """
            ) { r in
                let n = try r.next(Int.self)
                var lines: [Line] = []
                for var line in try r.nextRecords() {
                    lines.append(
                        Line(
                            number: try line.next(), text: try line.next(), amount: try line.next(Decimal.self),
                            optional: try line.next()))
                }
                return (n, lines, try r.next(String.self))
            }
            #expect(rows.map(\.0) == [0, 1, 2, 3])
            for (n, lines, after) in rows {
                #expect(
                    lines
                        == (0..<n).map { i in
                            Line(
                                number: i + 1, text: "第\(i + 1)行 \"x\"", amount: Decimal(i + 1) * Decimal(string: "1.25")!,
                                optional: (i + 1) % 2 == 0 ? Int64((i + 1) * 10) : nil)
                        })
                #expect(after == "after", "the column after the array is read in its place")
            }
        }
    }

    @Test("A column that is not an array of records, or a record read past its last field, is refused")
    func refusals() async throws {
        let url = await TestDatabases.shared.adminURL
        try await TestDatabases.withDatabase(url: url) { database in
            await #expect(throws: UnknownDatabaseValue.self) {
                _ = try await database.rows("SELECT ARRAY[ARRAY[ROW(1)], ARRAY[ROW(2)]]") { r in try r.nextRecords() }
            }
            await #expect(throws: UnknownDatabaseValue.self) {
                _ = try await database.rows("SELECT CASE WHEN false THEN ARRAY[ROW(1)] END") { r in try r.nextRecords() }
            }
            await #expect(throws: UnknownDatabaseValue.self) {
                _ = try await database.rows("SELECT ARRAY[ROW(1)]") { r in
                    try r.nextRecords().map { record in
                        var record = record
                        return (try record.next(Int.self), try record.next(Int.self))
                    }
                }
            }
        }
    }
}

import Foundation
import PostgresNIO
import Testing

@testable import RxStore

/// `NumericColumn` decodes PostgreSQL's binary numeric itself; it must agree with PostgresNIO's `Decimal`.
@Suite("Numeric columns")
struct NumericColumnTests {
    @Test("decodes every numeric as PostgresNIO's Decimal does")
    func likePostgresNIO() async throws {
        var texts = [
            "0", "0.0000", "1", "-1", "12.5", "12.5000", "-0.0001", "10000", "100000000", "9999999999999999",
            "12345678901234.5678", "-12345678901234.5678", "0.00000001", "1e20", "123456789012345678901234.5",
            "99999999999999999999.9999", "0.1", "10000.0001",
        ]
        var random = SplitMix64(seed: 20_261_201)
        for _ in 0..<500 {
            texts.append(
                "\(Int64.random(in: -99_999_999_999...99_999_999_999, using: &random)).\(Int.random(in: 0...9999, using: &random))"
            )
        }
        let all = texts
        try await TestApp.run { app in
            let rows = try await app.database.read { connection in
                try await connection.rows(
                    "SELECT x::numeric, x::numeric, x FROM unnest(\(all)::text[]) AS x",
                    as: (NumericColumn, Decimal, String).self, logger: app.database.logger)
            }
            #expect(rows.count == all.count)
            for (mine, theirs, text) in rows {
                #expect(mine.value == theirs, "\(text)")
                #expect(mine.value.description == theirs.description, "\(text)")
            }
        }
    }

    @Test("decodes a numeric in ten-thousandths exactly, or not at all: more places, too large, NaN")
    func tenThousandths() async throws {
        let cases: [(String, Int64?)] = [
            ("0", 0), ("0.0000", 0), ("2.5", 25_000), ("-0.0001", -1), ("10000", 100_000_000),
            ("12345678901234.5678", 123_456_789_012_345_678), ("-12345678901234.5678", -123_456_789_012_345_678),
            ("922337203685477.5807", Int64.max), ("922337203685477.5808", nil), ("0.00001", nil), ("1.00005", nil),
            ("1e30", nil), ("99999999999999999999.9999", nil), ("NaN", nil), ("100000000.0000", 1_000_000_000_000),
        ]
        let texts = cases.map(\.0)
        try await TestApp.run { app in
            let rows = try await app.database.read { connection in
                try await connection.rows(
                    "SELECT x::numeric, x FROM unnest(\(texts)::text[]) AS x",
                    as: (TenThousandthsColumn, String).self, logger: app.database.logger)
            }
            #expect(rows.map(\.1) == texts)
            for ((column, text), (_, expected)) in zip(rows, cases) {
                #expect(column.value == expected, "\(text)")
            }
        }
    }
}

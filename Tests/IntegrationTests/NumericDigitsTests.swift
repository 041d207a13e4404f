import Foundation
import PostgresNIO
import RxDomain
import Testing

@testable import RxStore

/// A `numeric` read from its digits (`NumericDigits`, `RowReader.next(Decimal.self)`) is the same decimal PostgresNIO's
/// own decoding gives: the same value, text and hash, for numbers of any sign, size and scale PostgreSQL sends.
@Suite("Numeric digits")
struct NumericDigitsTests {
    @Test("RowReader reads every numeric as PostgresNIO decodes it, and NULL as nil")
    func likePostgresNIO() async throws {
        var texts = [
            "0", "0.0000", "-0.5", "0.0000000001", "12.5000", "10000", "100000000", "-9999.9999", "1234567890.1234",
            "9999999999999999", "99999999999999999999", "12345678901234567890.123", "0.00005", "-123456.78",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var text = Bool.random(using: &generator) ? "-" : ""
            text += String(UInt64.random(in: 0...(UInt64(1) << UInt64.random(in: 1...62, using: &generator)), using: &generator))
            let scale = Int.random(in: 0...8, using: &generator)
            if scale > 0 { text += "." + String((0..<scale).map { _ in "0123456789".randomElement(using: &generator)! }) }
            texts.append(text)
        }
        let url = await TestDatabases.shared.adminURL
        let numbers = texts
        try await TestDatabases.withDatabase(url: url) { database in
            let rows = try await database.rows(
                """
                SELECT t.v::numeric, t.v::numeric, CASE WHEN t.n % 3 = 0 THEN t.v::numeric END, t.v
                FROM unnest(\(numbers)::text[]) WITH ORDINALITY AS t(v, n) ORDER BY t.n
                """
            ) { r in
                (
                    mine: try r.next(Decimal.self), theirs: try r.nextCell().decode(Decimal.self),
                    optional: try r.next(Decimal?.self), text: try r.next(String.self)
                )
            }
            #expect(rows.count == numbers.count)
            for (index, row) in rows.enumerated() {
                #expect(row.mine == row.theirs, "\(row.text)")
                #expect(row.mine.description == row.theirs.description, "\(row.text)")
                #expect(row.mine.hashValue == row.theirs.hashValue, "\(row.text)")
                #expect(row.optional == ((index + 1) % 3 == 0 ? row.theirs : nil), "\(row.text)")
            }
        }
    }
}

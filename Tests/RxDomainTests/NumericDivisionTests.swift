import Foundation
import Testing

@testable import RxDomain

@Suite("Numeric division as PostgreSQL divides (the crosswalk's unit conversion, issue 25)")
struct NumericDivisionTests {
    /// `SELECT a::numeric / b::numeric` on PostgreSQL 15.
    static let postgres: [(String, String, String)] = [
        ("1", "14", "0.07142857142857142857"),
        ("10", "3", "3.3333333333333333"),
        ("1", "3000000", "0.000000333333333333333333"),
        ("123456789.123", "7", "17636684.160428571429"),
        ("0.5", "3", "0.16666666666666666667"),
        ("5", "0.0003", "16666.666666666667"),
        ("7", "7", "1.00000000000000000000"),
        ("2.5", "0.125", "20.0000000000000000"),
        ("9999", "10000", "0.99990000000000000000"),
        ("10000", "9999", "1.0001000100010001"),
        ("1", "0.3333333333333333333", "3.0000000000000000003"),
        ("0.00001", "3", "0.000003333333333333333333"),
        ("14", "1", "14.0000000000000000"),
        ("3.0714", "1", "3.0714000000000000"),
        ("100", "14", "7.1428571428571429"),
        ("12.3456", "24", "0.51440000000000000000"),
    ]

    @Test("the same quotient as PostgreSQL: at least 16 significant digits and either operand's scale")
    func likePostgres() throws {
        for (a, b, expected) in Self.postgres {
            let (x, y) = (try #require(Decimal(string: a)), try #require(Decimal(string: b)))
            let quotient = NumericDivision.divide(
                x, by: y, dividendScale: NumericDivision.scale(x), divisorScale: NumericDivision.scale(y))
            #expect(quotient == Decimal(string: expected), "\(a) / \(b)")
        }
        #expect(NumericDivision.divide(1, by: 0, dividendScale: 0, divisorScale: 0) == nil)
    }

    @Test("the scale is the digits after the point as written")
    func scale() throws {
        for (text, scale) in [("10", 0), ("100", 0), ("2.5", 1), ("0.0003", 4), ("0", 0), ("12.3456", 4)] {
            #expect(NumericDivision.scale(try #require(Decimal(string: text))) == scale, "\(text)")
        }
        #expect(NumericDivision.scale(Decimal(string: "0.5")! * 20) == 0)
    }

    @Test("a crosswalk segment reads a line on its dates: the drug, quantity and price in the order lines' unit")
    func translationReadsALine() throws {
        let line = InvoiceFileLine(
            lineNumber: 2, distributorCode: "DST-A", invoiceNumber: "INV-1", invoiceDate: BusinessDate("2026-06-15")!,
            manufacturerInvoiceNumber: "M-1", manufacturerCode: "MFR-001", institutionCode: "YJ-TCMH",
            drugCode: "86900001", lotNumber: "L1", quantity: 1, unitPrice: Money("1.50")!, amount: Money("1.50")!)
        let translation = InvoiceCodeTranslation(
            code: "86900001",
            segments: [
                .init(from: nil, to: BusinessDate("2026-06-15"), drugCode: nil, reason: "no mapping before 2026-06-15"),
                .init(from: BusinessDate("2026-06-15"), to: nil, drugCode: "D1", numerator: 1, denominator: 14, packageFactor: 1),
            ])
        let (read, unmapped) = translation.read(line)
        #expect(unmapped == nil)
        #expect(read.drugCode == "D1" && read.fileDrugCode == "86900001" && read.packageFactor == 1)
        #expect(read.quantity == Decimal(string: "0.07142857142857142857"))
        #expect(read.unitPrice == Money(21))
        var earlier = line
        earlier.invoiceDate = BusinessDate("2026-06-14")!
        let (unread, reason) = translation.read(earlier)
        #expect(reason == "no mapping before 2026-06-15")
        #expect(unread == earlier)
    }
}

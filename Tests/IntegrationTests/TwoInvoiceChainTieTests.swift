import Foundation
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// 两票制 is judged twice: by `two_invoice_chain_problem` (sql/019) for each line of a reconciled invoice file, and
/// by `ProcurementRules.twoInvoiceRuleError` for an invoice recorded through the API. This test ties the two: for
/// each kind of first-invoice supplier the SQL finds no problem exactly when Swift finds no error.
@Suite("Two-invoice chain: SQL and Swift agree")
struct TwoInvoiceChainTieTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var manufacturerInvoiceNumber: String?
        var manufacturerCode: String?
    }

    static let cases: [Case] = [
        Case(description: "a manufacturer", manufacturerInvoiceNumber: "M-1", manufacturerCode: "TIEMFR"),
        Case(
            description: "a wholly-owned sales company (counts as the manufacturer)", manufacturerInvoiceNumber: "M-2",
            manufacturerCode: "TIESALES"),
        Case(description: "a plain distributor", manufacturerInvoiceNumber: "M-3", manufacturerCode: "TIEDIST"),
        Case(description: "an unknown code", manufacturerInvoiceNumber: "M-4", manufacturerCode: "TIENOPE"),
        Case(description: "a missing invoice number", manufacturerInvoiceNumber: nil, manufacturerCode: "TIEMFR"),
        Case(description: "a missing code", manufacturerInvoiceNumber: "M-6", manufacturerCode: nil),
    ]

    /// Swift's verdict: a chain without the manufacturer's invoice number or code, or from an unknown supplier, has
    /// no first invoice to judge (an error); otherwise `twoInvoiceRuleError` judges the supplier found.
    static func swiftFindsError(_ c: Case, supplier: (isManufacturer: Bool, countsAsManufacturer: Bool)?) -> Bool {
        guard c.manufacturerInvoiceNumber != nil, let code = c.manufacturerCode, let supplier else { return true }
        return ProcurementRules.twoInvoiceRuleError(
            upstreamIsManufacturer: supplier.isManufacturer, upstreamCountsAsManufacturer: supplier.countsAsManufacturer,
            upstreamCode: code) != nil
    }

    @Test("two_invoice_chain_problem is NULL exactly when twoInvoiceRuleError finds no error", arguments: cases)
    func agree(_ c: Case) async throws {
        try await TestApp.run { app in
            try await app.database.transaction { connection in
                try await connection.sql(
                    """
                    INSERT INTO suppliers (code, name, is_manufacturer, is_distributor, manufacturing_licence, distribution_licence)
                    VALUES ('TIEMFR', '厂家', true, false, '吉20260001', NULL),
                           ('TIEDIST', '配送', false, true, NULL, '吉AA0000009')
                    """)
                try await connection.sql(
                    """
                    INSERT INTO suppliers (code, name, is_manufacturer, is_distributor, distribution_licence,
                                           counts_as_manufacturer_id)
                    SELECT 'TIESALES', '销售公司', false, true, '吉AA0000010', id FROM suppliers WHERE code = 'TIEMFR'
                    """)
            }
            let supplier = try await app.database.rows(
                """
                SELECT is_manufacturer, counts_as_manufacturer_id IS NOT NULL FROM suppliers
                WHERE code = \(c.manufacturerCode ?? "")
                """, as: (Bool, Bool).self
            ).first.map { (isManufacturer: $0.0, countsAsManufacturer: $0.1) }
            let problem =
                try await app.database.rows(
                    """
                    SELECT two_invoice_chain_problem(\(c.manufacturerInvoiceNumber), \(c.manufacturerCode), s.code,
                                                     s.is_manufacturer, s.counts_as_manufacturer_id)
                    FROM (SELECT 1) one LEFT JOIN suppliers s ON s.code = \(c.manufacturerCode)
                    """,
                    as: String?.self
                ).first ?? nil
            #expect(
                (problem != nil) == Self.swiftFindsError(c, supplier: supplier),
                "\(c): SQL says \(problem ?? "no problem")")
        }
    }
}

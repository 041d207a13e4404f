import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issues 27 and 28: the figures the dashboards read are kept by the database as the facts are written
/// (042_dashboard_facts.sql, 043_invoice_facts.sql): what each member received of each drug in a year, each holding's
/// unit cost, and each invoice's total and the day its goods were accepted.
@Suite("Dashboard facts kept as the facts are written")
struct DashboardFactsTests {
    /// `receipts_by_year` as it is, and as the order lines say it must be, each row as text.
    static func receipts(_ app: TestApp) async throws -> (kept: [String], fromLines: [String]) {
        let kept = try await app.database.rows(
            """
            SELECT concat_ws(' ', institution_id, year, drug_code, amount::numeric(20, 7), lines) FROM receipts_by_year
            WHERE lines > 0 OR amount <> 0 ORDER BY 1
            """, as: String.self)
        let fromLines = try await app.database.rows(
            """
            SELECT concat_ws(' ', o.institution_id, extract(year FROM o.order_date)::smallint, l.drug_code,
                             sum(l.received_quantity * l.unit_price)::numeric(20, 7), count(*))
            FROM purchase_order_lines l JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
            WHERE l.received_quantity > 0 GROUP BY o.institution_id, extract(year FROM o.order_date), l.drug_code ORDER BY 1
            """, as: String.self)
        return (kept, fromLines)
    }

    @Test("27/28: receipts by year follow the order lines as they are received, changed and removed; the rebuild agrees")
    func receiptsByYear() async throws {
        try await TestApp.run { app in
            _ = try await ReconciliationTests.received(app, count: 3)
            var (kept, fromLines) = try await Self.receipts(app)
            #expect(kept.count == 3 && kept == fromLines, "\(kept) \(fromLines)")

            // A second line of the same drug on the same order, received in part: one row, two lines.
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit,
                                                      unit_price, price_agreement_id, received_quantity)
                    SELECT consortium_id, order_id, 99, drug_code, quantity, quantity_unit, unit_price, price_agreement_id, 4
                    FROM purchase_order_lines WHERE received_quantity > 0 ORDER BY order_id LIMIT 1
                    """)
            }
            (kept, fromLines) = try await Self.receipts(app)
            #expect(kept.count == 3 && kept == fromLines && kept.contains { $0.hasSuffix(" 2") }, "\(kept) \(fromLines)")
            try await app.database.transaction { c in
                try await c.sql("UPDATE purchase_order_lines SET received_quantity = received_quantity + 1.5 WHERE line_no = 99")
            }
            (kept, fromLines) = try await Self.receipts(app)
            #expect(kept == fromLines, "\(kept) \(fromLines)")
            try await app.database.transaction { c in
                try await c.sql("DELETE FROM purchase_order_lines WHERE line_no = 99")
            }
            (kept, fromLines) = try await Self.receipts(app)
            #expect(kept.count == 3 && kept == fromLines, "\(kept) \(fromLines)")

            // An order dated back into another year moves its lines' parts with it.
            let before = kept
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    UPDATE purchase_orders SET order_date = order_date - 400
                    WHERE id = (SELECT min(order_id) FROM purchase_order_lines WHERE received_quantity > 0)
                    """)
            }
            (kept, fromLines) = try await Self.receipts(app)
            #expect(kept.count == 3 && kept == fromLines && kept != before, "\(kept) \(fromLines)")

            // What bench/scale/generate.sql calls after writing with the triggers off gives the same rows.
            try await app.database.transaction { c in try await c.sql("SELECT receipts_by_year_rebuild()") }
            #expect(try await Self.receipts(app).kept == kept)
        }
    }

    @Test("27/28: a holding carries the unit cost of its latest movement with one; a new place takes the member's latest")
    func holdingUnitCost() async throws {
        try await TestApp.run { app in
            let drug = try #require(try await StockImportExportTests.catalogue(app, "YJ-TCMH").first)
            func move(_ reason: String, _ direction: String, _ quantity: Int, cost: String?, location: String? = nil)
                async throws
            {
                try await app.database.transaction { c in
                    try await c.sql(
                        """
                        INSERT INTO stock_movements (consortium_id, institution_id, location_id, drug_code, lot_number,
                                                     expiry_date, reason_code, direction, quantity, unit_cost,
                                                     document_type, document_id, business_date)
                        SELECT i.consortium_id, i.id, l.id, \(drug), 'UC-1', DATE '2030-01-31', \(reason), \(direction),
                               \(quantity), \(cost)::numeric, CASE \(reason) WHEN '106' THEN 'opening' ELSE 'dispensing' END,
                               CASE \(reason) WHEN '106' THEN NULL ELSE 1 END, DATE '2026-06-30'
                        FROM institutions i LEFT JOIN stock_locations l ON l.institution_id = i.id AND l.code = \(location)
                        WHERE i.code = 'YJ-TCMH'
                        """)
                }
            }
            func costs() async throws -> [String] {
                try await app.database.rows(
                    """
                    SELECT coalesce(l.code, '-') || ' ' || coalesce(h.unit_cost::text, 'none')
                    FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
                    LEFT JOIN stock_locations l ON l.consortium_id = h.consortium_id AND l.id = h.location_id
                    WHERE i.code = 'YJ-TCMH' AND h.lot_key = lot_key('UC-1') ORDER BY 1
                    """, as: String.self)
            }
            try await move("106", "in", 10, cost: "2.5")
            #expect(try await costs() == ["- 2.5000"])
            try await move("106", "in", 5, cost: nil)
            try await move("dispensing", "out", 3, cost: nil)
            #expect(try await costs() == ["- 2.5000"], "a movement without a cost keeps the holding's")
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO stock_locations (consortium_id, institution_id, code, name, kind)
                    SELECT consortium_id, id, 'WARD-UC', '病区', 'ward_stock' FROM institutions WHERE code = 'YJ-TCMH'
                    """)
            }
            try await move("106", "in", 2, cost: nil, location: "WARD-UC")
            #expect(try await costs() == ["- 2.5000", "WARD-UC 2.5000"], "a new place takes the member's latest cost")
            try await move("106", "in", 1, cost: "3")
            #expect(try await costs() == ["- 3.0000", "WARD-UC 2.5000"])
        }
    }

    /// Each invoice's kept total and accepted day, and the same from its lines and deliveries, as text.
    static func invoiceFacts(_ app: TestApp) async throws -> (kept: [String], fromLines: [String]) {
        let kept = try await app.database.rows(
            "SELECT concat_ws(' ', id, amount, accepted_on) FROM invoices ORDER BY id", as: String.self)
        let fromLines = try await app.database.rows(
            """
            SELECT concat_ws(' ', v.id, (SELECT coalesce(sum(l.amount), 0) FROM invoice_lines l WHERE l.invoice_id = v.id),
                             (SELECT max(d.received_on) FROM invoice_lines l JOIN deliveries d
                                ON d.consortium_id = l.consortium_id AND d.order_id = l.order_id AND d.line_no = l.order_line_no
                              WHERE l.invoice_id = v.id))
            FROM invoices v ORDER BY v.id
            """, as: String.self)
        return (kept, fromLines)
    }

    @Test(
        "28: an invoice's total and accepted day follow its lines and deliveries, received before or after it; the rebuild agrees"
    )
    func invoiceTotalsAndAcceptance() async throws {
        try await TestApp.run { app in
            let s = try await BillingTests.received(app)
            let r = try await app.call(
                .post, "\(BillingTests.base)/invoices", token: s.admin, json: BillingTests.invoice(s, "INV-F1", quantity: 4))
            #expect(r.status == .created, "\(r.text)")
            var (kept, fromLines) = try await Self.invoiceFacts(app)
            let accepted = BusinessDate.today().adding(days: -40)
            #expect(kept.count == 1 && kept == fromLines && kept[0].hasSuffix(" \(accepted)"), "\(kept) \(fromLines)")

            // The rest received after the invoice, a receipt moved back in time, one removed.
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let later = try await app.call(
                .post, "\(BillingTests.base)/orders/\(s.orderID)/deliveries", token: member,
                json: """
                    {"lineNo": 1, "lotNumber": "BS261116", "expiryDate": "\(BusinessDate.today().adding(months: 24))", "quantity": "6",
                     "receivedOn": "\(BusinessDate.today().adding(days: -10))"}
                    """)
            #expect(later.status == .created, "\(later.text)")
            (kept, fromLines) = try await Self.invoiceFacts(app)
            #expect(kept == fromLines && kept[0].hasSuffix(" \(accepted.adding(days: 30))"), "\(kept) \(fromLines)")
            try await app.database.transaction { c in
                try await c.sql("UPDATE deliveries SET received_on = received_on - 40 WHERE lot_number = 'BS261116'")
            }
            (kept, fromLines) = try await Self.invoiceFacts(app)
            #expect(kept == fromLines && kept[0].hasSuffix(" \(accepted)"), "\(kept) \(fromLines)")

            try await app.database.transaction { c in
                try await c.sql("UPDATE invoices SET amount = 0, accepted_on = NULL")
                try await c.sql("SELECT invoice_facts_rebuild()")
            }
            #expect(try await Self.invoiceFacts(app).kept == kept)
        }
    }
}

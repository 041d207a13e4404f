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

    /// `receipts_by_month` as it is, and as the order lines say it must be, each row as text.
    static func receiptsByMonth(_ app: TestApp) async throws -> (kept: [String], fromLines: [String]) {
        let kept = try await app.database.rows(
            """
            SELECT concat_ws(' ', institution_id, month, drug_code, amount::numeric(20, 7), lines) FROM receipts_by_month
            WHERE lines > 0 OR amount <> 0 ORDER BY 1
            """, as: String.self)
        let fromLines = try await app.database.rows(
            """
            SELECT concat_ws(' ', o.institution_id, date_trunc('month', o.order_date)::date, l.drug_code,
                             sum(l.received_quantity * l.unit_price)::numeric(20, 7), count(*))
            FROM purchase_order_lines l JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
            WHERE l.received_quantity > 0 GROUP BY o.institution_id, date_trunc('month', o.order_date), l.drug_code
            ORDER BY 1
            """, as: String.self)
        return (kept, fromLines)
    }

    /// Both tables agree with the lines.
    static func expectMonthsAgree(_ app: TestApp, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (kept, fromLines) = try await receiptsByMonth(app)
        #expect(!kept.isEmpty && kept == fromLines, "\(kept) \(fromLines)", sourceLocation: sourceLocation)
    }

    @Test(
        "27/28: receipts by year and by month follow the order lines as they are received, changed and removed; the rebuilds agree"
    )
    func receiptsByYear() async throws {
        try await TestApp.run { app in
            _ = try await ReconciliationTests.received(app, count: 3)
            var (kept, fromLines) = try await Self.receipts(app)
            #expect(kept.count == 3 && kept == fromLines, "\(kept) \(fromLines)")
            try await Self.expectMonthsAgree(app)

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
            try await Self.expectMonthsAgree(app)
            try await app.database.transaction { c in
                try await c.sql("UPDATE purchase_order_lines SET received_quantity = received_quantity + 1.5 WHERE line_no = 99")
            }
            (kept, fromLines) = try await Self.receipts(app)
            #expect(kept == fromLines, "\(kept) \(fromLines)")
            try await Self.expectMonthsAgree(app)
            try await app.database.transaction { c in
                try await c.sql("DELETE FROM purchase_order_lines WHERE line_no = 99")
            }
            (kept, fromLines) = try await Self.receipts(app)
            #expect(kept.count == 3 && kept == fromLines, "\(kept) \(fromLines)")
            try await Self.expectMonthsAgree(app)

            // An order dated back into another month of the same year (or the year before, in January) moves its
            // lines' parts with it.
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    UPDATE purchase_orders SET order_date = order_date - 31
                    WHERE id = (SELECT max(order_id) FROM purchase_order_lines WHERE received_quantity > 0)
                    """)
            }
            try await Self.expectMonthsAgree(app)
            (kept, fromLines) = try await Self.receipts(app)
            #expect(kept == fromLines, "\(kept) \(fromLines)")

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
            try await Self.expectMonthsAgree(app)

            // What bench/scale/generate.sql calls after writing with the triggers off gives the same rows.
            let months = try await Self.receiptsByMonth(app).kept
            try await app.database.transaction { c in
                try await c.sql("SELECT receipts_by_year_rebuild()")
                try await c.sql("SELECT receipts_by_month_rebuild()")
            }
            #expect(try await Self.receipts(app).kept == kept)
            #expect(try await Self.receiptsByMonth(app).kept == months)
        }
    }

    @Test(
        "28: spend reads whole months from receipts by month and the days a period cuts from the lines: the same rows as the lines summed, for any period"
    )
    func spendByMonth() async throws {
        try await TestApp.run { app in
            _ = try await ReconciliationTests.received(app, count: 3)
            // The three orders dated 2025-01-10, 2025-02-20 and 2025-03-01 (the months' facts move with them).
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    UPDATE purchase_orders o SET order_date = d.day
                    FROM (SELECT id, (ARRAY[date '2025-01-10', date '2025-02-20', date '2025-03-01'])[row_number() OVER (ORDER BY id)] AS day
                          FROM purchase_orders WHERE id IN (SELECT order_id FROM purchase_order_lines WHERE received_quantity > 0)) d
                    WHERE o.id = d.id
                    """)
            }
            try await Self.expectMonthsAgree(app)
            let finance = try await app.token(.finance)
            let periods = [
                ("2025-01-01", "2025-12-31"), ("2025-01-10", "2025-02-20"), ("2025-01-11", "2025-03-01"),
                ("2025-02-01", "2025-02-28"), ("2025-03-01", "2025-03-01"), ("2025-01-15", "2025-02-19"),
                ("2024-12-15", "2025-03-31"),
            ]
            var counts: [Int] = []
            for (from, to) in periods {
                let answer = try await app.call(.get, "\(ProcurementTests.base)/spend?from=\(from)&to=\(to)", token: finance)
                let rows = try #require(answer.json["rows"] as? [[String: Any]], "\(answer.text)")
                let got = rows.map { "\($0["institutionCode"]!) \($0["drugCode"]!) \($0["month"]!) \($0["amount"]!)" }
                let fromLines = try await app.database.rows(
                    """
                    SELECT concat_ws(' ', i.code, l.drug_code, to_char(o.order_date, 'YYYY-MM'),
                                     round(sum(l.received_quantity * l.unit_price), 2))
                    FROM purchase_order_lines l
                    JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
                    JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
                    WHERE l.received_quantity > 0 AND o.order_date BETWEEN \(from)::date AND \(to)::date
                    GROUP BY i.code, l.drug_code, to_char(o.order_date, 'YYYY-MM') ORDER BY 1
                    """, as: String.self)
                #expect(got == fromLines, "\(from)…\(to): \(got) \(fromLines)")
                counts.append(got.count)
            }
            #expect(counts == [3, 2, 2, 1, 1, 0, 3], "\(counts)")
            let backwards = try await app.call(
                .get, "\(ProcurementTests.base)/spend?from=2025-02-01&to=2025-01-31", token: finance)
            backwards.expectProblem(.unprocessableContent, naming: "from")
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

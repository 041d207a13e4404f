import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

@Suite("Shortage scan (短缺监测): signals open records, their return closes them; one open record per drug (issue 22)")
struct ShortageScanTests {
    static let member = StockLedgerTests.member
    static let otherMember = StockLedgerTests.otherMember
    static let consortium = "JLTCM"
    /// The scans run from the real business date on: the seeded demo's own scan opened its records today, and a
    /// record does not close before it opened.
    static var today: BusinessDate { BusinessDate.today() }

    /// A drug of the test's own, so the demo's stock does not count.
    static func drug(_ app: TestApp, _ code: String) async throws {
        try await app.database.transaction { c in
            try await c.query(
                """
                INSERT INTO drugs (code, generic_name, dosage_form, strength, package_size, package_unit, unit, category)
                VALUES (\(code), '测试短缺片', 'tablet', '5mg', 28, '盒', '片', 'western')
                """, logger: Logger(label: "test"))
        }
    }

    /// A movement as the ledger writes it (the triggers keep on hand and the daily consumption).
    static func move(
        _ app: TestApp, _ drug: String, _ institution: String = member, reason: String, quantity: Int, on day: BusinessDate
    ) async throws {
        try await app.database.transaction { c in
            try await c.query(
                """
                INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                                             direction, quantity, document_type, document_id, business_date)
                SELECT i.consortium_id, i.id, \(drug), 'L1', DATE '2030-01-01', r.code, r.direction,
                       \(quantity), CASE r.code WHEN '106' THEN 'opening' ELSE 'dispensing' END,
                       CASE r.code WHEN '106' THEN NULL ELSE 1 END, \(day.description)::date
                FROM institutions i, stock_movement_reasons r WHERE i.code = \(institution) AND r.code = \(reason)
                """, logger: Logger(label: "test"))
        }
    }

    static func scan(_ app: TestApp, on day: BusinessDate) async throws -> ShortageScanResult {
        try await ShortageScanUseCases(database: app.database).scan(
            consortiumCode: consortium, today: day, actor: .console("test"))
    }

    /// The drug's records: id, status, level, opened, closed, outcome, reopenings.
    static func records(_ app: TestApp, _ drug: String) async throws
        -> [(id: Int64, status: String, level: String, opened: String, closed: String?, outcome: String?, reopenings: Int)]
    {
        try await app.database.rows(
            """
            SELECT id, status, level, opened_on::text, closed_on::text, outcome, reopenings FROM shortages
            WHERE drug_code = \(drug) ORDER BY id
            """, as: (Int64, String, String, String, String?, String?, Int).self
        ).map { (id: $0.0, status: $0.1, level: $0.2, opened: $0.3, closed: $0.4, outcome: $0.5, reopenings: $0.6) }
    }

    /// The record's signals holding: kind and member ("" for the consortium's own or a supplier's).
    static func holding(_ app: TestApp, _ id: Int64) async throws -> [String] {
        try await app.database.rows(
            """
            SELECT g.kind || ':' || coalesce(i.code, '') FROM shortage_signals g LEFT JOIN institutions i ON i.id = g.institution_id
            WHERE g.shortage_id = \(id) AND g.cleared_on IS NULL ORDER BY 1
            """, as: String.self)
    }

    static func audits(_ app: TestApp, _ id: Int64) async throws -> [String] {
        try await app.database.rows(
            "SELECT action FROM audit_log WHERE entity_type = 'shortage' AND entity_key = \(String(id)) ORDER BY id",
            as: String.self)
    }

    @Test(
        "a stock-out at a member opens a record (the consortium out as a whole: its level); stock back closes it as recovered; a rescan with nothing new writes nothing"
    )
    func stockOutOpensAndReturnCloses() async throws {
        try await TestApp.run { app in
            let drug = "XSHT01"
            let d = Self.today
            try await Self.drug(app, drug)
            try await Self.move(app, drug, reason: "106", quantity: 90, on: d.adding(days: -100))
            try await Self.move(app, drug, reason: "dispensing", quantity: 90, on: d.adding(days: -30))

            let first = try await Self.scan(app, on: d)
            #expect(first.opened.map(\.drugCode).contains(drug))
            let opened = try await Self.records(app, drug)
            #expect(opened.count == 1 && opened[0].status == "open" && opened[0].level == "consortium")
            #expect(opened[0].opened == d.description)
            let id = opened[0].id
            #expect(try await Self.holding(app, id) == ["stock_out:", "stock_out:\(Self.member)"])
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM shortage_members WHERE shortage_id = \(id) AND affected AND on_hand = 0") == 1)

            // Nothing changed: nothing written, no audit row.
            let again = try await Self.scan(app, on: d)
            #expect(!(again.opened + again.updated + again.reopened + again.closed).contains { $0.drugCode == drug })
            #expect(try await Self.audits(app, id) == ["open"])

            // Stock back (a receipt): closed as recovered, with its duration; signals cleared, the member no longer affected.
            let later = d.adding(days: 3)
            try await Self.move(app, drug, reason: "106", quantity: 1000, on: later)
            let closing = try await Self.scan(app, on: later)
            #expect(closing.closed.map(\.drugCode).contains(drug))
            let closed = try await Self.records(app, drug)
            #expect(closed.count == 1 && closed[0].status == "closed" && closed[0].outcome == "recovered")
            #expect(closed[0].closed == later.description)
            #expect(try await Self.holding(app, id).isEmpty)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM shortage_signals WHERE shortage_id = \(id) AND cleared_on = \(later.description)::date"
                )
                    == 2)
            #expect(try await app.count("SELECT count(*)::int FROM shortage_members WHERE shortage_id = \(id) AND affected") == 0)
            #expect(try await Self.audits(app, id) == ["open", "close"])
        }
    }

    @Test(
        "low stock at one member is a member-level record; its return within the reopen window reopens it, later a new one opens")
    func lowStockReopenAndNew() async throws {
        try await TestApp.run { app in
            let drug = "XSHT02"
            let d = Self.today
            try await Self.drug(app, drug)
            // 10 on hand, 90 used over the 90-day window: 10 days, below 15. Another member holds plenty and used none.
            try await Self.move(app, drug, reason: "106", quantity: 100, on: d.adding(days: -100))
            try await Self.move(app, drug, reason: "dispensing", quantity: 90, on: d.adding(days: -10))
            try await Self.move(app, drug, Self.otherMember, reason: "106", quantity: 1000, on: d.adding(days: -100))

            _ = try await Self.scan(app, on: d)
            let opened = try await Self.records(app, drug)
            #expect(opened.count == 1 && opened[0].level == "member", "\(opened)")
            let id = opened[0].id
            #expect(try await Self.holding(app, id) == ["low_stock:\(Self.member)"])
            #expect(
                try await app.database.rows(
                    "SELECT days_of_stock::text FROM shortage_signals WHERE shortage_id = \(id) AND cleared_on IS NULL",
                    as: String.self) == ["10.0"])

            // Back above the threshold: closed.
            try await Self.move(app, drug, reason: "106", quantity: 1000, on: d.adding(days: 1))
            _ = try await Self.scan(app, on: d.adding(days: 1))
            #expect(try await Self.records(app, drug).map(\.status) == ["closed"])

            // Short again 4 days later (within the 30-day window): the same record, reopened.
            try await Self.move(app, drug, reason: "dispensing", quantity: 1000, on: d.adding(days: 4))
            let reopening = try await Self.scan(app, on: d.adding(days: 5))
            #expect(reopening.reopened.map(\.id) == [id])
            let reopened = try await Self.records(app, drug)
            #expect(reopened.count == 1 && reopened[0].status == "open" && reopened[0].reopenings == 1)
            #expect(reopened[0].opened == d.description && reopened[0].closed == nil && reopened[0].outcome == nil)
            #expect(try await Self.audits(app, id) == ["open", "close", "reopen"])

            // Closed again, and short again more than 30 days after: a new record.
            try await Self.move(app, drug, reason: "106", quantity: 100_000, on: d.adding(days: 6))
            _ = try await Self.scan(app, on: d.adding(days: 6))
            try await Self.move(app, drug, reason: "dispensing", quantity: 100_000, on: d.adding(days: 37))
            _ = try await Self.scan(app, on: d.adding(days: 38))
            let all = try await Self.records(app, drug)
            #expect(all.map(\.status) == ["closed", "open"], "\(all)")
            #expect(all.last?.opened == d.adding(days: 38).description && all.last?.reopenings == 0)
        }
    }

    @Test(
        "a late delivery counts from the order's submission: not late on the deadline day, late the day after, cleared once delivered"
    )
    func lateDelivery() async throws {
        let today = StockLedgerTests.Today(BusinessDate.today())
        try await StockLedgerTests.run(today: today) { app in
            let d = today.value
            let officer = try await app.token(.procurementOfficer, institution: Self.member)
            let drug = try #require(try await ProcurementTests.drugs(app, count: 1).first?.code)
            let created = try await ProcurementTests.order(app, officer, [(drug, "5")])
            let orderID = try #require(created.json["id"] as? Int, "\(created.text)")
            let submitted = try await app.call(
                .post, "/v1/consortia/\(Self.consortium)/orders/\(orderID)/submit", token: officer)
            #expect(submitted.status == .ok, "\(submitted.text)")
            #expect(
                try await app.database.rows(
                    "SELECT coalesce(submitted_on::text, '') FROM purchase_orders WHERE id = \(orderID)", as: String.self)
                    == [d.description])

            func late() async throws -> [Int] {
                try await app.database.rows(
                    """
                    SELECT g.days_late FROM shortage_signals g JOIN shortages s ON s.consortium_id = g.consortium_id
                    AND s.id = g.shortage_id
                    WHERE s.drug_code = \(drug) AND g.kind = 'late_delivery' AND g.order_id = \(Int64(orderID))
                      AND g.cleared_on IS NULL
                    """, as: Int.self)
            }
            // The deadline is 3 days (seeded): on the third day it is not late yet.
            _ = try await Self.scan(app, on: d.adding(days: 3))
            #expect(try await late() == [])
            _ = try await Self.scan(app, on: d.adding(days: 4))
            #expect(try await late() == [1])
            let record = try #require(try await Self.records(app, drug).last)
            #expect(record.status == "open")
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM shortage_members m JOIN institutions i ON i.id = m.institution_id
                    WHERE m.shortage_id = \(record.id) AND m.affected AND i.code = \(Self.member)
                    """) == 1)
            // Delivered in full: the signal clears.
            try await app.database.transaction { c in
                try await c.sql(
                    "UPDATE purchase_order_lines SET received_quantity = quantity WHERE order_id = \(Int64(orderID))")
            }
            _ = try await Self.scan(app, on: d.adding(days: 5))
            #expect(try await late() == [])
        }
    }

    @Test("a supplier's standing report opens a consortium-level record until supply resumes")
    func supplierReport() async throws {
        try await TestApp.run { app in
            let drug = "XSHT04"
            let d = Self.today
            try await Self.drug(app, drug)
            try await Self.move(app, drug, reason: "106", quantity: 1000, on: d.adding(days: -100))
            try await Self.move(app, drug, reason: "dispensing", quantity: 9, on: d.adding(days: -10))
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO shortage_supplier_reports (consortium_id, drug_code, supplier_id, reported_on, notice)
                    SELECT c.id, \(drug), s.id, \(d.description)::date, '原料药短缺，暂停供货'
                    FROM consortia c, suppliers s WHERE c.code = \(Self.consortium) ORDER BY s.id LIMIT 1
                    """)
            }
            _ = try await Self.scan(app, on: d)
            let opened = try await Self.records(app, drug)
            #expect(opened.count == 1 && opened[0].level == "consortium")
            #expect(try await Self.holding(app, opened[0].id) == ["supplier_report:"])

            try await app.database.transaction { c in
                try await c.sql(
                    "UPDATE shortage_supplier_reports SET resumed_on = \(d.adding(days: 2).description)::date WHERE drug_code = \(drug)"
                )
            }
            _ = try await Self.scan(app, on: d.adding(days: 1))
            #expect(try await Self.records(app, drug).map(\.status) == ["open"])
            _ = try await Self.scan(app, on: d.adding(days: 2))
            #expect(try await Self.records(app, drug).map(\.status) == ["closed"])
        }
    }

    @Test("two scans at once open one record, with one audit row")
    func concurrentScans() async throws {
        try await TestApp.run { app in
            let drug = "XSHT05"
            let d = Self.today
            try await Self.drug(app, drug)
            try await Self.move(app, drug, reason: "106", quantity: 10, on: d.adding(days: -100))
            try await Self.move(app, drug, reason: "dispensing", quantity: 10, on: d.adding(days: -10))
            async let a = Self.scan(app, on: d)
            async let b = Self.scan(app, on: d)
            let (first, second) = try await (a, b)
            let openedBy = [first, second].filter { $0.opened.contains { $0.drugCode == drug } }
            #expect(openedBy.count == 1)
            let records = try await Self.records(app, drug)
            #expect(records.count == 1)
            #expect(try await Self.audits(app, records[0].id) == ["open"])
        }
    }

    @Test("settings that cannot work stop the scan (503 naming the setting) and nothing is written")
    func nothingHalfWritten() async throws {
        try await TestApp.run { app in
            let drug = "XSHT06"
            let d = Self.today
            try await Self.drug(app, drug)
            try await Self.move(app, drug, reason: "106", quantity: 10, on: d.adding(days: -100))
            try await Self.move(app, drug, reason: "dispensing", quantity: 10, on: d.adding(days: -10))
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO consortium_settings (consortium_id, key, value, effective_from)
                    SELECT id, 'shortage_surplus_days', '5', DATE '2026-01-01' FROM consortia WHERE code = \(Self.consortium)
                    """)
            }
            let before = try await app.count("SELECT count(*)::int FROM audit_log")
            let records = try await app.count("SELECT count(*)::int FROM shortages")
            do {
                _ = try await Self.scan(app, on: d)
                Issue.record("the scan ran with settings that cannot work")
            } catch let error as DomainError {
                #expect("\(error)".contains("shortage_surplus_days"), "\(error)")
            }
            #expect(try await app.count("SELECT count(*)::int FROM shortages") == records)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == before)
        }
    }

    @Test(
        "28: the day of each consortium's last scan is the database's: scanned today it is not due again, marked it is, the next day it is; an earlier day's scan leaves it"
    )
    func lastScanDay() async throws {
        try await TestApp.run { app in
            let scans = ShortageScanUseCases(database: app.database)
            let d = Self.today
            let id = try await app.database.rows(
                "SELECT id FROM consortia WHERE code = \(Self.consortium)", as: Int64.self)[0]
            _ = try await Self.scan(app, on: d)
            #expect(!(try await scans.dueConsortia(today: d)).contains(id))
            #expect(try await scans.dueConsortia(today: d.adding(days: 1)).contains(id))
            _ = try await Self.scan(app, on: d.adding(days: -1))
            #expect(!(try await scans.dueConsortia(today: d)).contains(id))
            #expect(
                try await app.database.rows(
                    "SELECT last_scanned_on::text FROM shortage_last_scans WHERE consortium_id = \(id)", as: String.self)
                    == [d.description])
            let drug = "XSHT07"
            try await Self.drug(app, drug)
            try await Self.move(app, drug, reason: "106", quantity: 10, on: d)
            #expect(try await scans.dueConsortia(today: d).contains(id))
            _ = try await Self.scan(app, on: d)
            #expect(!(try await scans.dueConsortia(today: d)).contains(id))
        }
    }

    @Test(
        "the demo (seed --demo and its scan) shows a stock-out at a member, low stock at another and a supplier's report, with the lists loaded"
    )
    func demo() async throws {
        try await TestApp.run { app in
            let kinds = try await app.database.rows(
                """
                SELECT DISTINCT g.kind FROM shortage_signals g JOIN shortages s ON s.consortium_id = g.consortium_id
                AND s.id = g.shortage_id JOIN consortia c ON c.id = s.consortium_id
                WHERE c.code = 'JLTCM' AND s.status = 'open' AND g.cleared_on IS NULL
                  AND (g.kind = 'supplier_report' OR g.institution_id IS NOT NULL)
                ORDER BY 1
                """, as: String.self)
            #expect(Set(kinds).isSuperset(of: ["low_stock", "stock_out", "supplier_report"]), "\(kinds)")
            #expect(try await app.count("SELECT count(*)::int FROM shortage_list_memberships") >= 8)
            #expect(try await app.count("SELECT count(*)::int FROM dispensings WHERE ward = '演示病区'") > 0)
        }
    }

    @Test(
        "CLI: shortages scan prints what changed (0; 1 for an unknown consortium); report writes CSV under one header or a JSON array; import shortage-lists is all or nothing"
    )
    func commands() async throws {
        try await CLITests.withCommand { cli in
            let scan = try cli.run(["shortages", "scan", "--consortium", Self.consortium])
            #expect(scan.status == 0 && scan.out.contains("drugs scanned"), "\(scan.out) \(scan.err)")
            #expect(try cli.run(["shortages", "scan", "--consortium", "NOPE"]).status == 1)
            #expect(try cli.run(["shortages", "scan", "--consortium", Self.consortium, "--as-of", "x"]).status == 2)

            let csv = try cli.run(["shortages", "report", "--consortium", Self.consortium, "--format", "csv"])
            #expect(csv.status == 0, "\(csv.err)")
            let lines = csv.out.split(separator: "\r\n")
            #expect(lines.first?.hasPrefix("consortium_code,reported_on,drug_code") == true, "\(csv.out)")
            #expect(lines.filter { $0.hasPrefix("consortium_code,") }.count == 1 && lines.count >= 4, "\(csv.out)")
            let json = try cli.run(["shortages", "report", "--consortium", Self.consortium, "--format", "json"])
            let array = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]]
            #expect((array?.count ?? 0) >= 3 && array?.allSatisfy { $0["drug"] != nil && $0["members"] != nil } == true)
            #expect(try cli.run(["shortages", "report", "--consortium", Self.consortium, "--format", "xml"]).status == 2)

            let header = "drug_code,list_kind,region,valid_from,valid_until,source"
            let bad = try CLITests.file(
                "\(header)\nXNOPE999,national_shortage,,2024-01-01,,test\nXJ01CEA080A002010100003,bogus,,2024-01-01,,test\n")
            defer { try? FileManager.default.removeItem(at: bad) }
            let refused = try cli.run(["import", "shortage-lists", bad.path])
            #expect(
                refused.status == 2 && refused.err.contains("line 3") && refused.err.contains("list_kind：必须是"), "\(refused.err)")
            let unknown = try CLITests.file("\(header)\nXNOPE999,national_shortage,,2024-01-01,,test\n")
            defer { try? FileManager.default.removeItem(at: unknown) }
            let noDrug = try cli.run(["import", "shortage-lists", unknown.path])
            #expect(noDrug.status == 2 && noDrug.err.contains("没有药品 XNOPE999"), "\(noDrug.err)")
            let good = try CLITests.file("\(header)\nXJ01CEA080A002010100003,provincial,贵州,2024-01-01,,贵州省短缺药品清单（测试）\n")
            defer { try? FileManager.default.removeItem(at: good) }
            let done = try cli.run(["import", "shortage-lists", good.path])
            #expect(done.status == 0 && done.out.contains("1 memberships added or changed"), "\(done.out) \(done.err)")
            #expect(try cli.run(["import", "shortage-lists", good.path]).out.contains("0 memberships added or changed"))
        }
    }
}

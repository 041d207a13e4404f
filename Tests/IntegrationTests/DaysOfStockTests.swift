import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import Testing

@Suite("Days of stock (库存可用天数): issuable stock over the average daily consumption of the window (issue 21)")
struct DaysOfStockTests {
    /// A drug of this test's own, so the demo's stock does not count.
    static let drug = "XDOS01"
    static let member = StockLedgerTests.member
    static let otherMember = StockLedgerTests.otherMember

    /// A movement written as the ledger writes it (the triggers keep on hand and daily consumption).
    static func move(
        _ app: TestApp, _ institution: String = member, drug: String = drug, lot: String, expiry: BusinessDate,
        reason: String, quantity: Int, on day: BusinessDate
    ) async throws {
        try await app.database.transaction { c in
            try await c.query(
                """
                INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                                             direction, quantity, document_type, document_id, business_date)
                SELECT i.consortium_id, i.id, \(drug), \(lot), \(expiry.description)::date, r.code, r.direction,
                       \(quantity), CASE r.code WHEN '106' THEN 'opening' ELSE 'dispensing' END,
                       CASE r.code WHEN '106' THEN NULL ELSE 1 END, \(day.description)::date
                FROM institutions i, stock_movement_reasons r WHERE i.code = \(institution) AND r.code = \(reason)
                """, logger: Logger(label: "test"))
        }
    }

    static func item(_ body: [String: Any]) -> [String: String] {
        body.compactMapValues { $0 as? String }
    }

    @Test(
        "the window is the whole days before today; expired, blocked and short-dated lots do not last; returns are taken back; nothing consumed, no figure"
    )
    func daysOfStock() async throws {
        let today = StockLedgerTests.Today(BusinessDate("2026-06-01")!)
        try await StockLedgerTests.run(today: today) { app in
            let d = today.value
            try await app.database.transaction { c in
                try await c.query(
                    """
                    INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category)
                    VALUES (\(Self.drug), '测试片', 'tablet', 28, '盒', '片', 'western')
                    """, logger: Logger(label: "test"))
            }
            // Lot A lasts; B is under the minimum shelf life for issue (30 days, seeded); C expired yesterday.
            try await Self.move(
                app, lot: "A", expiry: d.adding(days: 400), reason: "106", quantity: 200, on: d.adding(days: -200))
            try await Self.move(app, lot: "B", expiry: d.adding(days: 10), reason: "106", quantity: 20, on: d.adding(days: -200))
            try await Self.move(app, lot: "C", expiry: d.adding(days: -1), reason: "106", quantity: 5, on: d.adding(days: -200))
            // The seeded window is 90 days: 2026-03-03 … 2026-05-31.
            try await Self.move(
                app, lot: "A", expiry: d.adding(days: 400), reason: "dispensing", quantity: 50, on: d.adding(days: -91))
            try await Self.move(
                app, lot: "A", expiry: d.adding(days: 400), reason: "dispensing", quantity: 15, on: d.adding(days: -90))
            try await Self.move(
                app, lot: "A", expiry: d.adding(days: 400), reason: "patient_return", quantity: 9, on: d.adding(days: -60))
            try await Self.move(
                app, lot: "A", expiry: d.adding(days: 400), reason: "dispensing", quantity: 30, on: d.adding(days: -1))
            try await Self.move(app, lot: "A", expiry: d.adding(days: 400), reason: "dispensing", quantity: 4, on: d)
            // Another member holds it and used none.
            try await Self.move(
                app, Self.otherMember, lot: "D", expiry: d.adding(days: 300), reason: "106", quantity: 50, on: d.adding(days: -5))

            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.member)
            let mine = try await app.call(
                .get, "/v1/institutions/\(Self.member)/stock/days-of-stock?drugCode=\(Self.drug)", token: pharmacist)
            #expect(mine.status == .ok, "\(mine.text)")
            let window = mine.json["window"] as? [String: Any]
            #expect(window?["from"] as? String == "2026-03-03" && window?["to"] as? String == "2026-05-31")
            #expect(window?["days"] as? Int == 90)
            let items = (mine.json["items"] as? [[String: Any]] ?? []).map(Self.item)
            // On hand 110 (A) + 20 (B) + 5 (C); issuable only A; consumed 15 − 9 + 30 = 36 (the 50 before the window
            // and today's 4 are outside it): 110 ÷ 0.4 = 275 days.
            #expect(
                items == [
                    [
                        "institutionCode": Self.member, "drugCode": Self.drug, "genericName": "测试片", "unit": "片",
                        "onHand": "135", "issuable": "110", "consumed": "36", "averageDailyConsumption": "0.4",
                        "daysOfStock": "275",
                    ]
                ], "\(mine.text)")

            // A lot blocked by a recall no longer lasts.
            let admin = try await app.token(.consortiumAdmin)
            let recall = try await app.call(
                .post, "/v1/consortia/JLTCM/lot-blocks", token: admin,
                json: #"{"drugCode": "\#(Self.drug)", "lotNumber": "A", "noticeNumber": "NMPA-2026-001", "reason": "test"}"#)
            #expect(recall.status == .created, "\(recall.text)")
            let blocked = try await app.call(
                .get, "/v1/institutions/\(Self.member)/stock/days-of-stock?drugCode=\(Self.drug)", token: pharmacist)
            let after = (blocked.json["items"] as? [[String: Any]] ?? []).map(Self.item).first
            #expect(after?["issuable"] == "0" && after?["daysOfStock"] == "0", "\(blocked.text)")

            // Across the consortium: each member, and the whole (50 issuable over 36 consumed: 125 days).
            let across = try await app.call(
                .get, "/v1/consortia/JLTCM/stock/drugs/\(Self.drug)/days-of-stock", token: admin)
            #expect(across.status == .ok, "\(across.text)")
            let members = (across.json["members"] as? [[String: Any]] ?? []).map(Self.item)
            #expect(members.map { $0["institutionCode"] } == [Self.otherMember, Self.member].sorted())
            let other = members.first { $0["institutionCode"] == Self.otherMember }
            #expect(other?["consumed"] == "0" && other?["issuable"] == "50" && other?["daysOfStock"] == nil)
            let whole = Self.item(across.json["consortium"] as? [String: Any] ?? [:])
            #expect(whole["institutionCode"] == nil && whole["issuable"] == "50" && whole["consumed"] == "36")
            #expect(whole["daysOfStock"] == "125", "\(across.text)")

            // A member's whole list: the drugs with a figure first, fewest days first.
            let all = try await app.call(.get, "/v1/institutions/\(Self.member)/stock/days-of-stock", token: pharmacist)
            let days = (all.json["items"] as? [[String: Any]] ?? []).map { $0["daysOfStock"] as? String }
            let figures = days.prefix { $0 != nil }.compactMap { $0.flatMap { Decimal(string: $0) } }
            #expect(figures == figures.sorted() && days.dropFirst(figures.count).allSatisfy { $0 == nil }, "\(all.text)")

            // A member's pharmacist reads its own; another member's and the consortium's are refused.
            try await app.call(.get, "/v1/institutions/\(Self.otherMember)/stock/days-of-stock", token: pharmacist)
                .expectProblem(.forbidden)
            try await app.call(.get, "/v1/consortia/JLTCM/stock/drugs/\(Self.drug)/days-of-stock", token: pharmacist)
                .expectProblem(.forbidden)
            let auditor = try await app.token(.auditor)
            #expect(
                try await app.call(.get, "/v1/consortia/JLTCM/stock/drugs/\(Self.drug)/days-of-stock", token: auditor)
                    .status == .ok)
        }
    }
}

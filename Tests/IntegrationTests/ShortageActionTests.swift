import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// The response to a shortage (issue 22, part B): redistribution proposals and their acceptance, substitutes signed
/// off by a pharmacist, emergency purchases, escalation and its report, closing and reopening by hand, cause and
/// owner, the desk checks' mention, roles and audit rows. The records are written with SQL (the scan is not this
/// suite's).
@Suite("Shortage response (短缺应对): proposals, actions, the report, close and reopen (issue 22)")
struct ShortageActionTests {
    static let lead = "JL-TCMH"
    /// Short a little (10 days of stock; needs 10).
    static let r1 = "JL-TCMH"
    /// Out of stock (needs 150).
    static let r2 = "CY-BJL-CHC"
    /// Surplus with use: 100 issuable at 1 a day (and 50 in a lot under the minimum shelf life for issue).
    static let s = "YJ-TCMH"
    /// Stock and no use: 30.
    static let t = "SL-TCMH"

    /// A chronic western drug of the catalogue (every level) with a unified price and no demo stock, and another
    /// drug of its ATC group (another generic name) in the catalogue, also without demo stock.
    static func drugs(_ app: TestApp) async throws -> (short: String, alternative: String) {
        try await app.database.rows(
            """
            SELECT a.code, b.code FROM drugs a
            JOIN catalogue_items ca ON ca.drug_code = a.code AND cardinality(ca.levels) = 0
            JOIN price_agreements p ON p.drug_code = a.code AND p.status = 'in_effect'
            JOIN drugs b ON left(b.atc_code, 5) = left(a.atc_code, 5) AND b.generic_name <> a.generic_name
            JOIN catalogue_items cb ON cb.drug_code = b.code AND cb.consortium_id = ca.consortium_id
                                   AND cb.version_number = ca.version_number
            WHERE a.category = 'western' AND a.control_class = 'none' AND NOT a.antimicrobial AND NOT a.cold_chain
              AND a.atc_code LIKE 'C%'
              AND NOT EXISTS (SELECT 1 FROM stock_on_hand h WHERE h.drug_code IN (a.code, b.code))
            ORDER BY a.code, b.code LIMIT 1
            """, as: (String, String).self)[0]
    }

    /// A movement written as the ledger writes it (the triggers keep on hand and daily consumption).
    static func move(
        _ app: TestApp, _ institution: String, drug: String, lot: String, expiry: BusinessDate, reason: String,
        quantity: Int, on day: BusinessDate
    ) async throws {
        try await DaysOfStockTests.move(
            app, institution, drug: drug, lot: lot, expiry: expiry, reason: reason, quantity: quantity, on: day)
    }

    /// The stock of the scenario and an open record of `drug` (opened 100 days ago) with R1 low and R2 out of stock.
    static func scenario(_ app: TestApp, drug: String, today d: BusinessDate) async throws -> Int {
        let far = d.adding(days: 400)
        try await move(app, r1, drug: drug, lot: "R1-A", expiry: far, reason: "106", quantity: 200, on: d.adding(days: -100))
        try await move(
            app, r1, drug: drug, lot: "R1-A", expiry: far, reason: "dispensing", quantity: 180, on: d.adding(days: -10))
        try await move(app, r2, drug: drug, lot: "R2-A", expiry: far, reason: "106", quantity: 900, on: d.adding(days: -100))
        try await move(app, r2, drug: drug, lot: "R2-A", expiry: far, reason: "dispensing", quantity: 900, on: d.adding(days: -3))
        try await move(app, s, drug: drug, lot: "S-A", expiry: far, reason: "106", quantity: 190, on: d.adding(days: -100))
        try await move(
            app, s, drug: drug, lot: "S-B", expiry: d.adding(days: 20), reason: "106", quantity: 50, on: d.adding(days: -100))
        try await move(app, s, drug: drug, lot: "S-A", expiry: far, reason: "dispensing", quantity: 90, on: d.adding(days: -20))
        try await move(
            app, t, drug: drug, lot: "T-A", expiry: d.adding(days: 300), reason: "106", quantity: 30, on: d.adding(days: -100))
        return try await app.database.transaction { c in
            let id = try await c.rows(
                """
                INSERT INTO shortages (consortium_id, drug_code, level, opened_on)
                SELECT id, \(drug), 'member', \(d.adding(days: -100).description)::date FROM consortia WHERE code = 'JLTCM'
                RETURNING id
                """, as: Int64.self, logger: Logger(label: "test"))[0]
            try await c.sql(
                """
                INSERT INTO shortage_members (consortium_id, shortage_id, institution_id, on_hand, days_of_stock,
                                              first_affected_on, last_seen_on)
                SELECT i.consortium_id, \(id), i.id, v.on_hand, v.days, \(d.description)::date, \(d.description)::date
                FROM (VALUES (\(r1), 20::numeric, 10::numeric), (\(r2), 0, 0)) v (code, on_hand, days)
                JOIN institutions i ON i.code = v.code
                """)
            try await c.sql(
                """
                INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, on_hand, days_of_stock,
                                              first_seen_on, last_seen_on)
                SELECT i.consortium_id, \(id), v.kind, i.id, v.on_hand, v.days, \(d.description)::date, \(d.description)::date
                FROM (VALUES (\(r1), 'low_stock', 20::numeric, 10::numeric), (\(r2), 'stock_out', 0, 0)) v (code, kind, on_hand, days)
                JOIN institutions i ON i.code = v.code
                """)
            try await c.sql(
                """
                INSERT INTO shortage_list_memberships (drug_code, list_kind, valid_from, source)
                VALUES (\(drug), 'national_shortage', '2019-01-01', 'test')
                """)
            return Int(id)
        }
    }

    static func items(_ response: TestResponse) -> [[String: Any]] { response.json["items"] as? [[String: Any]] ?? [] }

    @Test(
        "proposals: largest need first, senders with most days first, only issuable lots FEFO, never below the sender's threshold; accepting makes the transfer and the action in one transaction"
    )
    func redistribution() async throws {
        let day = BusinessDate.today()
        try await StockLedgerTests.run(today: StockLedgerTests.Today(day)) { app in
            let (drug, _) = try await Self.drugs(app)
            let id = try await Self.scenario(app, drug: drug, today: day)
            let admin = try await app.token(.consortiumAdmin)
            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.s)
            try await app.call(.get, "/v1/shortages/\(id)/proposals", token: pharmacist).expectProblem(.forbidden)

            let first = try await app.call(.get, "/v1/shortages/\(id)/proposals", token: admin)
            #expect(first.status == .ok, "\(first.text)")
            let plan = try await app.call(.get, "/v1/shortages/\(id)/proposals", token: admin)
            let proposals = Self.items(plan)
            // R2 needs 150 (10 a day × 15 days): T (stock, no use) gives its 30, S gives what it holds above its own
            // 15 days (100 − 15 = 85, from lot S-A: S-B is under the minimum shelf life); R2 still lacks 35 and R1 10.
            #expect(proposals.map { $0["fromInstitutionCode"] as? String } == [Self.t, Self.s], "\(plan.text)")
            #expect(proposals.allSatisfy { $0["toInstitutionCode"] as? String == Self.r2 })
            #expect(proposals.map { $0["quantity"] as? String } == ["30", "85"])
            let sLots = proposals.last?["lots"] as? [[String: Any]] ?? []
            #expect(sLots.map { $0["lotNumber"] as? String } == ["S-A"] && sLots.first?["quantity"] as? String == "85")
            let unmet = (plan.json["unmet"] as? [[String: Any]] ?? []).map {
                "\($0["institutionCode"] as? String ?? ""):\($0["quantity"] as? String ?? "")"
            }
            #expect(unmet == ["\(Self.r2):35", "\(Self.r1):10"].sorted(), "\(plan.text)")
            // The second computation superseded the first one's proposals.
            let firstIDs = Self.items(first).compactMap { $0["id"] as? Int }
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM shortage_proposals WHERE id = ANY(\(firstIDs.map(Int64.init))::bigint[]) AND status = 'superseded'"
                ) == 2)
            let fromT = try #require(proposals.first?["id"] as? Int)
            let fromS = try #require(proposals.last?["id"] as? Int)

            // A failure after a transfer was created leaves neither the transfer nor the action.
            let transfers = try await app.count("SELECT count(*)::int FROM stock_transfers")
            try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: admin,
                json: #"{"kind": "redistribute", "reason": "调剂", "proposalIds": [\#(fromT), 999999]}"#
            ).expectProblem(.unprocessableContent, naming: "proposalIds")
            #expect(try await app.count("SELECT count(*)::int FROM stock_transfers") == transfers)
            #expect(try await app.count("SELECT count(*)::int FROM shortage_actions") == 0)
            #expect(
                try await app.count("SELECT count(*)::int FROM shortage_proposals WHERE id = \(fromT) AND status = 'proposed'")
                    == 1)

            // Accepting S's proposal: the draft transfer with the proposal's lot and the redistribute action.
            let accepted = try await app.call(
                .post, "/v1/shortage-proposals/\(fromS)/accept", token: admin, json: #"{"reason": "永吉县中医院库存充足，调剂给社区"}"#)
            #expect(accepted.status == .ok, "\(accepted.text)")
            let transferID = try #require((accepted.json["transferIds"] as? [Int])?.first)
            let action = accepted.json["action"] as? [String: Any] ?? [:]
            #expect(action["kind"] as? String == "redistribute")
            let transfer = try await app.call(.get, "/v1/stock-transfers/\(transferID)", token: admin)
            #expect(transfer.json["senderInstitutionCode"] as? String == Self.s)
            #expect(transfer.json["receiverInstitutionCode"] as? String == Self.r2)
            let lines = transfer.json["lines"] as? [[String: Any]] ?? []
            #expect(lines.map { $0["lotNumber"] as? String } == ["S-A"] && lines.first?["quantity"] as? String == "85")
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM shortage_proposals
                    WHERE id = \(fromS) AND status = 'accepted' AND stock_transfer_id = \(transferID) AND action_id IS NOT NULL
                    """) == 1)
            try await app.call(.post, "/v1/shortage-proposals/\(fromS)/accept", token: admin, json: #"{"reason": "again"}"#)
                .expectProblem(.conflict)

            // Rejecting says why; a proposal is decided once.
            try await app.call(.post, "/v1/shortage-proposals/\(fromT)/reject", token: admin, json: #"{"reason": "  "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            let rejected = try await app.call(
                .post, "/v1/shortage-proposals/\(fromT)/reject", token: admin, json: #"{"reason": "舒兰市中医院另有安排"}"#)
            #expect(rejected.status == .ok && rejected.json["status"] as? String == "rejected", "\(rejected.text)")
            try await app.call(.post, "/v1/shortage-proposals/\(fromT)/reject", token: admin, json: #"{"reason": "again"}"#)
                .expectProblem(.conflict)

            // Dispatched, the sender keeps exactly its own threshold: 15 left at 1 a day is 15 days, not below 15.
            let dispatched = try await app.call(.post, "/v1/stock-transfers/\(transferID)/dispatch", token: admin)
            #expect(dispatched.status == .ok, "\(dispatched.text)")
            let sender = try await app.call(
                .get, "/v1/institutions/\(Self.s)/stock/days-of-stock?drugCode=\(drug)", token: admin)
            let position = Self.items(sender).first ?? [:]
            #expect(position["issuable"] as? String == "15" && position["daysOfStock"] as? String == "15", "\(sender.text)")

            // Audit rows: the proposals, the transfer, the action and the proposal's rejection.
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'shortage' AND action = 'propose' AND entity_key = \(String(id))"
                ) == 2)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'shortage_action'") == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'shortage_proposal' AND action = 'reject'") == 1)
        }
    }

    @Test(
        "substitute signed off by a pharmacist, emergency purchase flagged on its order, escalation once with its report (CSV and JSON), the desk checks' mention, roles"
    )
    func actions() async throws {
        let day = BusinessDate.today()
        try await StockLedgerTests.run(today: StockLedgerTests.Today(day)) { app in
            let (drug, alternative) = try await Self.drugs(app)
            let id = try await Self.scenario(app, drug: drug, today: day)
            try await Self.move(
                app, Self.t, drug: alternative, lot: "ALT-1", expiry: day.adding(days: 500), reason: "106", quantity: 5000,
                on: day.adding(days: -10))
            let admin = try await app.token(.consortiumAdmin)
            let officer = try await app.token(.procurementOfficer, institution: Self.lead)
            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.r2)
            let auditor = try await app.token(.auditor)
            let prescriber = try await app.token(.prescriber, institution: Self.r2)

            // Substitutes: ranked, the alternative with stock among them; a prescriber does not read them.
            try await app.call(.get, "/v1/shortages/\(id)/substitutes", token: prescriber).expectProblem(.forbidden)
            let ranked = try await app.call(.get, "/v1/shortages/\(id)/substitutes", token: auditor)
            #expect(ranked.status == .ok, "\(ranked.text)")
            let candidates = Self.items(ranked)
            let matches = candidates.compactMap { $0["match"] as? String }
            let ranks = SubstituteRanking.Match.allCases.map(\.rawValue)
            #expect(matches == matches.sorted { ranks.firstIndex(of: $0)! < ranks.firstIndex(of: $1)! })
            #expect(
                candidates.contains { $0["drugCode"] as? String == alternative && $0["match"] as? String == "same_atc_group" })

            // The supply centre's token is no pharmacist: the sign-off is missing (422); an auditor may not act (403).
            let substitute = #"{"kind": "substitute", "reason": "同类药品替代", "substituteDrugCode": "\#(alternative)"}"#
            try await app.call(.post, "/v1/shortages/\(id)/actions", token: officer, json: substitute)
                .expectProblem(.unprocessableContent, naming: "signOff")
            try await app.call(.post, "/v1/shortages/\(id)/actions", token: auditor, json: substitute)
                .expectProblem(.forbidden)
            try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: pharmacist,
                json: #"{"kind": "substitute", "reason": "x", "substituteDrugCode": "\#(drug)"}"#
            ).expectProblem(.unprocessableContent, naming: "substituteDrugCode")
            let signed = try await app.call(.post, "/v1/shortages/\(id)/actions", token: pharmacist, json: substitute)
            #expect(signed.status == .created, "\(signed.text)")
            let signedAction = signed.json["action"] as? [String: Any] ?? [:]
            #expect(signedAction["substituteDrugCode"] as? String == alternative)
            #expect(signedAction["signedOffBy"] as? Int == signedAction["actorTokenId"] as? Int)

            // The desk checks mention the open shortage of a drug they approve, with the substitute; never refuse.
            let referral = try await app.call(
                .post, "/v1/referrals/medication-check", token: prescriber,
                json:
                    #"{"sendingInstitutionCode": "\#(Self.lead)", "receivingInstitutionCode": "\#(Self.r2)", "drugCodes": ["\#(drug)"]}"#
            )
            let answer = Self.items(referral).first ?? [:]
            #expect(answer["heldByReceiver"] as? Bool == true, "\(referral.text)")
            let mention = answer["shortage"] as? [String: Any] ?? [:]
            #expect(mention["id"] as? Int == id && mention["level"] as? String == "member")
            #expect(mention["substituteDrugCode"] as? String == alternative)
            let check = try await app.call(
                .post, "/v1/long-prescriptions/check", token: prescriber,
                json: """
                    {"institutionCode": "\(Self.r2)", "prescriber": "DR-CY-0001",
                     "patient": {"ref": "P-0001", "familyDoctorContract": true, "goodAdherence": true,
                                 "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(day.adding(days: -5))"}]},
                     "items": [{"drugCode": "\(drug)", "dailyDose": "1", "days": 28}]}
                    """)
            #expect(check.status == .ok, "\(check.text)")
            let item = Self.items(check).first ?? [:]
            if item["eligible"] as? Bool == true {
                let mentioned = item["shortage"] as? [String: Any] ?? [:]
                #expect(mentioned["id"] as? Int == id && mentioned["substituteDrugCode"] as? String == alternative)
            } else {
                #expect(item["shortage"] == nil)
            }

            // Emergency purchase: an order for the member named, flagged with the shortage and its supplier.
            try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: officer,
                json: #"{"kind": "emergency_purchase", "reason": "应急"}"#
            ).expectProblem(.unprocessableContent, naming: "supplierCode")
            try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: officer,
                json: #"{"kind": "emergency_purchase", "reason": "应急", "supplierCode": "NO-SUCH", "quantity": "5"}"#
            ).expectProblem(.unprocessableContent, naming: "supplierCode")
            let orders = try await app.count("SELECT count(*)::int FROM purchase_orders")
            let bought = try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: officer,
                json:
                    #"{"kind": "emergency_purchase", "reason": "常规配送企业断供，向九州通应急采购", "supplierCode": "DST-JZT-JL", "quantity": "5", "institutionCode": "\#(Self.r2)"}"#
            )
            #expect(bought.status == .created, "\(bought.text)")
            #expect(try await app.count("SELECT count(*)::int FROM purchase_orders") == orders + 1)
            let orderID = try #require((bought.json["purchaseOrder"] as? [String: Any])?["id"] as? Int)
            let order = try await app.call(.get, "/v1/consortia/JLTCM/orders/\(orderID)", token: admin)
            #expect(order.json["emergencyShortageId"] as? Int == id, "\(order.text)")
            #expect(order.json["emergencySupplierCode"] as? String == "DST-JZT-JL")
            #expect(order.json["institutionCode"] as? String == Self.r2)
            #expect((bought.json["action"] as? [String: Any])?["purchaseOrderId"] as? Int == orderID)

            // Escalation: the expected recovery not in the past; once; the level raised; the report stored as sent.
            try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: admin,
                json: #"{"kind": "escalate", "reason": "上报", "expectedRecovery": "\#(day.adding(days: -1))"}"#
            ).expectProblem(.unprocessableContent, naming: "expectedRecovery")
            let escalated = try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: admin,
                json: #"{"kind": "escalate", "reason": "全市断供，上报卫生健康委", "expectedRecovery": "\#(day.adding(days: 30))"}"#)
            #expect(escalated.status == .created, "\(escalated.text)")
            #expect((escalated.json["shortage"] as? [String: Any])?["level"] as? String == "escalated")
            let sent = (escalated.json["action"] as? [String: Any])?["report"] as? [String: Any] ?? [:]
            #expect((sent["drug"] as? [String: Any])?["code"] as? String == drug)
            #expect(sent["level"] as? String == "escalated")
            try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: admin, json: #"{"kind": "escalate", "reason": "again"}"#
            ).expectProblem(.conflict)

            // The report as it stands: JSON and CSV (one line per member affected).
            try await app.call(.get, "/v1/shortages/\(id)/report", token: pharmacist).expectProblem(.forbidden)
            let report = try await app.call(.get, "/v1/shortages/\(id)/report?format=json", token: auditor)
            #expect(report.status == .ok, "\(report.text)")
            #expect(report.json["consortiumCode"] as? String == "JLTCM" && report.json["level"] as? String == "escalated")
            // (the seeded lists may hold the drug on a province's list too)
            #expect(((report.json["drug"] as? [String: Any])?["lists"] as? [String])?.contains("national_shortage") == true)
            let members = report.json["members"] as? [[String: Any]] ?? []
            #expect(members.map { $0["institutionCode"] as? String } == [Self.r2, Self.r1].sorted())
            #expect(members.allSatisfy { ($0["institutionName"] as? String)?.isEmpty == false })
            #expect(report.json["totalOnHand"] as? String == "20")
            #expect(
                (report.json["actionsTaken"] as? [[String: Any]] ?? []).map { $0["kind"] as? String }
                    == ["substitute", "emergency_purchase", "escalate"])
            #expect(report.json["expectedRecovery"] as? String == day.adding(days: 30).description)
            let csv = try await app.call(.get, "/v1/shortages/\(id)/report?format=csv", token: admin)
            #expect(csv.status == .ok && csv.contentType?.hasPrefix("text/csv") == true, "\(csv.text)")
            // For Excel: a byte-order mark, Chinese headers and words.
            #expect(csv.text.hasPrefix("\u{FEFF}"))
            let rows = csv.text.dropFirst().split(whereSeparator: \.isNewline)
            #expect(rows.count == 3)
            #expect(rows.first?.hasPrefix("医联体编码,上报日期,药品编码,") == true)
            #expect(rows.dropFirst().allSatisfy { $0.contains(drug) && $0.contains("已上报") && $0.contains("替代药品") })

            // Every action is logged with who, when and why, and audited.
            let log = try await app.call(.get, "/v1/shortages/\(id)/actions", token: auditor)
            #expect(Self.items(log).map { $0["kind"] as? String } == ["substitute", "emergency_purchase", "escalate"])
            #expect(Self.items(log).allSatisfy { ($0["reason"] as? String)?.isEmpty == false && $0["actedAt"] != nil })
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'shortage_action'") == 3)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'purchase_order' AND entity_key = \(String(orderID))"
                )
                    == 1)
        }
    }

    @Test("close by hand with its outcome, reopen within the window, 409 on a wrong state; cause and owner; roles")
    func closeAndReopen() async throws {
        let day = BusinessDate.today()
        try await StockLedgerTests.run(today: StockLedgerTests.Today(day)) { app in
            let (drug, _) = try await Self.drugs(app)
            let id = try await Self.scenario(app, drug: drug, today: day)
            let admin = try await app.token(.consortiumAdmin)
            let auditor = try await app.token(.auditor)
            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.r2)

            try await app.call(
                .post, "/v1/shortages/\(id)/close", token: auditor, json: #"{"outcome": "substituted", "note": "x"}"#
            )
            .expectProblem(.forbidden)
            // Signals hold: not recovered; another outcome says why.
            try await app.call(.post, "/v1/shortages/\(id)/close", token: admin, json: #"{"outcome": "recovered"}"#)
                .expectProblem(.unprocessableContent, naming: "outcome")
            try await app.call(.post, "/v1/shortages/\(id)/close", token: admin, json: #"{"outcome": "substituted"}"#)
                .expectProblem(.unprocessableContent, naming: "note")
            #expect(try await app.count("SELECT count(*)::int FROM shortages WHERE id = \(id) AND status = 'open'") == 1)
            let closed = try await app.call(
                .post, "/v1/shortages/\(id)/close", token: admin, json: #"{"outcome": "substituted", "note": "已改用同类药品"}"#)
            #expect(closed.status == .ok, "\(closed.text)")
            #expect(closed.json["status"] as? String == "closed" && closed.json["closedOn"] as? String == day.description)
            #expect(closed.json["outcome"] as? String == "substituted" && closed.json["closeNote"] as? String == "已改用同类药品")
            try await app.call(.post, "/v1/shortages/\(id)/close", token: admin, json: #"{"outcome": "other", "note": "x"}"#)
                .expectProblem(.conflict)
            // A closed record takes no action.
            try await app.call(
                .post, "/v1/shortages/\(id)/actions", token: admin, json: #"{"kind": "escalate", "reason": "late"}"#
            ).expectProblem(.conflict)

            let reopened = try await app.call(.post, "/v1/shortages/\(id)/reopen", token: admin)
            #expect(reopened.status == .ok, "\(reopened.text)")
            #expect(reopened.json["status"] as? String == "open" && reopened.json["reopenings"] as? Int == 1)
            #expect(reopened.json["openedOn"] as? String == day.adding(days: -100).description)
            try await app.call(.post, "/v1/shortages/\(id)/reopen", token: admin).expectProblem(.conflict)

            // Closed longer ago than the window (30 days): a new record opens instead (409).
            _ = try await app.call(.post, "/v1/shortages/\(id)/close", token: admin, json: #"{"outcome": "other", "note": "停用"}"#)
            try await app.database.transaction { c in
                try await c.sql("UPDATE shortages SET closed_on = \(day.adding(days: -31).description)::date WHERE id = \(id)")
            }
            try await app.call(.post, "/v1/shortages/\(id)/reopen", token: admin).expectProblem(.conflict)

            // Cause: other says what it is.
            try await app.call(.put, "/v1/shortages/\(id)/cause", token: admin, json: #"{"cause": "other"}"#)
                .expectProblem(.unprocessableContent, naming: "note")
            let cause = try await app.call(.put, "/v1/shortages/\(id)/cause", token: admin, json: #"{"cause": "raw_materials"}"#)
            #expect(cause.status == .ok && cause.json["cause"] as? String == "raw_materials", "\(cause.text)")

            // Owner: a token of the supply centre, not a member's pharmacist.
            let ids = try await app.database.rows(
                "SELECT role, id FROM api_tokens WHERE role IN ('consortium_admin', 'institution_pharmacist') ORDER BY id",
                as: (String, Int64).self)
            let adminID = try #require(ids.last { $0.0 == "consortium_admin" }?.1)
            let pharmacistID = try #require(ids.last { $0.0 == "institution_pharmacist" }?.1)
            try await app.call(.put, "/v1/shortages/\(id)/owner", token: admin, json: #"{"ownerTokenId": \#(pharmacistID)}"#)
                .expectProblem(.unprocessableContent, naming: "ownerTokenId")
            try await app.call(.put, "/v1/shortages/\(id)/owner", token: pharmacist, json: #"{"ownerTokenId": \#(adminID)}"#)
                .expectProblem(.forbidden)
            let owned = try await app.call(
                .put, "/v1/shortages/\(id)/owner", token: admin, json: #"{"ownerTokenId": \#(adminID)}"#)
            #expect(owned.status == .ok && owned.json["ownerTokenId"] as? Int == Int(adminID), "\(owned.text)")

            // Another consortium's token finds nothing; every change has its audit row.
            try await app.call(.post, "/v1/shortages/999999/reopen", token: admin).expectProblem(.notFound)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'shortage' AND entity_key = \(String(id))") == 5)
        }
    }
}

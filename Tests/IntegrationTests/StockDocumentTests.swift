import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Transfers between members (调拨) and stock counts (盘点) through the API, on the demo consortium, with opening
/// stock put in by SQL here (the ledger's own receipts are another part of issue 21).
@Suite("Stock documents: transfers between members and counts")
struct StockDocumentTests {
    static var today: BusinessDate { BusinessDate.today() }

    /// Opening stock of a lot at a member: an 'opening' movement (106), as an opening balance would post.
    static func stock(_ app: TestApp, _ institution: String, _ drug: String, _ lot: String, days: Int, _ quantity: Int)
        async throws
    {
        let expiry = today.adding(days: days).description
        let day = today.description
        try await app.database.transaction { c in
            try await c.sql(
                """
                INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                                             direction, quantity, document_type, business_date)
                SELECT i.consortium_id, i.id, \(drug), \(lot), \(expiry)::date, '106', 'in', \(quantity)::numeric, 'opening',
                       \(day)::date
                FROM institutions i WHERE i.code = \(institution)
                """)
        }
    }

    static func onHand(_ app: TestApp, _ institution: String, _ drug: String, lot: String? = nil) async throws -> Int {
        try await app.count(
            """
            SELECT coalesce(sum(h.quantity), 0)::int FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
            WHERE i.code = \(institution) AND h.drug_code = \(drug) AND (\(lot)::text IS NULL OR h.lot_key = lot_key(\(lot)))
            """)
    }

    /// A drug in the member's catalogue in effect today (the first by code).
    static func drug(in institution: String, _ app: TestApp, inside: Bool = true) async throws -> String {
        let day = today.description
        return try await app.database.rows(
            """
            SELECT d.code FROM drugs d
            WHERE (d.code IN (SELECT m.drug_code
                              FROM member_catalogue_in_effect((SELECT id FROM consortia WHERE code = 'JLTCM'), \(day)::date) m
                              JOIN institutions i ON i.id = m.institution_id WHERE i.code = \(institution))) = \(inside)
            ORDER BY d.code LIMIT 1
            """, as: String.self)[0]
    }

    static func create(
        _ app: TestApp, _ token: String, from sender: String = "JL-TCMH", to receiver: String = "YJ-TCMH",
        lines: [(String, String)], lot: String? = nil
    ) async throws -> TestResponse {
        let items = lines.map { drug, quantity in
            #"{"drugCode": "\#(drug)", "quantity": "\#(quantity)"\#(lot.map { #", "lotNumber": "\#($0)""# } ?? "")}"#
        }
        return try await app.call(
            .post, "/v1/consortia/JLTCM/stock-transfers", token: token,
            json: """
                {"senderInstitutionCode": "\(sender)", "receiverInstitutionCode": "\(receiver)",
                 "lines": [\(items.joined(separator: ","))]}
                """)
    }

    static func audits(_ app: TestApp, _ type: String) async throws -> Int {
        try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = \(type)")
    }

    @Test(
        "dispatch takes FEFO out of the sender; in transit it is visible to both and on neither shelf; receipt records the shortfall with its reason"
    )
    func transferInTransitAndReceipt() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drug(in: "YJ-TCMH", app)
            try await Self.stock(app, "JL-TCMH", drug, "L-LATE", days: 400, 10)
            try await Self.stock(app, "JL-TCMH", drug, "L-EARLY", days: 200, 5)
            let sender = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let receiver = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")

            let created = try await Self.create(app, sender, lines: [(drug, "8")])
            #expect(created.status == .created, "\(created.text)")
            let id = created.json["id"] as? Int ?? 0
            #expect(created.json["status"] as? String == "draft")
            #expect(try await Self.onHand(app, "JL-TCMH", drug) == 15)

            // Only the sender's side dispatches.
            try await app.call(.post, "/v1/stock-transfers/\(id)/dispatch", token: receiver).expectProblem(.forbidden)
            let dispatched = try await app.call(.post, "/v1/stock-transfers/\(id)/dispatch", token: sender)
            #expect(dispatched.status == .ok, "\(dispatched.text)")
            #expect(dispatched.json["status"] as? String == "dispatched")
            #expect(dispatched.json["inTransitQuantity"] as? String == "8")
            let lines = dispatched.json["lines"] as? [[String: Any]] ?? []
            let lots = lines.first?["lots"] as? [[String: Any]] ?? []
            #expect(lots.map { $0["lotNumber"] as? String } == ["L-EARLY", "L-LATE"])
            #expect(lots.map { $0["dispatchedQuantity"] as? String } == ["5", "3"])

            // In transit: off the sender's shelf, not yet on the receiver's.
            #expect(try await Self.onHand(app, "JL-TCMH", drug) == 7)
            #expect(try await Self.onHand(app, "YJ-TCMH", drug) == 0)
            for token in [sender, receiver, try await app.token(.auditor)] {
                let list = try await app.call(.get, "/v1/consortia/JLTCM/stock-transfers?status=dispatched", token: token)
                #expect(list.status == .ok, "\(list.text)")
                let items = list.json["items"] as? [[String: Any]] ?? []
                #expect(items.map { $0["id"] as? Int } == [id])
                #expect(items.first?["inTransitQuantity"] as? String == "8")
            }
            // A third member sees neither the document nor the in-transit list entry.
            let third = try await app.token(.institutionPharmacist, institution: "SL-TCMH")
            try await app.call(.get, "/v1/stock-transfers/\(id)", token: third).expectProblem(.notFound)
            let thirdList = try await app.call(.get, "/v1/consortia/JLTCM/stock-transfers", token: third)
            #expect((thirdList.json["items"] as? [[String: Any]])?.isEmpty == true, "\(thirdList.text)")

            // A shortfall needs its reason, and a refused receipt leaves it in transit.
            let noReason = try await app.call(
                .post, "/v1/stock-transfers/\(id)/receive", token: receiver,
                json: #"{"lines": [{"lineNo": 1, "lotNumber": "L-LATE", "receivedQuantity": "2"}]}"#)
            noReason.expectProblem(.unprocessableContent, naming: "lines[0].reason")
            #expect(try await Self.onHand(app, "YJ-TCMH", drug) == 0)
            try await app.call(
                .post, "/v1/stock-transfers/\(id)/receive", token: sender,
                json: #"{"lines": []}"#
            ).expectProblem(.forbidden)

            let received = try await app.call(
                .post, "/v1/stock-transfers/\(id)/receive", token: receiver,
                json: #"{"lines": [{"lineNo": 1, "lotNumber": "l-late", "receivedQuantity": "2", "reason": "运输途中丢失1盒"}]}"#)
            #expect(received.status == .ok, "\(received.text)")
            #expect(received.json["status"] as? String == "received")
            #expect(received.json["inTransitQuantity"] as? String == "0")
            let receivedLots = ((received.json["lines"] as? [[String: Any]])?.first?["lots"] as? [[String: Any]]) ?? []
            let late = receivedLots.first { $0["lotNumber"] as? String == "L-LATE" }
            #expect(late?["receivedQuantity"] as? String == "2")
            #expect(late?["shortfallQuantity"] as? String == "1")
            #expect(late?["discrepancyReason"] as? String == "运输途中丢失1盒")
            #expect(try await Self.onHand(app, "YJ-TCMH", drug) == 7)
            #expect(try await Self.onHand(app, "YJ-TCMH", drug, lot: "L-EARLY") == 5)
            #expect(try await Self.onHand(app, "JL-TCMH", drug) == 7)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM stock_movements
                    WHERE document_type = 'stock_transfer' AND document_id = \(id) AND reason_code IN ('101', '102')
                    """) == 4)
            // Received once.
            try await app.call(.post, "/v1/stock-transfers/\(id)/receive", token: receiver, json: #"{"lines": []}"#)
                .expectProblem(.conflict)
            // Every change audited: create, dispatch, receive.
            #expect(try await Self.audits(app, "stock_transfer") == 3)
        }
    }

    @Test("only drugs inside the receiver's catalogue; the refusal names the line and writes nothing")
    func receiverCatalogue() async throws {
        try await TestApp.run { app in
            let outside = try await Self.drug(in: "SL-PA-THC", app, inside: false)
            let inside = try await Self.drug(in: "SL-PA-THC", app)
            let admin = try await app.token(.consortiumAdmin)
            let refused = try await Self.create(app, admin, to: "SL-PA-THC", lines: [(inside, "1"), (outside, "1")])
            refused.expectProblem(.unprocessableContent, naming: "lines[1].drugCode")
            // The same refusal in Chinese.
            let chinese = try await app.call(
                .post, "/v1/consortia/JLTCM/stock-transfers", token: admin,
                json: """
                    {"senderInstitutionCode": "JL-TCMH", "receiverInstitutionCode": "SL-PA-THC",
                     "lines": [{"drugCode": "\(outside)", "quantity": "1"}]}
                    """, headers: [.acceptLanguage: "zh-CN"])
            #expect((chinese.json["detail"] as? String ?? "").contains("不在 SL-PA-THC 现行的用药目录内"), "\(chinese.text)")
            #expect(try await app.count("SELECT count(*)::int FROM stock_transfers") == 0)
            #expect(try await Self.audits(app, "stock_transfer") == 0)
            let accepted = try await Self.create(app, admin, to: "SL-PA-THC", lines: [(inside, "1")])
            #expect(accepted.status == .created, "\(accepted.text)")
        }
    }

    @Test("a dispatch of more than may be sent is refused naming the line, and writes nothing; blocked and expired lots stay")
    func dispatchMoreThanOnHand() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drug(in: "YJ-TCMH", app)
            try await Self.stock(app, "JL-TCMH", drug, "GOOD", days: 300, 4)
            try await Self.stock(app, "JL-TCMH", drug, "RECALLED", days: 250, 50)
            try await Self.stock(app, "JL-TCMH", drug, "SHORT", days: 5, 50)
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO lot_blocks (consortium_id, drug_code, lot_number, kind, notice_number, reason)
                    SELECT id, \(drug), 'RECALLED', 'recall', '吉药监召2026-1', '召回' FROM consortia WHERE code = 'JLTCM'
                    """)
            }
            let sender = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let created = try await Self.create(app, sender, lines: [(drug, "1"), (drug, "5")])
            let id = created.json["id"] as? Int ?? 0
            let audits = try await Self.audits(app, "stock_transfer")
            let refused = try await app.call(.post, "/v1/stock-transfers/\(id)/dispatch", token: sender)
            refused.expectProblem(.unprocessableContent, naming: "lines[1].quantity")
            #expect(try await Self.onHand(app, "JL-TCMH", drug) == 104)
            #expect(try await app.count("SELECT count(*)::int FROM stock_transfer_lots") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM stock_movements WHERE document_type = 'stock_transfer'") == 0)
            #expect(try await Self.audits(app, "stock_transfer") == audits)
            let detail = try await app.call(.get, "/v1/stock-transfers/\(id)", token: sender)
            #expect(detail.json["status"] as? String == "draft")
            // A named recalled lot is refused naming lotNumber.
            let named = try await Self.create(app, sender, lines: [(drug, "1")], lot: "recalled")
            try await app.call(.post, "/v1/stock-transfers/\(named.json["id"] as? Int ?? 0)/dispatch", token: sender)
                .expectProblem(.unprocessableContent, naming: "lines[0].lotNumber")
        }
    }

    @Test("a draft is cancelled by its sender; a dispatched transfer is not")
    func cancel() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drug(in: "YJ-TCMH", app)
            try await Self.stock(app, "JL-TCMH", drug, "L1", days: 300, 10)
            let supply = try await app.token(.procurementOfficer, institution: "JL-TCMH")
            let first = try await Self.create(app, supply, lines: [(drug, "1")])
            #expect(first.status == .created, "\(first.text)")
            let cancelled = try await app.call(
                .post, "/v1/stock-transfers/\(first.json["id"] as? Int ?? 0)/cancel", token: supply)
            #expect(cancelled.json["status"] as? String == "cancelled", "\(cancelled.text)")
            let second = try await Self.create(app, supply, lines: [(drug, "1")])
            let id = second.json["id"] as? Int ?? 0
            #expect(try await app.call(.post, "/v1/stock-transfers/\(id)/dispatch", token: supply).status == .ok)
            try await app.call(.post, "/v1/stock-transfers/\(id)/cancel", token: supply).expectProblem(.conflict)
            #expect(try await Self.onHand(app, "JL-TCMH", drug) == 9)
        }
    }

    @Test("a count is approved by a second person only; differences post as 103/104; a sheet is approved once")
    func countApproval() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drug(in: "YJ-TCMH", app)
            try await Self.stock(app, "YJ-TCMH", drug, "C1", days: 300, 5)
            try await Self.stock(app, "YJ-TCMH", drug, "C2", days: 400, 10)
            let opener = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let counter = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let second = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")

            let opened = try await app.call(.post, "/v1/institutions/YJ-TCMH/stock-counts", token: opener, json: "{}")
            #expect(opened.status == .created, "\(opened.text)")
            let id = opened.json["id"] as? Int ?? 0
            let lines = opened.json["lines"] as? [[String: Any]] ?? []
            #expect(lines.map { $0["expectedQuantity"] as? String } == ["5", "10"])

            // Not counted yet: nothing to approve.
            try await app.call(.post, "/v1/stock-counts/\(id)/approve", token: second)
                .expectProblem(.unprocessableContent, naming: "lines[0].countedQuantity")
            try await app.call(
                .put, "/v1/stock-counts/\(id)/lines", token: counter,
                json: #"{"lines": [{"drugCode": "\#(drug)", "lotNumber": "C1", "countedQuantity": "-1"}]}"#
            ).expectProblem(.badRequest, naming: "lines[0].countedQuantity")
            // A lot not on the sheet is named.
            try await app.call(
                .put, "/v1/stock-counts/\(id)/lines", token: counter,
                json: #"{"lines": [{"drugCode": "\#(drug)", "lotNumber": "NOPE", "countedQuantity": "1"}]}"#
            ).expectProblem(.unprocessableContent, naming: "lines[0].lotNumber")
            let entered = try await app.call(
                .put, "/v1/stock-counts/\(id)/lines", token: counter,
                json: """
                    {"lines": [{"drugCode": "\(drug)", "lotNumber": "c1", "countedQuantity": "3"},
                               {"drugCode": "\(drug)", "lotNumber": "C2", "countedQuantity": "12"}]}
                    """)
            #expect(entered.status == .ok, "\(entered.text)")
            #expect((entered.json["lines"] as? [[String: Any]])?.map { $0["difference"] as? String } == ["-2", "2"])

            // Neither who counted nor who opened it approves it.
            try await app.call(.post, "/v1/stock-counts/\(id)/approve", token: counter).expectProblem(.forbidden)
            try await app.call(.post, "/v1/stock-counts/\(id)/approve", token: opener).expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM stock_movements WHERE document_type = 'count'") == 0)

            let approved = try await app.call(.post, "/v1/stock-counts/\(id)/approve", token: second)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(approved.json["status"] as? String == "approved")
            let movements = try await app.database.rows(
                """
                SELECT lot_number, reason_code, quantity::int FROM stock_movements
                WHERE document_type = 'count' AND document_id = \(id) ORDER BY lot_number
                """, as: (String, String, Int).self)
            #expect(movements.map(\.0) == ["C1", "C2"])
            #expect(movements.map(\.1) == ["104", "103"])
            #expect(movements.map(\.2) == [2, 2])
            #expect(try await Self.onHand(app, "YJ-TCMH", drug, lot: "C1") == 3)
            #expect(try await Self.onHand(app, "YJ-TCMH", drug, lot: "C2") == 12)

            // Approved once; no more counts.
            try await app.call(.post, "/v1/stock-counts/\(id)/approve", token: try await app.token(.consortiumAdmin))
                .expectProblem(.conflict)
            try await app.call(
                .put, "/v1/stock-counts/\(id)/lines", token: counter,
                json: #"{"lines": [{"drugCode": "\#(drug)", "lotNumber": "C1", "countedQuantity": "1"}]}"#
            ).expectProblem(.conflict)
            #expect(try await app.count("SELECT count(*)::int FROM stock_movements WHERE document_type = 'count'") == 2)
            // Every change audited: open, count, approve.
            #expect(try await Self.audits(app, "stock_count") == 3)
            let list = try await app.call(.get, "/v1/institutions/YJ-TCMH/stock-counts", token: try await app.token(.regulator))
            #expect((list.json["items"] as? [[String: Any]])?.count == 1, "\(list.text)")
            // Another member's pharmacist neither reads nor approves it.
            let other = try await app.token(.institutionPharmacist, institution: "SL-TCMH")
            try await app.call(.get, "/v1/stock-counts/\(id)", token: other).expectProblem(.notFound)
        }
    }

    @Test("a count sheet is approved once even by two approvals racing")
    func countApprovedOnce() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drug(in: "YJ-TCMH", app)
            try await Self.stock(app, "YJ-TCMH", drug, "R1", days: 300, 5)
            let counter = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let opened = try await app.call(.post, "/v1/institutions/YJ-TCMH/stock-counts", token: counter, json: "{}")
            let id = opened.json["id"] as? Int ?? 0
            try await app.call(
                .put, "/v1/stock-counts/\(id)/lines", token: counter,
                json: #"{"lines": [{"drugCode": "\#(drug)", "lotNumber": "R1", "countedQuantity": "4"}]}"#)
            let approvers = [
                try await app.token(.consortiumAdmin), try await app.token(.procurementOfficer, institution: "JL-TCMH"),
            ]
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for token in approvers {
                    group.addTask { try await app.call(.post, "/v1/stock-counts/\(id)/approve", token: token).status.code }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 409])
            #expect(try await app.count("SELECT count(*)::int FROM stock_movements WHERE document_type = 'count'") == 1)
            #expect(try await Self.onHand(app, "YJ-TCMH", drug) == 4)
        }
    }
}

extension StockDocumentTests {
    @Test("an open count sheet is cancelled (nothing posts, audited); an approved or cancelled one is 409")
    func countCancel() async throws {
        try await TestApp.run { app in
            let drug = try await Self.drug(in: "YJ-TCMH", app)
            try await Self.stock(app, "YJ-TCMH", drug, "K1", days: 300, 5)
            let opener = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let opened = try await app.call(.post, "/v1/institutions/YJ-TCMH/stock-counts", token: opener, json: "{}")
            let id = opened.json["id"] as? Int ?? 0
            try await app.call(
                .put, "/v1/stock-counts/\(id)/lines", token: opener,
                json: #"{"lines": [{"drugCode": "\#(drug)", "lotNumber": "K1", "countedQuantity": "1"}]}"#)
            // Another member's pharmacist cannot see it.
            let other = try await app.token(.institutionPharmacist, institution: "SL-TCMH")
            try await app.call(.post, "/v1/stock-counts/\(id)/cancel", token: other).expectProblem(.notFound)
            let cancelled = try await app.call(.post, "/v1/stock-counts/\(id)/cancel", token: opener)
            #expect(cancelled.status == .ok, "\(cancelled.text)")
            #expect(cancelled.json["status"] as? String == "cancelled")
            try await app.call(.post, "/v1/stock-counts/\(id)/cancel", token: opener).expectProblem(.conflict)
            let second = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            try await app.call(.post, "/v1/stock-counts/\(id)/approve", token: second).expectProblem(.conflict)
            #expect(try await app.count("SELECT count(*)::int FROM stock_movements WHERE document_type = 'count'") == 0)
            #expect(try await Self.onHand(app, "YJ-TCMH", drug, lot: "K1") == 5)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'stock_count' AND action = 'cancel'") == 1)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// National VBP agreements and retained savings over HTTP (国家集采, 结余留用; issue 24), on drugs of the test's own so
/// the demo's stock never counts: the generic name 测试普利片 with a winning product and one that did not win.
@Suite("VBP agreements: agreed volumes, completion and pace, retained savings (issue 24)")
struct VBPTests {
    static let member = StockLedgerTests.member
    static let otherMember = StockLedgerTests.otherMember
    static let winner = "XVBP01"
    static let loser = "XVBP02"
    static let generic = "测试普利片"

    static func drugs(_ app: TestApp) async throws {
        try await app.database.transaction { c in
            try await c.query(
                """
                INSERT INTO drugs (code, generic_name, dosage_form, strength, package_size, package_unit, unit, category)
                VALUES (\(winner), \(generic), 'tablet', '10mg', 28, '盒', '片', 'western'),
                       (\(loser), \(generic), 'tablet', '10mg', 14, '盒', '片', 'western')
                """, logger: Logger(label: "test"))
        }
    }

    /// A movement as the ledger writes it: 108 (a purchase receipt) or a dispensing (usage).
    static func move(_ app: TestApp, _ drug: String, _ institution: String, reason: String, quantity: Int, on day: BusinessDate)
        async throws
    {
        try await app.database.transaction { c in
            try await c.query(
                """
                INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                                             direction, quantity, document_type, document_id, business_date)
                SELECT i.consortium_id, i.id, \(drug), 'V1', DATE '2031-01-01', r.code, r.direction, \(quantity),
                       CASE r.code WHEN '108' THEN 'opening' ELSE 'dispensing' END,
                       CASE r.code WHEN '108' THEN NULL ELSE 1 END, \(day.description)::date
                FROM institutions i, stock_movement_reasons r WHERE i.code = \(institution) AND r.code = \(reason)
                """, logger: Logger(label: "test"))
        }
    }

    static func agreementBody(start: BusinessDate, batch: String = "第十一批") -> String {
        """
        {"batch": "\(batch)", "periodStart": "\(start)", "periodEnd": "\(start.adding(days: 364))",
         "generics": [{"genericName": "\(generic)", "preProcurementAveragePrice": "2.00",
                       "products": [{"drugCode": "\(winner)", "winningPrice": "0.50"}]}]}
        """
    }

    @Test(
        "an agreement, volumes typed and proposed, completion against hand-computed figures, scores, retained savings settled with their inputs; roles and audit rows"
    )
    func wholeYear() async throws {
        let today = BusinessDate.today()
        let start = today.adding(days: -72)  // today is day 73 of 365: a fifth of the year has gone
        try await TestApp.run { app in
            try await Self.drugs(app)
            // Prior-year usage at the other member: 12,345 tablets (the proposal is 80 %: 9,876).
            try await Self.move(app, Self.loser, Self.otherMember, reason: "106", quantity: 20_000, on: start.adding(days: -200))
            try await Self.move(
                app, Self.loser, Self.otherMember, reason: "dispensing", quantity: 12_345, on: start.adding(days: -100))
            let admin = try await app.token(.consortiumAdmin)
            let finance = try await app.token(.finance)
            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.member)
            let base = "/v1/consortia/JLTCM/vbp-agreements"

            // Refusals name their field; nothing is written.
            try await app.call(.post, base, token: pharmacist, json: Self.agreementBody(start: start))
                .expectProblem(.forbidden)
            try await app.call(
                .post, base, token: admin,
                json: Self.agreementBody(start: start).replacingOccurrences(
                    of: "\"drugCode\": \"\(Self.winner)\"", with: "\"drugCode\": \"XA02ADA010D170010100226\"")
            ).expectProblem(.unprocessableContent, naming: "generics[0].products[0].drugCode")
            try await app.call(
                .post, base, token: admin,
                json: Self.agreementBody(start: start).replacingOccurrences(of: "\"0.50\"", with: "\"0\"")
            ).expectProblem(.unprocessableContent, naming: "generics[0].products[0].winningPrice")
            #expect(try await app.count("SELECT count(*)::int FROM vbp_agreements") == 1, "the demo's only")

            let created = try await app.call(.post, base, token: admin, json: Self.agreementBody(start: start))
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"] as? Int)
            try await app.call(.post, base, token: admin, json: Self.agreementBody(start: start)).expectProblem(.conflict)

            // Volumes: typed (10,000 at the member), proposed (the other member's usage × 80 %).
            let volumes = "/v1/vbp-agreements/\(id)/volumes"
            try await app.call(
                .put, volumes, token: admin,
                json: #"{"volumes": [{"institutionCode": "\#(Self.member)", "genericName": "\#(Self.generic)"}]}"#
            ).expectProblem(.unprocessableContent, naming: "volumes[0].volume")
            try await app.call(
                .put, volumes, token: admin,
                json: #"{"volumes": [{"institutionCode": "\#(Self.member)", "genericName": "无此通用名", "volume": "5"}]}"#
            ).expectProblem(.unprocessableContent, naming: "volumes[0].genericName")
            let set = try await app.call(
                .put, volumes, token: admin,
                json: """
                    {"volumes": [{"institutionCode": "\(Self.member)", "genericName": "\(Self.generic)", "volume": "10000"},
                                 {"institutionCode": "\(Self.otherMember)", "genericName": "\(Self.generic)"}]}
                    """)
            #expect(set.status == .ok, "\(set.text)")
            let rows = set.json["volumes"] as? [[String: Any]] ?? []
            #expect(rows.first { $0["institutionCode"] as? String == Self.otherMember }?["volume"] as? String == "9876")

            // Completion on day 73: 1,500 received at the member is behind (2,000 expected); 30 of the other product.
            try await Self.move(app, Self.winner, Self.member, reason: "108", quantity: 1_500, on: start.adding(days: 10))
            try await Self.move(app, Self.loser, Self.member, reason: "108", quantity: 30, on: start.adding(days: 20))
            try await Self.move(app, Self.winner, Self.member, reason: "108", quantity: 999, on: start.adding(days: -1))
            // 400 dispensed since: shown beside completion, not counted in it
            try await Self.move(app, Self.winner, Self.member, reason: "dispensing", quantity: 400, on: start.adding(days: 15))
            let completion = try await app.call(.get, "/v1/vbp-agreements/\(id)/completion", token: admin)
            #expect(completion.status == .ok, "\(completion.text)")
            #expect(completion.json["behindPace"] as? Bool == true)
            let items = completion.json["items"] as? [[String: Any]] ?? []
            let mine = try #require(items.first { $0["institutionCode"] as? String == Self.member }, "\(completion.text)")
            #expect(mine["completed"] as? String == "1500" && mine["expected"] as? String == "2000")
            #expect(mine["share"] as? String == "0.15" && mine["behindPace"] as? Bool == true)
            #expect(mine["nonWinning"] as? String == "30" && mine["elapsedDays"] as? Int == 73)
            #expect(mine["dispensed"] as? String == "400", "\(mine)")
            // A member's pharmacist sees its own line only; another consortium's token sees nothing.
            let own = try await app.call(.get, "/v1/vbp-agreements/\(id)/completion", token: pharmacist)
            #expect((own.json["items"] as? [[String: Any]])?.map { $0["institutionCode"] as? String } == [Self.member])

            // Scores and retained savings: 10,000 agreed at 2.00 × 0.63 = 12,600.00 budget; 1,500 at 0.50 × 0.63 =
            // 472.50 actual; base 12,127.50; grade A (85) keeps 50 %: 6,063.75.
            try await app.call(
                .post, "/v1/vbp-agreements/\(id)/assessments", token: finance,
                json: #"{"institutionCode": "\#(Self.member)", "score": "101"}"#
            ).expectProblem(.unprocessableContent, naming: "score")
            let assessed = try await app.call(
                .post, "/v1/vbp-agreements/\(id)/assessments", token: finance,
                json: #"{"institutionCode": "\#(Self.member)", "score": "85"}"#)
            #expect(assessed.status == .noContent, "\(assessed.text)")
            let savings = try await app.call(.get, "/v1/vbp-agreements/\(id)/retained-savings", token: finance)
            let line = try #require(
                (savings.json["items"] as? [[String: Any]])?.first { $0["institutionCode"] as? String == Self.member },
                "\(savings.text)")
            #expect(line["budget"] as? String == "12600.00" && line["actual"] as? String == "472.50", "\(line)")
            #expect(line["savingsBase"] as? String == "12127.50" && line["grade"] as? String == "A")
            #expect(line["retained"] as? String == "6063.75", "\(line)")
            let other = try #require(
                (savings.json["items"] as? [[String: Any]])?.first { $0["institutionCode"] as? String == Self.otherMember })
            #expect(other["grade"] == nil && other["retained"] == nil, "not assessed yet: \(other)")

            try await app.call(.post, "/v1/vbp-agreements/\(id)/settlements", token: pharmacist, json: "{}")
                .expectProblem(.forbidden)
            let settled = try await app.call(.post, "/v1/vbp-agreements/\(id)/settlements", token: finance, json: "{}")
            #expect(settled.status == .created && settled.json["settlementId"] != nil, "\(settled.text)")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM vbp_settlement_lines WHERE settings ->> 'fundPaymentRatioPercent' = '70'") == 2)
            // What was settled is never changed.
            await #expect(throws: (any Error).self) {
                try await app.database.transaction { c in try await c.sql("UPDATE vbp_settlement_lines SET retained = 0") }
            }
            for (action, entity) in [
                ("create", "vbp_agreement"), ("set_volumes", "vbp_agreement"), ("assess", "vbp_agreement"),
                ("settle", "vbp_settlement"),
            ] {
                #expect(
                    try await app.count(
                        """
                        SELECT count(*)::int FROM audit_log
                        WHERE action = \(action) AND entity_type = \(entity) AND actor <> 'console:seed'
                        """) == 1,
                    "\(action)")
            }
            try await TransferTests.otherConsortium(app)
            let outsider = try await app.token(.consortiumAdmin, consortium: "OTHER")
            try await app.call(.get, "/v1/vbp-agreements/\(id)", token: outsider).expectProblem(.notFound)
        }
    }

    @Test("the demo: one agreement with its members' volumes and two scores, recorded through the use cases and audited")
    func demo() async throws {
        try await TestApp.run { app in
            #expect(try await app.count("SELECT count(*)::int FROM vbp_agreements") == 1)
            #expect(try await app.count("SELECT count(*)::int FROM vbp_agreed_volumes") == 5)
            #expect(try await app.count("SELECT count(*)::int FROM vbp_assessments") == 2)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'vbp_agreement' AND actor = 'console:seed'") == 4)
            let finance = try await app.token(.finance)
            let list = try await app.call(.get, "/v1/consortia/JLTCM/vbp-agreements", token: finance)
            let id = try #require((list.json["items"] as? [[String: Any]])?.first?["id"] as? Int, "\(list.text)")
            let savings = try await app.call(.get, "/v1/vbp-agreements/\(id)/retained-savings", token: finance)
            let lines = savings.json["items"] as? [[String: Any]] ?? []
            // Nothing bought yet: each line's base is its whole budget (JL-TCMH's metformin: 120,000 × 0.85 × 0.63).
            let lead = try #require(
                lines.first { $0["institutionCode"] as? String == "JL-TCMH" && $0["genericName"] as? String == "二甲双胍" },
                "\(savings.text)")
            #expect(lead["budget"] as? String == "64260.00" && lead["grade"] as? String == "A", "\(lead)")
        }
    }

    @Test(
        "CLI: reconcile vbp exits 1 when a member is behind pace (table, CSV, JSON); report retained-savings writes CSV or JSON; bad input 2, unknown 1"
    )
    func commands() async throws {
        try await CLITests.withCommand { cli in
            let table = try cli.run(["reconcile", "vbp", "--agreement", "1"])
            #expect(table.status == 1 && table.out.contains("behind pace"), "\(table.out) \(table.err)")
            let csv = try cli.run(["reconcile", "vbp", "--agreement", "1", "--format", "csv"])
            #expect(csv.out.hasPrefix("institution_code,generic_name,agreed,completed"), "\(csv.out)")
            let json = try cli.run(["reconcile", "vbp", "--agreement", "1", "--format", "json"])
            #expect((try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [Any])?.count == 5, "\(json.out)")
            let report = try cli.run(["report", "retained-savings", "--agreement", "1"])
            #expect(report.status == 0 && report.out.hasPrefix("institution_code,generic_name,agreed_volume"), "\(report.err)")
            #expect(report.out.split(separator: "\r\n").count == 6, "\(report.out)")
            let reportJSON = try cli.run(["report", "retained-savings", "--agreement", "1", "--format", "json"])
            #expect((try JSONSerialization.jsonObject(with: Data(reportJSON.out.utf8)) as? [Any])?.count == 5)
            #expect(try cli.run(["reconcile", "vbp"]).status == 2)
            #expect(try cli.run(["reconcile", "vbp", "--agreement", "x"]).status == 2)
            #expect(try cli.run(["report", "retained-savings", "--agreement", "1", "--format", "table"]).status == 2)
            #expect(try cli.run(["reconcile", "vbp", "--agreement", "999"]).status == 1)
        }
    }
}

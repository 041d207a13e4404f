import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

@Suite("Unified pricing")
struct PricingTests {
    static let base = "/v1/consortia/JLTCM"

    /// A catalogue drug with its seeded provincial price (per package, from 2026-01-01).
    static func pricedDrug(_ app: TestApp, category: String = "western") async throws -> (code: String, ceiling: Decimal) {
        try await app.database.rows(
            """
            SELECT p.drug_code, p.unit_price FROM provincial_bid_prices p JOIN drugs d ON d.code = p.drug_code
            WHERE d.category = \(category) ORDER BY p.drug_code LIMIT 1
            """, as: (String, Decimal).self)[0]
    }

    static func negotiate(_ app: TestApp, _ token: String, _ code: String, _ price: String, from: BusinessDate) async throws
        -> TestResponse
    {
        try await app.call(
            .post, "\(base)/price-agreements", token: token,
            json: """
                {"drugCode": "\(code)", "unitPrice": "\(price)", "priceUnit": "package", "source": "consortium_negotiated",
                 "reference": "议价纪要 2026-11", "effectiveFrom": "\(from)"}
                """)
    }

    @Test("the seeded provincial price is the unified price; history lists its period")
    func seeded() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await Self.pricedDrug(app)
            let token = try await app.token(.prescriber)
            let price = try await app.call(.get, "\(Self.base)/prices/\(code)", token: token)
            #expect(price.status == .ok, "\(price.text)")
            #expect(price.json["unitPrice"] as? String == Money(ceiling).description)
            #expect((price.json["agreement"] as? [String: Any])?["source"] as? String == "provincial_bid")
            try await app.call(.get, "\(Self.base)/prices/\(code)?on=2025-12-31", token: token).expectProblem(.notFound)
            let history = try await app.call(.get, "\(Self.base)/prices/\(code)/history", token: token)
            #expect((history.json["items"] as? [Any])?.count == 1)
        }
    }

    @Test("a negotiated price above the provincial ceiling is refused with both prices; at or below it waits to be reported")
    func ceilingAndReporting() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await Self.pricedDrug(app)
            let officer = try await app.token(.procurementOfficer)
            let today = BusinessDate.today()
            let above = Money(ceiling + Decimal(string: "0.01")!)
            let refused = try await Self.negotiate(app, officer, code, above.description, from: today)
            refused.expectProblem(.unprocessableContent, naming: "unitPrice")
            let detail = refused.json["detail"] as? String ?? ""
            #expect(detail.contains(above.description) && detail.contains(Money(ceiling).description))

            let lower = Money(ceiling * Decimal(string: "0.8")!).rounded(2)
            let agreed = try await Self.negotiate(app, officer, code, lower.description, from: today)
            #expect(agreed.status == .created, "\(agreed.text)")
            #expect(agreed.json["status"] as? String == "agreed")
            let id = try #require(agreed.json["id"] as? Int)
            // Until it is reported the previous price holds.
            #expect(
                try await app.call(.get, "\(Self.base)/prices/\(code)", token: officer).json["unitPrice"] as? String
                    == Money(ceiling).description)

            let reported = try await app.call(
                .post, "\(Self.base)/price-agreements/\(id)/report", token: officer,
                json: #"{"platformReference": "JL-PT-2026-0042", "reportedOn": "\#(today)"}"#)
            #expect(reported.status == .ok, "\(reported.text)")
            #expect(reported.json["status"] as? String == "in_effect")
            #expect(reported.json["effectiveFrom"] as? String == today.description)
            // Edges: the day before still the provincial price, from today the negotiated one.
            let yesterday = try await app.call(.get, "\(Self.base)/prices/\(code)?on=\(today.adding(days: -1))", token: officer)
            #expect(yesterday.json["unitPrice"] as? String == Money(ceiling).description)
            let now = try await app.call(.get, "\(Self.base)/prices/\(code)?on=\(today)", token: officer)
            #expect(now.json["unitPrice"] as? String == lower.description)
            #expect(now.json["ceiling"] as? String == Money(ceiling).description)
            let history = try await app.call(.get, "\(Self.base)/prices/\(code)/history", token: officer)
            let periods = (history.json["items"] as? [[String: Any]]) ?? []
            #expect(periods.count == 2)
            #expect(periods.first?["effectiveTo"] as? String == today.adding(days: -1).description)
            #expect(periods.last?["effectiveTo"] == nil)
            // Reporting twice is a conflict.
            try await app.call(
                .post, "\(Self.base)/price-agreements/\(id)/report", token: officer,
                json: #"{"platformReference": "x", "reportedOn": "\#(today)"}"#
            ).expectProblem(.conflict)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'price_agreement' AND action IN ('create', 'report')"
                ) == 2)
        }
    }

    @Test("a price reported after its requested date takes effect from the report")
    func lateReport() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await Self.pricedDrug(app)
            let admin = try await app.token(.consortiumAdmin)
            // Requested from ten days ago, reported today (a report is never dated after today: 18.9).
            let today = BusinessDate.today()
            let agreed = try await Self.negotiate(app, admin, code, Money(ceiling).description, from: today.adding(days: -10))
            let id = try #require(agreed.json["id"] as? Int, "\(agreed.text)")
            let reported = try await app.call(
                .post, "\(Self.base)/price-agreements/\(id)/report", token: admin,
                json: #"{"platformReference": "P-1", "reportedOn": "\#(today)"}"#)
            #expect(reported.json["effectiveFrom"] as? String == today.description, "\(reported.text)")
        }
    }

    @Test("a drug outside the catalogue in effect cannot get a negotiated price")
    func outsideCatalogue() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(
                .post, "/v1/drugs", token: try await app.token(.masterDataAdmin),
                json: """
                    {"code": "X-NOTCAT-1", "genericName": "目录外药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                     "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "B",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false}
                    """)
            let bid = try await app.call(
                .post, "\(Self.base)/price-agreements", token: admin,
                json: """
                    {"drugCode": "X-NOTCAT-1", "unitPrice": "20.00", "priceUnit": "package", "source": "provincial_bid",
                     "reference": "JL-2026-GP-999999", "effectiveFrom": "2026-01-01"}
                    """)
            #expect(bid.status == .created, "\(bid.text)")
            try await Self.negotiate(app, admin, "X-NOTCAT-1", "10.00", from: .today()).expectProblem(
                .unprocessableContent, naming: "drugCode")
        }
    }

    @Test("only the supply centre sets prices; members read")
    func roles() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await Self.pricedDrug(app)
            for role in [Role.prescriber, .institutionPharmacist, .auditor, .regulator] {
                let token = try await app.token(role)
                try await Self.negotiate(app, token, code, Money(ceiling).description, from: .today()).expectProblem(.forbidden)
                #expect(try await app.call(.get, "\(Self.base)/prices/\(code)", token: token).status == .ok)
            }
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements WHERE source = 'consortium_negotiated'") == 0)
        }
    }

    @Test("two writers racing on one drug never leave overlapping periods; the database refuses an overlap outright")
    func nonOverlapUnderConcurrency() async throws {
        try await TestApp.run { app in
            let (code, _) = try await Self.pricedDrug(app)
            let admin = try await app.token(.consortiumAdmin)
            let start = BusinessDate.today()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        let r = try await app.call(
                            .post, "\(Self.base)/price-agreements", token: admin,
                            json: """
                                {"drugCode": "\(code)", "unitPrice": "\(10 + i).00", "priceUnit": "package", "source": "provincial_bid",
                                 "reference": "RACE-\(i)", "effectiveFrom": "\(start.adding(days: i % 4))"}
                                """)
                        #expect(r.status == .created || r.status == .conflict, "\(r.text)")
                    }
                }
                try await group.waitForAll()
            }
            let overlaps = try await app.count(
                """
                SELECT count(*)::int FROM price_agreements a JOIN price_agreements b
                  ON a.consortium_id = b.consortium_id AND a.drug_code = b.drug_code AND a.id < b.id
                 AND a.status = 'in_effect' AND b.status = 'in_effect'
                 AND daterange(a.effective_from, a.effective_to) && daterange(b.effective_from, b.effective_to)
                WHERE a.drug_code = \(code)
                """)
            #expect(overlaps == 0)
            // Every date from the first price on has exactly one price.
            for offset in [-1, 0, 1, 2, 3, 30] {
                let day = start.adding(days: offset)
                #expect(
                    try await app.count(
                        """
                        SELECT count(*)::int FROM price_agreements WHERE drug_code = \(code) AND status = 'in_effect'
                          AND daterange(effective_from, effective_to) @> \(day.description)::date
                        """) == 1)
            }
            await #expect(throws: (any Error).self) {
                try await app.database.client.query(
                    """
                    INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from,
                                                  status, effective_from)
                    SELECT consortium_id, drug_code, 1, 'package', 'provincial_bid', 'OVERLAP', '2026-01-01', 'in_effect', '2026-01-01'
                    FROM price_agreements WHERE drug_code = \(code) LIMIT 1
                    """)
            }
        }
    }

    @Test("patients pay the unified price at zero markup for drugs, with the capped markup for decoction pieces")
    func patientPrices() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.prescriber)
            let (drug, drugPrice) = try await Self.pricedDrug(app)
            let western = try await app.call(.get, "/v1/institutions/SL-PA-THC/patient-prices/\(drug)", token: token)
            #expect(western.status == .ok, "\(western.text)")
            #expect(western.json["patientPrice"] as? String == Money(drugPrice).description)
            #expect(western.json["markupPercent"] as? String == "0")

            let (piece, piecePrice) = try await Self.pricedDrug(app, category: "decoction_piece")
            let herb = try await app.call(.get, "/v1/institutions/SL-PA-THC/patient-prices/\(piece)", token: token)
            #expect(herb.json["patientPrice"] as? String == (Money(piecePrice) * Decimal(string: "1.25")!).rounded().description)
            // The same price at every member.
            let atLead = try await app.call(.get, "/v1/institutions/JL-TCMH/patient-prices/\(piece)", token: token)
            #expect(atLead.json["patientPrice"] as? String == herb.json["patientPrice"] as? String)

            // A consortium's own markup, in force from a date, is data: no code changes.
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO consortium_settings (consortium_id, key, value, effective_from)
                    SELECT id, 'decoction_piece_markup_pct', '15', '2026-06-01' FROM consortia WHERE code = 'JLTCM'
                    """)
            }
            let after = try await app.call(.get, "/v1/institutions/SL-PA-THC/patient-prices/\(piece)?on=2026-06-01", token: token)
            #expect(after.json["patientPrice"] as? String == (Money(piecePrice) * Decimal(string: "1.15")!).rounded().description)
            let before = try await app.call(
                .get, "/v1/institutions/SL-PA-THC/patient-prices/\(piece)?on=2026-05-31", token: token)
            #expect(before.json["markupPercent"] as? String == "25")
        }
    }

    @Test("an import with bad lines changes nothing and names every bad line; the same file twice changes nothing")
    func importAllOrNothing() async throws {
        try await TestApp.run { app in
            let codes = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 3", as: String.self)
            let importer = PriceImportUseCases(database: app.database)
            let bad = """
                drug_code,unit_price,price_unit,bid_reference,effective_from
                \(codes[0]),12.50,package,NEW-1,2026-12-01
                NO-SUCH-DRUG,1.00,package,NEW-2,2026-12-01
                \(codes[1]),-3,package,NEW-3,2026-12-01
                \(codes[2]),4.00,box,NEW-4,2026-13-01
                """
            let before = try await app.count("SELECT count(*)::int FROM price_agreements")
            do {
                _ = try await importer.run(text: bad, consortiumCode: "JLTCM", actor: .console("test")).get()
                Issue.record("a file with bad lines was imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                // 18.8: the unknown drug on line 3 is named in the same run as the malformed lines 4 and 5.
                #expect(rejected.errors.map(\.line) == [3, 4, 5])
                #expect(rejected.errors[2].reason.contains("price_unit") && rejected.errors[2].reason.contains("effective_from"))
            }
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements") == before)
            // Unknown drugs are found against the database, still before anything stays.
            do {
                _ = try await importer.run(
                    text: """
                        drug_code,unit_price,price_unit,bid_reference,effective_from
                        \(codes[0]),12.50,package,NEW-1,2026-12-01
                        NO-SUCH-DRUG,1.00,package,NEW-2,2026-12-01
                        """, consortiumCode: "JLTCM", actor: .console("test")
                ).get()
                Issue.record("an unknown drug was imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.map(\.line) == [3])
            }
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements") == before)

            let good = """
                drug_code,unit_price,price_unit,bid_reference,effective_from
                \(codes[0]),12.50,package,NEW-1,2026-12-01
                \(codes[1]),3.00,package,NEW-3,2026-12-01
                """
            let first = try await importer.run(text: good, consortiumCode: "JLTCM", actor: .console("test")).get()
            #expect(first.imported == 2)
            let second = try await importer.run(text: good, consortiumCode: "JLTCM", actor: .console("test")).get()
            #expect(second.imported == 0 && second.unchanged == 2)
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements") == before + 2)
            #expect(
                try await app.count("SELECT count(*)::int FROM audit_log WHERE action = 'import' AND actor = 'console:test'") == 2
            )
        }
    }
}

/// Issue 18, points 7, 8 and 10.
extension PricingTests {
    static func agreements(_ response: TestResponse) -> [[String: Any]] { (response.json["items"] as? [[String: Any]]) ?? [] }

    @Test(
        "18.7: a price agreement's status is scheduled, in_effect or ended on the day asked, in the list, the history and the filter"
    )
    func statusOnTheDayAsked() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await Self.pricedDrug(app)
            let officer = try await app.token(.procurementOfficer)
            let today = BusinessDate.today()
            let start = today.adding(days: 10)
            // A negotiated price from ten days on, reported today: scheduled, and the provincial price ends then.
            let agreed = try await Self.negotiate(
                app, officer, code, Money(ceiling * Decimal(string: "0.9")!).rounded(2).description, from: start)
            let id = try #require(agreed.json["id"] as? Int)
            let reported = try await app.call(
                .post, "\(Self.base)/price-agreements/\(id)/report", token: officer,
                json: #"{"platformReference": "JL-PT-18-7", "reportedOn": "\#(today)"}"#)
            #expect(reported.json["status"] as? String == "scheduled", "\(reported.text)")
            #expect(reported.json["statusOn"] as? String == today.description)

            func statuses(_ query: String) async throws -> [Int: String] {
                let page = try await app.call(.get, "\(Self.base)/price-agreements?drugCode=\(code)\(query)", token: officer)
                #expect(page.status == .ok, "\(page.text)")
                return Dictionary(
                    Self.agreements(page).compactMap { a in (a["id"] as? Int).map { ($0, a["status"] as? String ?? "") } },
                    uniquingKeysWith: { a, _ in a })
            }
            let provincial = try #require(try await statuses("").first { $0.key != id }?.key)
            #expect(try await statuses("") == [provincial: "in_effect", id: "scheduled"])
            #expect(try await statuses("&on=\(start.adding(days: -1))") == [provincial: "in_effect", id: "scheduled"])
            #expect(try await statuses("&on=\(start)") == [provincial: "ended", id: "in_effect"])
            #expect(try await statuses("&on=2025-12-31") == [provincial: "scheduled", id: "scheduled"])
            // The filter asks the same question of the same day.
            #expect(try await statuses("&status=scheduled") == [id: "scheduled"])
            #expect(try await statuses("&status=in_effect") == [provincial: "in_effect"])
            #expect(try await statuses("&status=ended&on=\(start)") == [provincial: "ended"])
            #expect(try await statuses("&status=ended").isEmpty)
            #expect(try await statuses("&status=agreed").isEmpty)

            let history = try await app.call(.get, "\(Self.base)/prices/\(code)/history?on=\(start)", token: officer)
            #expect(Self.agreements(history).compactMap { $0["status"] as? String } == ["ended", "in_effect"], "\(history.text)")
            #expect(Self.agreements(history).allSatisfy { $0["statusOn"] as? String == start.description })
            let now = try await app.call(.get, "\(Self.base)/prices/\(code)/history", token: officer)
            #expect(Self.agreements(now).compactMap { $0["status"] as? String } == ["in_effect", "scheduled"])
            let unified = try await app.call(.get, "\(Self.base)/prices/\(code)?on=\(start)", token: officer)
            #expect((unified.json["agreement"] as? [String: Any])?["status"] as? String == "in_effect")
        }
    }

    @Test(
        "18.8: import prices names every bad line in one run: a malformed price on line 3 and an unknown drug on line 5 together")
    func importNamesEveryBadLine() async throws {
        try await TestApp.run { app in
            let codes = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 3", as: String.self)
            let before = try await app.count("SELECT count(*)::int FROM price_agreements")
            let file = """
                drug_code,unit_price,price_unit,bid_reference,effective_from
                \(codes[0]),12.50,package,NEW-1,2026-12-01
                \(codes[1]),12,50,package,NEW-2,2026-12-01
                \(codes[2]),3.00,package,NEW-3,2026-12-01
                NO-SUCH-DRUG,1.00,package,NEW-4,2026-12-01
                NO-SUCH-DRUG-2,abc,package,NEW-5,2026-12-01
                """
            do {
                _ = try await PriceImportUseCases(database: app.database).run(
                    text: file, consortiumCode: "JLTCM", actor: .console("test")
                ).get()
                Issue.record("a file with bad lines was imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.map(\.line) == [3, 5, 6], "\(rejected)")
                #expect(rejected.errors.first { $0.line == 5 }?.reason.contains("no drug NO-SUCH-DRUG") == true)
                // One line bad twice over: both reasons.
                let six = rejected.errors.first { $0.line == 6 }?.reason ?? ""
                #expect(six.contains("unit_price") && six.contains("no drug NO-SUCH-DRUG-2"), "\(six)")
            }
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements") == before)
            #expect(
                try await app.count("SELECT count(*)::int FROM audit_log WHERE action = 'import' AND actor = 'console:test'") == 0
            )

            // A line conflicting with an earlier import is named beside a malformed one, and nothing is written.
            let first = try await PriceImportUseCases(database: app.database).run(
                text: """
                    drug_code,unit_price,price_unit,bid_reference,effective_from
                    \(codes[0]),12.50,package,NEW-1,2026-12-01
                    """, consortiumCode: "JLTCM", actor: .console("test")
            ).get()
            #expect(first.imported == 1)
            do {
                _ = try await PriceImportUseCases(database: app.database).run(
                    text: """
                        drug_code,unit_price,price_unit,bid_reference,effective_from
                        \(codes[0]),13.00,package,NEW-1,2026-12-01
                        \(codes[1]),5.00,package,NEW-2,2026-12-01
                        \(codes[2]),-1,package,NEW-3,2026-12-01
                        """, consortiumCode: "JLTCM", actor: .console("test")
                ).get()
                Issue.record("a conflicting file was imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.map(\.line) == [2, 4], "\(rejected)")
            }
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements") == before + 1)
        }
    }

    /// A negotiated price from today whose report date was typed as `typed` (as recorded before report dates were
    /// checked): scheduled from then, the provincial price running until the day before.
    static func mistypedReport(_ app: TestApp, _ token: String, code: String, price: String, typed: BusinessDate) async throws
        -> Int
    {
        let agreed = try await negotiate(app, token, code, price, from: .today())
        let id = try #require(agreed.json["id"] as? Int)
        try await app.database.transaction { c in
            try await c.sql(
                """
                UPDATE price_agreements SET effective_to = \(typed.description)::date
                WHERE drug_code = \(code) AND status = 'in_effect' AND effective_to IS NULL
                """)
            try await c.sql(
                """
                UPDATE price_agreements SET status = 'in_effect', reported_on = \(typed.description)::date,
                    platform_reference = 'JL-PT-TYPO', effective_from = \(typed.description)::date
                WHERE id = \(Int64(id))
                """)
        }
        return id
    }

    @Test("18.10: the admin corrects a mistyped report date, with a reason, while the price is not in effect; then 409")
    func correctReportDate() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await Self.pricedDrug(app)
            let admin = try await app.token(.consortiumAdmin)
            let officer = try await app.token(.procurementOfficer)
            let today = BusinessDate.today()
            let lower = Money(ceiling * Decimal(string: "0.8")!).rounded(2)
            let typed = today.adding(days: 30)
            let id = try await Self.mistypedReport(app, admin, code: code, price: lower.description, typed: typed)
            let listed = try await app.call(.get, "\(Self.base)/price-agreements?drugCode=\(code)&status=scheduled", token: admin)
            #expect(Self.agreements(listed).compactMap { $0["id"] as? Int } == [id])
            let uri = "\(Self.base)/price-agreements/\(id)/report-date"
            let yesterday = today.adding(days: -1)

            // Only the admin; a reason; a date that can be true.
            try await app.call(.post, uri, token: officer, json: #"{"reportedOn": "\#(yesterday)", "reason": "笔误"}"#)
                .expectProblem(.forbidden)
            try await app.call(.post, uri, token: admin, json: #"{"reportedOn": "\#(yesterday)", "reason": "  "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            try await app.call(.post, uri, token: admin, json: #"{"reportedOn": "\#(yesterday)"}"#).expectProblem(.badRequest)
            try await app.call(.post, uri, token: admin, json: #"{"reportedOn": "\#(today.adding(days: 1))", "reason": "笔误"}"#)
                .expectProblem(.unprocessableContent, naming: "reportedOn")
            try await app.call(.post, uri, token: admin, json: #"{"reportedOn": "1999-12-31", "reason": "笔误"}"#)
                .expectProblem(.unprocessableContent, naming: "reportedOn")
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE action = 'correct_report_date'") == 0)

            // Reported yesterday, typed a month on: in effect from today (never a day already past).
            let corrected = try await app.call(
                .post, uri, token: admin,
                json: #"{"reportedOn": "\#(yesterday)", "reason": "报送日期录入错误，平台回执为昨日"}"#)
            #expect(corrected.status == .ok, "\(corrected.text)")
            #expect(corrected.json["reportedOn"] as? String == yesterday.description)
            #expect(corrected.json["effectiveFrom"] as? String == today.description)
            #expect(corrected.json["status"] as? String == "in_effect")
            let now = try await app.call(.get, "\(Self.base)/prices/\(code)", token: officer)
            #expect(now.json["unitPrice"] as? String == lower.description, "\(now.text)")
            let before = try await app.call(.get, "\(Self.base)/prices/\(code)?on=\(yesterday)", token: officer)
            #expect(before.json["unitPrice"] as? String == Money(ceiling).description)
            let history = Self.agreements(try await app.call(.get, "\(Self.base)/prices/\(code)/history", token: officer))
            #expect(history.compactMap { $0["effectiveTo"] as? String } == [yesterday.description], "\(history)")
            let reason = try await app.database.rows(
                "SELECT after->>'reason' FROM audit_log WHERE action = 'correct_report_date' AND entity_key = \(String(id))",
                as: String?.self)
            #expect(reason == ["报送日期录入错误，平台回执为昨日"])

            // Now in effect: its dates are history.
            let again = try await app.call(.post, uri, token: admin, json: #"{"reportedOn": "\#(today)", "reason": "再改"}"#)
            again.expectProblem(.conflict)
            #expect((again.json["detail"] as? String ?? "").contains("in effect since \(today)"))
        }
    }

    @Test(
        "18.10: a price reported in effect keeps its report date (409 saying since when); an unreported one is reported instead")
    func correctReportDateRefused() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await Self.pricedDrug(app)
            let admin = try await app.token(.consortiumAdmin)
            let today = BusinessDate.today()
            let agreed = try await Self.negotiate(app, admin, code, Money(ceiling).description, from: today)
            let id = try #require(agreed.json["id"] as? Int)
            let uri = "\(Self.base)/price-agreements/\(id)/report-date"
            try await app.call(.post, uri, token: admin, json: #"{"reportedOn": "\#(today)", "reason": "x"}"#).expectProblem(
                .conflict)
            #expect(
                try await app.call(
                    .post, "\(Self.base)/price-agreements/\(id)/report", token: admin,
                    json: #"{"platformReference": "P-1", "reportedOn": "\#(today)"}"#
                ).status == .ok)
            let refused = try await app.call(
                .post, uri, token: admin, json: #"{"reportedOn": "\#(today.adding(days: -1))", "reason": "x"}"#)
            refused.expectProblem(.conflict)
            #expect((refused.json["detail"] as? String ?? "").contains("in effect since \(today)"), "\(refused.text)")
            // A scheduled price from a later requested date: the report date is corrected, the period stays.
            let later = today.adding(days: 20)
            let scheduled = try #require(
                try await Self.negotiate(app, admin, code, Money(ceiling).description, from: later).json["id"] as? Int)
            #expect(
                try await app.call(
                    .post, "\(Self.base)/price-agreements/\(scheduled)/report", token: admin,
                    json: #"{"platformReference": "P-2", "reportedOn": "\#(today.adding(days: -3))"}"#
                ).status == .ok)
            let fixed = try await app.call(
                .post, "\(Self.base)/price-agreements/\(scheduled)/report-date", token: admin,
                json: #"{"reportedOn": "\#(today)", "reason": "回执日期为今日"}"#)
            #expect(fixed.status == .ok, "\(fixed.text)")
            #expect(
                fixed.json["reportedOn"] as? String == today.description
                    && fixed.json["effectiveFrom"] as? String == later.description)
            #expect(fixed.json["status"] as? String == "scheduled")
            let periods = Self.agreements(try await app.call(.get, "\(Self.base)/prices/\(code)/history", token: admin))
            #expect(periods.count == 3, "\(periods)")
        }
    }
}

import Foundation
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
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

    static func negotiate(_ app: TestApp, _ token: String, _ code: String, _ price: String, from: BusinessDate) async throws -> TestResponse {
        try await app.call(.post, "\(base)/price-agreements", token: token, json: """
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
            #expect(try await app.call(.get, "\(Self.base)/prices/\(code)", token: officer).json["unitPrice"] as? String == Money(ceiling).description)

            let reported = try await app.call(.post, "\(Self.base)/price-agreements/\(id)/report", token: officer,
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
            try await app.call(.post, "\(Self.base)/price-agreements/\(id)/report", token: officer,
                               json: #"{"platformReference": "x", "reportedOn": "\#(today)"}"#).expectProblem(.conflict)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'price_agreement' AND action IN ('create', 'report')") == 2)
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
            let reported = try await app.call(.post, "\(Self.base)/price-agreements/\(id)/report", token: admin,
                                              json: #"{"platformReference": "P-1", "reportedOn": "\#(today)"}"#)
            #expect(reported.json["effectiveFrom"] as? String == today.description, "\(reported.text)")
        }
    }

    @Test("a drug outside the catalogue in effect cannot get a negotiated price")
    func outsideCatalogue() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(.post, "/v1/drugs", token: try await app.token(.masterDataAdmin), json: """
                {"code": "X-NOTCAT-1", "genericName": "目录外药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                 "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "B",
                 "controlClass": "none", "antimicrobial": false, "coldChain": false}
                """)
            let bid = try await app.call(.post, "\(Self.base)/price-agreements", token: admin, json: """
                {"drugCode": "X-NOTCAT-1", "unitPrice": "20.00", "priceUnit": "package", "source": "provincial_bid",
                 "reference": "JL-2026-GP-999999", "effectiveFrom": "2026-01-01"}
                """)
            #expect(bid.status == .created, "\(bid.text)")
            try await Self.negotiate(app, admin, "X-NOTCAT-1", "10.00", from: .today()).expectProblem(.unprocessableContent, naming: "drugCode")
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
                        let r = try await app.call(.post, "\(Self.base)/price-agreements", token: admin, json: """
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
                #expect(try await app.count(
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
            let before = try await app.call(.get, "/v1/institutions/SL-PA-THC/patient-prices/\(piece)?on=2026-05-31", token: token)
            #expect(before.json["markupPercent"] as? String == "25")
        }
    }

    @Test("an import with bad lines changes nothing and names every bad line; the same file twice changes nothing")
    func importAllOrNothing() async throws {
        try await TestApp.run { app in
            let codes = try await app.database.rows("SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 3", as: String.self)
            let importer = ProvincialPriceImport(database: app.database)
            let bad = """
                drug_code,unit_price,price_unit,bid_reference,effective_from
                \(codes[0]),12.50,package,NEW-1,2026-12-01
                NO-SUCH-DRUG,1.00,package,NEW-2,2026-12-01
                \(codes[1]),-3,package,NEW-3,2026-12-01
                \(codes[2]),4.00,box,NEW-4,2026-13-01
                """
            let before = try await app.count("SELECT count(*)::int FROM price_agreements")
            do {
                _ = try await importer.run(text: bad, consortiumCode: "JLTCM", actor: .console("test"))
                Issue.record("a file with bad lines was imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.map(\.line) == [4, 5])
                #expect(rejected.errors[1].reason.contains("price_unit") && rejected.errors[1].reason.contains("effective_from"))
            }
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements") == before)
            // Unknown drugs are found against the database, still before anything stays.
            do {
                _ = try await importer.run(text: """
                    drug_code,unit_price,price_unit,bid_reference,effective_from
                    \(codes[0]),12.50,package,NEW-1,2026-12-01
                    NO-SUCH-DRUG,1.00,package,NEW-2,2026-12-01
                    """, consortiumCode: "JLTCM", actor: .console("test"))
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
            let first = try await importer.run(text: good, consortiumCode: "JLTCM", actor: .console("test"))
            #expect(first.imported == 2)
            let second = try await importer.run(text: good, consortiumCode: "JLTCM", actor: .console("test"))
            #expect(second.imported == 0 && second.unchanged == 2)
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements") == before + 2)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE action = 'import' AND actor = 'console:test'") == 2)
        }
    }
}

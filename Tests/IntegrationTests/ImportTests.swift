import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import RxUseCases
import Testing

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

/// Issue 19, points 5 and 6: imports streamed through a staging table, holding prices only while they apply, in
/// UTF-8 or GBK; and API writes that meet a held lock answer 503 within the lock timeout instead of waiting.
@Suite("File imports")
struct ImportTests {
    static let gbk = String.Encoding(
        rawValue: CFStringConvertEncodingToNSStringEncoding(
            CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))

    static let header = "drug_code,unit_price,price_unit,bid_reference,effective_from"

    /// An API price write that meets an import applying its file gets 503 with Retry-After naming the drug, once the
    /// lock timeout is over; once the import commits, the same write goes through.
    @Test("19.5: an API price write meeting an import's lock gets 503 with Retry-After, then succeeds after the import")
    func apiWriteDuringImport() async throws {
        try await TestApp.run(configure: { $0.lockTimeout = .seconds(1) }) { app in
            let (code, ceiling) = try await PricingTests.pricedDrug(app)
            let officer = try await app.token(.procurementOfficer)
            let price = Money(ceiling * Decimal(string: "0.9")!).rounded(2).description
            let other = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' AND code <> \(code) ORDER BY code LIMIT 1", as: String.self)[0]
            try await app.database.transaction { connection in
                // The import has applied its file and not yet committed: it holds the consortium's prices.
                let summary = try await PriceImportUseCases(database: app.database).load(
                    .data(Data("\(Self.header)\n\(other),9.50,package,LOCK-1,2027-01-01\n".utf8)), encoding: .utf8,
                    consortiumCode: "JLTCM", actor: .console("test"), on: connection)
                #expect(summary.imported == 1)
                let busy = try await PricingTests.negotiate(
                    app, officer, code, price, from: BusinessDate.today().adding(days: 10))
                busy.expectProblem(.serviceUnavailable)
                #expect(busy.headers[.retryAfter] != nil)
                #expect((busy.json["detail"] as? String ?? "").contains(code), "\(busy.text)")
            }
            let agreed = try await PricingTests.negotiate(app, officer, code, price, from: BusinessDate.today().adding(days: 10))
            #expect(agreed.status == .created, "\(agreed.text)")
        }
    }

    @Test("19.5: a row another transaction holds is 503 after the lock timeout, not an endless wait")
    func rowLockedElsewhere() async throws {
        try await TestApp.run(configure: { $0.lockTimeout = .seconds(1) }) { app in
            let (code, ceiling) = try await PricingTests.pricedDrug(app)
            let officer = try await app.token(.procurementOfficer)
            let agreed = try await PricingTests.negotiate(
                app, officer, code, Money(ceiling * Decimal(string: "0.9")!).rounded(2).description, from: BusinessDate.today())
            let id = try #require(agreed.json["id"] as? Int, "\(agreed.text)")
            try await app.database.transaction { connection in
                try await connection.sql("SELECT 1 FROM price_agreements WHERE id = \(id) FOR UPDATE")
                let busy = try await app.call(
                    .post, "\(PricingTests.base)/price-agreements/\(id)/report", token: officer,
                    json: #"{"platformReference": "JL-PT-19-5", "reportedOn": "\#(BusinessDate.today())"}"#)
                busy.expectProblem(.serviceUnavailable)
                #expect(busy.headers[.retryAfter] != nil)
                #expect(!(busy.json["detail"] as? String ?? "").contains("55P03"), "\(busy.text)")
            }
            let reported = try await app.call(
                .post, "\(PricingTests.base)/price-agreements/\(id)/report", token: officer,
                json: #"{"platformReference": "JL-PT-19-5", "reportedOn": "\#(BusinessDate.today())"}"#)
            #expect(reported.status == .ok, "\(reported.text)")
        }
    }

    /// What the periods of some drugs are: agreements and ceilings, in a form to compare.
    static func timeline(_ app: TestApp, _ codes: [String], on connection: PostgresConnection) async throws -> [String] {
        let agreements = try await connection.rows(
            """
            SELECT drug_code || ' ' || reference || ' ' || requested_from || ' ' || status || ' ' || coalesce(effective_from::text, '-')
                   || ' ' || coalesce(effective_to::text, '-') || ' ' || unit_price
            FROM price_agreements WHERE drug_code = ANY(\(codes)) ORDER BY drug_code, requested_from, reference
            """, as: String.self, logger: app.database.logger)
        let ceilings = try await connection.rows(
            """
            SELECT 'ceiling ' || drug_code || ' ' || bid_reference || ' ' || effective_from || ' ' || coalesce(effective_to::text, '-')
                   || ' ' || unit_price
            FROM provincial_bid_prices WHERE drug_code = ANY(\(codes)) ORDER BY drug_code, effective_from
            """, as: String.self, logger: app.database.logger)
        return agreements + ceilings
    }

    struct RolledBack: Error {}

    /// The timeline the set-based import writes is the one `PriceTimeline.plan` gives line by line: the same lines
    /// imported as one file, and one line per import in file order, leave the same periods.
    @Test("19.5: one file leaves the same periods as its lines imported one by one (PriceTimeline.plan)")
    func sameTimelineAsLineByLine() async throws {
        try await TestApp.run { app in
            let codes = try await app.database.rows(
                "SELECT drug_code FROM provincial_bid_prices ORDER BY drug_code LIMIT 2", as: String.self)
            let (a, b) = (codes[0], codes[1])
            let from = try await app.database.rows(
                "SELECT effective_from::text FROM provincial_bid_prices WHERE drug_code = \(a)", as: String.self)[0]
            // Later prices out of order, one before the seeded price, one replacing the seeded price on its own day.
            let lines = [
                "\(a),9.00,package,T-3,2027-06-01", "\(a),9.50,package,T-1,2026-12-01", "\(b),3.00,package,T-2,2026-10-01",
                "\(a),9.90,package,T-0,2025-06-01", "\(b),3.10,package,T-4,2026-11-15", "\(a),9.70,package,T-5,\(from)",
            ]
            var whole: [String] = []
            do {
                try await app.database.transaction { connection in
                    let summary = try await PriceImportUseCases(database: app.database).load(
                        .data(Data(([Self.header] + lines).joined(separator: "\n").utf8)), encoding: .utf8,
                        consortiumCode: "JLTCM", actor: .console("test"), on: connection)
                    #expect(summary.imported == lines.count)
                    whole = try await Self.timeline(app, codes, on: connection)
                    throw RolledBack()
                }
            } catch is RolledBack {}
            var oneByOne: [String] = []
            do {
                try await app.database.transaction { connection in
                    for line in lines {
                        _ = try await PriceImportUseCases(database: app.database).load(
                            .data(Data("\(Self.header)\n\(line)\n".utf8)), encoding: .utf8,
                            consortiumCode: "JLTCM", actor: .console("test"), on: connection)
                    }
                    oneByOne = try await Self.timeline(app, codes, on: connection)
                    throw RolledBack()
                }
            } catch is RolledBack {}
            #expect(!whole.isEmpty)
            #expect(whole == oneByOne, "\(whole)\n\(oneByOne)")
            #expect(whole.contains { $0.contains("T-5") && $0.contains("in_effect") })
            #expect(
                whole.contains { $0.hasPrefix("\(a) ") && $0.contains("superseded") },
                "the seeded price of \(a) is replaced on its day")
        }
    }

    @Test("19.6: a GBK price list imports, found or named; read as UTF-8 the message names the option")
    func gbkPrices() async throws {
        try await TestApp.run { app in
            let code = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1", as: String.self)[0]
            let text = "\(Self.header)\n\(code),8.80,package,吉林省药品集中采购第三批,2027-02-01\n"
            let data = try #require(text.data(using: Self.gbk))
            let importer = PriceImportUseCases(database: app.database)
            do {
                _ = try await importer.run(input: .data(data), consortiumCode: "JLTCM", actor: .console("test")).get()
                Issue.record("a GBK file was read as UTF-8")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.map(\.line) == [2])
                #expect(rejected.description.contains("--encoding gbk"), "\(rejected)")
            }
            let summary = try await importer.run(
                input: .data(data), encoding: .gbk, consortiumCode: "JLTCM", actor: .console("test")
            ).get()
            #expect(summary.imported == 1)
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements WHERE reference = '吉林省药品集中采购第三批'") == 1)

            // The command: GBK found without the option; told UTF-8, the message names the option (exit 2, nothing
            // imported).
            let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
            let cli = Command(binary: binary, databaseURL: app.databaseURL)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("prices-gbk-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: file) }
            try #require("\(Self.header)\n\(code),8.90,package,吉林省药品集中采购第四批,2027-03-01\n".data(using: Self.gbk)).write(to: file)
            let refused = try cli.run(["import", "prices", file.path, "--consortium", "JLTCM", "--encoding", "utf-8"])
            #expect(refused.status == 2 && refused.err.contains("--encoding gbk"), "\(refused.err)")
            let done = try cli.run(["import", "prices", file.path, "--consortium", "JLTCM"])
            #expect(done.status == 0 && done.out.contains("1 imported"), "\(done.err)")
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements WHERE reference = '吉林省药品集中采购第四批'") == 1)
        }
    }

    @Test("19.6: a GBK usage file imports with the encoding; without it the message names the option")
    func gbkUsage() async throws {
        try await TestApp.run { app in
            let piece = HerbProcurementTests.astragalus
            let text = "institution_code,drug_code,drug_name,year,quantity_kg\nSL-PA-HQ-VC,\(piece),黄芪,2025,12.5\n"
            let data = try #require(text.data(using: Self.gbk))
            let importer = HerbUsageImportUseCases(database: app.database)
            do {
                _ = try await importer.run(input: .data(data), consortiumCode: "JLTCM", year: nil, actor: .console("test"))
                Issue.record("a GBK file was read as UTF-8")
            } catch let rejected as HerbUsageImport.Rejected {
                #expect(rejected.errors.map(\.line) == [2])
                #expect(rejected.description.contains("--encoding gbk"), "\(rejected)")
            }
            let summary = try await importer.run(
                input: .data(data), encoding: .gbk, consortiumCode: "JLTCM", year: nil, actor: .console("test"))
            #expect(summary.lines == 1 && summary.imported + summary.updated == 1)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM herb_usage h JOIN institutions i ON i.id = h.institution_id
                    WHERE i.code = 'SL-PA-HQ-VC' AND h.drug_code = \(piece) AND h.year = 2025 AND h.quantity_kg = 12.5
                    """) == 1)
        }
    }

    @Test("19.5: bad lines beyond the first thousand are counted, and an empty file is named empty")
    func manyBadLines() async throws {
        try await TestApp.run { app in
            let lines = (0..<1_200).map { "NO-SUCH-\($0),1.00,package,X-\($0),2027-01-01" }
            do {
                _ = try await PriceImportUseCases(database: app.database).run(
                    text: ([Self.header] + lines).joined(separator: "\n"), consortiumCode: "JLTCM", actor: .console("test")
                ).get()
                Issue.record("unknown drugs were imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.count == ProvincialPriceImport.maxListedErrors)
                #expect(rejected.unlisted == 200)
                #expect(rejected.description.contains("… and 200 more bad lines"))
            }
            do {
                _ = try await PriceImportUseCases(database: app.database).run(
                    text: "", consortiumCode: "JLTCM", actor: .console("test")
                ).get()
                Issue.record("an empty file was imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.first?.reason == "the price list is empty")
            }
        }
    }
}

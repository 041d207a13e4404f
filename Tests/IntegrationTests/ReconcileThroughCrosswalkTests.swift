import Foundation
import HTTPTypes
import PostgresNIO
import RxCLI
import RxDomain
import RxStore
import RxUseCases
import Testing

/// `reconcile invoices` reading a file's drug column through the crosswalk (issue 24): mixed code types, two package
/// sizes of one drug, unmapped codes and a rerun once they are mapped.
@Suite("Invoice reconciliation through the crosswalk")
struct ReconcileThroughCrosswalkTests {
    typealias R = ReconciliationTests

    /// Loads crosswalk lines into JLTCM through the use case the command uses.
    static func load(_ app: TestApp, _ lines: [String]) async throws {
        let text =
            "code_type,code,specification,drug_code,package_factor,valid_from,valid_to,source\n"
            + lines.joined(separator: "\n") + "\n"
        let outcome = try await CrosswalkUseCases(database: app.database).load(
            .data(Data(text.utf8)), encoding: .utf8, consortiumCode: "JLTCM", defaultSource: "test",
            actor: .console("test"))
        #expect(outcome == .loaded(count: lines.count), "\(outcome)")
    }

    static func packageSize(_ app: TestApp, _ code: String) async throws -> Int {
        try await app.count("SELECT package_size FROM drugs WHERE code = \(code)")
    }

    /// A line of the file naming its drug by `code`.
    static func line(_ invoice: String, _ code: String, lot: String, quantity: Decimal, price: Money) -> String {
        let amount = ReconciliationRules.expectedAmount(quantity: quantity, unitPrice: price)
        return
            "DST-SINOPHARM-JL,\(invoice),\(BusinessDate.today()),M-9,MFR-001,YJ-TCMH,\(code),\(lot),\(quantity),\(price),\(amount.formatted(places: 2))\n"
    }

    /// The 23-character insurance code of the same product in another package (the package digits changed).
    static func otherPackage(_ code: String) throws -> String {
        try #require(code.count == 23 && code.hasPrefix("X"), "a 23-character insurance code: \(code)")
        let chars = Array(code)
        return String(chars[0..<16]) + "99" + String(chars[18...])
    }

    /// A valid 药品本位码 (the check digit computed).
    static func standardCode(_ body: String) -> String {
        body + String(DrugCode.standardCheckDigit(body))
    }

    @Test(
        "mixed code types and two package sizes reconcile in the order lines' unit; an unknown code is unmapped_code, listed, and matches on the rerun once mapped"
    )
    func mixedCodes() async throws {
        try await TestApp.run { app in
            let d = try await R.received(app, count: 4)
            // The unified prices of these drugs count packages; the crosswalk's factors count the drug's unit.
            #expect(
                try await app.count(
                    """
                    SELECT count(DISTINCT drug_code)::int FROM price_agreements
                    WHERE status = 'in_effect' AND price_unit = 'package' AND drug_code = ANY(\(d.map(\.code))::text[])
                    """) == 4)
            let sizes = try await [
                Self.packageSize(app, d[0].code), Self.packageSize(app, d[1].code), Self.packageSize(app, d[2].code),
                Self.packageSize(app, d[3].code),
            ]
            let doublePack = try Self.otherPackage(d[1].code)
            let standard = Self.standardCode("8690000246801")
            let shared = Self.standardCode("8690000135791")
            try #require(standard.count == 14 && shared.count == 14)
            try await Self.load(
                app,
                [
                    "in_house,HIS-T0,,\(d[0].code),\(sizes[0]),2026-01-01,,",
                    // one product in two packages: its own code (read as itself), a package of twice as many, and
                    // the 本位码 both packages share, counting the drug's unit
                    "insurance,\(doublePack),,\(d[1].code),\(2 * sizes[1]),2026-01-01,,",
                    "standard,\(shared),,\(d[1].code),1,2026-01-01,,",
                    "standard,\(standard),,\(d[2].code),\(sizes[2]),2026-01-01,,",
                ])
            let perTablet = Money(d[1].price.amount / Decimal(sizes[1])).rounded(4)
            // Converted back into packages, a price per tablet rounded to four places may miss the unified price.
            let tabletLine: [ReconciliationClassification]? =
                perTablet * Decimal(sizes[1]) == d[1].price ? nil : [.priceDiffers]
            let file =
                R.header
                + Self.line("INV-1", "HIS-T0", lot: "L0", quantity: 10, price: d[0].price)  // 2 matched
                + Self.line("INV-2", d[1].code, lot: "L1", quantity: 2, price: d[1].price)  // 3 2 of 10 packages
                + Self.line("INV-2", doublePack, lot: "L1", quantity: 3, price: d[1].price * 2)  // 4 6 of the 8 left
                + Self.line("INV-3", standard, lot: "L2", quantity: 10, price: d[2].price)  // 5 matched
                + Self.line("INV-4", "JL-YP-T3", lot: "L3", quantity: 10, price: d[3].price)  // 6 unmapped
                // 7 the last 2 packages, in tablets under the shared 本位码, at the price per tablet to four places
                + Self.line("INV-5", shared, lot: "L1", quantity: Decimal(2 * sizes[1]), price: perTablet)

            let first = try await R.reconcile(app, file)
            #expect(first.status == 1, "\(first.errors)")
            let report = try #require(first.report)
            let byLine = Dictionary(grouping: report.discrepancies, by: \.lineNumber).mapValues { $0.map(\.classification) }
            #expect(byLine[2] == nil && byLine[5] == nil, "\(report.discrepancies)")
            // 8 packages not billed by line 3, 2 by line 4 (6 packages at the price of 3 double packs), none by
            // line 7: the three codes of one product count one lot once
            #expect(byLine[3] == [.quantityDiffers] && byLine[4] == [.quantityDiffers])
            #expect(report.discrepancies.first { $0.lineNumber == 3 }?.moneyAtStake == (d[1].price * -8).rounded(2))
            #expect(report.discrepancies.first { $0.lineNumber == 4 }?.moneyAtStake == (d[1].price * -2).rounded(2))
            #expect(byLine[7] == tabletLine, "\(report.discrepancies.filter { $0.lineNumber == 7 })")
            #expect(byLine[6] == [.unmappedCode])
            let unmapped = try #require(report.discrepancies.first { $0.lineNumber == 6 })
            #expect(unmapped.detail["drugCode"] == "JL-YP-T3")
            #expect(unmapped.detail["reason"]?.contains("platform or in_house") == true, "\(unmapped.detail)")
            #expect(unmapped.moneyAtStake == (d[3].price * 10).rounded(2))
            #expect(report.summary.count(.unmappedCode) == 1)
            #expect(report.summary.count(.matched) == (tabletLine == nil ? 3 : 2))

            // The listing of the run's unmapped codes.
            let listed = try #require(try await CrosswalkUseCases(database: app.database).unmapped(runID: report.runID))
            #expect(listed.consortiumCode == "JLTCM")
            #expect(listed.codes.map(\.code) == ["JL-YP-T3"] && listed.codes.first?.firstLines == [6])
            #expect(listed.codes.first?.amount == (d[3].price * 10).rounded(2))
            #expect(try await CrosswalkUseCases(database: app.database).unmapped(runID: report.runID + 1000) == nil)

            // The same file through the same crosswalk is the same run.
            let again = try await R.reconcile(app, file)
            #expect(again.report?.alreadyReconciled == true && again.report?.runID == report.runID)

            // Mapped now: the rerun is a new run, and the line matches.
            try await Self.load(app, ["platform,JL-YP-T3,,\(d[3].code),\(sizes[3]),2026-01-01,,"])
            let rerun = try await R.reconcile(app, file)
            let second = try #require(rerun.report)
            #expect(!second.alreadyReconciled && second.runID != report.runID)
            #expect(
                second.discrepancies.map(\.lineNumber) == [3, 4] + (tabletLine == nil ? [] : [7]), "\(second.discrepancies)")
            #expect(try await CrosswalkUseCases(database: app.database).unmapped(runID: second.runID)?.codes == [])
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 2)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM reconciliation_runs WHERE code_type = 'auto' AND crosswalk_key <> ''") == 2)
        }
    }

    @Test("a translated line's discrepancies name the file's code and the factor; --code-type refuses a code of another shape")
    func detailAndCodeType() async throws {
        try await TestApp.run { app in
            let d = try await R.received(app, count: 1)
            let size = try await Self.packageSize(app, d[0].code)
            try await Self.load(app, ["in_house,HIS-X,,\(d[0].code),\(size),2026-01-01,,"])
            // a price a fen above the unified one, per package
            let file = R.header + Self.line("INV-1", "HIS-X", lot: "L0", quantity: 10, price: d[0].price + Money("0.01")!)
            let run = try #require(try await R.reconcile(app, file).report)
            let found = try #require(run.discrepancies.first)
            #expect(found.classification == .priceDiffers && found.detail["fileDrugCode"] == "HIS-X", "\(found)")
            #expect(found.detail["drugCode"] == d[0].code && found.detail["packageFactor"] == "\(size)")
            #expect(found.moneyAtStake == Money("0.10")!)

            // Read as 本位码, the drug's own code is no code at all: unmapped, saying why; the file is not refused.
            let asStandard = try await ReconcileInvoices(database: app.database).run(
                data: Data((R.header + R.line("INV-2", R.Drug(code: d[0].code, price: d[0].price), lot: "L0")).utf8),
                fileName: "standard.csv", consortiumCode: "JLTCM", codeType: .only(.standard), asOf: BusinessDate.today(),
                createdBy: "tester")
            let line = try #require(asStandard.report?.discrepancies.first)
            #expect(line.classification == .unmappedCode && line.detail["reason"]?.contains("14 digits") == true, "\(line)")
            #expect(
                try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE code_type = 'standard'") == 1)
            // The API says how each run read the file.
            let admin = try await app.token(.consortiumAdmin)
            let runs = try await app.call(.get, "\(R.base)/reconciliations", token: admin)
            let codeTypes = ((runs.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["codeType"] as? String }
            #expect(codeTypes == ["standard", "auto"], "\(runs.text)")
        }
    }

    @Test(
        "the commands: --code-type; crosswalk unmapped --run exiting 1 with the codes, 2 for no such run; crosswalk end of a national mapping"
    )
    func commands() async throws {
        try await TestApp.run { app in
            let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
            let cli = Command(binary: binary, databaseURL: app.databaseURL)
            let d = try await R.received(app, count: 1)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("invoices-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: file) }
            try (R.header + Self.line("INV-1", "JL-YP-T0", lot: "L0", quantity: 10, price: d[0].price)).write(
                to: file, atomically: true, encoding: .utf8)

            let badType = try cli.run(["reconcile", "invoices", file.path, "--consortium", "JLTCM", "--code-type", "drug"])
            #expect(badType.status == 2 && badType.err.contains("--code-type must be one of auto, insurance"), "\(badType.err)")
            let run = try cli.run(["reconcile", "invoices", file.path, "--consortium", "JLTCM", "--code-type", "platform"])
            #expect(run.status == 1 && run.out.contains("unmapped_code"), "\(run.out)\(run.err)")
            let id = try await app.count("SELECT max(id)::int FROM reconciliation_runs WHERE code_type = 'platform'")

            let listed = try cli.run(["crosswalk", "unmapped", "--run", "\(id)"])
            #expect(listed.status == 1 && listed.out.contains("JL-YP-T0  1 lines (2)"), "\(listed.out)\(listed.err)")
            let csv = try cli.run(["crosswalk", "unmapped", "--run", "\(id)", "--format", "csv"])
            #expect(csv.out.hasPrefix("code,reason,lines,first_lines,amount"), "\(csv.out)")
            let none = try cli.run(["crosswalk", "unmapped", "--run", "\(id + 1000)"])
            #expect(none.status == 2 && none.err.contains("no invoice reconciliation run"), "\(none.err)")

            // A national mapping is ended at the console, with its audit row.
            let national = try await CrosswalkUseCases(database: app.database).load(
                .data(
                    Data("code_type,code,drug_code,package_factor,valid_from\nplatform,NAT-1,\(d[0].code),1,2026-01-01\n".utf8)),
                encoding: .utf8, consortiumCode: nil, defaultSource: "test", actor: .console("test"))
            #expect(national == .loaded(count: 1))
            let mapping = try await app.count("SELECT id::int FROM drug_code_crosswalk WHERE code = 'NAT-1'")
            let ended = try cli.run(["crosswalk", "end", "\(mapping)", "--last-day", "2026-06-30"])
            #expect(ended.status == 0 && ended.out.contains("now ends on 2026-06-30"), "\(ended.out)\(ended.err)")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM drug_code_crosswalk WHERE id = \(mapping) AND valid_to = '2026-07-01'") == 1)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM audit_log
                    WHERE entity_type = 'drug_code_crosswalk' AND entity_key = \(String(mapping)) AND action = 'end'
                    """) == 1)
            let reopen = try cli.run(["crosswalk", "end", "\(mapping)", "--last-day", "2026-12-31"])
            #expect(reopen.status == 2 && reopen.err.contains("would reopen it"), "\(reopen.err)")
            let unknown = try cli.run(["crosswalk", "end", "\(mapping + 1000)", "--last-day", "2026-12-31"])
            #expect(unknown.status == 1)
        }
    }
}

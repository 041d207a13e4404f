import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxAPI
import RxCLI
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Issue 27, "Excel round trips": files a person opened and saved in Excel on Chinese Windows import as the files they
/// were, and what Excel broke is refused naming the line.
@Suite("Excel round trips")
struct ExcelRoundTripTests {
    typealias R = ReconciliationTests

    /// A file as Excel saves it: CRLF line ends, dates as `2026/12/1`, and rows of empty cells at the end.
    static func excel(_ text: String) -> String {
        let today = BusinessDate.today()
        return text.replacingOccurrences(of: "\(today)", with: "\(today.year)/\(today.month)/\(today.day)")
            .replacingOccurrences(of: "\n", with: "\r\n") + ",,,,,,,,,,\r\n,,,,,,,,,,\r\n"
    }

    @Test("27: an invoice file saved by Excel, in UTF-8 with a BOM or in GBK, reconciles as the clean file does")
    func invoiceFileFromExcel() async throws {
        try await TestApp.run { app in
            let d = try await R.received(app, count: 2)
            let text = Self.excel(R.header + R.line("INV-X1", d[0], lot: "L0") + R.line("INV-X2", d[1], lot: "L1"))
            #expect(text.contains("/") && text.hasSuffix(",,,,,,,,,,\r\n"))
            let bom = Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)
            #expect(try FileEncoding.detect(.data(bom)) == .utf8)
            let utf8 = try await R.reconcile(app, "", data: bom, encoding: .utf8)
            #expect(utf8.status == 0, "\(utf8.errors.prefix(300))")
            #expect(utf8.report?.summary.lines == 2)
            #expect(utf8.report?.summary.count(.matched) == 2)

            let gbk = try #require(text.replacingOccurrences(of: "INV-X", with: "发票-").data(using: ImportTests.gbk))
            #expect(try FileEncoding.detect(.data(gbk)) == .gbk)
            let fromGBK = try await R.reconcile(app, "", data: gbk, encoding: try FileEncoding.detect(.data(gbk)))
            #expect(fromGBK.status == 0, "\(fromGBK.errors.prefix(300))")
            #expect(fromGBK.report?.summary.count(.matched) == 2)
        }
    }

    @Test("27: invoice numbers Excel turned into scientific notation or stripped of leading zeros are refused by line")
    func brokenInvoiceNumbers() async throws {
        try await TestApp.run { app in
            let d = try await R.received(app, count: 1)
            let text =
                R.header + R.line("2.5222E+13", d[0], lot: "L0") + R.line("1234567", d[0], lot: "L0")
                + R.line("01234567", d[0], lot: "L0", manufacturerInvoice: "123")
            let out = try await R.reconcile(app, text)
            #expect(out.status == 2)
            #expect(
                out.errors.contains(
                    "line 2: invoice_number '2.5222E+13' is a number in scientific notation: the spreadsheet changed the code"),
                "\(out.errors)")
            #expect(out.errors.contains("line 3: invoice_number '1234567' has 7 digits where an invoice number has 8 or 20"))
            #expect(out.errors.contains("line 4: manufacturer_invoice_number '123' has 3 digits"), "\(out.errors)")
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 0)
        }
    }

    @Test("27: a price list saved by Excel: a BOM, 2027/3/1, \"1,280.00\" and empty rows; a code in E+ notation is named")
    func priceListFromExcel() async throws {
        try await TestApp.run { app in
            let code = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1", as: String.self)[0]
            let importer = PriceImportUseCases(database: app.database)
            let broken = "\(ImportTests.header)\r\n2.5222E+13,8.80,package,EXCEL-1,2027/3/1\r\n"
            do {
                _ = try await importer.run(input: .data(Data(broken.utf8)), consortiumCode: "JLTCM", actor: .console("test"))
                    .get()
                Issue.record("a code in scientific notation was imported")
            } catch let rejected as ProvincialPriceImport.Rejected {
                #expect(rejected.errors.map(\.line) == [2])
                #expect(rejected.description.contains("scientific notation"), "\(rejected)")
            }
            let text = "\u{FEFF}\(ImportTests.header)\r\n\(code),\"1,280.00\",package,EXCEL-2,2027/3/1\r\n,,,,\r\n,,,,\r\n"
            let summary = try await importer.run(input: .data(Data(text.utf8)), consortiumCode: "JLTCM", actor: .console("test"))
                .get()
            #expect(summary.lines == 1 && summary.imported == 1)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM provincial_bid_prices
                    WHERE drug_code = \(code) AND unit_price = 1280 AND effective_from = '2027-03-01'
                    """) == 1)
        }
    }
}

/// The imports' templates: the columns each import reads, under Chinese headers, and an example row that imports.
@Suite("Import templates")
struct ImportTemplateTests {
    @Test("27: each template holds every column its import reads, and its Chinese headers read back as those columns")
    func columns() {
        let reads: [ImportTemplate: [String]] = [
            .prices: ProvincialPriceImport.columns, .herbUsage: HerbUsageImport.columns + ["year"],
            .stock: StockOpeningRules.requiredColumns + StockOpeningRules.optionalColumns,
            .crosswalk: CrosswalkUseCases.requiredColumns + ["specification", "valid_to", "source"],
            .invoices: InvoiceFile.columns, .shortageLists: ShortageListImportUseCases.columns,
        ]
        for template in ImportTemplate.allCases {
            let names = template.columns.map(\.name)
            #expect(Set(names) == Set(reads[template] ?? []), "\(template)")
            #expect(template.columns.map { ImportTemplate.columnName($0.chinese) } == names, "\(template)")
            #expect(template.csv.hasPrefix("\u{FEFF}") && template.csv.split(separator: "\r\n").count == 2)
        }
        // A header two imports share means one column.
        let all = ImportTemplate.allCases.flatMap(\.columns)
        for column in all { #expect(all.filter { $0.chinese == column.chinese }.allSatisfy { $0.name == column.name }) }
    }

    @Test("27: the templates, filled in as they come, import: prices, herb usage, a crosswalk, invoices, shortage lists")
    func templatesImport() async throws {
        try await TestApp.run { app in
            let prices = try await PriceImportUseCases(database: app.database).run(
                input: .data(Data(ImportTemplate.prices.csv.utf8)), consortiumCode: "JLTCM", actor: .console("test")
            ).get()
            #expect(prices.imported == 1)
            let usage = try await HerbUsageImportUseCases(database: app.database).run(
                input: .data(Data(ImportTemplate.herbUsage.csv.utf8)), consortiumCode: "JLTCM", year: nil,
                actor: .console("test"))
            #expect(usage.lines == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM herb_usage WHERE drug_code = 'T001700001' AND year = 2025 AND quantity_kg = 1200")
                    == 1)
            let crosswalk = try await CrosswalkUseCases(database: app.database).load(
                .data(Data(ImportTemplate.crosswalk.csv.utf8)), encoding: .utf8, consortiumCode: "JLTCM",
                defaultSource: "template", actor: .console("test"))
            guard case .loaded(let count) = crosswalk else {
                Issue.record("the crosswalk template was refused: \(crosswalk)")
                return
            }
            #expect(count == 1)
            #expect(try await app.count("SELECT count(*)::int FROM drug_code_crosswalk WHERE code = '000123'") == 1)
            let invoices = try InvoiceFile.parse(Data(ImportTemplate.invoices.csv.utf8), encoding: .utf8)
            #expect(invoices.map(\.invoiceNumber) == ["01234567"])
            #expect(invoices.first?.invoiceDate == BusinessDate("2026-12-01"))
            let shortages = try ShortageListImportUseCases.parse(ImportTemplate.shortageLists.csv, file: "t.csv")
            #expect(shortages.count == 1)
        }
    }

    @Test("27: the home page links every template; a template downloads for Excel; the command writes the same bytes")
    func downloads() async throws {
        try await TestApp.run { app in
            var (jar, _) = try await ConsoleCatalogueTests.session(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let home = try await ConsoleTests.get(app, "/console/", jar: &jar)
            for template in ImportTemplate.allCases {
                #expect(
                    home.text.contains(#"<a href="/console/templates/\#(template.rawValue)" download>\#(template.title)</a>"#))
            }
            let prices = try await ConsoleTests.get(app, "/console/templates/prices", jar: &jar)
            #expect(prices.status == .ok && prices.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(prices.headers[.contentDisposition]?.contains(#"filename="template-prices.csv""#) == true)
            #expect(prices.text == ImportTemplate.prices.csv)
            #expect(prices.text.hasPrefix("\u{FEFF}药品编码,中标价,计价单位,中标批次,执行日期\r\n"))
            #expect(try await ConsoleTests.get(app, "/console/templates/nope", jar: &jar).status == .notFound)

            let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
            let cli = Command(binary: binary, databaseURL: app.databaseURL)
            let written = try cli.run(["import", "template", "invoices"])
            #expect(written.status == 0 && written.out == ImportTemplate.invoices.csv)
            #expect(try cli.run(["import", "template", "nope"]).status == 2)
        }
    }
}

/// The shortage report's download speaks Chinese for every value an enum may take.
@Suite("Shortage report for Excel")
struct ShortageReportExcelTests {
    @Test("27: every list, level, cause and action kind has its word, in both languages; every column its header")
    func words() {
        let raw =
            ShortageListKind.allCases.map(\.rawValue) + ShortageLevel.allCases.map(\.rawValue)
            + ShortageCause.allCases.map(\.rawValue) + ShortageActionKind.allCases.map(\.rawValue)
        for language in ConsoleLanguage.allCases {
            for value in raw { #expect(language.word("shortage_word_" + value) != "shortage_word_" + value, "\(value)") }
            for column in ShortageEscalationReport.csvHeader {
                #expect(language.word("csv_shortage_" + column) != "csv_shortage_" + column, "\(column)")
            }
        }
    }
}

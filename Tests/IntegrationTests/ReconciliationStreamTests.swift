import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxCLI
import RxDomain
import RxStore
import RxUseCases
import Testing

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

/// `reconcile invoices` on files larger than one chunk (1 MiB) and one matching batch (10,000 lines), streamed.
@Suite("Invoice reconciliation, streamed")
struct ReconciliationStreamTests {
    typealias R = ReconciliationTests
    static let base = ReconciliationTests.base

    /// One order of YJ-TCMH for the drug (10 units), consolidated and received as `lot`, which may hold any character.
    static func received(_ app: TestApp, drug: R.Drug, lot: String) async throws {
        let admin = try await app.token(.consortiumAdmin)
        let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
        let id = try await ProcurementTests.consolidatedOrder(app, member: member, admin: admin, drug: drug.code, quantity: "10")
        let r = try await app.call(
            .post, "\(base)/orders/\(id)/deliveries", token: member,
            json: """
                {"lineNo": 1, "lotNumber": \(JSONText.string(lot)), "expiryDate": "\(BusinessDate.today().adding(months: 24))", "quantity": "10"}
                """)
        #expect(r.status == .created, "\(r.text)")
    }

    /// One order of YJ-TCMH for the drug, consolidated, and received as `count` lots of 10 units, `prefix`0 …
    /// (written straight into the tables: thousands of deliveries through the API would take the test's time).
    static func receivedLots(_ app: TestApp, drug: R.Drug, prefix: String, count: Int) async throws {
        let admin = try await app.token(.consortiumAdmin)
        let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
        let id = try await ProcurementTests.consolidatedOrder(
            app, member: member, admin: admin, drug: drug.code, quantity: "\(10 * count)")
        let expiry = BusinessDate.today().adding(months: 24).description
        try await app.database.transaction { c in
            try await c.sql(
                """
                INSERT INTO deliveries (consortium_id, order_id, line_no, lot_number, expiry_date, quantity, received_on)
                SELECT consortium_id, order_id, line_no, \(prefix) || g, \(expiry)::date, 10, current_date
                FROM purchase_order_lines, generate_series(0, \(count - 1)) AS g
                WHERE order_id = \(id) AND line_no = 1
                """)
            try await c.sql("UPDATE purchase_order_lines SET received_quantity = quantity WHERE order_id = \(id)")
            try await c.sql("UPDATE purchase_orders SET status = 'received' WHERE id = \(id)")
            try await c.sql("ANALYZE deliveries")
        }
    }

    /// `count` lines, each its own invoice for drug 0 and its own lot (`lot`0, `lot`1, …, received by
    /// `receivedLots`): matched, except every 7th (price differs by 1) and every 11th (a lot never received). Lines
    /// are numbered from 2.
    static func bigFile(_ d: [R.Drug], count: Int, lot: String = "L", invoice: String = "INV-") -> String {
        var text = R.header
        text.reserveCapacity(count * 110)
        for i in 0..<count {
            if i % 11 == 10 {
                text += R.line("\(invoice)\(i)", d[0], lot: "NOPE")
            } else if i % 7 == 6 {
                text += R.line("\(invoice)\(i)", d[0], lot: "\(lot)\(i)", price: d[0].price + Money(1))
            } else {
                text += R.line("\(invoice)\(i)", d[0], lot: "\(lot)\(i)")
            }
        }
        return text
    }

    static func expectedCounts(_ count: Int) -> (noMatch: Int, price: Int) {
        let noMatch = (0..<count).filter { $0 % 11 == 10 }.count
        let price = (0..<count).filter { $0 % 11 != 10 && $0 % 7 == 6 }.count
        return (noMatch, price)
    }

    /// Appends a line to the file the first time the first pass reports progress: the file the second pass reads is
    /// not the one checksummed.
    final class ChangesTheFile: ReconciliationProgressReporter {
        let path: String
        let line: String
        var changed = false
        init(path: String, line: String) {
            self.path = path
            self.line = line
        }
        func report(_ progress: ReconciliationProgress) {
            guard !changed, progress.phase == .reading, let handle = FileHandle(forWritingAtPath: path) else { return }
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            handle.closeFile()
            changed = true
        }
    }

    @Test("a file changed while it is reconciled is refused whole: no run, no report file, an earlier report kept")
    func fileChangedBetweenPasses() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crx-stream-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let input = dir.appendingPathComponent("changing.csv")
            // Every line a discrepancy: the first batch (10,000) is written to the report before the file's end.
            var text = R.header
            for i in 0...ReconcileInvoices.batchSize { text += R.line("INV-\(i)", d[0], lot: "NOPE") }
            try Data(text.utf8).write(to: input)
            let reportPath = dir.appendingPathComponent("report.csv").path
            try Data("an earlier report\n".utf8).write(to: URL(fileURLWithPath: reportPath))
            let changes = ChangesTheFile(path: input.path, line: R.line("INV-LATE", d[0], lot: "NOPE"))

            await #expect {
                _ = try await ReconcileInvoices(database: app.database).run(
                    input: .file(path: input.path), fileName: "changing.csv", consortiumCode: "JLTCM", format: .csv,
                    asOf: BusinessDate.today(), createdBy: "tester", output: FileReconciliationOutput(path: reportPath),
                    progress: changes)
            } throws: { error in
                guard case DomainError.conflict(let message) = error else { return false }
                return message.contains("changing.csv changed while it was reconciled")
            }
            #expect(changes.changed)
            #expect(try String(contentsOfFile: reportPath, encoding: .utf8) == "an earlier report\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["changing.csv", "report.csv"])
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies") == 0)
        }
    }

    @Test("25,000 lines: three chunks, three batches; counts, money, stored and reported discrepancies agree")
    func manyBatches() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            let count = 25_000
            try await Self.receivedLots(app, drug: d[0], prefix: "L", count: count)
            let text = Self.bigFile(d, count: count)
            #expect(text.utf8.count > 2 << 20)
            let (noMatch, price) = Self.expectedCounts(count)

            // Through a real file and a file output, as the command does.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crx-stream-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let input = dir.appendingPathComponent("big.csv")
            try Data(text.utf8).write(to: input)
            let reportPath = dir.appendingPathComponent("report.json").path
            let output = FileReconciliationOutput(path: reportPath)
            let out = try await ReconcileInvoices(database: app.database).run(
                input: .file(path: input.path), fileName: "big.csv", consortiumCode: "JLTCM", format: .json,
                asOf: BusinessDate.today(), createdBy: "tester", output: output)
            #expect(out.status == 1, "\(out.errors)")
            let summary = try #require(out.report?.summary)
            #expect(summary.lines == count)
            #expect(summary.count(.noMatchingOrderOrReceipt) == noMatch)
            #expect(summary.count(.priceDiffers) == price)
            #expect(summary.count(.matched) == count - noMatch - price)
            let expectedMoney = (d[0].price * 10).rounded(2).amount * Decimal(noMatch) + Decimal(10 * price)
            #expect(summary.moneyAtStake == Money(expectedMoney))
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies") == noMatch + price)
            #expect(
                try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE (counts->>'lines')::int = \(count)") == 1
            )

            // The streamed JSON: the same keys, every discrepancy in line order, the summary after the list.
            let data = try Data(contentsOf: URL(fileURLWithPath: reportPath))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(Set(json.keys) == ["runId", "file", "alreadyReconciled", "lines", "counts", "moneyAtStake", "discrepancies"])
            let list = try #require(json["discrepancies"] as? [[String: Any]])
            #expect(list.count == noMatch + price)
            let numbers = list.compactMap { $0["lineNumber"] as? Int }
            #expect(numbers == numbers.sorted())
            #expect(json["moneyAtStake"] as? String == summary.moneyAtStake.formatted(places: 2))
            #expect((json["counts"] as? [String: Any])?["matched"] as? Int == summary.count(.matched))

            // In memory, the same file is already reconciled; the earlier run's discrepancies come back in batches.
            let again = try await R.reconcile(app, text, format: .csv)
            #expect(again.report?.alreadyReconciled == true)
            #expect(again.report?.summary == summary)
            #expect(again.report?.discrepancies.count == noMatch + price)
            #expect(again.output.split(separator: "\n").count == 1 + noMatch + price)
            #expect(ReconciliationSummary(lines: count, discrepancies: again.report?.discrepancies ?? []) == summary)
        }
    }

    @Test("a bad line near the end of a big file: exit 2 naming it, nothing kept; many bad lines are capped")
    func lateBadLine() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            try await Self.receivedLots(app, drug: d[0], prefix: "L", count: 24_000)
            var lines = Self.bigFile(d, count: 24_000).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // Line 23,990 (index 23,989) gets a date that does not exist.
            lines[23_989] = lines[23_989].replacingOccurrences(of: "\(BusinessDate.today())", with: "2026-02-30")
            let out = try await R.reconcile(app, lines.joined(separator: "\n"))
            #expect(out.status == 2)
            #expect(out.output.isEmpty)
            #expect(
                out.errors.contains("line 23990: invoice_date '2026-02-30' is not a date YYYY-MM-DD"), "\(out.errors.prefix(300))"
            )
            #expect(out.errors.split(separator: "\n").count == 2)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies") == 0)

            // 1,500 bad lines: the first 1,000 listed, the rest counted.
            var many = Self.bigFile(d, count: 3_000).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for i in stride(from: 1, through: 3_000, by: 2) { many[i] = many[i].replacingOccurrences(of: ",10,", with: ",-1,") }
            let capped = try await R.reconcile(app, many.joined(separator: "\n"))
            #expect(capped.status == 2)
            #expect(capped.errors.contains("line 2: quantity '-1' is not a positive number"), "\(capped.errors.prefix(300))")
            #expect(capped.errors.contains("… and 500 more bad lines"))
            #expect(capped.errors.split(separator: "\n").count == 1 + 1000 + 1)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 0)

            // Now the file is fixed: it reconciles.
            lines[23_989] = lines[23_988].replacingOccurrences(of: "INV-23987,", with: "INV-FIXED,")
            let fixed = try await R.reconcile(app, lines.joined(separator: "\n"))
            #expect(fixed.status == 1, "\(fixed.errors.prefix(300))")
            #expect(fixed.report?.summary.lines == 24_000)
        }
    }

    @Test("a GBK file larger than a chunk, with Chinese in the lots, matches line for line")
    func bigGBK() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            let count = 14_000
            try await Self.receivedLots(app, drug: d[0], prefix: "批号甲乙丙丁", count: count)
            var text = R.header
            for i in 0..<count { text += R.line("发票-\(i)", d[0], lot: "批号甲乙丙丁\(i)") }
            let gbk = String.Encoding(
                rawValue: CFStringConvertEncodingToNSStringEncoding(
                    CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))
            let data = try #require(text.data(using: gbk))
            #expect(data.count > 1 << 20)
            // Read as UTF-8, the bytes are refused line by line.
            let clock = ContinuousClock()
            let wrongStart = clock.now
            let wrong = try await ReconcileInvoices(database: app.database).run(
                data: data, fileName: "gbk.csv", consortiumCode: "JLTCM", encoding: .utf8, asOf: BusinessDate.today(),
                createdBy: "t")
            #expect(wrong.status == 2)
            #expect(wrong.errors.contains("line 2: not utf-8 text"), "\(wrong.errors.prefix(200))")
            let start = clock.now
            let out = try await R.reconcile(app, "", data: data, encoding: .gbk, format: .csv)
            print("GBK \(count) lines: wrong encoding \(start - wrongStart), reconciled \(clock.now - start)")
            #expect(out.status == 0, "\(out.errors.prefix(300)) \(out.output.prefix(300))")
            #expect(out.report?.summary.count(.matched) == count)
            // The same bytes again, whatever the encoding asked: already reconciled.
            let again = try await ReconcileInvoices(database: app.database).run(
                data: data, fileName: "gbk.csv", consortiumCode: "JLTCM", encoding: .utf8, asOf: BusinessDate.today(),
                createdBy: "t")
            #expect(again.report?.alreadyReconciled == true)
        }
    }

    @Test("COPY escaping: lots with a tab, a backslash, a newline or a carriage return are stored and reported exactly")
    func copyEscaping() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            let tricky = ["A\\B", "T\tAB", "N\\N", "\\."]
            for lot in tricky { try await Self.received(app, drug: d[0], lot: lot) }
            func csv(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            var text = R.header
            for (i, lot) in tricky.enumerated() { text += R.line("INV-\(i)", d[0], lot: csv(lot)) }
            // Not received: reported with the lot as written, a newline and a CR inside quotes included.
            let unmatched = ["X\tY\\Z", "multi\nline", "cr\rlf", "q\"uote"]
            for (i, lot) in unmatched.enumerated() { text += R.line("INV-U\(i)", d[0], lot: csv(lot)) }
            let out = try await R.reconcile(app, text, format: .json)
            #expect(out.status == 1, "\(out.errors)")
            let report = try #require(out.report)
            #expect(report.summary.count(.matched) == tricky.count, "\(out.output)")
            let lots = report.discrepancies.filter { $0.classification == .noMatchingOrderOrReceipt }.compactMap {
                $0.detail["lotNumber"]
            }
            #expect(lots == unmatched)
            // Line numbers count physical lines: the quoted newline takes two.
            #expect(report.discrepancies.map(\.lineNumber) == [6, 7, 9, 10])
            let stored = try await app.database.rows(
                "SELECT detail->>'lotNumber' FROM reconciliation_discrepancies ORDER BY line_number", as: String.self)
            #expect(stored == unmatched)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [String: Any])
            let reported = (json["discrepancies"] as? [[String: Any]] ?? []).compactMap {
                ($0["detail"] as? [String: String])?["lotNumber"]
            }
            #expect(reported == unmatched)
        }
    }

    @Test("the CSV rules of the streamed reader, whatever the chunk boundaries")
    func chunkBoundaries() throws {
        let text =
            "\u{FEFF}distributor_code,invoice_number,invoice_date,manufacturer_invoice_number,manufacturer_code,"
            + "institution_code,drug_code,lot_number,quantity,unit_price,amount,extra\r\n"
            + "D1,I1,2026-01-02,M1,MF,YJ,X1,\"L,1\",10,1.5,15.00,\"a \"\"quoted\"\" note\"\r\n"
            + "\n"
            + "D1, I2 ,2026-01-02,,,YJ,X1,\"L\n2\",1,1,1.00,\r\n"
            + "D1,I3,2026-01-02,M1,MF,YJ,X1,L\"3,1,1,1.00,x\n"
            + "D1,I4,2026-01-02,M1,MF,YJ,X1,\"L4\"x,1,1,1.00,x\n"
            + "D1,I5,2026-01-02,M1,MF,YJ,X1,L5,1,1,1.00\n"
            + "D1,I6,2026-01-02,M1,MF,YJ,X1,\"L6\",1,1,1.00,last"
        let data = Data(text.utf8)
        func read(chunk: Int) -> (lines: [InvoiceFileLine], errors: String) {
            var reader = InvoiceFileReader(encoding: .utf8)
            var lines: [InvoiceFileLine] = []
            var start = 0
            while start < data.count {
                let end = min(data.count, start + chunk)
                data[start..<end].withUnsafeBytes { reader.feed($0) { lines.append($0) } }
                start = end
            }
            reader.finish { lines.append($0) }
            do { try reader.verdict(); return (lines, "") } catch { return (lines, error.description) }
        }
        let whole = read(chunk: data.count)
        #expect(whole.lines.map(\.lineNumber) == [2, 4, 9])
        #expect(whole.lines.map(\.lotNumber) == ["L,1", "L\n2", "L6"])
        #expect(whole.lines[1].invoiceNumber == "I2" && whole.lines[1].manufacturerCode == nil)
        #expect(
            whole.errors == """
                line 6: a quote inside an unquoted field
                line 7: text after a closing quote
                line 8: 11 fields where the header has 12
                """, "\(whole.errors)")
        for chunk in [1, 2, 3, 7, 64] {
            let r = read(chunk: chunk)
            #expect(r.lines == whole.lines && r.errors == whole.errors, "chunk \(chunk)")
        }
        #expect(throws: InvoiceFile.Rejected.self) { try InvoiceFile.parse(Data("a,b\n\"open\n".utf8), encoding: .utf8) }
        do {
            _ = try InvoiceFile.parse(Data((R.header + "D,\"I\n").utf8), encoding: .utf8)
        } catch {
            #expect(error.description == "line 2: a quoted field is not closed")
        }
    }

    @Test("the command in a pipe: the report on standard output, no progress bar on standard error")
    func noProgressInPipe() async throws {
        let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            let count = 12_000
            try await Self.receivedLots(app, drug: d[0], prefix: "L", count: count)
            let (noMatch, price) = Self.expectedCounts(count)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crx-pipe-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("pipe.csv")
            try Data(Self.bigFile(d, count: count).utf8).write(to: file)

            let cli = Command(binary: binary, databaseURL: app.databaseURL, user: "pipe-test")
            func command(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) { try cli.run(arguments) }
            let run = try command(["reconcile", "invoices", file.path, "--consortium", "JLTCM", "--format", "csv"])
            #expect(run.status == 1, "\(run.err)")
            #expect(run.err.isEmpty, "progress or messages on standard error: \(run.err.debugDescription.prefix(200))")
            let rows = run.out.split(separator: "\n")
            #expect(rows.first == "line_number,classification,money_at_stake,detail")
            #expect(rows.count == 1 + noMatch + price)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE created_by = 'pipe-test'") == 1)

            let missing = try command([
                "reconcile", "invoices", dir.appendingPathComponent("none.csv").path, "--consortium", "JLTCM",
            ])
            #expect(missing.status == 2 && missing.err.contains("cannot read"))
            #expect(missing.out.isEmpty)
        }
    }
}

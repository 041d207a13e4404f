import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RxDomain
import RxStore
import Testing

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

/// Issue 27: finance reconciles a distributor's invoice file in the browser (UTF-8 or GBK), with progress, through
/// the CLI's own reconciliation; and marks each discrepancy of a run resolved or disputed with a note.
@Suite("Console reconciliation", .serialized)
struct ConsoleReconciliationTests {
    static let gbk = String.Encoding(
        rawValue: CFStringConvertEncodingToNSStringEncoding(CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))

    /// A multipart form as a browser sends it: the fields in order, then the file.
    static func multipart(_ fields: [(String, String)], file: Data, fileName: String) -> (String, ByteBuffer) {
        let boundary = "----CrxTestBoundary7MA4YWxkTrZu0gW"
        var body = Data()
        for (name, value) in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: text/csv\r\n\r\n"
                .utf8)
        body += file
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(bytes: body))
    }

    /// The cells of a table's body rows (rows with attributes too).
    static func rows(_ html: String, id: String) -> [[String]] {
        guard
            let start = html.range(
                of: #"<tbody>"#, range: (html.range(of: #"<table id="\#(id)""#)?.upperBound ?? html.endIndex)..<html.endIndex),
            let end = html.range(of: "</tbody>", range: start.upperBound..<html.endIndex)
        else { return [] }
        let cell = try! NSRegularExpression(pattern: "<td[^>]*>(.*?)</td>", options: [.dotMatchesLineSeparators])
        let tag = try! NSRegularExpression(pattern: "<[^>]+>")
        return html[start.upperBound..<end.lowerBound].components(separatedBy: "<tr").dropFirst().map { row in
            cell.matches(in: row, range: NSRange(row.startIndex..., in: row)).map { match in
                let inner = String(row[Range(match.range(at: 1), in: row)!])
                return tag.stringByReplacingMatches(in: inner, range: NSRange(inner.startIndex..., in: inner), withTemplate: "")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
    }

    static func upload(
        _ app: TestApp, _ fields: [(String, String)], file: Data, fileName: String = "国药吉林-11月.csv",
        jar: inout ConsoleTests.Jar
    ) async throws -> TestResponse {
        let (contentType, body) = multipart(fields, file: file, fileName: fileName)
        var headers = jar.header
        headers[.contentType] = contentType
        let response = try await app.client.execute(
            uri: "/console/reconciliations/upload", method: .post, headers: headers, body: body)
        jar.take(response)
        return response
    }

    @Test(
        "27: a GBK invoice file uploaded by finance is reconciled by the CLI's code, its progress streamed, the run recorded in its name with an audit row; each discrepancy is then resolved or disputed with a note"
    )
    func uploadAndReview() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 2, lots: ["批号甲", "批号乙"])
            // Line 2 matches; line 3 bills a price above the unified one.
            let text =
                ReconciliationTests.header + ReconciliationTests.line("发票-1", d[0], lot: "批号甲")
                + ReconciliationTests.line("发票-1", d[1], lot: "批号乙", price: d[1].price + Money(1))
            let data = try #require(text.data(using: Self.gbk))
            #expect(data != Data(text.utf8))

            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "fin", .finance, institution: nil)
            let list = try await ConsoleTests.get(app, "/console/reconciliations", jar: &jar)
            #expect(list.status == .ok && list.text.contains(#"enctype="multipart/form-data""#))
            #expect(list.text.contains(#"aria-current="page">对账</a>"#))

            let page = try await Self.upload(
                app, [("csrf", csrf), ("code_type", "auto"), ("encoding", "auto")], file: data, jar: &jar)
            #expect(page.status == .ok)
            #expect(page.text.contains("国药吉林-11月.csv") && page.text.contains("GBK"), "\(page.text)")
            #expect(page.text.contains(#"<p class="step">第一遍：检查文件"#), "\(page.text)")
            #expect(page.text.contains("对账完成") && page.text.contains("价格不符"), "\(page.text)")
            let runID = try #require(
                try await app.database.rows(
                    "SELECT id FROM reconciliation_runs WHERE created_by = 'user:fin' AND file_name = '国药吉林-11月.csv'",
                    as: Int64.self
                ).first)
            #expect(page.text.contains(#"href="/console/reconciliations/\#(runID)""#))
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'reconciliation_run' AND entity_key = \(String(runID)) AND actor = 'user:fin'"
                ) == 1)

            let run = try await ConsoleTests.get(app, "/console/reconciliations/\(runID)", jar: &jar)
            #expect(run.status == .ok)
            let rows = Self.rows(run.text, id: "discrepancies")
            #expect(rows.count == 1 && rows[0][0] == "3" && rows[0][1] == "价格不符", "\(rows)")
            #expect(run.text.contains("发票号：发票-1"))

            // No note: refused on the run's page, in Chinese, nothing changed.
            let path = "/console/reconciliations/\(runID)/lines/3/review"
            let bare = try await ConsoleCatalogueTests.post(
                app, path, [("csrf", csrf), ("classification", "price_differs"), ("status", "disputed"), ("note", " ")],
                jar: &jar)
            #expect(bare.status.code / 100 == 4 && bare.text.contains(#"id="refusal""#), "\(bare.status) \(bare.text)")
            #expect(
                try await app.count("SELECT count(*)::int FROM reconciliation_discrepancies WHERE review_status IS NOT NULL") == 0
            )

            let disputed = try await ConsoleCatalogueTests.post(
                app, path,
                [("csrf", csrf), ("classification", "price_differs"), ("status", "disputed"), ("note", "配送企业称按旧价开票，已去函")],
                jar: &jar)
            #expect(disputed.status == .seeOther || disputed.status == .found, "\(disputed.status) \(disputed.text)")
            let after = try await ConsoleTests.get(app, "/console/reconciliations/\(runID)?done=reviewed", jar: &jar)
            #expect(after.text.contains("复核意见已保存") && after.text.contains("配送企业称按旧价开票，已去函"))
            #expect(after.text.contains(#"id="review-counts">0 / 1 / 0<"#), "\(after.text)")
            let resolved = try await ConsoleCatalogueTests.post(
                app, path, [("csrf", csrf), ("classification", "price_differs"), ("status", "resolved"), ("note", "已收红字发票")],
                jar: &jar)
            #expect(resolved.status.code / 100 == 3)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM reconciliation_discrepancies WHERE review_status = 'resolved' AND reviewed_by = 'user:fin'"
                ) == 1)
            // Settled: no form any more, and the unsettled filter shows nothing.
            let settled = try await ConsoleTests.get(app, "/console/reconciliations/\(runID)?unsettled=1", jar: &jar)
            #expect(Self.rows(settled.text, id: "discrepancies").first?.first == "没有差异。")

            // The discrepancies for Excel.
            let csv = try await ConsoleTests.get(app, "/console/reconciliations/\(runID)?format=csv", jar: &jar)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.headers[.contentDisposition]?.contains("filename*=UTF-8''") == true)
            #expect(csv.text.hasPrefix("\u{FEFF}行号,差异类型,明细,涉及金额,复核,复核说明,复核人"), "\(csv.text)")
            #expect(csv.text.contains("价格不符") && csv.text.contains("已解决") && csv.text.contains("已收红字发票"))

            // The same file again: reported from the earlier run, no new one.
            let again = try await Self.upload(app, [("csrf", csrf), ("encoding", "gbk")], file: data, jar: &jar)
            #expect(again.text.contains("此前已按同样的编码对照对过账"), "\(again.text)")
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 1)
        }
    }

    @Test(
        "27: a file with bad lines is refused line by line in Chinese and nothing is recorded; a forged or unpermitted upload stores nothing"
    )
    func refusals() async throws {
        try await TestApp.run { app in
            let d = try await ReconciliationTests.received(app, count: 1)
            var (jar, csrf) = try await ConsoleCatalogueTests.session(app, "fin", .finance, institution: nil)
            let bad =
                ReconciliationTests.header + ReconciliationTests.line("INV-1", d[0], lot: "L0")
                + "DST-SINOPHARM-JL,INV-1,2026-13-01,M-9,MFR-001,YJ-TCMH,\(d[0].code),L0,十,1.00,1.00\n"
            let page = try await Self.upload(app, [("csrf", csrf)], file: Data(bad.utf8), jar: &jar)
            #expect(page.status == .ok)
            #expect(page.text.contains("文件未对账") && page.text.contains(#"<li>行 3："#), "\(page.text)")
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 0)

            // No token before the file: refused before the file is read.
            let forged = try await Self.upload(app, [("code_type", "auto")], file: Data(bad.utf8), jar: &jar)
            #expect(forged.status == .forbidden)
            let wrong = try await Self.upload(app, [("csrf", "x" + csrf.dropFirst())], file: Data(bad.utf8), jar: &jar)
            #expect(wrong.status == .forbidden)
            // A bad choice names its field.
            let choice = try await Self.upload(app, [("csrf", csrf), ("encoding", "latin1")], file: Data(bad.utf8), jar: &jar)
            #expect(choice.status.code / 100 == 4 && choice.text.contains("encoding"), "\(choice.status) \(choice.text)")
            // No file.
            let empty = try await Self.upload(app, [("csrf", csrf)], file: Data(), jar: &jar)
            #expect(empty.status == .badRequest, "\(empty.text)")

            // A pharmacist reads no finance; an auditor reads the runs but uploads nothing and reviews nothing.
            var (pharm, pharmCSRF) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            #expect(try await ConsoleTests.get(app, "/console/reconciliations", jar: &pharm).status == .forbidden)
            let refused = try await Self.upload(app, [("csrf", pharmCSRF)], file: Data(bad.utf8), jar: &pharm)
            #expect(refused.status == .forbidden)
            var (auditor, auditorCSRF) = try await ConsoleCatalogueTests.session(app, "aud", .auditor, institution: nil)
            let runs = try await ConsoleTests.get(app, "/console/reconciliations", jar: &auditor)
            #expect(runs.status == .ok && !runs.text.contains("upload-form"))
            #expect(
                try await Self.upload(app, [("csrf", auditorCSRF)], file: Data(bad.utf8), jar: &auditor).status == .forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 0)
            let left = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
                .filter { $0.hasPrefix("crx-upload-") }
            #expect(left.isEmpty, "\(left)")
        }
    }

    @Test("27: the console may reconcile invoice files for finance and the supply centre only")
    func permission() {
        func principal(_ role: Role, _ institution: String?) -> Principal {
            Principal(
                tokenID: 1, role: role, consortiumID: 1, consortiumCode: "C", institutionID: institution == nil ? nil : 2,
                institutionCode: institution, name: "t")
        }
        let permission = Permission.reconcileInvoiceFiles(consortiumID: 1, leadInstitutionCode: "LEAD")
        #expect(principal(.finance, nil).may(permission))
        #expect(principal(.consortiumAdmin, nil).may(permission))
        #expect(principal(.procurementOfficer, "LEAD").may(permission))
        #expect(!principal(.procurementOfficer, "MEMBER").may(permission))
        #expect(!principal(.auditor, nil).may(permission))
        #expect(!principal(.regulator, nil).may(permission))
        #expect(!principal(.institutionPharmacist, "LEAD").may(permission))
        #expect(!principal(.finance, nil).may(.reconcileInvoiceFiles(consortiumID: 2, leadInstitutionCode: "LEAD")))
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27, "Dashboards": the consortium's and a member's figures, each a chart drawn on the server beside a table,
/// and each equal to what the API's list or report says.
@Suite("Console dashboards")
struct ConsoleDashboardTests {
    static let base = ProcurementTests.base

    /// The cells of the table `id`, row by row (the first cell's text without its link).
    static func table(_ html: String, id: String) -> [[String]] {
        guard let start = html.range(of: #"<table id="\#(id)""#),
            let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex)
        else { return [] }
        let body = html[start.upperBound..<end.lowerBound]
        let cell = try! NSRegularExpression(pattern: "<td[^>]*>(.*?)</td>", options: [.dotMatchesLineSeparators])
        let tag = try! NSRegularExpression(pattern: "<[^>]+>")
        return body.components(separatedBy: "<tr>").dropFirst(2).map { row in
            cell.matches(in: row, range: NSRange(row.startIndex..., in: row)).map { match in
                let inner = String(row[Range(match.range(at: 1), in: row)!])
                return tag.stringByReplacingMatches(
                    in: inner, range: NSRange(inner.startIndex..., in: inner), withTemplate: ""
                ).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
    }

    /// ¥1,234.50, as the console writes money.
    static func yuan(_ text: String) -> String {
        let amount = Money(Decimal(string: text)!).rounded(2)
        let parts = amount.formatted(places: 2).split(separator: ".")
        var grouped = ""
        for (i, c) in parts[0].enumerated() {
            if i > 0, (parts[0].count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return "¥" + grouped + "." + parts[1]
    }

    @Test(
        "27: the consortium's dashboard: essential share equal to the spend report, coverage to the catalogue report, payables to the payables list; a chart beside every table"
    )
    func consortiumDashboard() async throws {
        try await TestApp.run { app in
            _ = try await ReconciliationTests.received(app, count: 3)
            let admin = try await app.token(.consortiumAdmin)
            var (jar, _) = try await ConsoleCatalogueTests.session(app, "centre", .consortiumAdmin, institution: "JL-TCMH")
            let page = try await ConsoleTests.get(app, "/console/dashboard", jar: &jar)
            #expect(page.status == .ok)
            #expect(page.text.contains(#"aria-current="page">运行监测</a>"#))

            // 基本药物占比: the spend report of the year to date (no decoction piece was bought here).
            let today = BusinessDate.today()
            let spend = try await app.call(.get, "\(Self.base)/spend?from=\(today.year)-01-01&to=\(today)", token: admin)
            #expect(spend.status == .ok, "\(spend.text)")
            let total = "\(spend.json["total"]!)"
            let rows = Self.table(page.text, id: "essential")
            let whole = try #require(rows.first)
            #expect(whole[0] == "医联体合计")
            #expect(whole[4] == Self.yuan(total), "\(whole) \(spend.text)")
            let receivedCodes: [String] = try await app.database.rows(
                "SELECT DISTINCT drug_code FROM purchase_order_lines WHERE received_quantity > 0", as: String.self)
            let essentialCodes: [String] = try await app.database.rows(
                "SELECT DISTINCT drug_code FROM drug_essential_editions", as: String.self)
            let received = Set(receivedCodes)
            let essential = Set(essentialCodes).intersection(received)
            #expect(whole[1] == String(received.count) && whole[2] == String(essential.count))
            #expect(rows.dropFirst().map(\.first) == ["YJ-TCMH"])
            #expect(page.text.contains(#"<a href="/console/dashboard?member=YJ-TCMH">YJ-TCMH</a>"#))

            // 目录覆盖: the catalogue report's members, in line.
            let report = try await app.call(.get, "\(Self.base)/catalogue/report", token: admin)
            let members = try #require(report.json["members"] as? [[String: Any]])
            let coverage = Self.table(page.text, id: "coverage")
            #expect(coverage.count == members.count)
            for member in members {
                let code = member["institutionCode"] as! String
                let inLine = (member["items"] as! Int) - (member["outOfLine"] as! Int)
                #expect(coverage.contains { $0[0] == code && $0[1] == String(inLine) }, "\(code) \(coverage)")
            }

            // 账龄: what the payables list leaves unpaid, in the four buckets.
            let payables = try await app.call(.get, "\(Self.base)/payables", token: admin)
            let unpaid = (payables.json["items"] as? [[String: Any]] ?? []).map { Decimal(string: "\($0["remaining"]!)")! }
            let buckets = Self.table(page.text, id: "payables")
            #expect(buckets.map(\.first) == ["0–30 天", "31–60 天", "61–90 天", "90 天以上"])
            #expect(buckets.map { Int($0[1])! }.reduce(0, +) == unpaid.filter { $0 > 0 }.count)

            #expect(Self.table(page.text, id: "shortages").map(\.first) == ["成员单位级", "医联体级", "已上报"])
            // 近效期: the lots of every member the stock list calls near expiry or expired, by class.
            let expiring = Self.table(page.text, id: "expiring")
            #expect(expiring.map(\.first) == ["效期 180 天内", "效期 90 天内", "已过期"], "\(expiring)")
            let soon = try await app.count(
                """
                SELECT count(*)::int FROM stock_on_hand s JOIN consortia c ON c.id = s.consortium_id
                WHERE c.code = 'JLTCM' AND s.in_stock AND s.expiry_date <= (now() AT TIME ZONE 'Asia/Shanghai')::date + 180
                """)
            #expect(expiring.map { Int($0[1])! }.reduce(0, +) == soon)
            // 带量采购: the demo's agreement, each member's pace against the year's.
            #expect(page.text.contains("<h2>带量采购完成进度："), "the demo's VBP agreement is in effect")
            #expect(Self.table(page.text, id: "long-prescriptions").count == today.month)
            // Charts: drawn on the server, one beside each table, titled, nothing run.
            let svg = #"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img""#
            #expect(page.text.components(separatedBy: svg).count - 1 == page.text.components(separatedBy: "<table").count - 1)
            #expect(page.text.contains("<title>国家基本药物采购占比</title>"))
            #expect(!page.text.contains("<script"))

            // Every figure for Excel, the national VBP agreement's completion among them.
            let csv = try await ConsoleTests.get(app, "/console/dashboard?format=csv", jar: &jar)
            #expect(csv.headers[.contentDisposition]?.contains("filename*=UTF-8''") == true)
            let lines = csv.text.split(whereSeparator: \.isNewline).map(String.init)
            #expect(lines.first == "\u{FEFF}指标,机构,项目,数值", "\(lines.first ?? "")")
            #expect(lines.contains { $0.hasPrefix("带量采购完成进度：") && $0.contains(",平均完成率（%）,") }, "\(lines.prefix(12))")
            #expect(lines.contains { $0.hasPrefix("国家基本药物采购占比,") })
        }
    }

    @Test("27: a member's dashboard holds its own figures, without what is owed for a pharmacist; an unknown member is 404")
    func memberDashboard() async throws {
        try await TestApp.run { app in
            _ = try await ReconciliationTests.received(app, count: 1)
            var (jar, _) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: "SL-PA-HQ-VC")
            let own = try await ConsoleTests.get(app, "/console/dashboard?member=YJ-TCMH", jar: &jar)
            #expect(own.status == .ok)
            #expect(Self.table(own.text, id: "essential").map(\.first) == ["YJ-TCMH"])
            #expect(Self.table(own.text, id: "coverage").map(\.first) == ["YJ-TCMH"])
            #expect(!own.text.contains(#"id="payables""#), "a pharmacist does not read what is owed")
            #expect(own.text.contains(#"<a href="/console/dashboard">"#))
            #expect(try await ConsoleTests.get(app, "/console/dashboard?member=NOPE", jar: &jar).status == .notFound)
        }
    }
}

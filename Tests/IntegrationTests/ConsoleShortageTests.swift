import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: the shortage queue in the console, as the API lists it, with each record's members, signals and
/// actions, and the queue for Excel.
@Suite("Console shortages")
struct ConsoleShortageTests {
    typealias S = ShortageScanTests

    @Test(
        "27: the open shortages as the API lists them, narrowed by level; a record's signals; a member's pharmacist sees its own and the consortium's only"
    )
    func queue() async throws {
        try await TestApp.run { app in
            try await ShortageReadTests.prepare(app, on: S.today)
            let admin = try await app.token(.consortiumAdmin)
            let api = ShortageReadTests.items(try await app.call(.get, "\(ShortageReadTests.base)/shortages", token: admin))

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let page = try await ConsoleTests.get(app, "/console/shortages", jar: &jar)
            #expect(page.status == .ok && page.text.contains(#"aria-current="page">短缺药品</a>"#))
            let rows = ConsoleReconciliationTests.rows(page.text, id: "shortages").filter { $0.count > 1 }
            #expect(rows.map { $0[1] } == api.compactMap { $0["drugCode"] as? String }, "\(rows)")
            let xshr02 = try #require(rows.first { $0[1] == "XSHR02" })
            #expect(xshr02[3] == "成员单位级")
            #expect(xshr02[8] == S.member)

            let member = try await ConsoleTests.get(app, "/console/shortages?level=member&member=\(S.member)", jar: &jar)
            let memberRows = ConsoleReconciliationTests.rows(member.text, id: "shortages").map { $0.count > 1 ? $0[1] : "" }
            #expect(memberRows.contains("XSHR02") && !memberRows.contains("XSHR01"), "\(memberRows)")

            let one = try await ConsoleTests.get(app, "/console/shortages/\(xshr02[0])", jar: &jar)
            #expect(one.status == .ok)
            #expect(ConsoleReconciliationTests.rows(one.text, id: "shortage-signals").first?.first == "库存不足")

            let csv = try await ConsoleTests.get(app, "/console/shortages?format=csv", jar: &jar)
            #expect(csv.text.hasPrefix("\u{FEFF}短缺编号,药品编码,药品名称,级别"), "\(csv.text.prefix(100))")
            #expect(csv.text.split(separator: "\r\n").count == api.count + 1)
            #expect(csv.headers[.contentDisposition]?.contains("filename*=UTF-8''") == true)

            let bad = try await ConsoleTests.get(app, "/console/shortages?level=severe", jar: &jar)
            #expect(bad.status.code / 100 == 4 && bad.text.contains("level"))

            var (other, _) = try await ConsoleCatalogueTests.session(
                app, "pharm", .institutionPharmacist, institution: S.otherMember)
            let theirs = try await ConsoleTests.get(app, "/console/shortages", jar: &other)
            let theirRows = ConsoleReconciliationTests.rows(theirs.text, id: "shortages").map { $0.count > 1 ? $0[1] : "" }
            #expect(theirRows.contains("XSHR01") && !theirRows.contains("XSHR02"), "\(theirRows)")
            #expect(try await ConsoleTests.get(app, "/console/shortages/\(xshr02[0])", jar: &other).status == .notFound)
            var (finance, _) = try await ConsoleCatalogueTests.session(app, "fin", .finance, institution: nil)
            #expect(try await ConsoleTests.get(app, "/console/shortages", jar: &finance).status == .forbidden)
        }
    }
}

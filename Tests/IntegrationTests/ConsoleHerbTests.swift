import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 27: joint herb procurement in the console: the rounds, a round's progress against commitments with the
/// period's pace as the target, and the ranking; a member sees its own progress only.
@Suite("Console herb rounds")
struct ConsoleHerbTests {
    typealias H = HerbProcurementTests

    @Test(
        "27: a round's progress equals the API's, drawn against the pace; the ranking shows the award; a member sees its own rows"
    )
    func roundProgress() async throws {
        try await TestApp.run { app in
            let t = try await H.tokens(app)
            let round = try await H.awardedRound(app, t)
            _ = try await H.move(app, t.leadOfficer, round: round, "execute")
            #expect(
                try await ProcurementTests.order(app, t.sl, institution: "SL-TCMH", [(H.astragalus, "50")]).status == .created)
            let today = BusinessDate.today()
            let api = try await app.call(.get, "/v1/herb-rounds/\(round)/progress?on=\(today)", token: t.admin)
            let apiRows = (api.json["rows"] as? [[String: Any]]) ?? []

            var (jar, _) = try await ConsoleCatalogueTests.session(app, "admin", .consortiumAdmin, institution: nil)
            let list = try await ConsoleTests.get(app, "/console/herbs", jar: &jar)
            #expect(list.status == .ok && list.text.contains(#"href="/console/herbs/\#(round)""#))
            let page = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &jar)
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg") && page.text.contains(#"class="target""#), "the chart with its pace line")
            let rows = ConsoleReconciliationTests.rows(page.text, id: "herb-progress")
            #expect(rows.count == apiRows.count)
            let sl = try #require(rows.first { $0[0] == "SL-TCMH" && $0[1].hasPrefix(H.astragalus) })
            #expect(sl[2] == "300" && sl[3] == "50" && sl[6] == "16.7%" && sl[7] == "进度落后", "\(sl)")
            let ranking = ConsoleReconciliationTests.rows(page.text, id: "herb-ranking")
            #expect(ranking.contains { $0[2] == "MFR-029" && $0[5] == "中选" }, "\(ranking)")

            // The dashboard shows the round beside the national agreements: each member's mean over its items.
            let dashboard = try await ConsoleTests.get(app, "/console/dashboard", jar: &jar)
            let name = try #require(
                try await app.database.rows("SELECT name FROM herb_rounds WHERE id = \(Int64(round))", as: String.self).first)
            #expect(dashboard.text.contains("<h2>中药饮片联合带量采购完成进度：\(name)</h2>"), "\(dashboard.text)")

            var (member, _) = try await ConsoleCatalogueTests.session(app, "yj", .procurementOfficer, institution: "YJ-TCMH")
            let own = try await ConsoleTests.get(app, "/console/herbs/\(round)", jar: &member)
            #expect(ConsoleReconciliationTests.rows(own.text, id: "herb-progress").allSatisfy { $0[0] == "YJ-TCMH" })
            #expect(try await ConsoleTests.get(app, "/console/herbs/999999", jar: &member).status == .notFound)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

@Suite("Health, contract and master data")
struct MasterDataTests {
    @Test("health, readiness, the contract and metrics need no token")
    func openEndpoints() async throws {
        try await TestApp.run { app in
            #expect(try await app.call(.get, "/healthz", token: nil).json["status"] as? String == "ok")
            // Ready once the database answers within its 2 s bound; a machine busy with the whole suite may need a retry.
            var ready = try await app.call(.get, "/readyz", token: nil).status
            for _ in 0..<30 where ready != .ok {
                try await Task.sleep(for: .seconds(1))
                ready = try await app.call(.get, "/readyz", token: nil).status
            }
            #expect(ready == .ok)
            let contract = try await app.call(.get, "/openapi.yaml", token: nil)
            let file = try String(
                contentsOf: TestDatabases.repositoryRoot.appendingPathComponent("Sources/RxAPI/openapi.yaml"), encoding: .utf8)
            #expect(contract.text == file)
            let metrics = try await app.call(.get, "/metrics", token: nil)
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("hb_requests"))
        }
    }

    @Test("drugs: found by code, searched by name, category and code prefix, paged with a cursor")
    func drugSearch() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.prescriber)
            let code = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1", as: String.self)[0]
            let one = try await app.call(.get, "/v1/drugs/\(code)", token: token)
            #expect(one.status == .ok)
            #expect(one.json["code"] as? String == code)
            #expect((one.json["essentialEditions"] as? [String]) != nil)

            let pieces = try await app.call(.get, "/v1/drugs?category=decoction_piece&limit=200", token: token)
            let items = pieces.json["items"] as? [[String: Any]] ?? []
            #expect(items.count >= 60)
            #expect(items.allSatisfy { ($0["decoctionPiece"] as? [String: Any])?["herbName"] != nil })

            let huangqi = try await app.call(.get, "/v1/drugs?q=%E9%BB%84%E8%8A%AA", token: token)  // 黄芪
            #expect(
                ((huangqi.json["items"] as? [[String: Any]]) ?? []).contains {
                    ($0["genericName"] as? String)?.contains("黄芪") == true
                })

            // 拼音首字母: `aldp` (ān lǜ dì píng) finds 氨氯地平, upper case too, and any run of its initials; 长
            // (cháng/zhǎng) and 汀 (tīng/dīng) are found by either initial.
            for q in ["aldp", "ALDP", "ldp"] {
                let found = try await app.call(.get, "/v1/drugs?q=\(q)&limit=200", token: token)
                let names = ((found.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["genericName"] as? String }
                #expect(names.contains("氨氯地平"), "\(q): \(names)")
                #expect(names.allSatisfy { !$0.contains("黄芪") })
            }
            let renamed = try await app.database.rows(
                "UPDATE drugs SET generic_name = '长春西汀' WHERE code = \(code) RETURNING pinyin_initials", as: String.self)
            #expect(renamed == ["zcxt zcxd ccxt ccxd"])
            for q in ["zcxt", "ccxt"] {
                let found = try await app.call(.get, "/v1/drugs?q=\(q)", token: token)
                #expect(((found.json["items"] as? [[String: Any]]) ?? []).contains { $0["code"] as? String == code })
            }

            let prefix = String(code.prefix(2))
            let byPrefix = try await app.call(.get, "/v1/drugs?code=\(prefix)&limit=5", token: token)
            #expect(
                ((byPrefix.json["items"] as? [[String: Any]]) ?? []).allSatisfy {
                    ($0["code"] as? String)?.hasPrefix(prefix) == true
                })

            var cursor: String? = nil
            var all: [String] = []
            repeat {
                let page = try await app.call(.get, "/v1/drugs?limit=150" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
                all += ((page.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            #expect(all.count == (try await app.count("SELECT count(*)::int FROM drugs")))
            #expect(all == all.sorted())
        }
    }

    @Test("an admin adds an institution, the national master-data admin a drug; both are audited")
    func createMasterData() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let created = try await app.call(
                .post, "/v1/consortia/JLTCM/institutions", token: admin,
                json: #"{"code": "JL-NEW-CHC", "name": "新建社区卫生服务中心", "level": "primary", "type": "community_health_centre"}"#)
            #expect(created.status == .created)
            #expect(created.json["consortiumCode"] as? String == "JLTCM")
            #expect(created.json["isLead"] as? Bool == false)

            // Drugs are national master data, written by their own role (issue 18.12).
            let drug = try await app.call(
                .post, "/v1/drugs", token: try await app.token(.masterDataAdmin),
                json: """
                    {"code": "T-DEMO-NEW", "genericName": "黄芪", "dosageForm": "饮片", "packageSize": 1, "packageUnit": "kg",
                     "unit": "kg", "category": "decoction_piece", "essentialEditions": [], "insuranceClass": "B",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false,
                     "decoctionPiece": {"herbName": "黄芪", "processing": "raw", "grade": "统货"}}
                    """)
            #expect(drug.status == .created, "\(drug.text)")
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_key IN ('JL-NEW-CHC', 'T-DEMO-NEW') AND action = 'create'")
                    == 2)

            let lead = try await app.call(
                .patch, "/v1/consortia/JLTCM", token: admin, json: #"{"leadInstitutionCode": "JL-TCMH"}"#)
            #expect(lead.json["leadInstitutionCode"] as? String == "JL-TCMH")
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

@Suite("Audit trail")
struct AuditTests {
    @Test("a change writes one audit row with who, what, before and after")
    func changeIsAudited() async throws {
        try await TestApp.run { app in
            // Drugs are national master data, changed by their own role (issue 18.12).
            let masterData = try await app.token(.masterDataAdmin)
            let drug = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' AND NOT cold_chain ORDER BY code LIMIT 1", as: String.self)[0]
            let response = try await app.call(.patch, "/v1/drugs/\(drug)", token: masterData, json: #"{"coldChain": true}"#)
            #expect(response.status == .ok)
            #expect(response.json["coldChain"] as? Bool == true)

            let auditor = try await app.token(.auditor)
            let page = try await app.call(.get, "/v1/audit?entityType=drug&entityKey=\(drug)", token: auditor)
            #expect(page.status == .ok)
            let items = page.json["items"] as? [[String: Any]] ?? []
            #expect(items.count == 1)
            let entry = try #require(items.first)
            #expect(entry["action"] as? String == "update")
            #expect(entry["actorRole"] as? String == "master_data_admin")
            #expect((entry["before"] as? [String: Any])?["coldChain"] as? Bool == false)
            #expect((entry["after"] as? [String: Any])?["coldChain"] as? Bool == true)
        }
    }

    @Test("the database refuses UPDATE, DELETE and TRUNCATE on the audit table")
    func appendOnly() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(.patch, "/v1/consortia/JLTCM", token: admin, json: #"{"name": "吉林市中医医联体（测试）"}"#)
            let rows = try await app.count("SELECT count(*)::int FROM audit_log")
            #expect(rows > 0)
            await #expect(throws: (any Error).self) {
                try await app.database.client.query("UPDATE audit_log SET actor = 'someone else'")
            }
            await #expect(throws: (any Error).self) { try await app.database.client.query("DELETE FROM audit_log") }
            await #expect(throws: (any Error).self) { try await app.database.client.query("TRUNCATE audit_log") }
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == rows)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE actor = 'someone else'") == 0)
        }
    }

    @Test("the audit trail pages with a cursor and filters by time")
    func paging() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            for i in 1...3 {
                try await app.call(.patch, "/v1/consortia/JLTCM", token: admin, json: #"{"name": "名称\#(i)"}"#)
            }
            var cursor: String? = nil
            var seen = 0
            repeat {
                let uri = "/v1/audit?entityType=consortium&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await app.call(.get, uri, token: admin)
                #expect(page.status == .ok)
                seen += (page.json["items"] as? [Any])?.count ?? 0
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            #expect(seen == 3)
            let future = try await app.call(.get, "/v1/audit?from=2999-01-01T00:00:00Z", token: admin)
            #expect((future.json["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("19.9: the audit trail's from and to take any RFC 3339 date-time or a plain date; a bad one names its parameter")
    func timeWindow() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(.patch, "/v1/consortia/JLTCM", token: admin, json: #"{"name": "时间窗口"}"#)
            func count(_ query: String) async throws -> Int? {
                let page = try await app.call(.get, "/v1/audit?entityType=consortium&" + query, token: admin)
                #expect(page.status == .ok, "\(query): \(page.text)")
                return (page.json["items"] as? [Any])?.count
            }
            let today = BusinessDate.today().description
            let tomorrow = BusinessDate.today().adding(days: 1).description
            // A plain date is the Asia/Shanghai day: `to` includes it, `from` the next day excludes today's change.
            #expect(try await count("from=\(today)&to=\(today)") == 1)
            #expect(try await count("from=\(tomorrow)") == 0)
            // Fractions, offsets (+ encoded as %2B) and a lower-case t and z.
            #expect(try await count("from=2000-01-01T00:00:00.123456Z") == 1)
            #expect(try await count("from=2000-01-01T08:00:00%2B08:00&to=2999-01-01t00:00:00z") == 1)
            #expect(try await count("to=2000-01-01T00:00:00.5-05:00") == 0)
            for (query, field) in [("from=yesterday", "from"), ("to=2026-13-01", "to"), ("from=2026-12-01T25:00:00Z", "from")] {
                let bad = try await app.call(.get, "/v1/audit?" + query, token: admin)
                bad.expectProblem(.badRequest, naming: field)
                #expect(!bad.text.contains("body"), "\(bad.text)")
            }
        }
    }
}

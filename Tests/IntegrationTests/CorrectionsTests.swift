import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 18, point 13: what users type wrong is correctable before it takes effect, each change audited with its
/// reason. Here: a draft order's lines, and an item removed from a catalogue draft.
@Suite("Corrections (issue 18.13)")
struct CorrectionsTests {
    static let base = "/v1/consortia/JLTCM"

    @Test(
        "18.13: a draft order's lines are corrected with a reason: a quantity changed, a line added at the unified price, a line removed; each audited"
    )
    func draftOrderLines() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let drugs = try await ProcurementTests.drugs(app, count: 3)
            let created = try await ProcurementTests.order(app, officer, [(drugs[0].code, "2")])
            let id = try #require(created.json["id"] as? Int, "\(created.text)")
            let lines = "\(Self.base)/orders/\(id)/lines"

            // The quantity typed wrong: changed, the line keeps its price.
            let changed = try await app.call(
                .patch, "\(lines)/1", token: officer, json: #"{"quantity": "20", "reason": "typed 2 for 20"}"#)
            #expect(changed.status == .ok, "\(changed.text)")
            let first = try #require((changed.json["lines"] as? [[String: Any]])?.first)
            #expect(first["quantity"] as? String == "20")
            #expect(first["unitPrice"] as? String == Money(drugs[0].price).description)

            // A line forgotten: added at the unified price, never the client's.
            try await app.call(
                .post, lines, token: officer,
                json: #"{"drugCode": "\#(drugs[1].code)", "quantity": "3", "reason": "forgotten", "unitPrice": "0.01"}"#
            )
            .expectProblem(.badRequest)
            let added = try await app.call(
                .post, lines, token: officer, json: #"{"drugCode": "\#(drugs[1].code)", "quantity": "3", "reason": "forgotten"}"#)
            #expect(added.status == .ok, "\(added.text)")
            let addedLines = added.json["lines"] as? [[String: Any]] ?? []
            #expect(addedLines.count == 2)
            #expect(addedLines.last?["lineNo"] as? Int == 2)
            #expect(addedLines.last?["unitPrice"] as? String == Money(drugs[1].price).description)
            // The same drug twice is a quantity change, not a second line.
            try await app.call(
                .post, lines, token: officer, json: #"{"drugCode": "\#(drugs[1].code)", "quantity": "1", "reason": "again"}"#
            )
            .expectProblem(.unprocessableContent, naming: "drugCode")

            // A reason is required: missing (the contract), blank (the rule).
            try await app.call(.patch, "\(lines)/1", token: officer, json: #"{"quantity": "21"}"#).expectProblem(
                .badRequest, naming: "reason")
            try await app.call(.patch, "\(lines)/1", token: officer, json: #"{"quantity": "21", "reason": "   "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            try await app.call(.delete, "\(lines)/1", token: officer).expectProblem(.badRequest, naming: "reason")
            try await app.call(.patch, "\(lines)/9", token: officer, json: #"{"quantity": "21", "reason": "x"}"#).expectProblem(
                .notFound)

            // A line not wanted: removed; the last line stays (cancel the order instead).
            let removed = try await app.call(.delete, "\(lines)/1?reason=%E4%B8%8D%E9%9C%80%E8%A6%81", token: officer)  // 不需要
            #expect(removed.status == .ok, "\(removed.text)")
            #expect((removed.json["lines"] as? [[String: Any]])?.compactMap { $0["lineNo"] as? Int } == [2])
            try await app.call(.delete, "\(lines)/2?reason=x", token: officer).expectProblem(.conflict)

            // Another member's officer sees no such order.
            let outsider = try await app.token(.procurementOfficer, institution: "SL-PA-HQ-VC")
            try await app.call(.patch, "\(lines)/2", token: outsider, json: #"{"quantity": "1", "reason": "x"}"#).expectProblem(
                .notFound)

            // Each change audited with its reason.
            let reasons = try await app.database.rows(
                """
                SELECT action, after->>'reason' FROM audit_log
                WHERE entity_type = 'purchase_order_line' AND entity_key LIKE \("\(id)/%") ORDER BY id
                """, as: (String, String?).self)
            #expect(reasons.map(\.0) == ["change_line", "add_line", "remove_line"])
            #expect(reasons.map(\.1) == ["typed 2 for 20", "forgotten", "不需要"])

            // After submission: 409 naming the state, and nothing changes.
            #expect(try await app.call(.post, "\(Self.base)/orders/\(id)/submit", token: officer).status == .ok)
            let late = try await app.call(.patch, "\(lines)/2", token: officer, json: #"{"quantity": "1", "reason": "too late"}"#)
            late.expectProblem(.conflict)
            #expect((late.json["detail"] as? String ?? "").contains("submitted"), "\(late.text)")
            try await app.call(
                .post, lines, token: officer, json: #"{"drugCode": "\#(drugs[2].code)", "quantity": "1", "reason": "x"}"#
            )
            .expectProblem(.conflict)
            try await app.call(.delete, "\(lines)/2?reason=x", token: officer).expectProblem(.conflict)
            #expect(try await app.count("SELECT count(*)::int FROM purchase_order_lines WHERE order_id = \(id)") == 1)
        }
    }

    @Test("18.13: corrections racing the submission: each lands before it (200, audited) or after it (409), none in between")
    func editsRaceSubmission() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let drug = try await ProcurementTests.drugs(app, count: 1)[0]
            let id = try #require(try await ProcurementTests.order(app, officer, [(drug.code, "1")]).json["id"] as? Int)
            let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for k in 2...9 {
                    group.addTask {
                        let r = try await app.call(
                            .patch, "\(Self.base)/orders/\(id)/lines/1", token: officer,
                            json: #"{"quantity": "\#(k)", "reason": "race \#(k)"}"#)
                        return (k, Int(r.status.code))
                    }
                }
                group.addTask {
                    (0, Int(try await app.call(.post, "\(Self.base)/orders/\(id)/submit", token: officer).status.code))
                }
                var all: [(Int, Int)] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.first { $0.0 == 0 }?.1 == 200)
            let edits = statuses.filter { $0.0 != 0 }
            #expect(edits.allSatisfy { $0.1 == 200 || $0.1 == 409 }, "\(edits)")
            let accepted = edits.filter { $0.1 == 200 }.count
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'purchase_order_line' AND entity_key = \("\(id)/1")")
                    == accepted)
            // The submitted order holds the last accepted quantity (or the first, if every edit came too late).
            let submitted = try await app.database.rows(
                """
                SELECT after->'lines'->0->>'quantity' FROM audit_log
                WHERE entity_type = 'purchase_order' AND entity_key = \(String(id)) AND action = 'submit'
                """, as: String?.self)
            let now = try await app.database.rows(
                "SELECT quantity::text FROM purchase_order_lines WHERE order_id = \(id) AND line_no = 1", as: String.self)
            #expect(submitted.count == 1)
            #expect(submitted.first.flatMap { $0 }.flatMap { Decimal(string: $0) } == now.first.flatMap { Decimal(string: $0) })
        }
    }

    @Test("18.13: a line added to a draft takes the unified price and catalogue of the order date, not today's")
    func addedLineUsesOrderDate() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let drugs = try await ProcurementTests.drugs(app, count: 2)
            let id = try #require(try await ProcurementTests.order(app, officer, [(drugs[0].code, "2")]).json["id"] as? Int)
            // An order raised on a date when no catalogue nor price was in effect yet.
            try await app.database.transaction { c in
                try await c.sql("UPDATE purchase_orders SET order_date = '2001-03-01' WHERE id = \(id)")
            }
            let refused = try await app.call(
                .post, "\(Self.base)/orders/\(id)/lines", token: officer,
                json: #"{"drugCode": "\#(drugs[1].code)", "quantity": "1", "reason": "forgotten"}"#)
            refused.expectProblem(.unprocessableContent, naming: "drugCode")
            #expect((refused.json["detail"] as? String ?? "").contains("2001-03-01"), "\(refused.text)")
            #expect(try await app.count("SELECT count(*)::int FROM purchase_order_lines WHERE order_id = \(id)") == 1)
        }
    }

    @Test("18.13: removing an item from a catalogue draft needs a reason, which is kept and audited")
    func catalogueRemovalReason() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            var etag = try await CatalogueTests.openDraft(app, admin: admin)
            let drug = try await app.database.rows(
                "SELECT drug_code FROM catalogue_items WHERE version_number = 2 ORDER BY drug_code LIMIT 1", as: String.self)[0]
            let uri = "\(CatalogueTests.base)/versions/2/items/\(drug)"
            try await app.call(.delete, uri, token: admin, headers: [.ifMatch: etag]).expectProblem(.badRequest, naming: "reason")
            try await app.call(.delete, uri + "?reason=%20%20", token: admin, headers: [.ifMatch: etag])
                .expectProblem(.unprocessableContent, naming: "reason")
            #expect(
                try await app.count("SELECT count(*)::int FROM catalogue_items WHERE version_number = 2 AND drug_code = \(drug)")
                    == 1)

            let removed = try await app.call(
                .delete, uri + "?reason=%E9%87%8D%E5%A4%8D%E6%94%B6%E5%BD%95", token: admin,  // 重复收录
                headers: [.ifMatch: etag])
            #expect(removed.status == .ok, "\(removed.text)")
            etag = try #require(removed.headers[.eTag])
            #expect(
                try await app.count("SELECT count(*)::int FROM catalogue_items WHERE version_number = 2 AND drug_code = \(drug)")
                    == 0)
            let kept = try await app.database.rows(
                "SELECT reason FROM catalogue_item_removals WHERE version_number = 2 AND drug_code = \(drug)", as: String.self)
            #expect(kept == ["重复收录"])
            let audited = try await app.database.rows(
                """
                SELECT after->>'reason' FROM audit_log
                WHERE entity_type = 'catalogue_item' AND entity_key = \("2/\(drug)") AND action = 'remove_item'
                """, as: String?.self)
            #expect(audited == ["重复收录"])
            // The members see why, in the draft's difference from the version in effect.
            let diff = try await app.call(
                .get, "\(CatalogueTests.base)/versions/2/diff?against=1", token: try await app.token(.auditor))
            #expect((diff.json["removalReasons"] as? [String: String]) == [drug: "重复收录"], "\(diff.text)")
            _ = etag
        }
    }
}

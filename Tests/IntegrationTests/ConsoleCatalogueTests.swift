import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// The catalogue's life through the console's forms: draft, justify, remove with a reason, propose, endorse or
/// object, publish with the quorum shown, the difference, the report and a member's own list (issue 26).
@Suite("The console's catalogue pages over HTTP (issue 26)")
struct ConsoleCatalogueTests {
    typealias Jar = ConsoleTests.Jar

    /// A hidden field's value as a browser would send it (the page escapes it for HTML).
    static func hidden(_ name: String, in html: String) -> String {
        guard let range = html.range(of: #"name="\#(name)" value="([^"]*)""#, options: .regularExpression) else { return "" }
        let value = html[range].dropFirst(#"name="\#(name)" value=""#.count).dropLast()
        return value.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Posts a form whose names may repeat (a group of checkboxes).
    static func post(_ app: TestApp, _ path: String, _ fields: [(String, String)], jar: inout Jar) async throws
        -> TestResponse
    {
        var headers = jar.header
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        let response = try await app.client.execute(
            uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
        jar.take(response)
        return response
    }

    /// Logs in a new account and returns its jar and the CSRF token of its pages.
    static func session(_ app: TestApp, _ name: String, _ role: Role, institution: String?) async throws -> (Jar, String) {
        try await ConsoleTests.account(app, name, role, institution: institution)
        var jar = Jar()
        _ = try await ConsoleTests.login(app, name, jar: &jar)
        let home = try await ConsoleTests.get(app, "/console/", jar: &jar)
        return (jar, ConsoleTests.csrf(in: home.text))
    }

    static func draftETag(_ app: TestApp, jar: inout Jar) async throws -> String {
        hidden("etag", in: try await ConsoleTests.get(app, "/console/catalogue/draft", jar: &jar).text)
    }

    @Test(
        "the centre drafts: a drug without a justification is refused beside the field, nothing written; saved with one; removed only with a reason; a stale page is refused"
    )
    func drafting() async throws {
        try await TestApp.run { app in
            var (jar, csrf) = try await Self.session(app, "centre", .consortiumAdmin, institution: "JL-TCMH")
            let empty = try await ConsoleTests.get(app, "/console/catalogue/draft", jar: &jar)
            #expect(empty.status == .ok && empty.text.contains(#"id="open-draft""#))
            let opened = try await Self.post(app, "/console/catalogue/draft/open", [("csrf", csrf)], jar: &jar)
            #expect(opened.status == .seeOther && opened.headers[.location] == "/console/catalogue/draft?done=draft_opened")
            let draft = try await ConsoleTests.get(app, "/console/catalogue/draft?done=draft_opened", jar: &jar)
            #expect(draft.text.contains("第 2 版草案，532 项。") && draft.text.contains(#"role="status">已开始新一版草案。"#))
            var etag = Self.hidden("etag", in: draft.text)
            #expect(etag.hasPrefix(#""2."#))

            try await app.call(
                .post, "/v1/drugs", token: try await app.token(.masterDataAdmin),
                json: """
                    {"code": "X-NONLIST-1", "genericName": "某新药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                     "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "none",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false}
                    """)
            let form = try await ConsoleTests.get(app, "/console/catalogue/draft/item?code=X-NONLIST-1", jar: &jar)
            #expect(form.status == .ok && form.text.contains(#"id="justification-hint""#))
            let item: [(String, String)] = [
                ("csrf", csrf), ("version", "2"), ("etag", etag), ("drugCode", "X-NONLIST-1"), ("levels", "primary"),
                ("levels", "village"),
            ]
            let refused = try await Self.post(app, "/console/catalogue/draft/item", item, jar: &jar)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains(#"<span id="justification-error" class="refusal">"#))
            #expect(refused.text.contains("遴选理由") && refused.text.contains(#"value="village" checked"#))
            #expect(try await app.count("SELECT count(*)::int FROM catalogue_items WHERE version_number = 2") == 532)

            let saved = try await Self.post(
                app, "/console/catalogue/draft/item", item + [("justification", "临床必需，无替代")], jar: &jar)
            #expect(saved.status == .seeOther && saved.headers[.location] == "/console/catalogue/draft?done=item_saved")
            let levels = try await app.database.rows(
                "SELECT array_to_string(levels, ',') FROM catalogue_items WHERE version_number = 2 AND drug_code = 'X-NONLIST-1'",
                as: String.self)
            #expect(levels == ["primary,village"])
            // The page read before the change is stale: refused, not overwritten.
            let stale = try await Self.post(
                app, "/console/catalogue/draft/item", item + [("justification", "again")], jar: &jar)
            #expect(stale.status == .preconditionFailed && stale.text.contains(#"id="refusal""#))
            etag = try await Self.draftETag(app, jar: &jar)

            let dropped = try await app.database.rows(
                "SELECT drug_code FROM catalogue_items WHERE version_number = 2 ORDER BY drug_code LIMIT 1", as: String.self)[0]
            let remove: [(String, String)] = [("csrf", csrf), ("version", "2"), ("etag", etag), ("drugCode", dropped)]
            let noReason = try await Self.post(app, "/console/catalogue/draft/remove", remove, jar: &jar)
            #expect(noReason.status == .unprocessableContent && noReason.text.contains(#"id="reason-error""#))
            let removed = try await Self.post(
                app, "/console/catalogue/draft/remove", remove + [("reason", "已有更优替代")], jar: &jar)
            #expect(removed.status == .seeOther)
            #expect(try await app.count("SELECT count(*)::int FROM catalogue_items WHERE version_number = 2") == 532)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'catalogue_item' AND action IN ('add_item', 'remove_item')"
                )
                    == 2)
        }
    }

    @Test(
        "put to the members: a pharmacist endorses or objects (an objection says why); the quorum is shown; publish needs it and a date not past"
    )
    func agreement() async throws {
        try await TestApp.run { app in
            var (centre, csrf) = try await Self.session(app, "centre", .consortiumAdmin, institution: "JL-TCMH")
            _ = try await Self.post(app, "/console/catalogue/draft/open", [("csrf", csrf)], jar: &centre)
            let proposed = try await Self.post(
                app, "/console/catalogue/draft/propose",
                [("csrf", csrf), ("version", "2"), ("etag", try await Self.draftETag(app, jar: &centre))], jar: &centre)
            #expect(proposed.status == .seeOther)
            let standing = try await ConsoleTests.get(app, "/console/catalogue/draft", jar: &centre).text
            #expect(standing.contains("牵头单位 JL-TCMH 尚未同意。") && standing.contains("成员单位已同意 0 家，需 5 家（过半数）。"))
            #expect(standing.contains("尚不满足发布条件。"))

            var (member, memberCSRF) = try await Self.session(
                app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let page = try await ConsoleTests.get(app, "/console/catalogue/versions/2", jar: &member)
            #expect(page.status == .ok && page.text.contains(#"id="endorse-form""#))
            let bare = try await Self.post(
                app, "/console/catalogue/versions/2/endorse", [("csrf", memberCSRF), ("decision", "object")], jar: &member)
            #expect(bare.status == .unprocessableContent && bare.text.contains(#"id="comment-error""#), "\(bare.text)")
            #expect(try await app.count("SELECT count(*)::int FROM catalogue_endorsements") == 0)
            let objected = try await Self.post(
                app, "/console/catalogue/versions/2/endorse",
                [("csrf", memberCSRF), ("decision", "object"), ("comment", "缺少儿童剂型")], jar: &member)
            #expect(objected.status == .seeOther && objected.headers[.location] == "/console/catalogue/versions/2?done=objected")
            #expect(try await ConsoleTests.get(app, "/console/catalogue/draft", jar: &centre).text.contains("有异议：YJ-TCMH。"))
            _ = try await Self.post(
                app, "/console/catalogue/versions/2/endorse", [("csrf", memberCSRF), ("decision", "endorse")], jar: &member)
            try await CatalogueTests.endorse(app, ["JL-TCMH", "SL-TCMH", "CY-BJL-CHC", "CHY-YAJ-CHC"])

            let today = BusinessDate.today()
            var publish: [(String, String)] = [
                ("csrf", csrf), ("version", "2"), ("etag", try await Self.draftETag(app, jar: &centre)),
            ]
            let short = try await Self.post(
                app, "/console/catalogue/draft/publish", publish + [("effectiveFrom", today.adding(days: 1).description)],
                jar: &centre)
            #expect(short.status == .unprocessableContent && short.text.contains("4 of the 5") == false)
            #expect(short.text.contains("成员单位") && short.text.contains(#"id="refusal""#))
            try await CatalogueTests.endorse(app, ["YJ-CLH-THC"])
            let past = try await Self.post(
                app, "/console/catalogue/draft/publish", publish + [("effectiveFrom", today.adding(days: -1).description)],
                jar: &centre)
            #expect(past.status == .unprocessableContent && past.text.contains(#"id="effectiveFrom-error""#))
            publish.append(("effectiveFrom", today.adding(days: 1).description))
            let published = try await Self.post(app, "/console/catalogue/draft/publish", publish, jar: &centre)
            #expect(published.status == .seeOther, "\(published.text)")
            #expect(published.headers[.location] == "/console/catalogue/versions/2?done=version_published")
            #expect(
                try await app.count("SELECT count(*)::int FROM catalogue_versions WHERE number = 2 AND status = 'published'") == 1
            )

            // A prescriber reads the versions but may not open the draft.
            var (doctor, _) = try await Self.session(app, "doc", .prescriber, institution: "CY-BJL-CHC")
            #expect(try await ConsoleTests.get(app, "/console/catalogue/versions", jar: &doctor).status == .ok)
            #expect(try await ConsoleTests.get(app, "/console/catalogue/draft", jar: &doctor).status == .forbidden)
            #expect(try await ConsoleTests.get(app, "/console/catalogue/draft/item?code=X", jar: &doctor).status == .forbidden)
        }
    }

    @Test(
        "the difference between two versions names what was added, removed (with why) and changed; the report and a member's list"
    )
    func diffReportAndMemberList() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let base = CatalogueTests.base
            var etag = try await CatalogueTests.openDraft(app, admin: admin)
            let dropped = try await app.database.rows(
                "SELECT drug_code FROM catalogue_items WHERE version_number = 1 ORDER BY drug_code LIMIT 1", as: String.self)[0]
            let removed = try await app.call(
                .delete, "\(base)/versions/2/items/\(dropped)?reason=%E6%B7%98%E6%B1%B0", token: admin,
                headers: [.ifMatch: etag])
            etag = try #require(removed.headers[.eTag])
            var (jar, csrf) = try await Self.session(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let diff = try await ConsoleTests.get(app, "/console/catalogue/diff?from=1&to=2", jar: &jar)
            #expect(diff.status == .ok && diff.text.contains("新增 0 项，移出 1 项，调整 0 项。"))
            #expect(diff.text.contains("<td>\(dropped)</td>") && diff.text.contains("<td>淘汰</td>"))
            // The 目录调整对照表 for Excel and for print: the removal with its reason; the consortium and signatures.
            let csv = try await ConsoleTests.get(app, "/console/catalogue/diff?from=1&to=2&format=csv", jar: &jar)
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition]?.contains(#"filename="catalogue-diff-1-2.csv""#) == true)
            #expect(Array(csv.body.readableBytesView.prefix(3)) == [0xEF, 0xBB, 0xBF])
            let lines = try CSVStreamParser.records(String(csv.text.dropFirst())).map(\.fields)
            #expect(lines.first?.prefix(3) == ["调整", "药品编码", "通用名"])
            #expect(lines.dropFirst().map { [$0[0], $0[1], $0[8]] } == [["移出", dropped, "淘汰"]], "\(lines)")
            #expect(diff.text.contains(#"id="print-title">吉林市中医医联体基本用药目录调整对照表</p>"#))
            #expect(diff.text.contains(#"id="signatures""#) && diff.text.contains("药事管理与药物治疗学委员会主任委员（签字）"))
            #expect(diff.text.contains(#"href="/console/catalogue/diff?from=1&amp;to=2&amp;format=csv""#))
            let western = try await ConsoleTests.get(app, "/console/catalogue?category=western&format=csv", jar: &jar)
            let rows = try CSVStreamParser.records(String(western.text.dropFirst())).map(\.fields).dropFirst()
            #expect(rows.count > 100 && rows.allSatisfy { $0[4] == "化学药品" }, "every page of the filter, in Chinese")
            let version = try await ConsoleTests.get(app, "/console/catalogue/versions/1?format=csv", jar: &jar)
            #expect(
                try CSVStreamParser.records(String(version.text.dropFirst())).count
                    == 1 + (try await app.count("SELECT count(*)::int FROM catalogue_items WHERE version_number = 1")))
            let bad = try await ConsoleTests.get(app, "/console/catalogue/diff?from=x&to=2", jar: &jar)
            #expect(bad.status == .unprocessableContent)
            #expect(try await ConsoleTests.get(app, "/console/catalogue/diff?from=9&to=2", jar: &jar).status == .notFound)

            let report = try await ConsoleTests.get(app, "/console/catalogue/report", jar: &jar)
            #expect(report.status == .ok && report.text.contains(#"href="/console/catalogue/members/YJ-TCMH""#))
            #expect(report.text.contains("%</td>"))

            let list = try await ConsoleTests.get(app, "/console/catalogue/members/YJ-TCMH", jar: &jar)
            #expect(list.status == .ok && list.text.contains(#"id="member-form""#))
            let listETag = Self.hidden("etag", in: list.text)
            let outside = try await Self.post(
                app, "/console/catalogue/members/YJ-TCMH",
                [("csrf", csrf), ("etag", listETag), ("drugCodes", "X-NOT-IN-CATALOGUE")], jar: &jar)
            #expect(outside.status == .unprocessableContent && outside.text.contains(#"id="refusal""#))
            let inside = try await app.database.rows(
                "SELECT drug_code FROM catalogue_items WHERE version_number = 1 AND levels = '{}' ORDER BY drug_code LIMIT 2",
                as: String.self)
            let saved = try await Self.post(
                app, "/console/catalogue/members/YJ-TCMH",
                [("csrf", csrf), ("etag", listETag), ("drugCodes", inside.joined(separator: "\n"))], jar: &jar)
            #expect(saved.status == .seeOther)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'member_catalogue'") == 1)
            // Another member's list is read, not edited, by this pharmacist.
            let other = try await ConsoleTests.get(app, "/console/catalogue/members/SL-TCMH", jar: &jar)
            #expect(other.status == .ok && !other.text.contains(#"id="member-form""#))
            let refused = try await Self.post(
                app, "/console/catalogue/members/SL-TCMH", [("csrf", csrf), ("etag", "\"m0\""), ("drugCodes", "")],
                jar: &jar)
            #expect(refused.status == .forbidden)
        }
    }

    @Test(
        "a version's items a page at a time (100) by drug code (after the last shown, before the first: no offset), the filter kept in the links; the catalogue and a member's list too"
    )
    func pages() async throws {
        try await TestApp.run { app in
            var (jar, _) = try await Self.session(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            let total = try await app.count("SELECT count(*)::int FROM catalogue_items WHERE version_number = 1")
            try #require(total > 200, "the demo catalogue has \(total) items")
            func rows(_ html: String) -> Int { html.components(separatedBy: #"<tr class="item">"#).count - 1 }
            let codes = try await app.database.rows(
                "SELECT drug_code FROM catalogue_items WHERE version_number = 1 ORDER BY drug_code", as: String.self)
            let first = try await ConsoleTests.get(app, "/console/catalogue/versions/1", jar: &jar)
            #expect(first.status == .ok && rows(first.text) == 100)
            #expect(first.text.contains("第 1–100 项，共 \(total) 项"))
            #expect(first.text.contains(#"<a rel="next" href="/console/catalogue/versions/1?after=\#(codes[99])">"#))
            #expect(!first.text.contains(#"rel="prev""#))
            // The next page starts after the last code shown, and its link back ends before its first.
            let second = try await ConsoleTests.get(app, "/console/catalogue/versions/1?after=\(codes[99])", jar: &jar)
            #expect(rows(second.text) == 100 && second.text.contains("第 101–200 项，共 \(total) 项"))
            #expect(second.text.contains(#"<a rel="prev" href="/console/catalogue/versions/1?before=\#(codes[100])">"#))
            let back = try await ConsoleTests.get(app, "/console/catalogue/versions/1?before=\(codes[100])", jar: &jar)
            #expect(back.text.contains("第 1–100 项，共 \(total) 项") && !back.text.contains(#"rel="prev""#))
            let lastStart = (total - 1) / 100 * 100
            let last = try await ConsoleTests.get(
                app, "/console/catalogue/versions/1?after=\(codes[lastStart - 1])", jar: &jar)
            #expect(rows(last.text) == total - lastStart && !last.text.contains(#"rel="next""#))
            // A key past the end (a page kept from another version) shows the first page.
            let beyond = try await ConsoleTests.get(app, "/console/catalogue/versions/1?after=\(codes[total - 1])", jar: &jar)
            #expect(beyond.text.contains("第 1–100 项，共 \(total) 项"))
            // The filter finds across every page.
            let code = try await app.database.rows(
                "SELECT drug_code FROM catalogue_items WHERE version_number = 1 ORDER BY drug_code DESC LIMIT 1", as: String.self
            )[0]
            let found = try await ConsoleTests.get(app, "/console/catalogue/versions/1?q=\(code)", jar: &jar)
            #expect(rows(found.text) >= 1 && found.text.contains(#"<a href="/console/drugs/\#(code)">"#))
            #expect(!found.text.contains(#"class="pager""#) || rows(found.text) == 100)
            let catalogue = try await ConsoleTests.get(app, "/console/catalogue?category=western", jar: &jar)
            #expect(
                catalogue.text.contains(#"href="/console/catalogue?category=western&amp;after="#) || rows(catalogue.text) < 100)
            let member = try await ConsoleTests.get(app, "/console/catalogue/members/YJ-TCMH", jar: &jar)
            #expect(member.text.components(separatedBy: #"<tr class="drug">"#).count - 1 <= 100)
        }
    }

    @Test(
        "the catalogue's filters in the database find what the domain says: a code's start, a name's part, category, level, essential, insurance"
    )
    func filters() async throws {
        try await TestApp.run { app in
            let store = CatalogueStore(database: app.database)
            let consortiumID = try await app.database.rows("SELECT id FROM consortia WHERE code = 'JLTCM'", as: Int64.self)[0]
            let all = try await store.entries(1, consortiumID: consortiumID)
            try #require(all.count > 200)
            let name = String(all[all.count / 2].drug.genericName.prefix(2))
            let code = String(all[7].drug.code.prefix(6)).lowercased()
            let cases: [(CatalogueStore.EntryQuery, (CatalogueEntry) -> Bool)] = [
                (.init(text: code, limit: 1000), { $0.drug.code.lowercased().hasPrefix(code) }),
                (.init(text: name, limit: 1000), { $0.drug.genericName.contains(name) }),
                (.init(category: .chinesePatent, limit: 1000), { $0.drug.category == .chinesePatent }),
                (.init(level: .village, limit: 1000), { $0.item.allows(.village) }),
                (.init(level: .tertiary, limit: 1000), { $0.item.allows(.tertiary) }),
                (.init(essential: true, limit: 1000), { !$0.drug.essentialEditions.isEmpty }),
                (.init(essential: false, limit: 1000), { $0.drug.essentialEditions.isEmpty }),
                (.init(insurance: .b, limit: 1000), { $0.drug.insuranceClass == .b }),
                (
                    .init(category: .western, level: .primary, essential: true, insurance: .a, limit: 1000),
                    {
                        $0.drug.category == .western && $0.item.allows(.primary) && !$0.drug.essentialEditions.isEmpty
                            && $0.drug.insuranceClass == .a
                    }
                ),
            ]
            for (query, admits) in cases {
                let found = try await app.database.read {
                    try await store.entries(1, consortiumID: consortiumID, matching: query, on: $0)
                }
                let expected = all.filter(admits)
                #expect(found.entries == expected, "\(query)")
                #expect(found.total == expected.count, "\(query)")
            }
            // A page of them after a code, and before one; past the end nothing (the use case then answers the first
            // page).
            let page = try await app.database.read {
                try await store.entries(
                    1, consortiumID: consortiumID, matching: .init(limit: 100, after: all[99].drug.code), on: $0)
            }
            #expect(page.entries == Array(all[100..<200]) && page.total == all.count && page.position == 100)
            let back = try await app.database.read {
                try await store.entries(
                    1, consortiumID: consortiumID, matching: .init(limit: 100, before: all[200].drug.code), on: $0)
            }
            #expect(back.entries == page.entries && back.position == 100)
            let past = try await CatalogueUseCases(database: app.database).entries(
                1, consortiumID: consortiumID, matching: .init(limit: 100, after: all[all.count - 1].drug.code))
            #expect(past.position == 0 && past.entries == Array(all[0..<100]))
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOFoundationEssentialsCompat
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// The consortium catalogue's agreement and publication, against the real database.
@Suite("Consortium catalogue")
struct CatalogueTests {
    static let base = "/v1/consortia/JLTCM/catalogue"
    static let members = [
        "YJ-TCMH", "SL-TCMH", "CY-BJL-CHC", "CHY-YAJ-CHC", "YJ-CLH-THC", "SL-PA-THC", "YJ-CLH-SJZ-VC", "SL-PA-HQ-VC",
    ]

    /// Opens draft 2 (a copy of the seeded version 1) and returns its ETag.
    static func openDraft(_ app: TestApp, admin: String) async throws -> String {
        let draft = try await app.call(.post, "\(base)/versions", token: admin)
        #expect(draft.status == .created, "\(draft.text)")
        #expect(draft.json["number"] as? Int == 2)
        #expect(draft.json["itemCount"] as? Int == 532)
        return try #require(draft.headers[.eTag])
    }

    static func endorse(_ app: TestApp, _ institutions: [String], version: Int = 2) async throws {
        for code in institutions {
            let token = try await app.token(.institutionPharmacist, institution: code)
            let r = try await app.call(
                .post, "\(base)/versions/\(version)/endorsements", token: token, json: #"{"decision": "endorse"}"#)
            #expect(r.status == .ok, "\(r.text)")
        }
    }

    static func someDrug(_ app: TestApp, _ condition: PostgresQuery) async throws -> String {
        try await app.database.rows(condition, as: String.self)[0]
    }

    @Test("the seeded version 1 is in effect; ?on= before it finds none")
    func versionInEffect() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.prescriber)
            let now = try await app.call(.get, Self.base, token: token)
            #expect(now.status == .ok)
            #expect(now.json["version"] as? Int == 1)
            #expect((now.json["items"] as? [Any])?.count == 532)
            try await app.call(.get, "\(Self.base)?on=2025-12-31", token: token).expectProblem(.notFound)
            try await app.call(.get, "\(Self.base)?on=2026-02-30", token: token).expectProblem(.badRequest, naming: "on")
        }
    }

    @Test("editing a draft needs the current ETag: none gets 428, a stale one 412")
    func etags() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let etag = try await Self.openDraft(app, admin: admin)
            let drug = try await Self.someDrug(app, "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1")
            let uri = "\(Self.base)/versions/2/items/\(drug)"
            try await app.call(.put, uri, token: admin, json: #"{"note": "a"}"#).expectProblem(.init(code: 428))
            let first = try await app.call(.put, uri, token: admin, json: #"{"note": "a"}"#, headers: [.ifMatch: etag])
            #expect(first.status == .ok)
            let next = try #require(first.headers[.eTag])
            #expect(next != etag)
            // A second pharmacist still holding the old ETag does not overwrite silently.
            try await app.call(.put, uri, token: admin, json: #"{"note": "b"}"#, headers: [.ifMatch: etag]).expectProblem(
                .preconditionFailed)
            #expect(try await app.count("SELECT count(*)::int FROM catalogue_items WHERE version_number = 2 AND note = 'b'") == 0)
            let removed = try await app.call(.delete, uri + "?reason=typed%20in%20error", token: admin, headers: [.ifMatch: next])
            #expect(removed.json["itemCount"] as? Int == 531)
        }
    }

    @Test("one open draft at a time")
    func oneDraft() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            _ = try await Self.openDraft(app, admin: admin)
            try await app.call(.post, "\(Self.base)/versions", token: admin).expectProblem(.conflict)
        }
    }

    @Test("a drug neither essential nor insurance-listed needs a written justification")
    func justification() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(
                .post, "/v1/drugs", token: try await app.token(.masterDataAdmin),
                json: """
                    {"code": "X-NONLIST-1", "genericName": "某新药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                     "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "none",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false}
                    """)
            var etag = try await Self.openDraft(app, admin: admin)
            let uri = "\(Self.base)/versions/2/items/X-NONLIST-1"
            try await app.call(.put, uri, token: admin, json: #"{"levels": ["tertiary"]}"#, headers: [.ifMatch: etag])
                .expectProblem(.unprocessableContent, naming: "justification")
            let ok = try await app.call(
                .put, uri, token: admin, json: #"{"levels": ["tertiary"], "justification": "临床必需，无替代"}"#,
                headers: [.ifMatch: etag])
            #expect(ok.status == .ok, "\(ok.text)")
            etag = try #require(ok.headers[.eTag])
            try await app.call(
                .put, "\(Self.base)/versions/2/items/NO-SUCH-DRUG", token: admin, json: "{}", headers: [.ifMatch: etag]
            )
            .expectProblem(.unprocessableContent, naming: "drugCode")
        }
    }

    @Test("publication needs the lead, a quorum of members, and no open objection; then the version never changes")
    func agreementAndPublication() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            var etag = try await Self.openDraft(app, admin: admin)
            let dropped = try await Self.someDrug(
                app, "SELECT code FROM drugs WHERE category = 'chinese_patent' ORDER BY code LIMIT 1")
            let removed = try await app.call(
                .delete, "\(Self.base)/versions/2/items/\(dropped)?reason=dropped", token: admin, headers: [.ifMatch: etag])
            etag = try #require(removed.headers[.eTag])

            // Members cannot endorse a draft; the admin proposes it.
            let early = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            try await app.call(.post, "\(Self.base)/versions/2/endorsements", token: early, json: #"{"decision": "endorse"}"#)
                .expectProblem(.conflict)
            let proposed = try await app.call(.post, "\(Self.base)/versions/2/propose", token: admin, headers: [.ifMatch: etag])
            #expect(proposed.json["status"] as? String == "proposed")
            etag = try #require(proposed.headers[.eTag])
            // A proposed version is no longer edited.
            try await app.call(
                .put, "\(Self.base)/versions/2/items/\(dropped)", token: admin, json: "{}", headers: [.ifMatch: etag]
            )
            .expectProblem(.conflict)

            let tomorrow = BusinessDate.today().adding(days: 1)
            let publish = #"{"effectiveFrom": "\#(tomorrow)"}"#
            // Four of eight members and the lead: not a simple majority (five).
            try await Self.endorse(app, ["JL-TCMH"] + Array(Self.members.prefix(4)))
            try await app.call(.post, "\(Self.base)/versions/2/publish", token: admin, json: publish, headers: [.ifMatch: etag])
                .expectProblem(.unprocessableContent)
            // An objection needs a comment, and blocks publication while it is open.
            let objector = try await app.token(.institutionPharmacist, institution: "SL-PA-HQ-VC")
            try await app.call(.post, "\(Self.base)/versions/2/endorsements", token: objector, json: #"{"decision": "object"}"#)
                .expectProblem(.unprocessableContent, naming: "comment")
            try await app.call(
                .post, "\(Self.base)/versions/2/endorsements", token: objector,
                json: #"{"decision": "object", "comment": "村卫生室缺少常用中成药"}"#)
            try await Self.endorse(app, [Self.members[4]])
            let blocked = try await app.call(
                .post, "\(Self.base)/versions/2/publish", token: admin, json: publish, headers: [.ifMatch: etag])
            blocked.expectProblem(.unprocessableContent)
            #expect((blocked.json["detail"] as? String)?.contains("SL-PA-HQ-VC") == true)
            // The member withdraws its objection by endorsing; quorum reached, no objection open.
            try await Self.endorse(app, ["SL-PA-HQ-VC"])
            try await app.call(
                .post, "\(Self.base)/versions/2/publish", token: admin,
                json: #"{"effectiveFrom": "2020-01-01"}"#, headers: [.ifMatch: etag]
            )
            .expectProblem(.unprocessableContent, naming: "effectiveFrom")
            let published = try await app.call(
                .post, "\(Self.base)/versions/2/publish", token: admin, json: publish, headers: [.ifMatch: etag])
            #expect(published.status == .ok, "\(published.text)")
            #expect(published.json["status"] as? String == "published")

            // Effective dates: version 1 holds until the day before version 2.
            let reader = try await app.token(.auditor)
            #expect(try await app.call(.get, Self.base, token: reader).json["version"] as? Int == 1)
            #expect(try await app.call(.get, "\(Self.base)?on=\(tomorrow)", token: reader).json["version"] as? Int == 2)
            #expect(
                try await app.call(.get, "\(Self.base)?on=\(tomorrow.adding(days: 400))", token: reader).json["version"] as? Int
                    == 2)

            // Published versions never change: not through the API, not even in the database.
            let newETag = try #require(published.headers[.eTag])
            try await app.call(
                .put, "\(Self.base)/versions/2/items/\(dropped)", token: admin, json: "{}", headers: [.ifMatch: newETag]
            )
            .expectProblem(.conflict)
            await #expect(throws: (any Error).self) {
                try await app.database.client.query("DELETE FROM catalogue_items WHERE version_number = 2")
            }
            await #expect(throws: (any Error).self) {
                try await app.database.client.query(
                    "UPDATE catalogue_versions SET effective_from = '2030-01-01' WHERE number = 2")
            }

            // The diff names the removed drug; every step left its audit row.
            let diff = try await app.call(.get, "\(Self.base)/versions/2/diff?against=1", token: reader)
            #expect(((diff.json["removed"] as? [[String: Any]]) ?? []).map { $0["drugCode"] as? String } == [dropped])
            #expect(((diff.json["added"] as? [Any]) ?? [1]).isEmpty)
            let actions = try await app.database.rows(
                "SELECT action FROM audit_log WHERE entity_type LIKE 'catalogue%' ORDER BY id", as: String.self)
            #expect(actions.first == "open_draft")
            #expect(
                actions.contains("remove_item") && actions.contains("propose") && actions.contains("object")
                    && actions.contains("endorse") && actions.last == "publish")
        }
    }

    @Test("a prescriber cannot edit; a member's pharmacist endorses only for its own institution")
    func roles() async throws {
        try await TestApp.run { app in
            let prescriber = try await app.token(.prescriber)
            try await app.call(.post, "\(Self.base)/versions", token: prescriber).expectProblem(.forbidden)
            let pharmacist = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            try await app.call(.post, "\(Self.base)/versions", token: pharmacist).expectProblem(.forbidden)
            let unscoped = try await app.token(.institutionPharmacist)
            let admin = try await app.token(.consortiumAdmin)
            var etag = try await Self.openDraft(app, admin: admin)
            let proposed = try await app.call(.post, "\(Self.base)/versions/2/propose", token: admin, headers: [.ifMatch: etag])
            etag = try #require(proposed.headers[.eTag])
            try await app.call(.post, "\(Self.base)/versions/2/endorsements", token: unscoped, json: #"{"decision": "endorse"}"#)
                .expectProblem(.forbidden)
            try await app.call(
                .post, "\(Self.base)/versions/2/endorsements", token: prescriber, json: #"{"decision": "endorse"}"#
            )
            .expectProblem(.forbidden)
            _ = etag
        }
    }

    @Test("a member's list must lie inside the catalogue and its level restrictions; 422 names every offending code")
    func memberCatalogue() async throws {
        try await TestApp.run { app in
            let village = try await app.token(.institutionPharmacist, institution: "SL-PA-HQ-VC")
            let uri = "/v1/institutions/SL-PA-HQ-VC/catalogue"
            let initial = try await app.call(.get, uri, token: village)
            #expect(initial.json["usesConsortiumCatalogue"] as? Bool == true)
            let allowed = ((initial.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
            #expect(allowed.count > 300 && allowed.count < 532)
            let etag = try #require(initial.headers[.eTag])

            let restricted = try await Self.someDrug(
                app, "SELECT code FROM drugs WHERE control_class = 'narcotic' ORDER BY code LIMIT 1")
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category, insurance_class)
                    VALUES ('X-OUTSIDE-1', '目录外药', '片剂', 10, '盒', '片', 'western', 'B')
                    """)
            }
            let body = #"{"drugCodes": ["\#(allowed[0])", "\#(allowed[1])", "\#(restricted)", "X-OUTSIDE-1"]}"#
            let refused = try await app.call(.put, uri, token: village, json: body, headers: [.ifMatch: etag])
            refused.expectProblem(.unprocessableContent, naming: restricted)
            let named = ((refused.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }
            #expect(Set(named) == [restricted, "X-OUTSIDE-1"])
            #expect(try await app.count("SELECT count(*)::int FROM member_catalogue_items") == 0)

            let saved = try await app.call(
                .put, uri, token: village, json: #"{"drugCodes": ["\#(allowed[0])", "\#(allowed[1])"]}"#,
                headers: [.ifMatch: etag])
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(saved.json["usesConsortiumCatalogue"] as? Bool == false)
            #expect((saved.json["items"] as? [Any])?.count == 2)
            // The first save's ETag is stale now.
            try await app.call(.put, uri, token: village, json: #"{"drugCodes": []}"#, headers: [.ifMatch: etag])
                .expectProblem(.preconditionFailed)
            // Another member's pharmacist cannot touch this list.
            let other = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            try await app.call(.put, uri, token: other, json: #"{"drugCodes": []}"#, headers: [.ifMatch: "*"]).expectProblem(
                .forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'member_catalogue'") == 1)
        }
    }

    @Test("a new version that drops a member's drug reports the member's list out of line, unchanged")
    func outOfLine() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let held = try await Self.someDrug(
                app, "SELECT code FROM drugs WHERE category = 'western' AND control_class = 'none' ORDER BY code LIMIT 1")
            let pharmacist = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let put = try await app.call(
                .put, "/v1/institutions/YJ-TCMH/catalogue", token: pharmacist,
                json: #"{"drugCodes": ["\#(held)"]}"#, headers: [.ifMatch: "\"m0\""])
            #expect(put.status == .ok, "\(put.text)")

            var etag = try await Self.openDraft(app, admin: admin)
            etag = try #require(
                try await app.call(
                    .delete, "\(Self.base)/versions/2/items/\(held)?reason=dropped", token: admin, headers: [.ifMatch: etag]
                ).headers[.eTag])
            etag = try #require(
                try await app.call(.post, "\(Self.base)/versions/2/propose", token: admin, headers: [.ifMatch: etag]).headers[
                    .eTag])
            try await Self.endorse(app, ["JL-TCMH"] + Self.members)
            let today = BusinessDate.today()
            let published = try await app.call(
                .post, "\(Self.base)/versions/2/publish", token: admin,
                json: #"{"effectiveFrom": "\#(today)"}"#, headers: [.ifMatch: etag])
            #expect(published.status == .ok, "\(published.text)")

            let report = try await app.call(.get, "\(Self.base)/out-of-line", token: admin)
            let items = (report.json["items"] as? [[String: Any]]) ?? []
            #expect(items.count == 1)
            #expect(items.first?["institutionCode"] as? String == "YJ-TCMH")
            #expect(items.first?["drugCode"] as? String == held)
            #expect(items.first?["reason"] as? String == "not_in_catalogue")
            #expect(try await app.count("SELECT count(*)::int FROM member_catalogue_items WHERE drug_code = \(held)") == 1)

            let summary = try await app.call(.get, "\(Self.base)/report", token: admin)
            let members = (summary.json["members"] as? [[String: Any]]) ?? []
            #expect(members.first { $0["institutionCode"] as? String == "YJ-TCMH" }?["outOfLine"] as? Int == 1)
            let categories = (summary.json["categories"] as? [[String: Any]]) ?? []
            #expect(Set(categories.compactMap { $0["category"] as? String }) == ["western", "chinese_patent", "decoction_piece"])
            #expect(categories.allSatisfy { ($0["essentialShare"] as? String)?.count == 6 })
        }
    }

    @Test("a down-referred patient's drugs: held, or alternatives of the same generic name first")
    func referralContinuity() async throws {
        try await TestApp.run { app in
            let forms = try await app.database.rows(
                """
                SELECT a.code, b.code FROM drugs a JOIN drugs b ON a.generic_name = b.generic_name AND a.code < b.code
                WHERE a.category = 'western' AND a.control_class = 'none' AND b.control_class = 'none'
                  AND NOT a.code IN (SELECT drug_code FROM catalogue_items WHERE cardinality(levels) > 0)
                  AND NOT b.code IN (SELECT drug_code FROM catalogue_items WHERE cardinality(levels) > 0)
                ORDER BY a.code LIMIT 1
                """, as: (String, String).self)[0]
            let pharmacist = try await app.token(.institutionPharmacist, institution: "CY-BJL-CHC")
            let put = try await app.call(
                .put, "/v1/institutions/CY-BJL-CHC/catalogue", token: pharmacist,
                json: #"{"drugCodes": ["\#(forms.1)"]}"#, headers: [.ifMatch: "*"])
            #expect(put.status == .ok, "\(put.text)")
            let prescriber = try await app.token(.prescriber, institution: "JL-TCMH")
            let check = try await app.call(
                .post, "/v1/referrals/medication-check", token: prescriber,
                json: """
                    {"sendingInstitutionCode": "JL-TCMH", "receivingInstitutionCode": "CY-BJL-CHC", "drugCodes": ["\(forms.0)", "\(forms.1)", "NOPE"]}
                    """)
            let answers = (check.json["items"] as? [[String: Any]]) ?? []
            #expect(answers.count == 3)
            #expect(answers[0]["heldByReceiver"] as? Bool == false)
            #expect(((answers[0]["alternatives"] as? [[String: Any]]) ?? []).first?["code"] as? String == forms.1)
            #expect(answers[1]["heldByReceiver"] as? Bool == true)
            #expect(answers[2]["known"] as? Bool == false)
        }
    }

    @Test("the catalogue exports as CSV and as a FHIR Bundle of MedicationKnowledge")
    func exports() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.auditor)
            let csv = try await app.call(.get, "\(Self.base)?format=csv", token: token)
            #expect(csv.status == .ok)
            #expect(csv.contentType?.hasPrefix("text/csv") == true)
            // For Excel on Chinese Windows: the byte-order mark, Chinese headers and classes, a file name.
            #expect(Array(csv.body.readableBytesView.prefix(3)) == [0xEF, 0xBB, 0xBF])
            let records = try CSVStreamParser.records(String(csv.text.drop { $0 == "\u{FEFF}" }))
            #expect(records.first?.fields.prefix(3) == ["药品编码", "通用名", "剂型"])
            #expect(records.count == 533)
            #expect(records.dropFirst().allSatisfy { ["化学药品", "中成药", "中药饮片", "医疗机构制剂"].contains($0.fields[4]) })
            let disposition = csv.headers[.contentDisposition] ?? ""
            #expect(disposition.hasPrefix(#"attachment; filename="catalogue-1.csv"; filename*=UTF-8''"#), "\(disposition)")
            #expect(disposition.contains("%E5%9F%BA%E6%9C%AC"), "基本 percent-encoded: \(disposition)")

            let fhir = try await app.call(.get, "\(Self.base)?format=fhir", token: token)
            #expect(fhir.contentType?.hasPrefix("application/fhir+json") == true)
            #expect(fhir.json["resourceType"] as? String == "Bundle")
            let entries = (fhir.json["entry"] as? [[String: Any]]) ?? []
            #expect(entries.count == 532)
            #expect((entries.first?["resource"] as? [String: Any])?["resourceType"] as? String == "MedicationKnowledge")
            // scripts/test.sh validates this file with a third-party FHIR library (fhir.resources).
            let out = TestDatabases.repositoryRoot.appendingPathComponent(".build/test-artifacts")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try Data(buffer: fhir.body).write(to: out.appendingPathComponent("catalogue.fhir.json"))
        }
    }
}

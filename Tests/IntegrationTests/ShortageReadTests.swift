import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

@Suite(
    "Shortage reads (短缺): open shortages, one with its history, the alert feed, a member's digest, suppliers' reports (issue 22)")
struct ShortageReadTests {
    typealias S = ShortageScanTests
    static let base = "/v1/consortia/JLTCM"

    static func items(_ response: TestResponse) -> [[String: Any]] { response.json["items"] as? [[String: Any]] ?? [] }

    static func drugs(_ response: TestResponse) -> Set<String> {
        Set(items(response).compactMap { $0["drugCode"] as? String })
    }

    /// XSHR01 out of stock at the member (the consortium as a whole too); XSHR02 low at the member only.
    static func prepare(_ app: TestApp, on d: BusinessDate) async throws {
        for drug in ["XSHR01", "XSHR02"] { try await S.drug(app, drug) }
        try await S.move(app, "XSHR01", reason: "106", quantity: 30, on: d.adding(days: -100))
        try await S.move(app, "XSHR01", reason: "dispensing", quantity: 30, on: d.adding(days: -20))
        try await S.move(app, "XSHR02", reason: "106", quantity: 100, on: d.adding(days: -100))
        try await S.move(app, "XSHR02", reason: "dispensing", quantity: 90, on: d.adding(days: -20))
        try await S.move(app, "XSHR02", S.otherMember, reason: "106", quantity: 5000, on: d.adding(days: -100))
        _ = try await S.scan(app, on: d)
    }

    @Test("open shortages by level and member; a member's pharmacist sees its own and the consortium's, not another member's")
    func openShortagesAndRoles() async throws {
        try await TestApp.run { app in
            let d = S.today
            try await Self.prepare(app, on: d)
            let admin = try await app.token(.consortiumAdmin)
            let all = try await app.call(.get, "\(Self.base)/shortages", token: admin)
            #expect(all.status == .ok, "\(all.text)")
            #expect(Self.drugs(all).isSuperset(of: ["XSHR01", "XSHR02"]))
            let xshr02 = try #require(Self.items(all).first { $0["drugCode"] as? String == "XSHR02" })
            #expect(xshr02["level"] as? String == "member" && xshr02["specification"] as? String == "5mg×28片/盒")
            let members = xshr02["members"] as? [[String: Any]] ?? []
            #expect(members.map { $0["institutionCode"] as? String } == [S.member])
            #expect(members.first?["daysOfStock"] as? String == "10" && members.first?["onHand"] as? String == "10")

            let memberLevel = try await app.call(.get, "\(Self.base)/shortages?level=member&member=\(S.member)", token: admin)
            #expect(Self.drugs(memberLevel).contains("XSHR02") && !Self.drugs(memberLevel).contains("XSHR01"))

            let mine = try await app.token(.institutionPharmacist, institution: S.member)
            let other = try await app.token(.institutionPharmacist, institution: S.otherMember)
            #expect(
                Self.drugs(try await app.call(.get, "\(Self.base)/shortages", token: mine)).isSuperset(of: ["XSHR01", "XSHR02"]))
            let theirs = Self.drugs(try await app.call(.get, "\(Self.base)/shortages", token: other))
            #expect(theirs.contains("XSHR01") && !theirs.contains("XSHR02"), "\(theirs)")
            let id = try #require(xshr02["id"] as? Int)
            try await app.call(.get, "\(Self.base)/shortages/\(id)", token: other).expectProblem(.notFound)

            // One record with its members and signals.
            let one = try await app.call(.get, "\(Self.base)/shortages/\(id)", token: mine)
            #expect(one.status == .ok, "\(one.text)")
            let signals = one.json["signals"] as? [[String: Any]] ?? []
            #expect(signals.map { $0["kind"] as? String } == ["low_stock"])
            #expect(signals.first?["firstSeenOn"] as? String == d.description && signals.first?["clearedOn"] == nil)
            #expect((one.json["actions"] as? [Any])?.isEmpty == true)

            // A page at a time: one by one the pages hold the same records in the same order, each once.
            var paged: [Int] = []
            var cursor: String?
            repeat {
                let page = try await app.call(
                    .get, "\(Self.base)/shortages?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""), token: admin)
                #expect(page.status == .ok && Self.items(page).count == 1, "\(page.text)")
                paged += Self.items(page).compactMap { $0["id"] as? Int }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil && paged.count < 50
            #expect(paged == Self.items(all).compactMap { $0["id"] as? Int })
            #expect(all.json["nextCursor"] == nil)
            try await app.call(.get, "\(Self.base)/shortages?cursor=nope", token: admin).expectProblem(
                .badRequest, naming: "cursor")
            try await app.call(.get, "\(Self.base)/shortages?limit=0", token: admin).expectProblem(.badRequest, naming: "limit")

            // Regulators and auditors read; finance does not.
            #expect(try await app.call(.get, "\(Self.base)/shortages", token: try await app.token(.auditor)).status == .ok)
            try await app.call(.get, "\(Self.base)/shortages", token: try await app.token(.finance)).expectProblem(.forbidden)
        }
    }

    @Test(
        "the alert feed pages on its cursor, oldest change first; a record changed again comes again; the supply centre and overseers only"
    )
    func feed() async throws {
        try await TestApp.run { app in
            let d = S.today
            try await Self.prepare(app, on: d)
            let admin = try await app.token(.consortiumAdmin)
            var seen: [Int] = []
            var cursor: String?
            var last: String?
            repeat {
                let page = try await app.call(
                    .get, "\(Self.base)/shortage-feed?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""), token: admin)
                #expect(page.status == .ok, "\(page.text)")
                seen += Self.items(page).compactMap { $0["id"] as? Int }
                cursor = page.json["nextCursor"] as? String
                if let cursor { last = cursor }
            } while cursor != nil && seen.count < 100
            #expect(Set(seen).count == seen.count, "a record came twice: \(seen)")
            let all = try await app.call(.get, "\(Self.base)/shortage-feed?limit=200", token: admin)
            #expect(Self.items(all).compactMap { $0["id"] as? Int } == seen)
            let lastCursor = try #require(last)

            // XSHR02 back in stock: closed, and in the feed again after the cursor.
            try await S.move(app, "XSHR02", reason: "106", quantity: 1000, on: d)
            _ = try await S.scan(app, on: d.adding(days: 1))
            let after = try await app.call(.get, "\(Self.base)/shortage-feed?cursor=\(lastCursor)", token: admin)
            let changed = Self.items(after).first { $0["drugCode"] as? String == "XSHR02" }
            #expect(changed?["status"] as? String == "closed", "\(after.text)")

            try await app.call(.get, "\(Self.base)/shortage-feed?cursor=nonsense", token: admin)
                .expectProblem(.unprocessableContent, naming: "cursor")
            let pharmacist = try await app.token(.institutionPharmacist, institution: S.member)
            try await app.call(.get, "\(Self.base)/shortage-feed", token: pharmacist).expectProblem(.forbidden)
            #expect(try await app.call(.get, "\(Self.base)/shortage-feed", token: try await app.token(.regulator)).status == .ok)
        }
    }

    @Test("a member's digest lists the shortages it sees with its own days of stock; another member's pharmacist may not read it")
    func digest() async throws {
        try await TestApp.run { app in
            let d = S.today
            try await Self.prepare(app, on: d)
            let mine = try await app.token(.institutionPharmacist, institution: S.member)
            let digest = try await app.call(.get, "/v1/institutions/\(S.member)/shortage-digest", token: mine)
            #expect(digest.status == .ok, "\(digest.text)")
            #expect(digest.json["asOf"] as? String == d.description)
            let lines = Self.items(digest)
            let low = try #require(lines.first { ($0["shortage"] as? [String: Any])?["drugCode"] as? String == "XSHR02" })
            #expect((low["daysOfStock"] as? [String: Any])?["daysOfStock"] as? String == "10")
            let out = try #require(lines.first { ($0["shortage"] as? [String: Any])?["drugCode"] as? String == "XSHR01" })
            #expect(
                (out["daysOfStock"] as? [String: Any])?["issuable"] == nil
                    || (out["daysOfStock"] as? [String: Any])?["issuable"] as? String == "0")
            let other = try await app.token(.institutionPharmacist, institution: S.otherMember)
            try await app.call(.get, "/v1/institutions/\(S.member)/shortage-digest", token: other).expectProblem(.forbidden)
            let theirs = try await app.call(.get, "/v1/institutions/\(S.otherMember)/shortage-digest", token: other)
            let theirDrugs = Self.items(theirs).compactMap { ($0["shortage"] as? [String: Any])?["drugCode"] as? String }
            #expect(theirDrugs.contains("XSHR01") && !theirDrugs.contains("XSHR02"))
        }
    }

    @Test(
        "a supplier's report: refused with every field named and nothing written; recorded once, it opens a record; resumed once; audited"
    )
    func supplierReports() async throws {
        try await TestApp.run { app in
            let d = S.today
            try await S.drug(app, "XSHR03")
            let admin = try await app.token(.consortiumAdmin)
            let path = "\(Self.base)/shortage-supplier-reports"
            let before = try await app.count("SELECT count(*)::int FROM shortage_supplier_reports")
            let pharmacist = try await app.token(.institutionPharmacist, institution: S.member)
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            let bad = try await app.call(
                .post, path, token: admin,
                json:
                    #"{"drugCode": "XSHR03", "supplierCode": "DST-SINOPHARM-JL", "notice": " ", "reportedOn": "\#(d.adding(days: 1))"}"#
            )
            bad.expectProblem(.unprocessableContent, naming: "notice")
            bad.expectProblem(.unprocessableContent, naming: "reportedOn")
            try await app.call(
                .post, path, token: admin, json: #"{"drugCode": "XNOPE", "supplierCode": "DST-SINOPHARM-JL", "notice": "x"}"#
            ).expectProblem(.unprocessableContent, naming: "drugCode")
            try await app.call(
                .post, path, token: pharmacist,
                json: #"{"drugCode": "XSHR03", "supplierCode": "DST-SINOPHARM-JL", "notice": "停产"}"#
            ).expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM shortage_supplier_reports") == before)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits)

            let good =
                #"{"drugCode": "XSHR03", "supplierCode": "DST-SINOPHARM-JL", "notice": "原料药短缺，暂停供货", "reportedOn": "\#(d.adding(days: -2))"}"#
            let created = try await app.call(.post, path, token: admin, json: good)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"] as? Int)
            #expect(created.json["reportedOn"] as? String == d.adding(days: -2).description)
            try await app.call(.post, path, token: admin, json: good).expectProblem(.conflict)
            #expect(try await app.count("SELECT count(*)::int FROM shortage_scan_dirty WHERE drug_code = 'XSHR03'") == 1)

            _ = try await S.scan(app, on: d)
            let records = try await S.records(app, "XSHR03")
            #expect(records.count == 1 && records[0].level == "consortium")
            let standing = try await app.call(.get, "\(path)?standingOn=\(d)", token: admin)
            #expect(Self.items(standing).contains { $0["id"] as? Int == id })

            let resumed = try await app.call(
                .post, "\(path)/\(id)/resume", token: admin, json: #"{"resumedOn": "\#(d.adding(days: 1))"}"#)
            resumed.expectProblem(.unprocessableContent, naming: "resumedOn")
            let done = try await app.call(.post, "\(path)/\(id)/resume", token: admin, json: "{}")
            #expect(done.status == .ok && done.json["resumedOn"] as? String == d.description, "\(done.text)")
            try await app.call(.post, "\(path)/\(id)/resume", token: admin, json: "{}").expectProblem(.conflict)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'shortage_supplier_report' AND entity_key = \(String(id))"
                )
                    == 2)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Issue 28, "past one primary": a member's code is unique within its consortium only, and every request that names
/// a member by code is answered within the caller's consortium.
@Suite("Institution codes by consortium")
struct InstitutionCodeScopeTests {
    /// A second consortium whose member has the code of a demo member (YJ-TCMH), with a name of its own.
    static func otherConsortium(_ app: TestApp) async throws {
        try await app.database.transaction { c in
            try await c.sql("INSERT INTO consortia (code, name, kind) VALUES ('OTHER', '另一医联体', 'city_medical_group')")
            try await c.sql(
                """
                INSERT INTO institutions (consortium_id, code, name, level, type)
                SELECT id, 'YJ-TCMH', '另一医联体的同码医院', 'secondary', 'general' FROM consortia WHERE code = 'OTHER'
                """)
        }
    }

    @Test("28: two consortia keep the same member code; the API reads each caller's own member, stock and updates")
    func sameCodeInTwoConsortia() async throws {
        try await TestApp.run { app in
            try await Self.otherConsortium(app)
            let demo = try await app.token(.consortiumAdmin)
            let other = try await app.token(.consortiumAdmin, consortium: "OTHER")
            let national = try await app.token(.masterDataAdmin)

            let mine = try await app.call(.get, "/v1/institutions/YJ-TCMH", token: demo)
            #expect(mine.status == .ok && mine.json["consortiumCode"] as? String == "JLTCM", "\(mine.text)")
            let theirs = try await app.call(.get, "/v1/institutions/YJ-TCMH", token: other)
            #expect(theirs.status == .ok && theirs.json["consortiumCode"] as? String == "OTHER", "\(theirs.text)")
            #expect(theirs.json["name"] as? String == "另一医联体的同码医院")
            // A national token sees no consortium's members.
            try await app.call(.get, "/v1/institutions/YJ-TCMH", token: national).expectProblem(.notFound)

            // Stock: the demo member holds lots; the other consortium's namesake holds none.
            let demoStock = try await app.call(.get, "/v1/institutions/YJ-TCMH/stock", token: demo)
            #expect(demoStock.status == .ok && !((demoStock.json["items"] as? [Any]) ?? []).isEmpty, "\(demoStock.text)")
            let otherStock = try await app.call(.get, "/v1/institutions/YJ-TCMH/stock", token: other)
            #expect(otherStock.status == .ok && ((otherStock.json["items"] as? [Any]) ?? [1]).isEmpty, "\(otherStock.text)")

            // An update names the caller's member only.
            let renamed = try await app.call(.patch, "/v1/institutions/YJ-TCMH", token: other, json: #"{"name": "改名后的医院"}"#)
            #expect(renamed.status == .ok, "\(renamed.text)")
            let untouched = try await app.call(.get, "/v1/institutions/YJ-TCMH", token: demo)
            #expect(untouched.json["name"] as? String != "改名后的医院")

            // A new member may take a code another consortium uses, not one its own consortium uses.
            let before = try await app.count("SELECT count(*)::int FROM institutions")
            let again = try await app.call(
                .post, "/v1/consortia/JLTCM/institutions", token: demo,
                json: #"{"code": "YJ-TCMH", "name": "重复", "level": "primary", "type": "general"}"#)
            again.expectProblem(.conflict, naming: "code")
            #expect(try await app.count("SELECT count(*)::int FROM institutions") == before)
            let borrowed = try await app.call(
                .post, "/v1/consortia/OTHER/institutions", token: other,
                json: #"{"code": "JL-TCMH", "name": "同码的牵头医院", "level": "tertiary", "type": "general"}"#)
            #expect(borrowed.status == .created, "\(borrowed.text)")
        }
    }

    @Test("28: the stores' lookups by code take the consortium: a code of another consortium is not found")
    func lookupsTakeTheConsortium() async throws {
        try await TestApp.run { app in
            try await Self.otherConsortium(app)
            let demoID = try await app.demoConsortiumID
            let institutions = InstitutionUseCases(database: app.database)
            let demoMember = try #require(try await institutions.find(code: "YJ-TCMH", consortiumID: demoID))
            #expect(demoMember.consortiumCode == "JLTCM")
            // The demo's lead code is no member of the other consortium.
            let otherID = try #require(
                try await app.database.rows("SELECT id FROM consortia WHERE code = 'OTHER'", as: Int64.self).first)
            #expect(try await institutions.find(code: "JL-TCMH", consortiumID: otherID) == nil)
            let otherMember = try #require(try await institutions.find(code: "YJ-TCMH", consortiumID: otherID))
            #expect(otherMember.id != demoMember.id)
        }
    }
}

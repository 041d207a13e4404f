import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Synchronization
import Testing

@testable import RxAPI

@Suite("Tokens, roles and scopes")
struct AuthTests {
    @Test("no token, a malformed header or an unknown token gets 401")
    func unauthenticated() async throws {
        try await TestApp.run { app in
            let none = try await app.call(.get, "/v1/drugs", token: nil)
            none.expectProblem(.unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            try await app.call(.get, "/v1/drugs", token: nil, headers: [.authorization: "Basic abc"]).expectProblem(.unauthorized)
            try await app.call(.get, "/v1/drugs", token: "crx_unknown").expectProblem(.unauthorized)
        }
    }

    @Test("revoked and expired tokens get 401")
    func revokedAndExpired() async throws {
        try await TestApp.run { app in
            let store = TokenUseCases(database: app.database)
            let issued = try await store.create(
                role: .auditor, consortiumCode: TestApp.demoConsortium, institutionCode: nil, name: "to revoke",
                expiresAt: nil, actor: .console("test"))
            try await store.revoke(id: issued.id, actor: .console("test"))
            try await app.call(.get, "/v1/drugs", token: issued.token).expectProblem(.unauthorized)

            let expired = try await store.create(
                role: .auditor, consortiumCode: TestApp.demoConsortium, institutionCode: nil, name: "expired",
                expiresAt: Date().addingTimeInterval(-60), actor: .console("test"))
            try await app.call(.get, "/v1/drugs", token: expired.token).expectProblem(.unauthorized)
        }
    }

    @Test("19.11: a token verified and cached stops working at its expiry, not when the cache forgets it")
    func cachedTokenExpires() async throws {
        try await TestApp.run { app in
            // A cache that would remember the token for an hour: the token's own expiry must still end it. The
            // cache reads an injected clock, moved past the expiry; the database still holds the token valid.
            let clock = Mutex(Date())
            let authenticator = Authenticator(
                tokens: TokenUseCases(database: app.database), lifetime: .seconds(3600), now: { clock.withLock { $0 } })
            let expiry = Date().addingTimeInterval(600)
            let soon = try await TokenUseCases(database: app.database).create(
                role: .auditor, consortiumCode: TestApp.demoConsortium, institutionCode: nil, name: "expires soon",
                expiresAt: expiry, actor: .console("test"))
            #expect(try await authenticator.principal(forToken: soon.token) != nil)
            clock.withLock { $0 = expiry.addingTimeInterval(-1) }
            #expect(try await authenticator.principal(forToken: soon.token) != nil)
            clock.withLock { $0 = expiry }
            #expect(try await authenticator.principal(forToken: soon.token) == nil)
        }
    }

    @Test("19.11: token create --expires-in-days takes 1 to 3650 days and names the option otherwise")
    func tokenLifetimeOption() async throws {
        try await TestApp.run { app in
            let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
            let cli = Command(binary: binary, databaseURL: app.databaseURL, user: "token-test")
            for days in ["0", "-1", "3651", "9223372036854775807"] {
                let refused = try cli.run([
                    "token", "create", "--role", "auditor", "--consortium", TestApp.demoConsortium, "--expires-in-days", days,
                ])
                #expect(refused.status != 0 && refused.out.isEmpty, "\(days): \(refused.out)")
                #expect(refused.err.contains("--expires-in-days"), "\(days): \(refused.err)")
            }
            for days in ["1", "3650"] {
                let created = try cli.run([
                    "token", "create", "--role", "auditor", "--consortium", TestApp.demoConsortium, "--expires-in-days", days,
                ])
                #expect(created.status == 0, "\(days): \(created.err)")
                let token = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try await app.call(.get, "/v1/drugs?limit=1", token: token).status == .ok)
            }
        }
    }

    @Test("tokens are stored hashed, never as themselves")
    func storedHashed() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.auditor)
            #expect(try await app.count("SELECT count(*)::int FROM api_tokens WHERE token_hash = \(TokenStore.hash(token))") == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM api_tokens WHERE encode(token_hash, 'escape') LIKE \("%" + token + "%")") == 0)
        }
    }

    @Test("a role that may not do a thing gets 403, and nothing changes")
    func forbiddenRoles() async throws {
        try await TestApp.run { app in
            let drug = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            for role in [Role.prescriber, .auditor, .institutionPharmacist, .procurementOfficer, .regulator] {
                let token = try await app.token(role)
                try await app.call(.patch, "/v1/drugs/\(drug)", token: token, json: #"{"coldChain": true}"#)
                    .expectProblem(.forbidden)
                try await app.call(.patch, "/v1/consortia/JLTCM", token: token, json: #"{"name": "x"}"#)
                    .expectProblem(.forbidden)
            }
            let prescriber = try await app.token(.prescriber)
            try await app.call(.get, "/v1/audit", token: prescriber).expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE cold_chain AND code = \(drug)") == 0)
        }
    }

    @Test("a member's pharmacist changes only their own institution")
    func pharmacistScope() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let own = try await app.call(.patch, "/v1/institutions/YJ-TCMH", token: token, json: #"{"hasTestingLab": true}"#)
            #expect(own.status == .ok)
            #expect(own.json["hasTestingLab"] as? Bool == true)
            try await app.call(.patch, "/v1/institutions/SL-TCMH", token: token, json: #"{"hasTestingLab": true}"#)
                .expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM institutions WHERE code = 'SL-TCMH' AND has_testing_lab") == 0)
        }
    }

    @Test("a token of another consortium sees nothing of this one")
    func otherConsortium() async throws {
        try await TestApp.run { app in
            try await app.database.transaction { c in
                try await c.sql("INSERT INTO consortia (code, name, kind) VALUES ('OTHER', '其他医共体', 'county_medical_community')")
                try await c.sql(
                    """
                    INSERT INTO institutions (consortium_id, code, name, level, type)
                    SELECT id, 'OTHER-H', '其他医院', 'secondary', 'general' FROM consortia WHERE code = 'OTHER'
                    """)
            }
            let outsider = try await app.token(.consortiumAdmin, consortium: "OTHER")
            try await app.call(.get, "/v1/consortia/JLTCM", token: outsider).expectProblem(.notFound)
            try await app.call(.get, "/v1/consortia/JLTCM/institutions", token: outsider).expectProblem(.notFound)
            try await app.call(.get, "/v1/institutions/JL-TCMH", token: outsider).expectProblem(.notFound)
            try await app.call(.patch, "/v1/institutions/JL-TCMH", token: outsider, json: #"{"name": "x"}"#)
                .expectProblem(.notFound)
            let list = try await app.call(.get, "/v1/consortia", token: outsider)
            #expect((list.json["items"] as? [[String: Any]])?.map { $0["code"] as? String } == ["OTHER"])
        }
    }
}

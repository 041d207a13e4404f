import Foundation
import HummingbirdTesting
import RxDomain
import Testing

/// What `make fuzz` (Schemathesis against the contract) found, each kept as a regression test.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    @Test("text longer than the contract allows is refused with 422, so no later response breaks the contract")
    func overlongDrugText() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            let code = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            let long = String(repeating: "0", count: 201)
            try await app.call(.patch, "/v1/drugs/\(code)", token: admin, json: #"{"manufacturer": "\#(long)"}"#)
                .expectProblem(.unprocessableContent, naming: "manufacturer")
            try await app.call(.patch, "/v1/drugs/\(code)", token: admin, json: #"{"nameEn": "\#(long)"}"#)
                .expectProblem(.unprocessableContent, naming: "nameEn")
            // Code points are counted, as JSON Schema does: 200 Chinese characters fit.
            let chinese = String(repeating: "药", count: 200)
            let fits = try await app.call(.patch, "/v1/drugs/\(code)", token: admin, json: #"{"manufacturer": "\#(chinese)"}"#)
            #expect(fits.status == .ok, "\(fits.text)")
            try await app.call(.post, "/v1/drugs", token: admin, json: """
                {"code": "X-LONG-1", "genericName": "新药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                 "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "A",
                 "controlClass": "none", "antimicrobial": false, "coldChain": false, "strength": "\(long)"}
                """).expectProblem(.unprocessableContent, naming: "strength")
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE code = 'X-LONG-1'") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits + 1)
        }
    }
}

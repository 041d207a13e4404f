import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// What `make fuzz` (Schemathesis against the contract) found, each kept as a regression test.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    @Test(
        "text longer than the contract allows is refused with 400 naming the field (19.7), so no later response breaks the contract"
    )
    func overlongDrugText() async throws {
        try await TestApp.run { app in
            // Drugs and suppliers are written by the national master-data role (issue 18.12).
            let admin = try await app.token(.masterDataAdmin)
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            let code = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            let long = String(repeating: "0", count: 201)
            try await app.call(.patch, "/v1/drugs/\(code)", token: admin, json: #"{"manufacturer": "\#(long)"}"#)
                .expectProblem(.badRequest, naming: "manufacturer")
            try await app.call(.patch, "/v1/drugs/\(code)", token: admin, json: #"{"nameEn": "\#(long)"}"#)
                .expectProblem(.badRequest, naming: "nameEn")
            // Code points are counted, as JSON Schema does: 200 Chinese characters fit.
            let chinese = String(repeating: "药", count: 200)
            let fits = try await app.call(.patch, "/v1/drugs/\(code)", token: admin, json: #"{"manufacturer": "\#(chinese)"}"#)
            #expect(fits.status == .ok, "\(fits.text)")
            try await app.call(
                .post, "/v1/drugs", token: admin,
                json: """
                    {"code": "X-LONG-1", "genericName": "新药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                     "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "A",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false, "strength": "\(long)"}
                    """
            ).expectProblem(.badRequest, naming: "strength")
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE code = 'X-LONG-1'") == 0)
            // The same gap in suppliers: a licence number is at most 100 characters.
            try await app.call(
                .post, "/v1/suppliers", token: admin,
                json: """
                    {"code": "LONG-DIST", "name": "配送", "isManufacturer": false, "isDistributor": true,
                     "distributionLicence": "\(String(repeating: "吉", count: 101))"}
                    """
            ).expectProblem(.badRequest, naming: "distributionLicence")
            #expect(try await app.count("SELECT count(*)::int FROM suppliers WHERE code = 'LONG-DIST'") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits + 1)
        }
    }

    @Test("a Content-Type that repeats a parameter in another case is a 400, not a crash of the server")
    func repeatedMediaTypeParameter() async throws {
        // Found reading swift-openapi-runtime (OpenAPIMIMEType.evaluate traps on it), not by the fuzzer.
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            for contentType in ["application/json; charset=utf-8; Charset=utf-8", "application/json;CHARSET=x;charset=y"] {
                for (method, path) in [
                    (HTTPRequest.Method.patch, "/v1/consortia/JLTCM"), (.post, "/v1/long-prescriptions/check"),
                ] {
                    let response = try await app.client.execute(
                        uri: path, method: method, headers: [.authorization: "Bearer \(admin)", .contentType: contentType],
                        body: ByteBuffer(string: #"{"name": "x"}"#))
                    response.expectProblem(.badRequest, naming: "Content-Type")
                }
            }
            #expect(try await app.count("SELECT count(*)::int FROM consortia WHERE name = 'x'") == 0)
            let fine = try await app.call(.get, "/v1/consortia/JLTCM", token: admin)
            #expect(fine.status == .ok)
        }
    }

    @Test("a date before a policy setting takes effect is the caller's 422 naming the field, not a 503")
    func dateBeforeSettingsTakeEffect() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            try await app.call(
                .post, "/v1/consortia/JLTCM/herb-rounds", token: admin,
                json: """
                    {"awardRule": "lowest_price", "leadInstitutionCode": "JL-TCMH", "name": "吉林市中医医联体",
                     "periodEnd": "2000-01-01", "periodStart": "2000-01-01"}
                    """
            ).expectProblem(.unprocessableContent, naming: "periodStart")
            try await app.call(
                .post, "/v1/consortia/JLTCM/long-prescription-rules", token: admin,
                json: """
                    {"conditions": [{"icdFrom": "A00", "icdTo": "A00", "name": "0"}], "effectiveFrom": "2000-01-01",
                     "maxAssessmentAgeDays": 1, "maxDaysByLevel": {}, "requiresFamilyDoctorContract": false,
                     "supplyOnHandToleranceDays": 0}
                    """
            ).expectProblem(.unprocessableContent, naming: "effectiveFrom")
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits)
            // With no value at all the seeds are missing: that stays the server's 503.
            try await app.database.transaction { c in
                try await c.sql("DELETE FROM policy_defaults WHERE key = 'herb_commitment_proposal_pct'")
            }
            let missing = try await app.call(
                .post, "/v1/consortia/JLTCM/herb-rounds", token: admin,
                json: """
                    {"awardRule": "lowest_price", "leadInstitutionCode": "JL-TCMH", "name": "2026 第一轮",
                     "periodEnd": "2026-12-31", "periodStart": "2026-07-01"}
                    """)
            missing.expectProblem(.serviceUnavailable)
        }
    }

    @Test("a NUL character in a query parameter or a body is the caller's 400, not a 500; nothing is written")
    func nulCharacters() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(.get, "/v1/drugs?limit=178&q=%C3%B7%00&category=chinese_patent", token: admin)
                .expectProblem(.badRequest)
            try await app.call(.get, "/v1/drugs?code=X%00", token: admin).expectProblem(.badRequest)
            let suppliers = try await app.count("SELECT count(*)::int FROM suppliers")
            try await app.call(
                .post, "/v1/suppliers", token: try await app.token(.masterDataAdmin),
                json: #"""
                    {"code": "NUL-DIST", "name": "配送\u0000公司", "isManufacturer": false, "isDistributor": true,
                     "distributionLicence": "吉AA0000009"}
                    """#
            ).expectProblem(.badRequest)
            #expect(try await app.count("SELECT count(*)::int FROM suppliers") == suppliers)
        }
    }
}

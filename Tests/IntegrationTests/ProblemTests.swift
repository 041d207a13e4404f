import Foundation
import HummingbirdTesting
import RxDomain
import Testing

@Suite("Problem responses for bad input")
struct ProblemTests {
    @Test("invalid JSON, wrong types, missing and unknown fields get 400 naming the field; nothing is written")
    func malformedBodies() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let before = try await app.count("SELECT count(*)::int FROM institutions")
            try await app.call(.post, "/v1/consortia/JLTCM/institutions", token: admin, json: "{not json")
                .expectProblem(.badRequest)
            try await app.call(.post, "/v1/consortia/JLTCM/institutions", token: admin,
                               json: #"{"code": "NEW-1", "name": 5, "level": "primary", "type": "general"}"#)
                .expectProblem(.badRequest, naming: "name")
            try await app.call(.post, "/v1/consortia/JLTCM/institutions", token: admin,
                               json: #"{"code": "NEW-1", "name": "x", "type": "general"}"#)
                .expectProblem(.badRequest, naming: "level")
            try await app.call(.post, "/v1/consortia/JLTCM/institutions", token: admin,
                               json: #"{"code": "NEW-1", "name": "x", "level": "quaternary", "type": "general"}"#)
                .expectProblem(.badRequest, naming: "level")
            try await app.call(.post, "/v1/consortia/JLTCM/institutions", token: admin,
                               json: #"{"code": "NEW-1", "name": "x", "level": "primary", "type": "general", "extra": 1}"#)
                .expectProblem(.badRequest)
            #expect(try await app.count("SELECT count(*)::int FROM institutions") == before)
        }
    }

    @Test("a bad parameter gets 400; an unknown code gets 404")
    func parametersAndUnknownCodes() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.auditor)
            try await app.call(.get, "/v1/drugs?limit=0", token: token).expectProblem(.badRequest, naming: "limit")
            try await app.call(.get, "/v1/drugs?limit=abc", token: token).expectProblem(.badRequest)
            try await app.call(.get, "/v1/drugs?cursor=%25%25", token: token).expectProblem(.badRequest, naming: "cursor")
            try await app.call(.get, "/v1/drugs?category=herbal", token: token).expectProblem(.badRequest)
            try await app.call(.get, "/v1/drugs/NO-SUCH-DRUG", token: token).expectProblem(.notFound)
            try await app.call(.get, "/v1/institutions/NO-SUCH", token: token).expectProblem(.notFound)
            try await app.call(.get, "/v1/no-such-route", token: token).expectProblem(.notFound)
        }
    }

    @Test("a broken rule gets 422 naming the field; a duplicate gets 409; nothing is written")
    func rulesAndDuplicates() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            // Suppliers and drugs are national master data (issue 18.12): their own role writes them.
            let masterData = try await app.token(.masterDataAdmin)
            let suppliers = try await app.count("SELECT count(*)::int FROM suppliers")
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            try await app.call(.post, "/v1/suppliers", token: masterData,
                               json: #"{"code": "NEWMFR", "name": "新药厂", "isManufacturer": true, "isDistributor": false}"#)
                .expectProblem(.unprocessableContent, naming: "manufacturingLicence")
            try await app.call(.post, "/v1/suppliers", token: masterData,
                               json: #"{"code": "NEWDIST", "name": "配送", "isManufacturer": false, "isDistributor": true, "distributionLicence": "吉AA0000001", "countsAsManufacturerCode": "NOPE"}"#)
                .expectProblem(.unprocessableContent, naming: "countsAsManufacturerCode")
            let existing = try await app.database.rows("SELECT code FROM suppliers ORDER BY code LIMIT 1", as: String.self)[0]
            try await app.call(.post, "/v1/suppliers", token: masterData,
                               json: #"{"code": "\#(existing)", "name": "dup", "isManufacturer": false, "isDistributor": true, "distributionLicence": "x"}"#)
                .expectProblem(.conflict)
            try await app.call(.post, "/v1/drugs", token: masterData, json: """
                {"code": "T-NEW-1", "genericName": "黄芪", "dosageForm": "饮片", "packageSize": 1, "packageUnit": "kg",
                 "unit": "袋", "category": "decoction_piece", "essentialEditions": [], "insuranceClass": "B",
                 "controlClass": "none", "antimicrobial": false, "coldChain": false,
                 "decoctionPiece": {"herbName": "黄芪", "processing": "raw", "grade": "统货"}}
                """).expectProblem(.unprocessableContent, naming: "unit")
            try await app.call(.post, "/v1/drugs", token: masterData, json: """
                {"code": "X-NEW-1", "genericName": "新药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                 "unit": "片", "category": "western", "essentialEditions": ["1999"], "insuranceClass": "none",
                 "controlClass": "none", "antimicrobial": false, "coldChain": false}
                """).expectProblem(.unprocessableContent, naming: "essentialEditions")
            try await app.call(.patch, "/v1/consortia/JLTCM", token: admin, json: #"{"leadInstitutionCode": "NOPE"}"#)
                .expectProblem(.unprocessableContent, naming: "leadInstitutionCode")
            #expect(try await app.count("SELECT count(*)::int FROM suppliers") == suppliers)
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE code LIKE '%-NEW-1'") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits)
        }
    }

    @Test("oversized bodies get 413; SQL metacharacters are just text")
    func oversizedAndMetacharacters() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let huge = String(repeating: "x", count: 2 << 20)
            try await app.call(.patch, "/v1/consortia/JLTCM", token: admin, json: #"{"name": "\#(huge)"}"#)
                .expectProblem(.contentTooLarge)
            let search = try await app.call(.get, "/v1/drugs?q=%27%3B%20DROP%20TABLE%20drugs%3B--", token: admin)
            #expect(search.status == .ok)
            #expect((search.json["items"] as? [Any])?.isEmpty == true)
            let percent = try await app.call(.get, "/v1/drugs?q=%25", token: admin)
            #expect((percent.json["items"] as? [Any])?.isEmpty == true)
            #expect(try await app.count("SELECT count(*)::int FROM drugs") > 300)
        }
    }
}

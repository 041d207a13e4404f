import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
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
            try await app.call(
                .post, "/v1/consortia/JLTCM/institutions", token: admin,
                json: #"{"code": "NEW-1", "name": 5, "level": "primary", "type": "general"}"#
            )
            .expectProblem(.badRequest, naming: "name")
            try await app.call(
                .post, "/v1/consortia/JLTCM/institutions", token: admin,
                json: #"{"code": "NEW-1", "name": "x", "type": "general"}"#
            )
            .expectProblem(.badRequest, naming: "level")
            try await app.call(
                .post, "/v1/consortia/JLTCM/institutions", token: admin,
                json: #"{"code": "NEW-1", "name": "x", "level": "quaternary", "type": "general"}"#
            )
            .expectProblem(.badRequest, naming: "level")
            try await app.call(
                .post, "/v1/consortia/JLTCM/institutions", token: admin,
                json: #"{"code": "NEW-1", "name": "x", "level": "primary", "type": "general", "extra": 1}"#
            )
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

    @Test(
        "19.13: problems are in Chinese when the request prefers it (Accept-Language: zh), English otherwise; fields keep their contract names"
    )
    func chineseProblems() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.auditor)
            let zh: HTTPFields = [.acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8"]
            let limit = try await app.call(.get, "/v1/drugs?limit=0", token: token, headers: zh)
            limit.expectProblem(.badRequest, naming: "limit")
            #expect(limit.headers[.contentLanguage] == "zh", "\(limit.text)")
            #expect(limit.json["title"] as? String == "请求有误")
            #expect((limit.json["errors"] as? [[String: Any]])?.first?["reason"] as? String == "不能小于 1", "\(limit.text)")
            let missing = try await app.call(.get, "/v1/drugs/NO-SUCH-DRUG", token: token, headers: zh)
            missing.expectProblem(.notFound)
            let detail = missing.json["detail"] as? String ?? ""
            #expect(
                missing.headers[.contentLanguage] == "zh" && detail.contains("NO-SUCH-DRUG") && !detail.contains("no drug"),
                "\(missing.text)")
            let unknown = try await app.call(.get, "/v1/drugs?colour=red", token: token, headers: zh)
            unknown.expectProblem(.badRequest, naming: "colour")
            #expect((unknown.json["detail"] as? String)?.contains("不是该操作的查询参数") == true, "\(unknown.text)")
            let anonymous = try await app.call(.get, "/v1/drugs", token: nil, headers: zh)
            anonymous.expectProblem(.unauthorized)
            #expect(
                anonymous.headers[.contentLanguage] == "zh" && anonymous.json["title"] as? String == "未认证", "\(anonymous.text)")
            // English by default and when English weighs more.
            for headers: HTTPFields in [[:], [.acceptLanguage: "en-GB,en;q=0.9,zh;q=0.5"]] {
                let english = try await app.call(.get, "/v1/drugs?limit=0", token: token, headers: headers)
                #expect(
                    english.headers[.contentLanguage] == "en" && english.json["title"] as? String == "Bad Request",
                    "\(english.text)")
            }
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
            try await app.call(
                .post, "/v1/suppliers", token: masterData,
                json: #"{"code": "NEWMFR", "name": "新药厂", "isManufacturer": true, "isDistributor": false}"#
            )
            .expectProblem(.unprocessableContent, naming: "manufacturingLicence")
            try await app.call(
                .post, "/v1/suppliers", token: masterData,
                json:
                    #"{"code": "NEWDIST", "name": "配送", "isManufacturer": false, "isDistributor": true, "distributionLicence": "吉AA0000001", "countsAsManufacturerCode": "NOPE"}"#
            )
            .expectProblem(.unprocessableContent, naming: "countsAsManufacturerCode")
            let existing = try await app.database.rows("SELECT code FROM suppliers ORDER BY code LIMIT 1", as: String.self)[0]
            try await app.call(
                .post, "/v1/suppliers", token: masterData,
                json:
                    #"{"code": "\#(existing)", "name": "dup", "isManufacturer": false, "isDistributor": true, "distributionLicence": "x"}"#
            )
            .expectProblem(.conflict)
            try await app.call(
                .post, "/v1/drugs", token: masterData,
                json: """
                    {"code": "T-NEW-1", "genericName": "黄芪", "dosageForm": "饮片", "packageSize": 1, "packageUnit": "kg",
                     "unit": "袋", "category": "decoction_piece", "essentialEditions": [], "insuranceClass": "B",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false,
                     "decoctionPiece": {"herbName": "黄芪", "processing": "raw", "grade": "统货"}}
                    """
            ).expectProblem(.unprocessableContent, naming: "unit")
            try await app.call(
                .post, "/v1/drugs", token: masterData,
                json: """
                    {"code": "X-NEW-1", "genericName": "新药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                     "unit": "片", "category": "western", "essentialEditions": ["1999"], "insuranceClass": "none",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false}
                    """
            ).expectProblem(.unprocessableContent, naming: "essentialEditions")
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

import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Issue 24, part 1: the drug code crosswalk through the API and from files.
@Suite("Crosswalk: mappings through the API and from CSV")
struct CrosswalkTests {
    static let base = "/v1/consortia/JLTCM/crosswalk"
    /// Amlodipine 5 mg, counted in 片, 14 a box.
    static let amlodipine = "XC08CAA010D123010100170"

    static func mapping(
        type: String = "standard", code: String = "86900170000013", spec: String? = nil, drug: String = amlodipine,
        factor: String = "14", from: String = "2026-01-01", to: String? = nil
    ) -> String {
        var fields = [
            #""codeType": "\#(type)""#, #""code": "\#(code)""#, #""drugCode": "\#(drug)""#,
            #""packageFactor": "\#(factor)""#, #""validFrom": "\#(from)""#, #""source": "测试""#,
        ]
        if let spec { fields.append(#""specification": "\#(spec)""#) }
        if let to { fields.append(#""validTo": "\#(to)""#) }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    @Test("add, list and end a mapping; each change has its audit row; the roles who read and who write")
    func addListEnd() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer)
            let created = try await app.call(.post, Self.base, token: officer, json: Self.mapping())
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["consortiumCode"] as? String == "JLTCM")
            #expect(created.json["packageFactor"] as? String == "14")
            #expect(created.json["validTo"] == nil)
            let id = try #require(created.json["id"] as? Int)

            // An insurance code of another package size, with its decoded parts.
            let insurance = try await app.call(
                .post, Self.base, token: officer,
                json: Self.mapping(type: "insurance", code: "xc08caa010d123010300170", factor: "42"))
            #expect(insurance.status == .created, "\(insurance.text)")
            #expect(insurance.json["code"] as? String == "XC08CAA010D123010300170")
            let parts = insurance.json["insuranceCodeParts"] as? [String: Any]
            #expect(parts?["package"] as? String == "03" && parts?["enterprise"] as? String == "00170")

            for role in [Role.finance, .auditor, .regulator, .consortiumAdmin] {
                let list = try await app.call(
                    .get, "\(Self.base)?codeType=standard&code=86900170000013", token: try await app.token(role))
                #expect(list.status == .ok, "\(role): \(list.text)")
                #expect((list.json["items"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
            }
            for role in [Role.prescriber, .institutionPharmacist] {
                try await app.call(.get, Self.base, token: try await app.token(role)).expectProblem(.forbidden)
            }
            let finance = try await app.token(.finance)
            try await app.call(.post, Self.base, token: finance, json: Self.mapping(code: "86900170000021"))
                .expectProblem(.forbidden)
            let onDay = try await app.call(.get, "\(Self.base)?on=2025-12-31", token: finance)
            #expect((onDay.json["items"] as? [Any])?.count == 0)

            let ended = try await app.call(
                .post, "\(Self.base)/\(id)/end", token: officer, json: #"{"validTo": "2026-06-30"}"#)
            #expect(ended.status == .ok, "\(ended.text)")
            #expect(ended.json["validTo"] as? String == "2026-06-30")
            try await app.call(.post, "\(Self.base)/\(id)/end", token: officer, json: #"{"validTo": "2026-07-31"}"#)
                .expectProblem(.conflict)
            try await app.call(.post, "\(Self.base)/\(id)/end", token: officer, json: #"{"validTo": "2025-12-31"}"#)
                .expectProblem(.unprocessableContent, naming: "validTo")
            try await app.call(.post, "\(Self.base)/999999/end", token: officer, json: #"{"validTo": "2026-07-31"}"#)
                .expectProblem(.notFound)
            try await app.call(.post, "\(Self.base)/0/end", token: officer, json: #"{"validTo": "2026-07-31"}"#)
                .expectProblem(.badRequest, naming: "id")
            // After its end the code may be mapped again.
            let next = try await app.call(
                .post, Self.base, token: officer, json: Self.mapping(factor: "28", from: "2026-07-01"))
            #expect(next.status == .created, "\(next.text)")

            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'drug_code_crosswalk' AND action = 'create'")
                    == 3)
            let audited = try await app.database.rows(
                """
                SELECT before->>'validTo', after->>'validTo' FROM audit_log
                WHERE entity_type = 'drug_code_crosswalk' AND action = 'end' AND entity_key = \(String(id))
                """, as: (String?, String?).self)
            #expect(audited.count == 1 && audited.first?.0 == nil && audited.first?.1 == "2026-07-01")
        }
    }

    @Test("bad mappings: 4xx problems naming the field, nothing written")
    func refusals() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let cases: [(String, HTTPResponse.Status, String)] = [
                (Self.mapping(code: "86900170000014"), .unprocessableContent, "code"),  // check digit
                (Self.mapping(code: "8690017000001"), .unprocessableContent, "code"),
                (Self.mapping(type: "approval", code: "国药准字H20051234"), .unprocessableContent, "specification"),
                (Self.mapping(type: "approval", code: "国药准字Q20051234", spec: "5mg"), .unprocessableContent, "code"),
                (Self.mapping(type: "traceability_prefix", code: "81000"), .unprocessableContent, "code"),
                (Self.mapping(type: "insurance", code: "XC08"), .unprocessableContent, "code"),
                (Self.mapping(drug: "XNOSUCHDRUG"), .unprocessableContent, "drugCode"),
                (Self.mapping(factor: "0"), .unprocessableContent, "packageFactor"),
                (Self.mapping(factor: "1.5e3"), .badRequest, "packageFactor"),
                (Self.mapping(to: "2025-12-31"), .unprocessableContent, "validTo"),
                (Self.mapping(type: "auto"), .badRequest, "codeType"),
                (Self.mapping(from: "2026-02-30"), .badRequest, "validFrom"),
            ]
            for (body, status, field) in cases {
                try await app.call(.post, Self.base, token: admin, json: body).expectProblem(status, naming: field)
            }
            #expect(try await app.count("SELECT count(*)::int FROM drug_code_crosswalk WHERE source = '测试'") == 0)
            // The approval number with its specification is taken; the same code over overlapping dates is not.
            let approval = try await app.call(
                .post, Self.base, token: admin, json: Self.mapping(type: "approval", code: "国药准字H20051234", spec: "5mg"))
            #expect(approval.status == .created, "\(approval.text)")
            try await app.call(
                .post, Self.base, token: admin,
                json: Self.mapping(type: "approval", code: "国药准字H20051234", spec: "5mg", from: "2026-05-01")
            ).expectProblem(.conflict, naming: "validFrom")
            // Another specification of the same approval number is another key.
            let other = try await app.call(
                .post, Self.base, token: admin, json: Self.mapping(type: "approval", code: "国药准字H20051234", spec: "10mg"))
            #expect(other.status == .created, "\(other.text)")
            // In Chinese when asked.
            let chinese = try await app.call(
                .post, Self.base, token: admin, json: Self.mapping(code: "86900170000014"),
                headers: [.acceptLanguage: "zh-CN"])
            #expect((chinese.json["detail"] as? String)?.contains("校验码") == true, "\(chinese.text)")
        }
    }

    static let header = "code_type,code,specification,drug_code,package_factor,valid_from,valid_to,source"
    /// The mappings a test wrote (the demo seed's sources start with 演示).
    static let notDemo: PostgresQuery = "SELECT count(*)::int FROM drug_code_crosswalk WHERE source NOT LIKE '演示%'"

    @Test("the demo's crosswalk: one 本位码 (by the tablet) and the insurance codes of its two package sizes")
    func demo() async throws {
        try await TestApp.run { app in
            let finance = try await app.token(.finance)
            let list = try await app.call(.get, "\(Self.base)?drugCode=\(Self.amlodipine)&on=2026-12-01", token: finance)
            let items = try #require(list.json["items"] as? [[String: Any]], "\(list.text)")
            let factors = Dictionary(
                items.map {
                    ("\($0["codeType"] as? String ?? ""):\($0["code"] as? String ?? "")", $0["packageFactor"] as? String)
                },
                uniquingKeysWith: { a, _ in a })
            #expect(factors["standard:86900170001016"] == "1")
            #expect(factors["insurance:XC08CAA010D123010100170"] == "14")
            #expect(factors["insurance:XC08CAA010D123010200170"] == "28")
            #expect(items.allSatisfy { $0["consortiumCode"] as? String == "JLTCM" })
            // Every seeded code passes its type's check (the seed checks them as a loaded file is checked).
            let rows = try await app.database.rows(
                "SELECT code_type, code FROM drug_code_crosswalk WHERE source LIKE '演示%'", as: (String, String).self)
            #expect(rows.count == 11)
            for (type, code) in rows {
                #expect(throws: Never.self) { try DrugCode(code, type: DrugCodeType(rawValue: type)!, field: "code") }
            }
        }
    }

    @Test("the command: exit 2 naming each bad line in Chinese, then 0 once the file is good")
    func command() async throws {
        try await TestApp.run { app in
            let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
            let cli = Command(binary: binary, databaseURL: app.databaseURL)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("crosswalk-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: file) }
            try "\(Self.header)\nstandard,86900170000014,,\(Self.amlodipine),1,2026-01-01,,\n".write(
                to: file, atomically: true, encoding: .utf8)
            let refused = try cli.run(["crosswalk", "load", file.path, "--consortium", "JLTCM"])
            #expect(refused.status == 2 && refused.err.contains("line 2: code：“86900170000014”的校验码为 4，应为 3"), "\(refused.err)")
            let both = try cli.run(["crosswalk", "load", file.path, "--consortium", "JLTCM", "--national"])
            #expect(both.status != 0)
            try "\(Self.header)\nstandard,86900170000013,,\(Self.amlodipine),1,2026-01-01,,\n".write(
                to: file, atomically: true, encoding: .utf8)
            let done = try cli.run(["crosswalk", "load", file.path, "--consortium", "JLTCM"])
            #expect(done.status == 0 && done.out.contains("1 mappings loaded into JLTCM"), "\(done.err)")
            #expect(
                try await app.count("SELECT count(*)::int FROM drug_code_crosswalk WHERE source LIKE 'file crosswalk-%'") == 1)
        }
    }

    @Test("a file loads whole in UTF-8 or GBK, one audit row per mapping; a bad file names its lines and writes nothing")
    func files() async throws {
        try await TestApp.run { app in
            let crosswalk = CrosswalkUseCases(database: app.database)
            let bad = """
                \(Self.header)
                standard,86900170000013,,\(Self.amlodipine),14,2026-01-01,,配送商目录
                standard,86900170000014,,\(Self.amlodipine),14,2026-01-01,,
                approval,国药准字H20051234,,\(Self.amlodipine),14,2026-01-01,,
                in_house,YP-0001,,XNOSUCHDRUG,1,2026-01-01,,
                standard,86900170000013,,\(Self.amlodipine),28,2026-03-01,,
                platform,JL-1,,\(Self.amlodipine),1
                """
            let outcome = try await crosswalk.load(
                .data(Data(bad.utf8)), encoding: .utf8, consortiumCode: "JLTCM", defaultSource: "test",
                actor: .console("test"))
            guard case .rejected(let refusals) = outcome else {
                Issue.record("a bad file was loaded: \(outcome)")
                return
            }
            #expect(refusals.map(\.line) == [3, 4, 5, 6, 7])
            #expect(refusals.map(\.field) == ["code", "specification", "drugCode", "validFrom", "line"])
            #expect(try await app.count(Self.notDemo) == 0)

            let good = """
                \(Self.header)
                standard,86900170000013,,\(Self.amlodipine),14,2026-01-01,,配送商目录
                insurance,XC08CAA010D123010300170,,\(Self.amlodipine),42,2026-01-01,2026-12-31,
                approval,国药准字H20051234,5mg,\(Self.amlodipine),1,2026-01-01,,
                in_house,YP-0001,,\(Self.amlodipine),1,2026-01-01,,
                """
            let data = try #require(good.data(using: ImportTests.gbk))
            // GBK read as UTF-8 is refused, naming the option.
            guard
                case .rejected(let wrong) = try await crosswalk.load(
                    .data(data), encoding: .utf8, consortiumCode: "JLTCM", defaultSource: "test", actor: .console("test"))
            else {
                Issue.record("a GBK file was read as UTF-8")
                return
            }
            #expect(wrong.first?.reason.contains("--encoding gbk") == true)
            let loaded = try await crosswalk.load(
                .data(data), encoding: .gbk, consortiumCode: "JLTCM", defaultSource: "file test.csv",
                actor: .console("test"))
            #expect(loaded == .loaded(count: 4))
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM drug_code_crosswalk WHERE source = '配送商目录' AND consortium_id IS NOT NULL")
                    == 1)
            #expect(try await app.count("SELECT count(*)::int FROM drug_code_crosswalk WHERE source = 'file test.csv'") == 3)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'drug_code_crosswalk' AND action = 'load' AND actor = 'console:test'"
                ) == 4)
            // Loading it again overlaps every line with the kept mappings.
            guard
                case .rejected(let again) = try await crosswalk.load(
                    .data(data), encoding: .gbk, consortiumCode: "JLTCM", defaultSource: "test", actor: .console("test"))
            else {
                Issue.record("a file was loaded twice")
                return
            }
            #expect(again.map(\.line) == [2, 3, 4, 5])
            #expect(again.first?.reason.contains("already mapped by mapping") == true)

            // National rows: seen by the consortium, not ended by it (master data, changed at the console).
            let national = try await crosswalk.load(
                .data(Data("\(Self.header)\nplatform,JL-PT-0001,,\(Self.amlodipine),14,2026-01-01,,省平台\n".utf8)),
                encoding: .utf8, consortiumCode: nil, defaultSource: "test", actor: .console("test"))
            #expect(national == .loaded(count: 1))
            let officer = try await app.token(.procurementOfficer)
            let list = try await app.call(.get, "\(Self.base)?codeType=platform&code=JL-PT-0001", token: officer)
            let row = try #require((list.json["items"] as? [[String: Any]])?.first)
            #expect(row["consortiumCode"] == nil && row["code"] as? String == "JL-PT-0001")
            let nationalID = try #require(row["id"] as? Int)
            try await app.call(
                .post, "\(Self.base)/\(nationalID)/end", token: officer, json: #"{"validTo": "2026-06-30"}"#
            ).expectProblem(.forbidden)
            // An unknown consortium is not found.
            await #expect(throws: DomainError.notFound("no consortium NOPE")) {
                try await crosswalk.load(
                    .data(Data("\(Self.header)\n".utf8)), encoding: .utf8, consortiumCode: "NOPE", defaultSource: "test",
                    actor: .console("test"))
            }
        }
    }
}

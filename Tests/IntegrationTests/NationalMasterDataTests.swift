import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Issue 18, point 12: drugs and suppliers are national master data shared by every consortium. Their writes
/// belong to `master_data_admin`, a role bound to no consortium, and every consortium's audit trail shows them.
@Suite("National master data (issue 18.12)")
struct NationalMasterDataTests {
    static let drugJSON = """
        {"code": "X-NATIONAL-1", "genericName": "新药", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
         "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "B",
         "controlClass": "none", "antimicrobial": false, "coldChain": false}
        """
    static let supplierJSON = """
        {"code": "DST-NATIONAL", "name": "全国配送", "isManufacturer": false, "isDistributor": true,
         "distributionLicence": "吉AA0000077"}
        """

    @Test("18.12: a consortium's admin can no longer change a drug or a supplier; nothing is written")
    func consortiumAdminRefused() async throws {
        try await TestApp.run { app in
            let drug = try await app.database.rows(
                "SELECT code FROM drugs WHERE control_class = 'none' AND category = 'western' ORDER BY code LIMIT 1",
                as: String.self)[0]
            let tokens = [
                try await app.token(.consortiumAdmin), try await app.token(.procurementOfficer, institution: "JL-TCMH"),
            ]
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            for token in tokens {
                try await app.call(.patch, "/v1/drugs/\(drug)", token: token, json: #"{"controlClass": "narcotic"}"#)
                    .expectProblem(.forbidden)
                try await app.call(.post, "/v1/drugs", token: token, json: Self.drugJSON).expectProblem(.forbidden)
                try await app.call(.post, "/v1/suppliers", token: token, json: Self.supplierJSON).expectProblem(.forbidden)
            }
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE code = \(drug) AND control_class = 'none'") == 1)
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE code = 'X-NATIONAL-1'") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM suppliers WHERE code = 'DST-NATIONAL'") == 0)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits)
            // A consortium admin still writes its own consortium's data.
            let admin = try await app.token(.consortiumAdmin)
            let renamed = try await app.call(.patch, "/v1/institutions/YJ-TCMH", token: admin, json: #"{"name": "永吉县中医院（更名）"}"#)
            #expect(renamed.status == .ok, "\(renamed.text)")
        }
    }

    @Test("18.12: the master_data_admin changes a drug and adds a supplier; every consortium's audit trail shows both")
    func everyConsortiumSeesTheChange() async throws {
        try await TestApp.run { app in
            try await TransferTests.otherConsortium(app)
            let drug = try await app.database.rows(
                "SELECT code FROM drugs WHERE control_class = 'none' AND category = 'western' ORDER BY code LIMIT 1",
                as: String.self)[0]
            let national = try await app.token(.masterDataAdmin)
            let changed = try await app.call(.patch, "/v1/drugs/\(drug)", token: national, json: #"{"controlClass": "narcotic"}"#)
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(changed.json["controlClass"] as? String == "narcotic")
            let supplier = try await app.call(.post, "/v1/suppliers", token: national, json: Self.supplierJSON)
            #expect(supplier.status == .created, "\(supplier.text)")
            let created = try await app.call(.post, "/v1/drugs", token: national, json: Self.drugJSON)
            #expect(created.status == .created, "\(created.text)")
            // Recorded once, bound to no consortium.
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM audit_log WHERE consortium_id IS NULL AND actor_role = 'master_data_admin'
                      AND (entity_type, entity_key) IN (('drug', \(drug)), ('supplier', 'DST-NATIONAL'), ('drug', 'X-NATIONAL-1'))
                    """) == 3)

            // The auditors of both consortia, and the other consortium's admin, see every change.
            let readers = [
                try await app.token(.auditor), try await app.token(.auditor, consortium: "OTHER"),
                try await app.token(.consortiumAdmin, consortium: "OTHER"), try await app.token(.regulator, consortium: "OTHER"),
            ]
            for reader in readers {
                let page = try await app.call(.get, "/v1/audit?entityType=drug&entityKey=\(drug)", token: reader)
                #expect(page.status == .ok, "\(page.text)")
                let items = page.json["items"] as? [[String: Any]] ?? []
                #expect(items.count == 1, "\(page.text)")
                #expect(items.first?["actorRole"] as? String == "master_data_admin")
                #expect(items.first?["nationalMasterData"] as? Bool == true)
                #expect((items.first?["after"] as? [String: Any])?["controlClass"] as? String == "narcotic")
                let suppliers = try await app.call(.get, "/v1/audit?entityType=supplier&entityKey=DST-NATIONAL", token: reader)
                #expect((suppliers.json["items"] as? [[String: Any]])?.count == 1, "\(suppliers.text)")
            }
            // A consortium's own changes stay its own: OTHER does not see JLTCM's.
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(.patch, "/v1/institutions/YJ-TCMH", token: admin, json: #"{"name": "永吉县中医院（更名）"}"#)
            let other = try await app.call(.get, "/v1/audit?entityType=institution", token: readers[1])
            #expect((other.json["items"] as? [[String: Any]])?.isEmpty == true, "\(other.text)")
            let own = try await app.call(.get, "/v1/audit?entityType=institution", token: readers[0])
            #expect((own.json["items"] as? [[String: Any]])?.first?["nationalMasterData"] as? Bool == false)
        }
    }

    @Test("18.12: a change a consortium admin made to a drug before the new role is in every consortium's audit trail")
    func earlierChangesAreShared() async throws {
        try await TestApp.run { app in
            try await TransferTests.otherConsortium(app)
            // As the old code recorded it: with the changing admin's consortium.
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO audit_log (consortium_id, actor, actor_role, action, entity_type, entity_key, before, after)
                    SELECT id, 'token:1:old admin', 'consortium_admin', 'update', 'drug', 'X-OLD-CHANGE',
                           '{"controlClass": "none"}', '{"controlClass": "narcotic"}'
                    FROM consortia WHERE code = 'JLTCM'
                    """)
            }
            let page = try await app.call(
                .get, "/v1/audit?entityType=drug&entityKey=X-OLD-CHANGE",
                token: try await app.token(.auditor, consortium: "OTHER"))
            #expect((page.json["items"] as? [[String: Any]])?.count == 1, "\(page.text)")
        }
    }

    @Test("18.12: a master_data_admin token reads drugs, suppliers and the national audit trail, and no consortium's data")
    func nationalTokenSeesNoConsortium() async throws {
        try await TestApp.run { app in
            let national = try await app.token(.masterDataAdmin)
            let drug = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            // What it needs for its job.
            #expect(try await app.call(.get, "/v1/drugs?limit=5", token: national).status == .ok)
            #expect(try await app.call(.get, "/v1/drugs/\(drug)", token: national).status == .ok)
            #expect(try await app.call(.get, "/v1/suppliers?limit=5", token: national).status == .ok)
            let consortia = try await app.call(.get, "/v1/consortia", token: national)
            #expect(consortia.status == .ok)
            #expect((consortia.json["items"] as? [Any])?.isEmpty == true, "\(consortia.text)")
            // A consortium's change is not in its trail; a national one is.
            let admin = try await app.token(.consortiumAdmin)
            try await app.call(.patch, "/v1/institutions/YJ-TCMH", token: admin, json: #"{"name": "永吉县中医院（更名）"}"#)
            try await app.call(.patch, "/v1/drugs/\(drug)", token: national, json: #"{"coldChain": true}"#)
            let trail = try await app.call(.get, "/v1/audit", token: national)
            let entries = trail.json["items"] as? [[String: Any]] ?? []
            #expect(entries.contains { $0["entityKey"] as? String == drug })
            #expect(entries.allSatisfy { $0["nationalMasterData"] as? Bool == true }, "\(trail.text)")

            // Every other read of the contract, with the demo's real codes: 404 (or 403), never a consortium's data.
            let names = try await app.database.rows("SELECT name FROM institutions", as: String.self) + ["吉林市中医医联体"]
            let allowed: Set<String> = [
                "getHealth", "getReadiness", "listConsortia", "listSuppliers", "listDrugs", "getDrug", "listAudit",
                "listHerbQualityLimits",
            ]
            var checked = 0
            // The reads with a required query parameter get one, so the answer is the scope's, not the syntax's.
            let queries = ["diffCatalogueVersions": "?against=1", "getSpendReport": "?from=2026-01-01&to=2026-12-31"]
            for operation in Self.readOperations() where !allowed.contains(operation.id) {
                let uri = RoleMatrixTests.uri(operation.path, drug: drug) + (queries[operation.id] ?? "")
                let response = try await app.call(.get, uri, token: national)
                #expect(
                    [403, 404].contains(response.status.code), "\(operation): \(response.status) \(response.text.prefix(300))")
                for name in names {
                    #expect(!response.text.contains(name), "\(operation) revealed \(name)")
                }
                checked += 1
            }
            #expect(checked >= 30)
            // The desk checks, open to every consortium role, are not its to call.
            for uri in ["/v1/long-prescriptions/check", "/v1/referrals/medication-check"] {
                try await app.call(.post, uri, token: national, json: "{}").expectProblem(.forbidden)
            }
        }
    }

    /// Every GET operation of the contract with its path template.
    static func readOperations() -> [RoleMatrixTests.Operation] {
        var operations: [RoleMatrixTests.Operation] = []
        var path = ""
        var isGet = false
        for line in RoleMatrixTests.contract.split(separator: "\n") {
            if line.hasPrefix("  /") && line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    ") && !line.hasPrefix("     ") && line.hasSuffix(":") {
                isGet = line.trimmingCharacters(in: .whitespaces) == "get:"
            } else if line.hasPrefix("      operationId: "), isGet {
                operations.append(.init(method: .get, path: path, id: String(line.dropFirst("      operationId: ".count))))
            }
        }
        return operations
    }

    @Test("18.12: token create --role master_data_admin takes no --consortium; every other role needs one")
    func tokenScope() async throws {
        try await TestApp.run { app in
            let tokens = TokenUseCases(database: app.database)
            await #expect(throws: DomainError.self) {
                try await tokens.create(
                    role: .masterDataAdmin, consortiumCode: "JLTCM", institutionCode: nil, name: "",
                    expiresAt: nil, actor: .console("test"))
            }
            await #expect(throws: DomainError.self) {
                try await tokens.create(
                    role: .auditor, consortiumCode: nil, institutionCode: nil, name: "",
                    expiresAt: nil, actor: .console("test"))
            }
            // The database holds the rule too.
            await #expect(throws: (any Error).self) {
                try await app.database.client.query(
                    """
                    INSERT INTO api_tokens (consortium_id, role, token_hash)
                    VALUES (NULL, 'consortium_admin', decode(repeat('ab', 32), 'hex'))
                    """)
            }
            await #expect(throws: (any Error).self) {
                try await app.database.client.query(
                    """
                    INSERT INTO api_tokens (consortium_id, role, token_hash)
                    SELECT id, 'master_data_admin', decode(repeat('cd', 32), 'hex') FROM consortia WHERE code = 'JLTCM'
                    """)
            }

            // The command line, as an operator runs it.
            let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
            let cli = Command(binary: binary, databaseURL: app.databaseURL, user: "token-test")
            func command(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) { try cli.run(arguments) }
            let created = try command(["token", "create", "--role", "master_data_admin", "--name", "国家基础数据"])
            #expect(created.status == 0, "\(created.err)")
            let token = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.hasPrefix("crx_"))
            let bound = try command(["token", "create", "--role", "master_data_admin", "--consortium", "JLTCM"])
            #expect(bound.status != 0 && bound.err.contains("--consortium"), "\(bound.err)")
            let unbound = try command(["token", "create", "--role", "auditor"])
            #expect(unbound.status != 0 && unbound.err.contains("--consortium"), "\(unbound.err)")
            let listed = try command(["token", "list"])
            #expect(listed.status == 0 && listed.out.contains("master_data_admin"), "\(listed.err)")

            let drug = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            let changed = try await app.call(.patch, "/v1/drugs/\(drug)", token: token, json: #"{"coldChain": true}"#)
            #expect(changed.status == .ok, "\(changed.text)")
        }
    }
}

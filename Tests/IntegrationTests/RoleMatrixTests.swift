import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import Testing

/// Who may call every write operation of the contract, generated from `openapi.yaml` itself: each role against
/// each write endpoint, and a token of another consortium against them all.
@Suite("Security: roles × write endpoints, from the contract")
struct RoleMatrixTests {
    struct Operation: CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var id: String
        var description: String { "\(method) \(path) (\(id))" }
    }

    static let contract = try! String(
        contentsOf: TestDatabases.repositoryRoot.appendingPathComponent("Sources/RxAPI/openapi.yaml"), encoding: .utf8)

    /// Every write operation (post, put, patch, delete) with its path template.
    static func writeOperations() -> [Operation] {
        var operations: [Operation] = []
        var path = ""
        var method: HTTPRequest.Method?
        for line in contract.split(separator: "\n") {
            if line.hasPrefix("  /") && line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    ") && !line.hasPrefix("     ") && line.hasSuffix(":") {
                switch line.trimmingCharacters(in: .whitespaces) {
                case "post:": method = .post
                case "put:": method = .put
                case "patch:": method = .patch
                case "delete:": method = .delete
                default: method = nil
                }
            } else if line.hasPrefix("      operationId: "), let m = method {
                operations.append(Operation(method: m, path: path, id: String(line.dropFirst("      operationId: ".count))))
            }
        }
        return operations
    }

    /// A concrete URI for a template: the demo's codes where a code is asked for, 1 for ids.
    static func uri(_ template: String, drug: String) -> String {
        var uri = template
        if uri.hasPrefix("/v1/institutions/{code}") { uri = uri.replacingOccurrences(of: "{code}", with: "YJ-TCMH") }
        if uri.hasPrefix("/v1/drugs/{code}") { uri = uri.replacingOccurrences(of: "{code}", with: drug) }
        let values = [
            "{code}": "JLTCM", "{drugCode}": drug, "{number}": "1", "{id}": "1", "{commitmentId}": "1", "{lineNumber}": "1",
            "{bidId}": "1", "{action}": "cancel", "{decision}": "accept", "{supplierCode}": "DST-SINOPHARM-JL", "{lineNo}": "1",
            "{lot}": "LOT1", "{traceabilityCode}": "81234600000000000001",
        ]
        for (name, value) in values { uri = uri.replacingOccurrences(of: name, with: value) }
        return uri
    }

    @Test("every write operation of the contract names the roles that may call it")
    func everyWriteDeclaresRoles() throws {
        let roles = try OperationRoles(contract: Self.contract)
        let operations = Self.writeOperations()
        #expect(operations.count >= 40)
        for operation in operations {
            #expect(roles.byOperation[operation.id]?.isEmpty == false, "\(operation) has no x-roles")
        }
    }

    @Test("each role against each write endpoint: the roles not listed get 403, the listed ones are let through")
    func matrix() async throws {
        let roles = try OperationRoles(contract: Self.contract)
        try await TestApp.run { app in
            let drug = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            var tokens: [Role: String] = [:]
            for role in Role.allCases {
                let scoped = [.institutionPharmacist, .procurementOfficer, .prescriber].contains(role)
                tokens[role] = try await app.token(role, institution: scoped ? "YJ-TCMH" : nil)
            }
            let auditBefore = try await app.count("SELECT count(*)::int FROM audit_log")
            var checked = 0
            for operation in Self.writeOperations() {
                let allowed = roles.byOperation[operation.id] ?? []
                for role in Role.allCases where !allowed.contains(role) {
                    let response = try await app.call(
                        operation.method, Self.uri(operation.path, drug: drug), token: tokens[role],
                        json: operation.method == .delete ? nil : "{}")
                    #expect(
                        response.status == .forbidden, "\(role.rawValue) on \(operation): \(response.status) \(response.text)")
                    #expect(response.contentType == "application/problem+json")
                    checked += 1
                }
            }
            // The refused calls wrote nothing.
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == auditBefore)
            for operation in Self.writeOperations() {
                for role in roles.byOperation[operation.id] ?? [] {
                    // An empty body or a made-up id is refused for what it is (400, 404, 409, 422), or the scope
                    // refuses it (403 from the access policy), or it is done (an operation without required
                    // fields); never the gate, never 401 or 5xx.
                    let response = try await app.call(
                        operation.method, Self.uri(operation.path, drug: drug), token: tokens[role],
                        json: operation.method == .delete ? nil : "{}")
                    #expect(
                        response.status.code < 500 && response.status != .unauthorized,
                        "\(role.rawValue) on \(operation): \(response.status) \(response.text)")
                    let detail = response.json["detail"] as? String ?? ""
                    #expect(!detail.contains("may not \(operation.id)"), "\(role.rawValue) on \(operation) stopped by the gate")
                    checked += 1
                }
            }
            #expect(checked == Self.writeOperations().count * Role.allCases.count)
        }
    }

    /// Every read that names its roles in `x-roles` (the lists of issue 19.12).
    static func restrictedReads(_ roles: OperationRoles) -> [Operation] {
        NationalMasterDataTests.readOperations().filter { roles.byOperation[$0.id] != nil }
    }

    @Test("19.12: each role against each read that names its roles: the others get 403, the listed ones are let through")
    func readMatrix() async throws {
        let roles = try OperationRoles(contract: Self.contract)
        let reads = Self.restrictedReads(roles)
        #expect(reads.count >= 8, "\(reads)")
        try await TestApp.run { app in
            let drug = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            var tokens: [Role: String] = [:]
            for role in Role.allCases {
                let scoped = [.institutionPharmacist, .procurementOfficer, .prescriber].contains(role)
                tokens[role] = try await app.token(role, institution: scoped ? "JL-TCMH" : nil)
            }
            for operation in reads {
                let allowed = roles.byOperation[operation.id] ?? []
                for role in Role.allCases {
                    let response = try await app.call(.get, Self.uri(operation.path, drug: drug), token: tokens[role])
                    if allowed.contains(role) {
                        // Let through: the list, or what the scope or a made-up id answers (403 from the access
                        // policy, 404, 409), never the gate, 401 or 5xx.
                        #expect(
                            response.status.code < 500 && response.status != .unauthorized,
                            "\(role.rawValue) on \(operation): \(response.status) \(response.text)")
                        let detail = response.json["detail"] as? String ?? ""
                        #expect(
                            !detail.contains("may not \(operation.id)"), "\(role.rawValue) on \(operation) stopped by the gate")
                    } else {
                        response.expectProblem(.forbidden)
                    }
                }
            }
            // A token of another consortium learns nothing of this one.
            try await TransferTests.otherConsortium(app)
            let names = try await app.database.rows(
                "SELECT i.name FROM institutions i JOIN consortia c ON c.id = i.consortium_id WHERE c.code = 'JLTCM'",
                as: String.self)
            for operation in reads {
                for role in roles.byOperation[operation.id] ?? [] where !role.isNational {
                    let scoped = [.institutionPharmacist, .procurementOfficer, .prescriber].contains(role)
                    let token = try await app.token(role, consortium: "OTHER", institution: scoped ? "OTHER-H" : nil)
                    let response = try await app.call(.get, Self.uri(operation.path, drug: drug), token: token)
                    for name in names {
                        #expect(!response.text.contains(name), "\(role.rawValue) of OTHER on \(operation) revealed \(name)")
                    }
                    if operation.path.hasPrefix("/v1/consortia/{code}") {
                        #expect(
                            [403, 404].contains(response.status.code),
                            "\(role.rawValue) of OTHER on \(operation): \(response.status)")
                    }
                }
            }
        }
    }

    @Test("a token of another consortium gets 403 or 404 on every write endpoint, and learns nothing of this one")
    func otherConsortium() async throws {
        try await TestApp.run { app in
            try await TransferTests.otherConsortium(app)
            let drug = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            let names =
                try await app.database.rows(
                    "SELECT i.name FROM institutions i JOIN consortia c ON c.id = i.consortium_id WHERE c.code = 'JLTCM'",
                    as: String.self)
                + ["吉林市中医医联体"]
            // A national role (master_data_admin) belongs to no consortium: `nationalTokenSeesNoConsortium` covers it.
            for role in Role.allCases where !role.isNational {
                let scoped = [.institutionPharmacist, .procurementOfficer, .prescriber].contains(role)
                let token = try await app.token(role, consortium: "OTHER", institution: scoped ? "OTHER-H" : nil)
                for operation in Self.writeOperations()
                where operation.path.hasPrefix("/v1/consortia/{code}") || operation.path.hasPrefix("/v1/institutions/{code}") {
                    let response = try await app.call(
                        operation.method, Self.uri(operation.path, drug: drug), token: token,
                        json: operation.method == .delete ? nil : "{}")
                    #expect(
                        [400, 403, 404].contains(response.status.code),
                        "\(role.rawValue) of OTHER on \(operation): \(response.status) \(response.text)")
                    for name in names {
                        #expect(!response.text.contains(name), "\(operation) revealed \(name)")
                    }
                }
            }
        }
    }
}

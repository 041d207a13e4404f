import Foundation
import RxDomain
import Testing
import Yams

@testable import RxAPI

/// The contract's `x-roles` against the permission model: the gate (`RoleGate`, reading `x-roles`) and the model
/// (`Principal.may`) must let the same roles through every operation. Needs no database.
@Suite("Security: x-roles against the permission model")
struct PermissionContractTests {
    static let contract = RoleMatrixTests.contract

    @Test("every role named in x-roles is a Role case, and the gate refuses a contract that names another")
    func rolesAreRoleCases() throws {
        let root = try #require(try Yams.load(yaml: Self.contract) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        var names: [String] = []
        for (_, path) in paths {
            for (_, operation) in path {
                guard let operation = operation as? [String: Any], let roles = operation["x-roles"] else { continue }
                let list = try #require(
                    roles as? [String], "x-roles of \(operation["operationId"] ?? "?") is not a list of names")
                names += list
            }
        }
        #expect(names.count >= 59)
        for name in Set(names) { #expect(Role(rawValue: name) != nil, "x-roles names '\(name)', which is no Role") }

        let operation = """
            paths:
              /v1/x:
                post:
                  operationId: doX
                  x-roles: %@
            """
        for bad in ["[consortium_admin, janitor]", "consortium_admin", "{a: b}"] {
            #expect(throws: OperationRoles.Malformed.self, "\(bad)") {
                try OperationRoles(contract: operation.replacingOccurrences(of: "%@", with: bad))
            }
        }
        let fine = try OperationRoles(contract: operation.replacingOccurrences(of: "%@", with: "[auditor, regulator]"))
        #expect(fine.byOperation == ["doX": [.auditor, .regulator]])
    }

    @Test("for every gated operation, x-roles lists exactly the roles the permission model lets through")
    func xRolesAreThePermissionHolders() throws {
        let gate = try OperationRoles(contract: Self.contract)
        #expect(
            Set(gate.byOperation.keys) == Set(OperationPermissions.byOperation.keys),
            "operations with x-roles but no permission, or a permission but no x-roles")
        for (operation, kinds) in OperationPermissions.byOperation.sorted(by: { $0.key < $1.key }) {
            let listed = gate.byOperation[operation] ?? []
            let held = kinds.reduce(into: Set<Role>()) { $0.formUnion($1.holders) }
            for role in Role.allCases {
                #expect(
                    listed.contains(role) == held.contains(role),
                    "\(operation): x-roles \(listed.contains(role) ? "lists" : "omits") \(role.rawValue), the model (\(kinds.map(\.rawValue))) \(held.contains(role) ? "lets it through" : "refuses it")"
                )
            }
        }
    }

    @Test("the YAML reader gates exactly as the line scanner it replaced did")
    func sameAsTheLineScanner() throws {
        #expect(try OperationRoles(contract: Self.contract).byOperation == Self.scanned(Self.contract))
    }

    @Test("the contract's 'On' parameter stays a string key under YAML 1.1 (unquoted, it would read as true)")
    func onStaysQuoted() throws {
        let root = try #require(try Yams.load(yaml: Self.contract) as? [String: Any])
        let parameters = try #require((root["components"] as? [String: Any])?["parameters"] as? [String: Any])
        #expect(parameters["On"] != nil)
    }

    /// The line scanner `OperationRoles` used before issue 20, kept here as the reference for its behaviour.
    static func scanned(_ contract: String) -> [String: Set<Role>] {
        var byOperation: [String: Set<Role>] = [:]
        var operationID: String?
        var roles: Set<Role>?
        func close() {
            if let operationID, let roles { byOperation[operationID] = roles }
            operationID = nil
            roles = nil
        }
        for line in contract.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  ") && !line.hasPrefix("     ") && line.hasSuffix(":") {
                close()
            } else if line.hasPrefix("      operationId: ") {
                operationID = String(line.dropFirst("      operationId: ".count)).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("      x-roles: ") {
                let list = line.dropFirst("      x-roles: ".count).trimmingCharacters(in: .whitespaces)
                roles = Set(
                    list.dropFirst().dropLast().split(separator: ",").compactMap {
                        Role(rawValue: $0.trimmingCharacters(in: .whitespaces))
                    })
            }
        }
        close()
        return byOperation
    }
}

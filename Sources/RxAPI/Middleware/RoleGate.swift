internal import Foundation
import HTTPTypes
internal import OpenAPIRuntime
import RxDomain

/// The roles that may call each write operation, as the contract states them in `x-roles`.
///
/// Read from the served `openapi.yaml` itself, so the contract is the one place that says who may. The finer
/// checks (own institution, own consortium) stay in `AccessPolicy`; this gate answers 403 before a body is read,
/// so a role that may never write learns nothing from validation errors.
package struct OperationRoles: Sendable, Equatable {
    package var byOperation: [String: Set<Role>]

    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    /// Scans the contract's operations (`    get:` … under a path) for `operationId` and `x-roles: [a, b]`.
    package init(contract: String) throws {
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
                close()  // a new path or a new operation
            } else if line.hasPrefix("      operationId: ") {
                operationID = String(line.dropFirst("      operationId: ".count)).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("      x-roles: ") {
                let list = line.dropFirst("      x-roles: ".count).trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("["), list.hasSuffix("]") else {
                    throw Malformed(description: "x-roles must be a flow list like [consortium_admin, auditor]: \(line)")
                }
                roles = try Set(list.dropFirst().dropLast().split(separator: ",").map { name in
                    let name = name.trimmingCharacters(in: .whitespaces)
                    guard let role = Role(rawValue: name) else { throw Malformed(description: "x-roles names an unknown role '\(name)'") }
                    return role
                })
            }
        }
        close()
        self.byOperation = byOperation
    }

    /// Refuses, with 403, the request's principal when the contract does not list its role for the operation.
    func authorize(_ operationID: String) throws {
        guard let allowed = byOperation[operationID] else { return }
        let principal = try RequestPrincipal.require()
        guard let role = principal.role, allowed.contains(role) else {
            throw DomainError.forbidden("the \(principal.role?.rawValue ?? "console") role may not \(operationID)")
        }
    }
}

/// Refuses, with 403, a role the contract does not list for the operation.
struct RoleGate: ServerMiddleware {
    let roles: OperationRoles

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        try roles.authorize(operationID)
        return try await next(request, body, metadata)
    }
}

import HTTPTypes
internal import OpenAPIRuntime
import RxDomain
internal import Yams

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

    /// Reads each operation's `operationId` and `x-roles` (a list of role names) from the contract's `paths`. An
    /// operation without `x-roles` is open to every role; an unknown role name, or an `x-roles` that is not a list
    /// of names, is `Malformed`.
    package init(contract: String) throws {
        guard let root = try Yams.compose(yaml: contract) else { throw Malformed(description: "an empty contract") }
        var byOperation: [String: Set<Role>] = [:]
        for (_, path) in root["paths"]?.mapping ?? [:] {
            for (key, operation) in path.mapping ?? [:] {
                guard let method = key.string, Self.methods.contains(method), let id = operation["operationId"]?.string,
                    let list = operation["x-roles"]
                else { continue }
                guard let names = list.sequence else {
                    throw Malformed(description: "x-roles of \(id) must be a list like [consortium_admin, auditor]")
                }
                byOperation[id] = try Set(
                    names.map { node in
                        guard let name = node.string, let role = Role(rawValue: name) else {
                            throw Malformed(description: "x-roles of \(id) names an unknown role '\(node.string ?? "\(node)")'")
                        }
                        return role
                    })
            }
        }
        self.byOperation = byOperation
    }

    private static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

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

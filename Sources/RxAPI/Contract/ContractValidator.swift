internal import Foundation
import HTTPTypes
import RxDomain
internal import Yams

/// What the contract says each operation accepts, enforced for every operation by one mechanism
/// (`ContractGuard`): every `minimum`, `maximum`, `pattern`, `minLength`, `maxLength`, `enum` and non-null field of
/// its parameters and JSON body, and no query parameter it does not declare. The generated server only decodes
/// types; this refuses the rest with a 400 naming each field.
package struct ContractValidator: Sendable {
    struct Parameter: Sendable {
        enum Location: String, Sendable { case path, query, header }
        var name: String
        var location: Location
        var required: Bool
        var schema: ContractSchema
    }

    struct Operation: Sendable {
        var parameters: [Parameter]
        var body: ContractSchema?
        var queryNames: Set<String>
        /// The responses it declares ("200", "422", …).
        var statuses: Set<String>
    }

    let operations: [String: Operation]

    /// The served contract's validator, read once per process (tests build many applications).
    package static func served() throws -> ContractValidator {
        try servedOnce.get()
    }

    private static let servedOnce = Result {
        try ContractValidator(contract: String(decoding: PackageResources.openapi_yaml, as: UTF8.self))
    }

    package init(contract: String) throws {
        guard let root = try Yams.compose(yaml: contract) else {
            throw ContractSchema.Malformed(description: "an empty contract")
        }
        let components = ContractComponents(root: root)
        var operations: [String: Operation] = [:]
        func parameters(_ list: Node?) throws -> [Parameter] {
            try (list?.array() ?? []).compactMap { node in
                var node = node
                if let ref = node["$ref"]?.string { node = try components.parameterNode(ref) }
                guard let name = node["name"]?.string, let location = node["in"]?.string.flatMap(Parameter.Location.init),
                    let schema = node["schema"]
                else { return nil }
                return Parameter(
                    name: name, location: location, required: node["required"]?.bool ?? (location == .path),
                    schema: try ContractSchema(schema, resolving: components))
            }
        }
        for (_, path) in root["paths"]?.mapping ?? [:] {
            let shared = try parameters(path["parameters"])
            for (key, operation) in path.mapping ?? [:] {
                guard let method = key.string, ["get", "put", "post", "delete", "patch"].contains(method),
                    let id = operation["operationId"]?.string
                else { continue }
                let own = try parameters(operation["parameters"])
                let all = shared.filter { p in !own.contains { $0.name == p.name && $0.location == p.location } } + own
                let body = try operation["requestBody"]?["content"]?["application/json"]?["schema"].map {
                    try ContractSchema($0, resolving: components)
                }
                operations[id] = Operation(
                    parameters: all, body: body,
                    queryNames: Set(all.filter { $0.location == .query }.map(\.name)),
                    statuses: Set(operation["responses"]?.mapping?.keys.compactMap(\.string) ?? []))
            }
        }
        self.operations = operations
    }

    /// The request's parameters against the operation's: unknown query parameters, and every declared one's schema.
    /// `query` holds the decoded name–value pairs in order; `path` the decoded path parameters.
    func problems(operationID: String, query: [(String, String)], path: [String: String], headers: HTTPFields) -> [FieldError] {
        guard let operation = operations[operationID] else { return [] }
        var found: [FieldError] = []
        for (name, _) in query where !operation.queryNames.contains(name) {
            found.append(FieldError(field: name, reason: "is not a query parameter of this operation"))
        }
        for parameter in operation.parameters {
            let value: String?
            switch parameter.location {
            case .path: value = path[parameter.name]
            case .query: value = query.last { $0.0 == parameter.name }?.1
            case .header: value = HTTPField.Name(parameter.name).flatMap { headers[$0] }
            }
            guard let value else { continue }  // a missing required one is the generated server's 400
            check(value, against: parameter.schema, field: parameter.name, into: &found)
        }
        return found
    }

    /// A parameter's text against its schema: integers and booleans parsed first.
    func check(_ text: String, against schema: ContractSchema, field: String, into found: inout [FieldError]) {
        switch schema.type {
        case "integer", "number":
            guard let n = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
                text.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "." })
            else {
                found.append(FieldError(field: field, reason: ContractSchema.mustBe(schema.type ?? "number")))
                return
            }
            schema.problems(.number(n, text: text), at: field, into: &found)
        case "boolean":
            if text != "true" && text != "false" { found.append(FieldError(field: field, reason: "must be true or false")) }
        default:
            schema.check(string: text) { found.append(FieldError(field: field, reason: $0)) }
        }
    }

    /// The 400 for what the contract forbids, naming every field; nil when nothing is.
    static func refusal(_ problems: [FieldError]) -> DomainError? {
        problems.isEmpty ? nil : .badRequest(problems.map { "\($0.field): \($0.reason)" }.joined(separator: "; "), problems)
    }

    /// A JSON body against the operation's schema; nil when the operation takes none or the body is not JSON the
    /// generated server could read (it answers that itself).
    func problems(operationID: String, body: Data) -> [FieldError]? {
        guard let schema = operations[operationID]?.body,
            let value = try? JSONDecoder().decode(JSONValue.self, from: body)
        else { return nil }
        var found: [FieldError] = []
        schema.problems(value, at: "", into: &found)
        return found
    }

    /// The operations that take a business date (`format: date`) but do not declare the 422 a date before
    /// 2000-01-01 gets (for tests).
    package var datedOperationsWithout422: [String] {
        operations.filter { _, op in
            !op.statuses.contains("422") && op.parameters.contains { $0.schema.format == "date" }
        }.keys.sorted()
    }

    /// How many operations the contract has (for tests).
    package var operationCount: Int { operations.count }

    /// A JSON body's problems for an operation (for tests).
    package func bodyProblems(operationID: String, json: String) -> [FieldError] {
        problems(operationID: operationID, body: Data(json.utf8)) ?? []
    }
}

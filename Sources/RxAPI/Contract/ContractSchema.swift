internal import Foundation
import RxDomain
internal import Yams

/// A JSON Schema of the contract, as far as `openapi.yaml` uses it: type, format, minimum and maximum, lengths,
/// pattern, enum, required and additional properties, items. Read once at start-up from the served contract.
final class ContractSchema: Sendable {
    enum Additional: Sendable {
        case allowed
        case forbidden
        case schema(ContractSchema)
    }

    let type: String?
    let format: String?
    let minimum: Decimal?
    let maximum: Decimal?
    let minLength: Int?
    let maxLength: Int?
    let pattern: Pattern?
    let enumeration: [String]?
    let required: [String]
    let properties: [String: ContractSchema]
    let additional: Additional
    let items: ContractSchema?
    let minItems: Int?
    let maxItems: Int?

    /// A compiled `pattern`; NSRegularExpression matches from any thread.
    struct Pattern: @unchecked Sendable {
        let source: String
        let regex: NSRegularExpression
        func matches(_ s: String) -> Bool {
            regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        }
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    init(_ node: Node, resolving components: ContractComponents) throws {
        var node = node
        if let ref = node["$ref"]?.string {
            node = try components.schemaNode(ref)
        }
        func int(_ key: String) -> Int? { node[key]?.int }
        func decimal(_ key: String) -> Decimal? {
            node[key]?.string.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
        }
        type = node["type"]?.string
        format = node["format"]?.string
        minimum = decimal("minimum")
        maximum = decimal("maximum")
        minLength = int("minLength")
        maxLength = int("maxLength")
        if let source = node["pattern"]?.string {
            pattern = Pattern(source: source, regex: try NSRegularExpression(pattern: source))
        } else {
            pattern = nil
        }
        enumeration = node["enum"]?.array().compactMap(\.string)
        required = node["required"]?.array().compactMap(\.string) ?? []
        var properties: [String: ContractSchema] = [:]
        if let mapping = node["properties"]?.mapping {
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                properties[name] = try ContractSchema(value, resolving: components)
            }
        }
        self.properties = properties
        switch node["additionalProperties"] {
        case .none: additional = .allowed
        case .some(let value) where value.bool == false: additional = .forbidden
        case .some(let value) where value.bool == true: additional = .allowed
        case .some(let value): additional = .schema(try ContractSchema(value, resolving: components))
        }
        items = try node["items"].map { try ContractSchema($0, resolving: components) }
        minItems = int("minItems")
        maxItems = int("maxItems")
    }
}

/// The contract's `components`, for resolving `$ref`s.
struct ContractComponents {
    let root: Node

    func schemaNode(_ ref: String) throws -> Node {
        try node(ref, under: "#/components/schemas/", key: "schemas")
    }

    func parameterNode(_ ref: String) throws -> Node {
        try node(ref, under: "#/components/parameters/", key: "parameters")
    }

    private func node(_ ref: String, under prefix: String, key: String) throws -> Node {
        guard ref.hasPrefix(prefix), let node = root["components"]?[key]?.member(String(ref.dropFirst(prefix.count))) else {
            throw ContractSchema.Malformed(description: "cannot resolve \(ref)")
        }
        return node
    }
}

extension Node {
    /// A mapping's value by its key's text, however the key is written (`'On':` is a quoted key, which `Node`'s own
    /// subscript, comparing tags too, does not find).
    func member(_ key: String) -> Node? {
        mapping?.first { $0.key.string == key }?.value
    }
}

/// A JSON value as the request sent it (numbers kept exact).
indirect enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Decimal, text: String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            while !array.isAtEnd { values.append(try array.decode(JSONValue.self)) }
            self = .array(values)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try object.allKeys.map { ($0.stringValue, try object.decode(JSONValue.self, forKey: $0)) })
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let b = try? single.decode(Bool.self) {
            self = .bool(b)
        } else if let s = try? single.decode(String.self) {
            self = .string(s)
        } else {
            let d = try single.decode(Decimal.self)
            self = .number(d, text: "\(d)")
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension ContractSchema {
    /// Every way `value` breaks the schema, each naming its field (`lines[0].quantity`).
    func problems(_ value: JSONValue, at field: String, into found: inout [FieldError]) {
        func fail(_ reason: String) { found.append(FieldError(field: field.isEmpty ? "body" : field, reason: reason)) }
        func child(_ name: String) -> String { field.isEmpty ? name : "\(field).\(name)" }
        switch value {
        case .null:
            fail("must not be null")
        case .bool:
            if let type, type != "boolean" { fail(Self.mustBe(type)) }
        case .number(let n, _):
            if type == "integer" {
                var value = n
                var whole = Decimal()
                NSDecimalRound(&whole, &value, 0, .plain)
                if whole != n { fail("must be a whole number") }
            } else if let type, type != "number" {
                fail(Self.mustBe(type))
                return
            }
            if let minimum, n < minimum { fail("must be at least \(minimum)") }
            if let maximum, n > maximum { fail("must be at most \(maximum)") }
        case .string(let s):
            if let type, type != "string" { fail(Self.mustBe(type)); return }
            check(string: s, fail: fail)
        case .array(let values):
            if let type, type != "array" { fail(Self.mustBe(type)); return }
            if let minItems, values.count < minItems {
                fail(minItems == 1 ? "must have at least one item" : "must have at least \(minItems) items")
            }
            if let maxItems, values.count > maxItems { fail("must have at most \(maxItems) items") }
            if let items {
                for (i, v) in values.enumerated() {
                    items.problems(v, at: "\(field.isEmpty ? "body" : field)[\(i)]", into: &found)
                }
            }
        case .object(let members):
            if let type, type != "object" { fail(Self.mustBe(type)); return }
            let names = Set(members.map(\.0))
            for name in required where !names.contains(name) {
                found.append(FieldError(field: child(name), reason: "is required"))
            }
            for (name, v) in members.sorted(by: { $0.0 < $1.0 }) {
                if let schema = properties[name] {
                    schema.problems(v, at: child(name), into: &found)
                } else {
                    switch additional {
                    case .allowed: break
                    case .forbidden: found.append(FieldError(field: child(name), reason: "is not a known property"))
                    case .schema(let schema): schema.problems(v, at: child(name), into: &found)
                    }
                }
            }
        }
    }

    /// A string's length (in characters, as JSON Schema counts them), pattern, enum and format.
    func check(string s: String, fail: (String) -> Void) {
        let length = s.unicodeScalars.count
        if let minLength, length < minLength {
            fail(minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters")
        }
        if let maxLength, length > maxLength { fail("must be at most \(maxLength) characters") }
        if let pattern, !pattern.matches(s) { fail("must match \(pattern.source)") }
        if let enumeration, !enumeration.contains(s) { fail("must be one of \(enumeration.joined(separator: ", "))") }
        switch format {
        case "date": if BusinessDate(s) == nil { fail("must be a date YYYY-MM-DD") }
        case "date-time": if QueryInstant.dateTime(s) == nil { fail("must be an RFC 3339 date-time") }
        case "date-time-or-date":
            if QueryInstant.dateTime(s) == nil && BusinessDate(s) == nil {
                fail("must be an RFC 3339 date-time or a date YYYY-MM-DD")
            }
        default: break
        }
    }

    /// The reason a value of another JSON type is refused.
    static func mustBe(_ type: String) -> String {
        switch type {
        case "integer": "must be an integer"
        case "object": "must be an object"
        case "array": "must be an array"
        case "string": "must be a string"
        case "boolean": "must be a boolean"
        default: "must be a number"
        }
    }
}

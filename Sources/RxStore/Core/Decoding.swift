import RxDomain

/// A value in the database that the domain does not know: the schema and the code disagree.
public struct UnknownDatabaseValue: Error, CustomStringConvertible {
    public var type: String
    public var value: String
    public var description: String { "unknown \(type) '\(value)' in the database" }
}

func decodeEnum<T: RawRepresentable>(_ raw: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
    guard let value = T(rawValue: raw) else { throw UnknownDatabaseValue(type: "\(T.self)", value: raw) }
    return value
}

extension String {
    /// Escapes LIKE's wildcards so user text matches itself (used with `ESCAPE '\'`).
    var likeEscaped: String {
        var out = ""
        for c in self {
            if c == "\\" || c == "%" || c == "_" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

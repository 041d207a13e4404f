import Logging
import PostgresNIO
import RxDomain

/// Policy settings: a consortium's own value in force on a date, else the national default in force then. Read only
/// through `PolicySetting` (RxDomain), which names every key and how its text reads.
package struct Settings: Sendable {
    let logger: Logger

    package init(logger: Logger) { self.logger = logger }

    /// The setting's value in force on `date`, as `PolicySetting.value(text:firstEffective:on:field:)` decides from
    /// what the database holds.
    package func required<Value>(
        _ setting: PolicySetting<Value>, consortiumID: Int64, on date: BusinessDate, field: String = "date",
        connection: PostgresConnection
    ) async throws -> Value {
        let text = try await value(setting.key, consortiumID: consortiumID, on: date, connection: connection)
        let first = text != nil ? nil : try await firstEffective(setting.key, consortiumID: consortiumID, connection: connection)
        return try setting.value(text: text, firstEffective: first, on: date, field: field)
    }

    /// Several settings in force on `date` in one query: each key's text, the consortium's own before the national
    /// default (a key with neither is absent). For reads that need a few settings per request; with no consortium (a
    /// national account), the national defaults.
    package func texts(_ keys: [String], consortiumID: Int64?, on date: BusinessDate, connection: PostgresConnection)
        async throws -> [String: String]
    {
        let rows = try await connection.rows(
            SettingTexts(keys: keys, consortiumID: consortiumID, date: date.description), logger: logger)
        return Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
    }

    /// A setting's value from the texts `texts(_:consortiumID:on:connection:)` read; only a missing one costs a query
    /// (to say from when it has a value).
    package func required<Value>(
        _ setting: PolicySetting<Value>, in texts: [String: String], consortiumID: Int64?, on date: BusinessDate,
        field: String = "date", connection: PostgresConnection
    ) async throws -> Value {
        let text = texts[setting.key]
        let first = text != nil ? nil : try await firstEffective(setting.key, consortiumID: consortiumID, connection: connection)
        return try setting.value(text: text, firstEffective: first, on: date, field: field)
    }

    func value(_ key: String, consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws -> String?
    {
        try await connection.row(
            SettingValue(key: key, consortiumID: consortiumID, date: date.description), logger: logger)
    }

    /// One setting in force on a date; every write that checks a policy number reads one, so it is prepared once
    /// per connection.
    struct SettingValue: PostgresPreparedStatement {
        static let sql = """
            SELECT value FROM (
                SELECT value, effective_from, 1 AS precedence FROM consortium_settings
                 WHERE consortium_id = $2 AND key = $1 AND effective_from <= $3::date
                UNION ALL
                SELECT value, effective_from, 2 FROM policy_defaults
                 WHERE key = $1 AND effective_from <= $3::date
            ) s ORDER BY precedence, effective_from DESC LIMIT 1
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .text]
        typealias Row = String
        var key: String
        var consortiumID: Int64
        var date: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(key)
            bindings.append(consortiumID)
            bindings.append(date)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
    }

    /// Several settings in force on a date (`texts(_:consortiumID:on:connection:)`), prepared once per connection.
    struct SettingTexts: PostgresPreparedStatement {
        static let sql = inForce(keys: "$1::text[]", consortiumID: "$2", date: "$3::date")
        static let bindingDataTypes: [PostgresDataType] = [.textArray, .int8, .text]
        typealias Row = (String, String)
        var keys: [String]
        var consortiumID: Int64?
        var date: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(keys)
            bindings.append(consortiumID)
            bindings.append(date)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The `(key, value)` rows of the settings `keys` (a text[] expression) in force on `date` for `consortiumID` (SQL
    /// expressions, never values): a consortium's own before the national default. Other statements that need a few
    /// settings with their rows embed it.
    package static func inForce(keys: String, consortiumID: String, date: String) -> String {
        """
        SELECT DISTINCT ON (key) key, value FROM (
            SELECT key, value, effective_from, 1 AS precedence FROM consortium_settings
             WHERE consortium_id = \(consortiumID) AND key = ANY(\(keys)) AND effective_from <= \(date)
            UNION ALL
            SELECT key, value, effective_from, 2 FROM policy_defaults
             WHERE key = ANY(\(keys)) AND effective_from <= \(date)
        ) s ORDER BY key, precedence, effective_from DESC
        """
    }

    /// `inForce` as one row of two arrays, `keys` and `vals` (NULL when none is in force), for a statement that reads
    /// the settings beside rows of its own (the stock views).
    package static func inForceArrays(keys: String, consortiumID: String, date: String) -> String {
        """
        SELECT array_agg(key) AS keys, array_agg(value) AS vals FROM (
            \(inForce(keys: keys, consortiumID: consortiumID, date: date))
        ) t
        """
    }

    /// The date the setting's first value (the consortium's or the national default) takes effect; nil when it has none.
    private func firstEffective(_ key: String, consortiumID: Int64?, connection: PostgresConnection) async throws -> String? {
        let earliest: String?? = try await connection.row(
            """
            SELECT min(effective_from)::text FROM (
                SELECT effective_from FROM consortium_settings WHERE consortium_id = \(consortiumID) AND key = \(key)
                UNION ALL
                SELECT effective_from FROM policy_defaults WHERE key = \(key)
            ) s
            """, as: String?.self, logger: logger)
        return earliest ?? nil
    }
}

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
    /// default (a key with neither is absent). For reads that need a few settings per request.
    package func texts(_ keys: [String], consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection)
        async throws -> [String: String]
    {
        let rows = try await connection.rows(
            """
            SELECT DISTINCT ON (key) key, value FROM (
                SELECT key, value, effective_from, 1 AS precedence FROM consortium_settings
                 WHERE consortium_id = \(consortiumID) AND key = ANY(\(keys)::text[])
                   AND effective_from <= \(date.description)::date
                UNION ALL
                SELECT key, value, effective_from, 2 FROM policy_defaults
                 WHERE key = ANY(\(keys)::text[]) AND effective_from <= \(date.description)::date
            ) s ORDER BY key, precedence, effective_from DESC
            """, as: (String, String).self, logger: logger)
        return Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
    }

    /// A setting's value from the texts `texts(_:consortiumID:on:connection:)` read; only a missing one costs a query
    /// (to say from when it has a value).
    package func required<Value>(
        _ setting: PolicySetting<Value>, in texts: [String: String], consortiumID: Int64, on date: BusinessDate,
        field: String = "date", connection: PostgresConnection
    ) async throws -> Value {
        let text = texts[setting.key]
        let first = text != nil ? nil : try await firstEffective(setting.key, consortiumID: consortiumID, connection: connection)
        return try setting.value(text: text, firstEffective: first, on: date, field: field)
    }

    func value(_ key: String, consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws -> String?
    {
        try await connection.row(
            """
            SELECT value FROM (
                SELECT value, effective_from, 1 AS precedence FROM consortium_settings
                 WHERE consortium_id = \(consortiumID) AND key = \(key) AND effective_from <= \(date.description)::date
                UNION ALL
                SELECT value, effective_from, 2 FROM policy_defaults
                 WHERE key = \(key) AND effective_from <= \(date.description)::date
            ) s ORDER BY precedence, effective_from DESC LIMIT 1
            """, as: String.self, logger: logger)
    }

    /// The date the setting's first value (the consortium's or the national default) takes effect; nil when it has none.
    private func firstEffective(_ key: String, consortiumID: Int64, connection: PostgresConnection) async throws -> String? {
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

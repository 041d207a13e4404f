import Logging
import PostgresNIO
import RxDomain

/// Policy settings: a consortium's own value in force on a date, else the national default in force then. Read only
/// through `PolicySetting` (RxDomain), which names every key and how its text reads.
package struct Settings: Sendable {
    let logger: Logger

    package init(logger: Logger) { self.logger = logger }

    /// The setting's value in force on `date`. A date before the setting's first value is the caller's (422 naming
    /// `field`); a setting with no value at all means the seeds were not loaded, and a value that does not read as
    /// the setting's type means they are wrong (503 naming the setting either way).
    package func required<Value>(
        _ setting: PolicySetting<Value>, consortiumID: Int64, on date: BusinessDate, field: String = "date",
        connection: PostgresConnection
    ) async throws -> Value {
        let text = try await required(setting.key, consortiumID: consortiumID, on: date, field: field, connection: connection)
        guard let value = setting.read(text) else {
            throw DomainError.unavailable("the setting \(setting.key) is not understood: \(text)")
        }
        return value
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

    private func required(
        _ key: String, consortiumID: Int64, on date: BusinessDate, field: String = "date", connection: PostgresConnection
    ) async throws -> String {
        if let value = try await value(key, consortiumID: consortiumID, on: date, connection: connection) { return value }
        let earliest: String?? = try await connection.row(
            """
            SELECT min(effective_from)::text FROM (
                SELECT effective_from FROM consortium_settings WHERE consortium_id = \(consortiumID) AND key = \(key)
                UNION ALL
                SELECT effective_from FROM policy_defaults WHERE key = \(key)
            ) s
            """, as: String?.self, logger: logger)
        guard let first = earliest ?? nil else {
            throw DomainError.unavailable("the setting \(key) is missing: load seeds/reference (consortiumrx seed)")
        }
        throw DomainError.invalid(field, "\(date) is before \(key) takes effect (\(first))")
    }
}

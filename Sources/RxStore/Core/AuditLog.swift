import Foundation
import Logging
import PostgresNIO
import RxDomain

/// One entry of the audit trail.
package struct AuditEntry: Sendable, Equatable {
    package var id: Int64
    package var occurredAt: Date
    package var consortiumCode: String?
    package var actor: String
    package var actorRole: String?
    package var action: String
    package var entityType: String
    package var entityKey: String
    /// The entity before and after the change, as JSON text.
    package var before: String?
    package var after: String?
}

package struct AuditQuery: Sendable {
    /// The consortium whose trail is read (with the national master-data changes every consortium sees); nil, for a
    /// national token, reads those national changes only.
    package var consortiumID: Int64?
    package var entityType: String?
    package var entityKey: String?
    package var from: Date?
    package var to: Date?
    package var page: PageRequest

    package init(consortiumID: Int64?, entityType: String?, entityKey: String?, from: Date?, to: Date?, page: PageRequest) {
        self.consortiumID = consortiumID
        self.entityType = entityType
        self.entityKey = entityKey
        self.from = from
        self.to = to
        self.page = page
    }
}

/// The append-only audit trail. Every store writes to it inside the transaction that makes the change.
package struct AuditLog: Sendable {
    let logger: Logger

    package init(logger: Logger) { self.logger = logger }

    /// An entity as the trail keeps it (keys sorted), for a statement that writes its audit row itself.
    package static func json(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    package func record<Before: Encodable, After: Encodable>(
        on connection: PostgresConnection, consortiumID: Int64?, actor: Actor, action: String,
        entityType: String, entityKey: String, before: Before?, after: After?
    ) async throws {
        let beforeJSON = try before.map { try Self.json($0) }
        let afterJSON = try after.map { try Self.json($0) }
        _ = try await connection.rows(
            InsertAuditRow(
                consortiumID: consortiumID, actorTokenID: actor.tokenID, actor: actor.label, actorRole: actor.role,
                action: action, entityType: entityType, entityKey: entityKey, before: beforeJSON, after: afterJSON),
            logger: logger)
    }

    /// Every change writes one, so the statement is prepared once per connection.
    struct InsertAuditRow: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO audit_log (consortium_id, actor_token_id, actor, actor_role, action, entity_type, entity_key,
                                   before, after)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .text, .text, .text, .text, .text, .text, .text]
        typealias Row = Void
        var consortiumID: Int64?
        var actorTokenID: Int64?
        var actor: String
        var actorRole: String?
        var action: String
        var entityType: String
        var entityKey: String
        var before: String?
        var after: String?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 9)
            bindings.append(consortiumID)
            bindings.append(actorTokenID)
            bindings.append(actor)
            bindings.append(actorRole)
            bindings.append(action)
            bindings.append(entityType)
            bindings.append(entityKey)
            bindings.append(before)
            bindings.append(after)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    package func list(_ query: AuditQuery, database: Database) async throws -> Page<AuditEntry> {
        let after = query.page.afterID
        // An audit page tolerates a replica's lag.
        let rows = try await database.lagTolerant.rows(
            """
            SELECT a.id, a.occurred_at, c.code, a.actor, a.actor_role, a.action, a.entity_type, a.entity_key,
                   a.before::text, a.after::text
            FROM audit_log a LEFT JOIN consortia c ON c.id = a.consortium_id
            WHERE (a.consortium_id = \(query.consortiumID) OR a.entity_type = ANY(\(NationalMasterData.auditEntityTypes)))
              AND a.id > \(after)
              AND (\(query.entityType)::text IS NULL OR a.entity_type = \(query.entityType))
              AND (\(query.entityKey)::text IS NULL OR a.entity_key = \(query.entityKey))
              AND (\(query.from)::timestamptz IS NULL OR a.occurred_at >= \(query.from))
              AND (\(query.to)::timestamptz IS NULL OR a.occurred_at < \(query.to))
            ORDER BY a.id
            LIMIT \(query.page.limit + 1)
            """,
            as: (Int64, Date, String?, String, String?, String, String, String, String?, String?).self)
        let entries = rows.map {
            AuditEntry(
                id: $0.0, occurredAt: $0.1, consortiumCode: $0.2, actor: $0.3, actorRole: $0.4, action: $0.5,
                entityType: $0.6, entityKey: $0.7, before: $0.8, after: $0.9)
        }
        return Page(rows: entries, limit: query.page.limit, key: { String($0.id) })
    }
}

/// What the audit trail keeps of a correction: the record after it, with the reason beside its fields under `key`.
package struct ReasonedChange<Value: Encodable>: Encodable {
    var value: Value
    var reason: String
    var key = "reason"

    package init(value: Value, reason: String, key: String = "reason") {
        self.value = value
        self.reason = reason
        self.key = key
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(reason, forKey: Key(stringValue: key))
    }
}

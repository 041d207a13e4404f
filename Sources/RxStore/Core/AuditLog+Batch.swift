import Foundation
import Logging
import PostgresNIO
import RxDomain

extension AuditLog {
    /// Entries of the same action on many entities of one type, in one statement (an import's batch): `befores` and
    /// `afters` are JSON text as `AuditLog.encoder` writes it, one per key ('' for none: arrays do not bind nil).
    func record(
        on connection: PostgresConnection, consortiumID: Int64?, actor: Actor, action: String, entityType: String,
        entityKeys: [String], befores: [String]?, afters: [String]
    ) async throws {
        guard !entityKeys.isEmpty else { return }
        let befores = befores ?? Array(repeating: "", count: entityKeys.count)
        try await connection.run(
            """
            INSERT INTO audit_log (consortium_id, actor_token_id, actor, actor_role, action, entity_type, entity_key,
                                   before, after)
            SELECT \(consortiumID), \(actor.tokenID), \(actor.label), \(actor.role), \(action), \(entityType),
                   x.entity_key, nullif(x.before, '')::jsonb, nullif(x.after, '')::jsonb
            FROM unnest(\(entityKeys)::text[], \(befores)::text[], \(afters)::text[]) WITH ORDINALITY AS x (entity_key, before, after, n)
            ORDER BY x.n
            """, logger: logger)
    }
}

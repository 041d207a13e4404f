import Foundation
import PostgresNIO
import RxStore
import Testing

/// Issue 28, "past one primary": a table of a consortium's data is distributed by `consortium_id`, and a distributed
/// table can only keep a primary or unique key that holds it. Every key of a table with the column holds it, but
/// those listed here, each with why; a new table or key that leaves it out fails until it is keyed by consortium or
/// listed with its reason.
@Suite("Keys by consortium")
struct ConsortiumKeyTests {
    /// The keys that do not hold `consortium_id` today, and why. Shrinking this list is the work before sharding
    /// (docs/operations.md, "Past one primary").
    static let known: [String: String] = [
        // National roles (a regulator of the province, the service's administrator) have no consortium.
        "api_tokens.api_tokens_pkey": "a token may be national (no consortium)",
        "api_tokens.api_tokens_token_hash_key": "a token is found by its hash before its consortium is known",
        "audit_log.audit_log_pkey": "national changes (drugs, suppliers) are audited without a consortium",
        "drug_code_crosswalk.drug_code_crosswalk_pkey": "a crosswalk row may be national (no consortium)",
        // Preparations move between institutions under a provincial regulator's approval.
        "preparation_licences.preparation_licences_pkey": "preparation transfers are keyed by their own ids",
        "transfer_approvals.transfer_approvals_pkey": "preparation transfers are keyed by their own ids",
        "transfer_approval_receivers.transfer_approval_receivers_pkey": "preparation transfers are keyed by their own ids",
        "transfer_shipments.transfer_shipments_pkey": "preparation transfers are keyed by their own ids",
        "transfer_receipts.transfer_receipts_pkey": "preparation transfers are keyed by their own ids",
        "transfer_receipts.transfer_receipts_shipment_id_key": "one receipt per shipment, by the shipment's id",
    ]

    @Test("28: every primary or unique key of a table with consortium_id holds it, but the ones listed with their reason")
    func keysHoldTheConsortium() async throws {
        try await TestApp.run { app in
            let found = try await app.database.rows(
                """
                SELECT c.conrelid::regclass::text || '.' || c.conname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'consortium_id' AND NOT a.attisdropped
                WHERE c.contype IN ('p', 'u') AND NOT (a.attnum = ANY(c.conkey))
                UNION ALL
                -- unique indexes made without a constraint
                SELECT i.indrelid::regclass::text || '.' || i.indexrelid::regclass::text
                FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = 'consortium_id' AND NOT a.attisdropped
                WHERE i.indisunique AND NOT (a.attnum = ANY(i.indkey::int2[]))
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """, as: String.self)
            let unexplained = found.filter { Self.known[$0] == nil }
            #expect(unexplained.isEmpty, "keys without consortium_id: \(unexplained)")
            // The list holds nothing that has been fixed since.
            #expect(Set(Self.known.keys).subtracting(found).isEmpty, "\(Set(Self.known.keys).subtracting(found))")
        }
    }
}

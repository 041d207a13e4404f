import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The operations a client may retry under an `Idempotency-Key`, and the field of the stored response that names the
/// record each made (`idempotency_keys.response_body`).
package enum IdempotentOperation: String, Sendable {
    case createOrder = "create_order"
    case issueLongPrescription = "issue_long_prescription"
    case createDispensing = "create_dispensing"
    case issueExtendedPrescription = "issue_extended_prescription"

    var responseField: String {
        switch self {
        case .createOrder: "orderId"
        case .issueLongPrescription, .issueExtendedPrescription: "id"
        case .createDispensing: "dispensingId"
        }
    }
}

/// A token's idempotency keys: claimed in the transaction that does the work, then pointed at the record it made. A
/// retry finds its key taken and reads what it stands for; the use case's rule decides (a replay, or a refusal).
package struct IdempotencyKeyStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// Claims the key for `operation`; false when the token used it already (a retry, or a first request still at work).
    package func claim(
        _ key: String, for operation: IdempotentOperation, requestHash: Data, tokenID: Int64, consortiumID: Int64,
        on connection: PostgresConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            INSERT INTO idempotency_keys (consortium_id, token_id, key, operation, request_hash, response_status, response_body)
            VALUES (\(consortiumID), \(tokenID), \(key), \(operation.rawValue), \(requestHash), 201, '{}'::jsonb)
            ON CONFLICT DO NOTHING RETURNING 1
            """, as: Int.self, logger: logger) != nil
    }

    /// What a used key stands for: the hash of the request that claimed it and the record it made (nil while that
    /// request is still at work); nil when its row is not visible (yet).
    package func stored(
        _ key: String, for operation: IdempotentOperation, tokenID: Int64, consortiumID: Int64,
        on connection: PostgresConnection
    ) async throws -> (requestHash: Data, recordID: Int64?)? {
        try await connection.row(
            """
            SELECT request_hash, (response_body->>\(operation.responseField))::bigint FROM idempotency_keys
            WHERE consortium_id = \(consortiumID) AND token_id = \(tokenID) AND key = \(key)
              AND operation = \(operation.rawValue)
            """, as: (Data, Int64?).self, logger: logger
        ).map { (requestHash: $0.0, recordID: $0.1) }
    }

    /// Points the key at the record it made.
    package func record(
        _ key: String, for operation: IdempotentOperation, recordID: Int64, tokenID: Int64, consortiumID: Int64,
        on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE idempotency_keys SET response_body = jsonb_build_object(\(operation.responseField)::text, \(recordID))
            WHERE consortium_id = \(consortiumID) AND token_id = \(tokenID) AND key = \(key)
              AND operation = \(operation.rawValue)
            """, logger: logger)
    }
}

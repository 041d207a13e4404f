import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

/// API tokens: random, shown once, stored as their SHA-256.
package struct TokenStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    package struct Issued: Sendable {
        package var id: Int64
        /// The token itself: shown once, never stored.
        package var token: String

        package init(id: Int64, token: String) {
            self.id = id
            self.token = token
        }
    }

    package struct Listed: Sendable {
        package var id: Int64
        package var role: Role
        package var institutionCode: String?
        package var name: String
        package var createdAt: Date
        package var expiresAt: Date?
        package var revokedAt: Date?
    }

    package static func hash(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let b64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "crx_" + b64
    }

    /// The id of the consortium with this code.
    package func consortiumID(code: String, on connection: PostgresConnection) async throws -> Int64? {
        try await connection.row("SELECT id FROM consortia WHERE code = \(code)", as: Int64.self, logger: logger)
    }

    /// The id of the institution with this code in the consortium.
    package func institutionID(code: String, consortiumID: Int64?, on connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT id FROM institutions WHERE code = \(code) AND consortium_id = \(consortiumID)", as: Int64.self,
            logger: logger)
    }

    /// The id of the prescriber with this pseudonym registered at the institution.
    package func prescriberID(pseudonym: String, consortiumID: Int64, institutionID: Int64, on connection: PostgresConnection)
        async throws -> Int64?
    {
        try await connection.row(
            """
            SELECT id FROM prescribers
            WHERE consortium_id = \(consortiumID) AND institution_id = \(institutionID) AND pseudonym = \(pseudonym)
            """, as: Int64.self, logger: logger)
    }

    /// Stores a token's hash; its id.
    package func insert(
        role: Role, consortiumID: Int64?, institutionID: Int64?, prescriberID: Int64? = nil, name: String, hash: Data,
        expiresAt: Date?, on connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO api_tokens (consortium_id, institution_id, prescriber_id, role, name, token_hash, expires_at)
            VALUES (\(consortiumID), \(institutionID), \(prescriberID), \(role.rawValue), \(name), \(hash), \(expiresAt))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// A token that is known, unexpired and unrevoked: its principal, and when it stops working.
    package struct Verified: Sendable {
        package var principal: Principal
        package var expiresAt: Date?
    }

    /// The principal a token stands for, or nil when it is unknown, expired or revoked.
    package func principal(forToken token: String) async throws -> Principal? {
        try await verify(token: token)?.principal
    }

    /// The token's principal and expiry, or nil when it is unknown, expired or revoked. A cache of the answer
    /// must not outlive `expiresAt`.
    package func verify(token: String) async throws -> Verified? {
        let rows = try await database.rows(
            """
            SELECT t.id, t.role, t.consortium_id, c.code, t.institution_id, i.code, t.name, t.expires_at, p.pseudonym
            FROM api_tokens t LEFT JOIN consortia c ON c.id = t.consortium_id
            LEFT JOIN institutions i ON i.consortium_id = t.consortium_id AND i.id = t.institution_id
            LEFT JOIN prescribers p ON p.consortium_id = t.consortium_id AND p.id = t.prescriber_id
            WHERE t.token_hash = \(Self.hash(token)) AND t.revoked_at IS NULL
              AND (t.expires_at IS NULL OR t.expires_at > now())
            """, as: (Int64, String, Int64?, String?, Int64?, String?, String, Date?, String?).self)
        guard let r = rows.first else { return nil }
        let principal = Principal(
            tokenID: r.0, role: try decodeEnum(r.1), consortiumID: r.2, consortiumCode: r.3, institutionID: r.4,
            institutionCode: r.5, name: r.6.isEmpty ? "token:\(r.0)" : "token:\(r.0):\(r.6)", prescriberPseudonym: r.8)
        return Verified(principal: principal, expiresAt: r.7)
    }

    /// A revoked token: the consortium it belonged to (nil for a national one).
    package struct Revoked: Sendable {
        package var consortiumID: Int64?
    }

    /// Revokes an active token and tells the other servers (`crx_changes`); nil when no active token has this id.
    package func revoke(id: Int64, on connection: PostgresConnection) async throws -> Revoked? {
        guard
            let consortiumID = try await connection.row(
                """
                UPDATE api_tokens t SET revoked_at = now()
                WHERE id = \(id) AND revoked_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM console_users u WHERE u.token_id = t.id)
                RETURNING consortium_id
                """,
                as: Int64?.self, logger: logger)
        else { return nil }
        try await connection.run("SELECT pg_notify('crx_changes', 'api_tokens')", logger: logger)
        return Revoked(consortiumID: consortiumID)
    }

    /// A consortium's tokens, or with no consortium the national ones (bound to none).
    package func list(consortiumCode: String?) async throws -> [Listed] {
        try await database.rows(
            """
            SELECT t.id, t.role, i.code, t.name, t.created_at, t.expires_at, t.revoked_at
            FROM api_tokens t LEFT JOIN consortia c ON c.id = t.consortium_id
            LEFT JOIN institutions i ON i.consortium_id = t.consortium_id AND i.id = t.institution_id
            WHERE c.code IS NOT DISTINCT FROM \(consortiumCode)::text
              AND NOT EXISTS (SELECT 1 FROM console_users u WHERE u.token_id = t.id)
            ORDER BY t.id
            """, as: (Int64, String, String?, String, Date, Date?, Date?).self
        ).map {
            Listed(
                id: $0.0, role: try decodeEnum($0.1), institutionCode: $0.2, name: $0.3, createdAt: $0.4,
                expiresAt: $0.5, revokedAt: $0.6)
        }
    }
}

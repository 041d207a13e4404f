import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The web console's accounts and their sessions (`console_users`, `console_sessions`). An account's role and scope
/// are those of the API token it holds.
package struct ConsoleUserStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// An account as a login reads it.
    package struct Account: Sendable {
        package var id: Int64
        package var userName: String
        package var displayName: String
        package var passwordHash: String
        package var state: LoginLockout.State
        /// Who the account acts as: its token's role and scope, labelled `user:NAME` in the audit trail.
        package var principal: Principal
        /// The database's clock when the row was read (every server decides by the same clock).
        package var now: Date
    }

    /// A session that is known, with its account.
    package struct Session: Sendable {
        package var userID: Int64
        package var userName: String
        package var displayName: String
        package var principal: Principal
        package var csrfToken: String
        package var lastSeen: Date
        package var now: Date
        /// `console_session_idle_minutes` in force for the account's consortium (nil when not seeded).
        package var idleMinutesText: String?
        /// The names pages show beside the codes.
        package var consortiumName: String?
        package var institutionName: String?
    }

    /// An account as the users page lists it.
    package struct Listed: Sendable {
        package var userName: String
        package var displayName: String
        package var role: Role
        package var institutionCode: String?
        package var prescriber: String?
        package var lockedUntil: Date?
        package var disabledAt: Date?
        package var createdAt: Date

        package init(
            userName: String, displayName: String, role: Role, institutionCode: String?, prescriber: String?,
            lockedUntil: Date?, disabledAt: Date?, createdAt: Date
        ) {
            self.userName = userName
            self.displayName = displayName
            self.role = role
            self.institutionCode = institutionCode
            self.prescriber = prescriber
            self.lockedUntil = lockedUntil
            self.disabledAt = disabledAt
            self.createdAt = createdAt
        }
    }

    /// The select list an account's principal is built from: the token joined to its consortium, institution and
    /// prescriber (`principal(_:)` reads it from column `first`).
    static let principalColumns = """
        t.id, t.role, t.consortium_id, c.code, t.institution_id, i.code, p.pseudonym
        """
    static let principalJoins = """
        JOIN api_tokens t ON t.id = u.token_id LEFT JOIN consortia c ON c.id = t.consortium_id
        LEFT JOIN institutions i ON i.consortium_id = t.consortium_id AND i.id = t.institution_id
        LEFT JOIN prescribers p ON p.consortium_id = t.consortium_id AND p.id = t.prescriber_id
        """

    typealias PrincipalColumns = (Int64, String, Int64?, String?, Int64?, String?, String?)

    static func principal(_ c: PrincipalColumns, userName: String) throws -> Principal {
        Principal(
            tokenID: c.0, role: try decodeEnum(c.1), consortiumID: c.2, consortiumCode: c.3, institutionID: c.4,
            institutionCode: c.5, name: ConsoleAccount.actingName(userName), prescriberPseudonym: c.6)
    }

    package func insert(
        userName: String, displayName: String, tokenID: Int64, passwordHash: String, on connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO console_users (user_name, display_name, token_id, password_hash)
            VALUES (\(userName), \(displayName), \(tokenID), \(passwordHash)) ON CONFLICT (user_name) DO NOTHING
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// The account with this user name (`FOR UPDATE` within a transaction that changes it); nil when there is none.
    package func account(userName: String, on connection: PostgresConnection, forUpdate: Bool = false) async throws
        -> Account?
    {
        let lock = forUpdate ? "FOR UPDATE OF u" : ""
        let rows = try await connection.rows(
            """
            SELECT u.id, u.display_name, u.password_hash, u.failed_logins, u.locked_until,
                   u.disabled_at IS NOT NULL OR t.revoked_at IS NOT NULL, now(), \(unescaped: Self.principalColumns)
            FROM console_users u \(unescaped: Self.principalJoins)
            WHERE u.user_name = \(userName) \(unescaped: lock)
            """,
            as: (Int64, String, String, Int, Date?, Bool, Date, Int64, String, Int64?, String?, Int64?, String?, String?).self,
            logger: logger)
        guard let r = rows.first else { return nil }
        return Account(
            id: r.0, userName: userName, displayName: r.1, passwordHash: r.2,
            state: LoginLockout.State(failedLogins: r.3, lockedUntil: r.4, disabled: r.5),
            principal: try Self.principal((r.7, r.8, r.9, r.10, r.11, r.12, r.13), userName: userName), now: r.6)
    }

    package func account(userName: String) async throws -> Account? {
        try await database.withConnection { try await account(userName: userName, on: $0) }
    }

    /// Writes what a login left of the account's failures and lock.
    package func record(_ state: LoginLockout.State, userID: Int64, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            UPDATE console_users SET failed_logins = \(state.failedLogins), locked_until = \(state.lockedUntil)
            WHERE id = \(userID)
            """, logger: logger)
    }

    /// A new password; the account's failures and lock are cleared.
    package func setPassword(userID: Int64, hash: String, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            UPDATE console_users SET password_hash = \(hash), password_changed_at = now(), failed_logins = 0,
                locked_until = NULL
            WHERE id = \(userID)
            """, logger: logger)
    }

    package func disable(userID: Int64, on connection: PostgresConnection) async throws {
        try await connection.run(
            "UPDATE console_users SET disabled_at = now() WHERE id = \(userID) AND disabled_at IS NULL", logger: logger)
    }

    package func openSession(userID: Int64, idHash: Data, csrfToken: String, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO console_sessions (id_hash, user_id, csrf_token) VALUES (\(idHash), \(userID), \(csrfToken))
            """, logger: logger)
    }

    /// The session with this hash and its account, unless the account is disabled; with the idle setting in force.
    package func session(idHash: Data, today: BusinessDate) async throws -> Session? {
        // The setting's key and date are bound in the first lines; `Settings.inForce` reads them from there.
        let rows = try await database.rows(
            """
            WITH asked AS (SELECT \(PolicySetting<Int>.consoleSessionIdleMinutes.key)::text AS key,
                                  \(today.description)::date AS day)
            SELECT u.id, u.user_name, u.display_name, s.csrf_token, s.last_seen_at, now(), c.name, i.name,
                   (SELECT value FROM (\(unescaped: Settings.inForce(
                        keys: "ARRAY[(SELECT key FROM asked)]", consortiumID: "t.consortium_id",
                        date: "(SELECT day FROM asked)"))) v),
                   \(unescaped: Self.principalColumns)
            FROM console_sessions s JOIN console_users u ON u.id = s.user_id \(unescaped: Self.principalJoins)
            WHERE s.id_hash = \(idHash) AND u.disabled_at IS NULL AND t.revoked_at IS NULL
            """,
            as: (
                Int64, String, String, String, Date, Date, String?, String?, String?, Int64, String, Int64?, String?,
                Int64?, String?, String?
            ).self)
        guard let r = rows.first else { return nil }
        return Session(
            userID: r.0, userName: r.1, displayName: r.2,
            principal: try Self.principal((r.9, r.10, r.11, r.12, r.13, r.14, r.15), userName: r.1), csrfToken: r.3,
            lastSeen: r.4, now: r.5, idleMinutesText: r.8, consortiumName: r.6, institutionName: r.7)
    }

    package func touchSession(idHash: Data) async throws {
        try await database.withConnection { connection in
            try await connection.run(
                "UPDATE console_sessions SET last_seen_at = now() WHERE id_hash = \(idHash)", logger: logger)
        }
    }

    /// Ends a session; the account it was of (nil when it was not known).
    package func endSession(idHash: Data, on connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "DELETE FROM console_sessions WHERE id_hash = \(idHash) RETURNING user_id", as: Int64.self, logger: logger)
    }

    /// Ends the account's sessions, or only those last used before `cutoff`; how many there were.
    package func endSessions(userID: Int64, lastSeenBefore cutoff: Date? = nil, on connection: PostgresConnection)
        async throws -> Int
    {
        try await connection.rows(
            """
            DELETE FROM console_sessions
            WHERE user_id = \(userID) AND (\(cutoff)::timestamptz IS NULL OR last_seen_at < \(cutoff)::timestamptz)
            RETURNING 1
            """, as: Int.self, logger: logger
        ).count
    }

    /// A consortium's accounts, or with no consortium the national ones, by user name.
    package func list(consortiumID: Int64?) async throws -> [Listed] {
        try await database.rows(
            """
            SELECT u.user_name, u.display_name, t.role, i.code, p.pseudonym, u.locked_until, u.disabled_at, u.created_at
            FROM console_users u JOIN api_tokens t ON t.id = u.token_id
            LEFT JOIN institutions i ON i.consortium_id = t.consortium_id AND i.id = t.institution_id
            LEFT JOIN prescribers p ON p.consortium_id = t.consortium_id AND p.id = t.prescriber_id
            WHERE t.consortium_id IS NOT DISTINCT FROM \(consortiumID)::bigint ORDER BY u.user_name
            """, as: (String, String, String, String?, String?, Date?, Date?, Date).self
        ).map {
            Listed(
                userName: $0.0, displayName: $0.1, role: try decodeEnum($0.2), institutionCode: $0.3, prescriber: $0.4,
                lockedUntil: $0.5, disabledAt: $0.6, createdAt: $0.7)
        }
    }
}

import Foundation
import RxDomain
import RxStore

/// The web console's accounts and sessions: creating, resetting and disabling an account (`consortiumrx user`), a
/// login with its lockout (`LoginLockout`), a session's idle end (`ConsoleSessionIdle`) and logout. Every login,
/// failure, lock and change is audited under entity type `console_user`.
package struct ConsoleAccountUseCases: Sendable {
    let database: Database
    let users: ConsoleUserStore
    let tokens: TokenStore
    let clock: BusinessClock

    package init(database: Database, clock: BusinessClock = .system) {
        self.database = database
        self.users = ConsoleUserStore(database: database)
        self.tokens = TokenStore(database: database)
        self.clock = clock
    }

    /// A new account's name, role and scope (as an API token's: `Role.checkTokenScope`).
    package struct NewAccount: Sendable {
        package var userName: String
        package var displayName: String
        package var role: Role
        package var consortiumCode: String?
        package var institutionCode: String?
        package var prescriber: String?

        package init(
            userName: String, displayName: String, role: Role, consortiumCode: String?, institutionCode: String?,
            prescriber: String?
        ) {
            self.userName = userName
            self.displayName = displayName
            self.role = role
            self.consortiumCode = consortiumCode
            self.institutionCode = institutionCode
            self.prescriber = prescriber
        }
    }

    /// What the audit trail records of an account.
    struct Record: Encodable {
        var userName: String
        var role: String?
        var institution: String?
        var prescriber: String?
        var event: String?
        var reason: String?
        /// What the request's `X-Forwarded-For` claimed (a proxy's word, not checked).
        var forwardedFor: String?
        var lockedUntil: Date?
        var sessionsEnded: Int?
    }

    /// Creates an account. Its password is checked against the settings of its consortium (or the national ones),
    /// and stored as bcrypt's hash only.
    /// `manager`: the person creating it in the console (`ConsoleAccount.requireManager`), nil at the CLI.
    package func create(_ account: NewAccount, password: String, actor: Actor, manager: Principal? = nil) async throws {
        if let manager { try ConsoleAccount.requireManager(manager, of: manager.consortiumID) }
        try ConsoleAccount.checkUserName(account.userName)
        try ConsoleAccount.checkDisplayName(account.displayName)
        try account.role.checkTokenScope(
            consortiumCode: account.consortiumCode, institutionCode: account.institutionCode, prescriber: account.prescriber)
        let consortiumID = try await consortiumID(code: account.consortiumCode)
        try ConsoleAccount.requireManager(manager, of: consortiumID)
        let hash = try await passwordHash(password, userName: account.userName, consortiumID: consortiumID)
        try await database.transaction { transaction in
            var institutionID: Int64?
            if let institutionCode = account.institutionCode {
                institutionID = try await tokens.institutionID(
                    code: institutionCode, consortiumID: consortiumID, on: transaction
                ).orNotFound("no institution \(institutionCode) in \(account.consortiumCode ?? "")")
            }
            var prescriberID: Int64?
            if let prescriber = account.prescriber, let consortiumID, let institutionID {
                guard
                    let id = try await tokens.prescriberID(
                        pseudonym: prescriber, consortiumID: consortiumID, institutionID: institutionID, on: transaction)
                else {
                    throw DomainError.invalid(
                        "prescriber", "\(prescriber) is not a registered prescriber of \(account.institutionCode ?? "")")
                }
                prescriberID = id
            }
            // The account's token: a secret nobody keeps, so it is never used as a bearer token.
            guard
                let tokenID = try await tokens.insert(
                    role: account.role, consortiumID: consortiumID, institutionID: institutionID,
                    prescriberID: prescriberID, name: ConsoleAccount.actingName(account.userName),
                    hash: TokenStore.hash(TokenStore.generate()), expiresAt: nil, on: transaction)
            else { throw DomainError.conflict("token not created") }
            guard
                try await users.insert(
                    userName: account.userName, displayName: account.displayName, tokenID: tokenID, passwordHash: hash,
                    on: transaction) != nil
            else { throw DomainError.conflict("the user name \(account.userName) is taken") }
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: actor, action: "create", entityType: "console_user",
                entityKey: account.userName, before: Record?.none,
                after: Record(
                    userName: account.userName, role: account.role.rawValue, institution: account.institutionCode,
                    prescriber: account.prescriber))
        }
    }

    /// A new password for an account: its lock and failures are cleared and its sessions end.
    package func resetPassword(userName: String, password: String, actor: Actor, manager: Principal? = nil) async throws {
        let account = try await users.account(userName: userName).orNotFound("no user \(userName)")
        try ConsoleAccount.requireManager(manager, of: account.principal.consortiumID)
        let hash = try await passwordHash(password, userName: userName, consortiumID: account.principal.consortiumID)
        try await database.transaction { transaction in
            let locked = try await users.account(userName: userName, on: transaction, forUpdate: true)
                .orNotFound("no user \(userName)")
            try ConsoleAccount.requireManager(manager, of: locked.principal.consortiumID)
            try await users.setPassword(userID: locked.id, hash: hash, on: transaction)
            let ended = try await users.endSessions(userID: locked.id, on: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: locked.principal.consortiumID, actor: actor, action: "reset_password",
                entityType: "console_user", entityKey: userName, before: Record?.none,
                after: Record(userName: userName, sessionsEnded: ended))
        }
    }

    /// Disables an account: it cannot log in and its sessions end. What it did stays in the audit trail.
    package func disable(userName: String, actor: Actor, manager: Principal? = nil) async throws {
        try await database.transaction { transaction in
            let account = try await users.account(userName: userName, on: transaction, forUpdate: true)
                .orNotFound("no user \(userName)")
            try ConsoleAccount.requireManager(manager, of: account.principal.consortiumID)
            guard !account.state.disabled else { throw DomainError.conflict("the user \(userName) is already disabled") }
            try await users.disable(userID: account.id, on: transaction)
            let ended = try await users.endSessions(userID: account.id, on: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: account.principal.consortiumID, actor: actor, action: "disable",
                entityType: "console_user", entityKey: userName, before: Record?.none,
                after: Record(userName: userName, sessionsEnded: ended))
        }
    }

    /// A session just opened: the cookie's value (its hash is stored) and the session's CSRF token.
    package struct OpenedSession: Sendable {
        package var cookie: String
        package var csrfToken: String
        package var principal: Principal
    }

    package enum LoginResult: Sendable {
        case granted(OpenedSession)
        /// Refused; `lockedUntil` when the account is (now) locked, which the page may say.
        case refused(lockedUntil: Date?)
    }

    /// A login: an unknown name, a disabled or locked account or a wrong password are all refused alike (a locked
    /// account is told so); each is audited, and the failures count towards the lock. `previousCookie`, the
    /// browser's session before this login, ends: a login never leaves an older session of that browser behind.
    package func login(userName typed: String, password: String, remote: String?, previousCookie: String? = nil)
        async throws -> LoginResult
    {
        let userName = ConsoleAccount.normalizedUserName(typed)
        let known = (try? ConsoleAccount.checkUserName(userName)) != nil
        guard known, let account = try await users.account(userName: userName) else {
            // The same bcrypt work as a known name's, so the time taken does not tell which names exist; audited
            // without a consortium, so names tried one after another show in the national trail.
            _ = try await hash(password, cost: try await bcryptCost(consortiumID: nil))
            try await database.transaction { transaction in
                try await database.audit.record(
                    on: transaction, consortiumID: nil, actor: Actor(tokenID: nil, label: "login", role: nil),
                    action: "login_failed", entityType: "console_user", entityKey: known ? userName : "(not a user name)",
                    before: Record?.none,
                    after: Record(userName: known ? userName : "", reason: "unknown user", forwardedFor: remote))
            }
            return .refused(lockedUntil: nil)
        }
        let (lockout, idle) = try await loginSettings(consortiumID: account.principal.consortiumID)
        // Checked even when the account is locked or disabled (the answer is then ignored): the same time either way.
        let matches = try await verify(password, hash: account.passwordHash)
        return try await database.transaction { transaction in
            // Read again under the row's lock: logins at once count each failure. A password reset in between
            // leaves the old password's match worth nothing.
            let current = try await users.account(userName: userName, on: transaction, forUpdate: true)
                .orNotFound("no user \(userName)")
            let (outcome, after) = lockout.decide(
                current.state, passwordMatches: matches && current.passwordHash == account.passwordHash, now: current.now)
            if after != current.state { try await users.record(after, userID: current.id, on: transaction) }
            var opened: OpenedSession?
            if outcome == .granted {
                if let previousCookie {
                    _ = try await users.endSession(idHash: TokenStore.hash(previousCookie), on: transaction)
                }
                // Sessions of this account left idle end here: rows nobody comes back to do not stay.
                _ = try await users.endSessions(
                    userID: current.id, lastSeenBefore: idle.cutoff(now: current.now), on: transaction)
                let cookie = TokenStore.generate()
                let session = OpenedSession(
                    cookie: cookie, csrfToken: TokenStore.generate(), principal: current.principal)
                try await users.openSession(
                    userID: current.id, idHash: TokenStore.hash(cookie), csrfToken: session.csrfToken, on: transaction)
                opened = session
            }
            let lockedUntil: Date? =
                switch outcome {
                case .locked(let until), .lockedNow(let until): until
                default: nil
                }
            try await database.audit.record(
                on: transaction, consortiumID: current.principal.consortiumID, actor: Actor(current.principal),
                action: outcome.auditAction, entityType: "console_user", entityKey: userName, before: Record?.none,
                after: Record(userName: userName, reason: outcome.reason, forwardedFor: remote, lockedUntil: lockedUntil))
            if let opened { return .granted(opened) }
            return .refused(lockedUntil: lockedUntil)
        }
    }

    /// A session that is in use: its account's principal and CSRF token.
    package struct ActiveSession: Sendable {
        package var userName: String
        package var displayName: String
        package var principal: Principal
        package var csrfToken: String
        package var consortiumName: String?
        package var institutionName: String?
    }

    /// The session a cookie names, if it has not ended; an idle one ends now. Its use is recorded at most once a
    /// minute.
    package func session(cookie: String) async throws -> ActiveSession? {
        let idHash = TokenStore.hash(cookie)
        guard let session = try await users.session(idHash: idHash, today: clock.today()) else { return nil }
        let minutes = try PolicySetting<Int>.consoleSessionIdleMinutes.value(
            text: session.idleMinutesText, firstEffective: nil, on: clock.today(), field: "session")
        let idle = ConsoleSessionIdle(idleMinutes: minutes)
        if idle.hasEnded(lastSeen: session.lastSeen, now: session.now) {
            try await database.transaction { _ = try await users.endSession(idHash: idHash, on: $0) }
            return nil
        }
        if idle.recordsUse(lastSeen: session.lastSeen, now: session.now) { try await users.touchSession(idHash: idHash) }
        return ActiveSession(
            userName: session.userName, displayName: session.displayName, principal: session.principal,
            csrfToken: session.csrfToken, consortiumName: session.consortiumName,
            institutionName: session.institutionName)
    }

    /// Ends the session a cookie names, on every server (its row is deleted); audited as the account's logout.
    package func logout(cookie: String, principal: Principal, userName: String, remote: String?) async throws {
        try await database.transaction { transaction in
            guard try await users.endSession(idHash: TokenStore.hash(cookie), on: transaction) != nil else { return }
            try await database.audit.record(
                on: transaction, consortiumID: principal.consortiumID, actor: Actor(principal), action: "logout",
                entityType: "console_user", entityKey: userName, before: Record?.none,
                after: Record(userName: userName, forwardedFor: remote))
        }
    }

    /// A consortium's accounts, or with no consortium the national ones.
    package func list(consortiumCode: String?, manager: Principal? = nil) async throws -> [ConsoleUserStore.Listed] {
        let consortiumID = try await consortiumID(code: consortiumCode)
        try ConsoleAccount.requireManager(manager, of: consortiumID)
        return try await users.list(consortiumID: consortiumID)
    }

    /// The consortium's id (404 when there is none); nil for no consortium (a national account).
    private func consortiumID(code: String?) async throws -> Int64? {
        guard let code else { return nil }
        return try await database.withConnection { try await tokens.consortiumID(code: code, on: $0) }
            .orNotFound("no consortium \(code)")
    }

    // MARK: - Passwords

    private func settings(_ keys: [String], consortiumID: Int64?) async throws -> [String: String] {
        let today = clock.today()
        return try await database.withConnection { connection in
            try await Settings(logger: database.logger).texts(keys, consortiumID: consortiumID, on: today, connection: connection)
        }
    }

    /// The lockout and idle settings of the account's consortium.
    private func loginSettings(consortiumID: Int64?) async throws -> (lockout: LoginLockout, idle: ConsoleSessionIdle) {
        let keys = [PolicySetting<Int>.consoleLoginMaxFailures, .consoleLockoutMinutes, .consoleSessionIdleMinutes]
        let texts = try await settings(keys.map(\.key), consortiumID: consortiumID)
        let today = clock.today()
        let values = try keys.map { try $0.value(text: texts[$0.key], firstEffective: nil, on: today, field: "password") }
        let lockout = LoginLockout(maxFailures: values[0], lockoutMinutes: values[1])
        return (lockout, ConsoleSessionIdle(idleMinutes: values[2]))
    }

    /// Checks a new password (`ConsoleAccount.checkPassword`) and hashes it at the cost the settings give.
    private func passwordHash(_ password: String, userName: String, consortiumID: Int64?) async throws -> String {
        let minimum = PolicySetting<Int>.consolePasswordMinimumLength
        let cost = PolicySetting<Int>.consoleBcryptCost
        let texts = try await settings([minimum.key, cost.key], consortiumID: consortiumID)
        let today = clock.today()
        try ConsoleAccount.checkPassword(
            password, userName: userName,
            minimumLength: try minimum.value(text: texts[minimum.key], firstEffective: nil, on: today, field: "password"))
        return try await hash(
            password, cost: UInt8(try cost.value(text: texts[cost.key], firstEffective: nil, on: today, field: "password")))
    }

    private func bcryptCost(consortiumID: Int64?) async throws -> UInt8 {
        let cost = PolicySetting<Int>.consoleBcryptCost
        let texts = try await settings([cost.key], consortiumID: consortiumID)
        return UInt8(try cost.value(text: texts[cost.key], firstEffective: nil, on: clock.today(), field: "password"))
    }

    private func hash(_ password: String, cost: UInt8) async throws -> String {
        try await PasswordWork.shared.hash(password, cost: cost)
    }

    private func verify(_ password: String, hash: String) async throws -> Bool {
        try await PasswordWork.shared.verify(password, hash: hash)
    }
}

import Foundation

/// 控制台账户: a person who logs in to the web console with a user name and password. Their role, consortium,
/// institution and prescriber are those of an API token the account holds (never shown to anyone), so every
/// permission, scope and "who did it" works as it does for the API.
package enum ConsoleAccount {
    /// What an account's user name may be: 2 to 40 lower-case letters, digits, `.`, `_` or `-`, starting with a
    /// letter or digit (a staff number or a name in pinyin). Names are compared in lower case.
    package static func checkUserName(_ name: String) throws(DomainError) {
        guard (2...40).contains(name.count), let first = name.first, first.isASCII, first.isLetter || first.isNumber,
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || ".-_".contains($0)) })
        else {
            throw .invalid("name", "must be 2 to 40 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
    }

    /// The longest display name (张药师, or a name with a title).
    package static let displayNameMaximumLength = 100

    package static func checkDisplayName(_ name: String) throws(DomainError) {
        guard name.count <= displayNameMaximumLength else {
            throw .invalid("displayName", "must be at most \(displayNameMaximumLength) characters")
        }
    }

    /// A person managing accounts in the console (`manager`) touches only their own consortium's, as its pharmacy
    /// centre (`manageConsoleUsers`); a national account, or another consortium's, is the operator's at the CLI.
    /// Without a manager (the CLI, run where the database is) any account.
    package static func requireManager(_ manager: Principal?, of consortiumID: Int64?) throws(DomainError) {
        guard let manager else { return }
        guard let consortiumID, manager.may(.manageConsoleUsers(consortiumID: consortiumID)) else {
            throw .forbidden("only the consortium's pharmacy centre manages its console accounts")
        }
    }

    /// The name a person's console session acts under, in the audit trail and every `created_by`: `user:NAME`.
    package static func actingName(_ userName: String) -> String { actingNamePrefix + userName }

    package static let actingNamePrefix = "user:"

    /// A machine's API token may not be named as a person's console session: the audit trail would show the
    /// machine's changes as that person's.
    package static func checkTokenName(_ name: String) throws(DomainError) {
        guard !name.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix(actingNamePrefix) else {
            throw .invalid("name", "must not begin with user:, which names a person's console session")
        }
    }

    /// A user name as typed at login: trimmed and in lower case.
    package static func normalizedUserName(_ typed: String) -> String {
        typed.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// bcrypt reads a password's first 72 bytes only: a longer one would be cut without a word.
    package static let passwordMaximumBytes = 72

    /// 密码规则: at least `minimumLength` characters, at most 72 bytes, and not the user name nor containing it.
    package static func checkPassword(_ password: String, userName: String, minimumLength: Int) throws(DomainError) {
        guard password.count >= minimumLength else {
            throw .invalid("password", "must be at least \(minimumLength) characters")
        }
        guard password.utf8.count <= passwordMaximumBytes else {
            throw .invalid("password", "must be at most 72 bytes (24 Chinese characters)")
        }
        let lower = password.lowercased()
        guard !lower.contains(userName.lowercased()), !lower.contains(String(userName.lowercased().reversed())) else {
            throw .invalid("password", "must not contain the user name")
        }
    }
}

/// 登录失败锁定: a wrong password counts a failure; the `maxFailures`th in a row locks the account for
/// `lockoutMinutes`. A locked or disabled account is refused before its password is checked; a success clears the
/// count. Both numbers are settings (`console_login_max_failures`, `console_lockout_minutes`).
package struct LoginLockout: Sendable, Equatable {
    package var maxFailures: Int
    package var lockoutMinutes: Int

    package init(maxFailures: Int, lockoutMinutes: Int) {
        self.maxFailures = maxFailures
        self.lockoutMinutes = lockoutMinutes
    }

    /// What the database holds of an account's logins.
    package struct State: Sendable, Equatable {
        package var failedLogins: Int
        package var lockedUntil: Date?
        package var disabled: Bool

        package init(failedLogins: Int, lockedUntil: Date?, disabled: Bool) {
            self.failedLogins = failedLogins
            self.lockedUntil = lockedUntil
            self.disabled = disabled
        }
    }

    package enum Outcome: Sendable, Equatable {
        /// The password matched: a session opens.
        case granted
        /// A wrong password, the `failures`th in a row.
        case wrongPassword(failures: Int)
        /// This wrong password locked the account.
        case lockedNow(until: Date)
        /// The account was already locked: the password was not checked.
        case locked(until: Date)
        /// The account is disabled: the password was not checked.
        case disabled

        /// The audit trail's action for this outcome.
        package var auditAction: String {
            switch self {
            case .granted: "login"
            case .lockedNow: "lock"
            case .wrongPassword, .locked, .disabled: "login_failed"
            }
        }

        /// Why a login failed, for the audit trail (nil when it succeeded).
        package var reason: String? {
            switch self {
            case .granted: nil
            case .wrongPassword: "wrong password"
            case .lockedNow: "wrong password; locked"
            case .locked: "locked"
            case .disabled: "disabled"
            }
        }
    }

    /// The refusal of an account that is disabled or still locked at `now`, before any password is checked.
    package func refusal(_ state: State, now: Date) -> Outcome? {
        if state.disabled { return .disabled }
        if let until = state.lockedUntil, until > now { return .locked(until: until) }
        return nil
    }

    /// The outcome of a login whose password matched or not, and what the account holds after it.
    package func decide(_ state: State, passwordMatches: Bool, now: Date) -> (outcome: Outcome, after: State) {
        if let refused = refusal(state, now: now) { return (refused, state) }
        if passwordMatches {
            return (.granted, State(failedLogins: 0, lockedUntil: nil, disabled: false))
        }
        let failures = state.failedLogins + 1
        guard failures >= maxFailures else {
            return (.wrongPassword(failures: failures), State(failedLogins: failures, lockedUntil: nil, disabled: false))
        }
        let until = now.addingTimeInterval(TimeInterval(lockoutMinutes * 60))
        return (.lockedNow(until: until), State(failedLogins: 0, lockedUntil: until, disabled: false))
    }
}

/// 会话超时: a console session unused for `idleMinutes` (setting `console_session_idle_minutes`) has ended. Its
/// last use is written at most every minute (every half of the idle time, when that is shorter), so a busy session
/// costs no write on every page and is never ended while in use.
package struct ConsoleSessionIdle: Sendable, Equatable {
    package var idleMinutes: Int

    package init(idleMinutes: Int) { self.idleMinutes = idleMinutes }

    var idle: TimeInterval { TimeInterval(idleMinutes * 60) }

    package func hasEnded(lastSeen: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeen) >= idle
    }

    /// Sessions last used before this instant have ended.
    package func cutoff(now: Date) -> Date { now.addingTimeInterval(-idle) }

    /// Whether this use is written as the session's last.
    package func recordsUse(lastSeen: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeen) >= min(60, idle / 2)
    }
}

import Foundation
import Testing

@testable import RxDomain

@Suite("Console accounts: user names, passwords, the login lockout and the idle session (issue 26)")
struct ConsoleAccountRulesTests: RuleRefusals {
    @Test("a user name is 2 to 40 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
    func userNames() {
        for good in ["zhang.yp", "pharm1", "a1", "0012345", "li_ming-2"] {
            #expect(field { try ConsoleAccount.checkUserName(good) } == nil, "\(good)")
        }
        for bad in ["a", "Zhang", "张药师", "-pharm", "pharm 1", String(repeating: "a", count: 41), ""] {
            #expect(field { try ConsoleAccount.checkUserName(bad) } == "name", "\(bad)")
        }
        #expect(ConsoleAccount.normalizedUserName("  Pharm1 \n") == "pharm1")
    }

    @Test("密码规则: at least the setting's length, at most 72 bytes, and not the user name nor containing it")
    func passwords() {
        #expect(field { try ConsoleAccount.checkPassword("长期处方-2026-安全", userName: "pharm1", minimumLength: 10) } == nil)
        #expect(field { try ConsoleAccount.checkPassword("short", userName: "pharm1", minimumLength: 10) } == "password")
        #expect(field { try ConsoleAccount.checkPassword("abcdefghij", userName: "pharm1", minimumLength: 11) } == "password")
        // The user name, in any case, or reversed, inside the password.
        #expect(field { try ConsoleAccount.checkPassword("xxPHARM1xxyy", userName: "pharm1", minimumLength: 10) } == "password")
        #expect(field { try ConsoleAccount.checkPassword("1mrahp-2026!", userName: "pharm1", minimumLength: 10) } == "password")
        // 25 Chinese characters are 75 bytes: bcrypt would read only the first 72.
        let long = String(repeating: "药", count: 25)
        #expect(field { try ConsoleAccount.checkPassword(long, userName: "pharm1", minimumLength: 10) } == "password")
        #expect(
            field { try ConsoleAccount.checkPassword(String(repeating: "药", count: 24), userName: "pharm1", minimumLength: 10) }
                == nil)
        #expect(field { try ConsoleAccount.checkDisplayName(String(repeating: "张", count: 101)) } == "displayName")
    }

    @Test("登录失败锁定: the fifth wrong password in a row locks for the setting's minutes; a success clears the count")
    func lockout() {
        let lockout = LoginLockout(maxFailures: 5, lockoutMinutes: 15)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var state = LoginLockout.State(failedLogins: 0, lockedUntil: nil, disabled: false)
        for n in 1...4 {
            let (outcome, after) = lockout.decide(state, passwordMatches: false, now: now)
            #expect(outcome == .wrongPassword(failures: n))
            #expect(outcome.auditAction == "login_failed")
            state = after
        }
        let (fifth, locked) = lockout.decide(state, passwordMatches: false, now: now)
        let until = now.addingTimeInterval(15 * 60)
        #expect(fifth == .lockedNow(until: until))
        #expect(fifth.auditAction == "lock")
        #expect(locked == .init(failedLogins: 0, lockedUntil: until, disabled: false))
        // While locked, even the right password is refused, before it is checked.
        #expect(lockout.refusal(locked, now: now.addingTimeInterval(14 * 60)) == .locked(until: until))
        #expect(lockout.decide(locked, passwordMatches: true, now: now.addingTimeInterval(60)).outcome == .locked(until: until))
        // Once the lock has passed, the right password is granted and clears everything.
        let later = now.addingTimeInterval(15 * 60)
        #expect(lockout.refusal(locked, now: later) == nil)
        let (granted, cleared) = lockout.decide(locked, passwordMatches: true, now: later)
        #expect(granted == .granted && granted.auditAction == "login" && granted.reason == nil)
        #expect(cleared == .init(failedLogins: 0, lockedUntil: nil, disabled: false))
        // A success in between starts the count again.
        let two = LoginLockout.State(failedLogins: 4, lockedUntil: nil, disabled: false)
        #expect(lockout.decide(two, passwordMatches: true, now: now).after.failedLogins == 0)
        // A disabled account is refused whatever the password.
        let disabled = LoginLockout.State(failedLogins: 0, lockedUntil: nil, disabled: true)
        #expect(lockout.decide(disabled, passwordMatches: true, now: now).outcome == .disabled)
        // The settings decide: three failures and a minute.
        let strict = LoginLockout(maxFailures: 3, lockoutMinutes: 1)
        let third = strict.decide(.init(failedLogins: 2, lockedUntil: nil, disabled: false), passwordMatches: false, now: now)
        #expect(third.outcome == .lockedNow(until: now.addingTimeInterval(60)))
    }

    @Test(
        "会话超时: a session unused for the setting's minutes has ended; its use is written at most once a minute or half the idle time"
    )
    func idleSession() {
        let idle = ConsoleSessionIdle(idleMinutes: 30)
        let seen = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(!idle.hasEnded(lastSeen: seen, now: seen.addingTimeInterval(29 * 60 + 59)))
        #expect(idle.hasEnded(lastSeen: seen, now: seen.addingTimeInterval(30 * 60)))
        #expect(!idle.recordsUse(lastSeen: seen, now: seen.addingTimeInterval(59)))
        #expect(idle.recordsUse(lastSeen: seen, now: seen.addingTimeInterval(60)))
        #expect(idle.cutoff(now: seen) == seen.addingTimeInterval(-30 * 60))
        // A one-minute setting: the use is written every 30 s, so a session in use never ends.
        let short = ConsoleSessionIdle(idleMinutes: 1)
        #expect(short.recordsUse(lastSeen: seen, now: seen.addingTimeInterval(30)))
        #expect(!short.recordsUse(lastSeen: seen, now: seen.addingTimeInterval(29)))
    }

    @Test("a machine's API token may not be named as a person's console session (user:NAME), in any case")
    func tokenNames() throws {
        #expect(ConsoleAccount.actingName("pharm1") == "user:pharm1")
        try ConsoleAccount.checkTokenName("his-nightly")
        try ConsoleAccount.checkTokenName("his user:1")
        for name in ["user:pharm1", "USER:pharm1", " user:x"] {
            #expect(throws: DomainError.invalid("name", "must not begin with user:, which names a person's console session")) {
                try ConsoleAccount.checkTokenName(name)
            }
        }
    }
}

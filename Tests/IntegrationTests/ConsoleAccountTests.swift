import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

@Suite("Console accounts and sessions on PostgreSQL (issue 26)")
struct ConsoleAccountTests {
    /// bcrypt at its least cost: the tests check the rules, not the work factor.
    static func cheapHashes(_ app: TestApp) async throws {
        try await app.database.withConnection { c in
            try await c.sql("UPDATE policy_defaults SET value = '4' WHERE key = 'console_bcrypt_cost'")
        }
    }

    static let password = "长期处方-desk-2026"

    @Test("five wrong passwords lock the account; every login, failure and lock is audited; a reset unlocks")
    func lockout() async throws {
        try await TestApp.run { app in
            try await Self.cheapHashes(app)
            let accounts = ConsoleAccountUseCases(database: app.database)
            try await accounts.create(
                .init(
                    userName: "pharm1", displayName: "张药师", role: .institutionPharmacist, consortiumCode: "JLTCM",
                    institutionCode: "YJ-TCMH", prescriber: nil),
                password: Self.password, actor: .console("test"))
            guard case .granted(let first) = try await accounts.login(userName: " Pharm1", password: Self.password, remote: "t")
            else { Issue.record("the right password was refused"); return }
            #expect(first.principal.institutionCode == "YJ-TCMH" && first.principal.name == "user:pharm1")
            #expect(first.principal.role == .institutionPharmacist && first.principal.tokenID != nil)

            for n in 1...5 {
                let result = try await accounts.login(userName: "pharm1", password: "wrong-password-\(n)", remote: "t")
                guard case .refused(let lockedUntil) = result else { Issue.record("wrong password \(n) granted"); return }
                #expect((lockedUntil != nil) == (n == 5), "attempt \(n)")
            }
            // Locked: the right password is refused too.
            guard case .refused(let until) = try await accounts.login(userName: "pharm1", password: Self.password, remote: "t"),
                let until
            else { Issue.record("a locked account logged in"); return }
            #expect(until.timeIntervalSinceNow > 14 * 60)
            let actions = try await app.database.rows(
                "SELECT action FROM audit_log WHERE entity_type = 'console_user' AND entity_key = 'pharm1' ORDER BY id",
                as: String.self)
            #expect(actions == ["create", "login"] + Array(repeating: "login_failed", count: 4) + ["lock", "login_failed"])
            let consortia = try await app.database.rows(
                "SELECT count(*)::int FROM audit_log WHERE entity_type = 'console_user' AND entity_key = 'pharm1' AND consortium_id IS NULL",
                as: Int.self)
            #expect(consortia == [0])

            // A reset unlocks and ends the sessions; the old password no longer works.
            try await accounts.resetPassword(userName: "pharm1", password: "新的密码-abcdef-1", actor: .console("test"))
            #expect(try await accounts.session(cookie: first.cookie) == nil)
            guard case .refused = try await accounts.login(userName: "pharm1", password: Self.password, remote: nil) else {
                Issue.record("the old password still works"); return
            }
            guard case .granted = try await accounts.login(userName: "pharm1", password: "新的密码-abcdef-1", remote: nil) else {
                Issue.record("the new password was refused"); return
            }
            // An unknown name is refused, and audited without a consortium.
            guard case .refused(nil) = try await accounts.login(userName: "nobody", password: Self.password, remote: nil) else {
                Issue.record("an unknown name was not refused"); return
            }
            let unknown = try await app.database.rows(
                "SELECT action FROM audit_log WHERE entity_type = 'console_user' AND entity_key = 'nobody' AND consortium_id IS NULL",
                as: String.self)
            #expect(unknown == ["login_failed"])
        }
    }

    @Test("an account's name, password and scope are checked before anything is written")
    func refusals() async throws {
        try await TestApp.run { app in
            try await Self.cheapHashes(app)
            let accounts = ConsoleAccountUseCases(database: app.database)
            func field(_ account: ConsoleAccountUseCases.NewAccount, _ password: String = Self.password) async -> String? {
                do {
                    try await accounts.create(account, password: password, actor: .console("test"))
                    return nil
                } catch let error as DomainError {
                    return error.fieldErrors.first?.field ?? "\(error)"
                } catch { return "\(error)" }
            }
            func account(_ name: String, _ role: Role = .prescriber, institution: String? = "JL-TCMH", prescriber: String? = nil)
                -> ConsoleAccountUseCases.NewAccount
            {
                .init(
                    userName: name, displayName: "", role: role, consortiumCode: role.isNational ? nil : "JLTCM",
                    institutionCode: institution, prescriber: prescriber)
            }
            #expect(await field(account("Dr Li")) == "name")
            #expect(await field(account("drli"), "short") == "password")
            #expect(await field(account("drli"), "xx-drli-2026-yy") == "password")
            #expect(await field(account("drli", prescriber: "DR-NOT-THERE")) == "prescriber")
            #expect(await field(account("admin", .masterDataAdmin, institution: "JL-TCMH")) == "institution")
            #expect(try await app.count("SELECT count(*)::int FROM console_users") == 0)
            #expect(await field(account("drli", prescriber: "DR-JL-0001")) == nil)
            #expect(await field(account("drli")) != nil)  // the name is taken
            #expect(await field(account("admin", .masterDataAdmin, institution: nil)) == nil)
            #expect(try await app.count("SELECT count(*)::int FROM console_users") == 2)
            // The accounts' tokens are not listed with the API tokens, nor revoked as one.
            let tokens = try await TokenUseCases(database: app.database).list(consortiumCode: "JLTCM")
            #expect(!tokens.contains { $0.name.hasPrefix("user:") })
            let users = try await accounts.list(consortiumCode: "JLTCM")
            #expect(users.map(\.userName) == ["drli"] && users[0].prescriber == "DR-JL-0001")
        }
    }

    @Test("a session ends after the idle setting's minutes, on logout, and when its account is disabled")
    func sessions() async throws {
        try await TestApp.run { app in
            try await Self.cheapHashes(app)
            let accounts = ConsoleAccountUseCases(database: app.database)
            try await accounts.create(
                .init(
                    userName: "fin1", displayName: "", role: .finance, consortiumCode: "JLTCM", institutionCode: nil,
                    prescriber: nil), password: Self.password, actor: .console("test"))
            func open() async throws -> ConsoleAccountUseCases.OpenedSession {
                guard case .granted(let s) = try await accounts.login(userName: "fin1", password: Self.password, remote: nil)
                else { throw DomainError.conflict("refused") }
                return s
            }
            let idle = try await open()
            let active = try await accounts.session(cookie: idle.cookie)
            #expect(active?.principal.role == .finance && active?.csrfToken == idle.csrfToken)
            try await app.database.withConnection { c in
                try await c.sql("UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes'")
            }
            #expect(try await accounts.session(cookie: idle.cookie) == nil)
            #expect(try await app.count("SELECT count(*)::int FROM console_sessions") == 0)

            let loggedOut = try await open()
            try await accounts.logout(cookie: loggedOut.cookie, principal: loggedOut.principal, userName: "fin1", remote: nil)
            #expect(try await accounts.session(cookie: loggedOut.cookie) == nil)

            let kept = try await open()
            try await accounts.disable(userName: "fin1", actor: .console("test"))
            #expect(try await accounts.session(cookie: kept.cookie) == nil)
            guard case .refused = try await accounts.login(userName: "fin1", password: Self.password, remote: nil) else {
                Issue.record("a disabled account logged in"); return
            }
            let actions = try await app.database.rows(
                "SELECT action FROM audit_log WHERE entity_type = 'console_user' ORDER BY id", as: String.self)
            #expect(actions == ["create", "login", "login", "logout", "login", "disable", "login_failed"])
        }
    }
}

@Suite("The console's accounts page for the pharmacy centre (issue 26)")
struct ConsoleUsersPageTests {
    typealias Jar = ConsoleTests.Jar

    @Test("the centre creates an account (refused beside the field first), sets a password, disables it; others may not")
    func manageAccounts() async throws {
        try await TestApp.run { app in
            try await ConsoleTests.account(app, "centre", .consortiumAdmin, institution: nil)
            var jar = Jar()
            _ = try await ConsoleTests.login(app, "centre", jar: &jar)
            let page = try await ConsoleTests.get(app, "/console/users", jar: &jar)
            #expect(page.status == .ok && page.text.contains(#"<tr class="user" id="user-centre">"#))
            let csrf = ConsoleTests.csrf(in: page.text)
            let create: [(String, String)] = [
                ("csrf", csrf), ("name", "zhang.yaoshi"), ("displayName", "张药师"), ("role", "institution_pharmacist"),
                ("institution", "YJ-TCMH"),
            ]
            let short = try await ConsoleCatalogueTests.post(
                app, "/console/users", create + [("password", "short")], jar: &jar)
            #expect(short.status == .unprocessableContent && short.text.contains(#"id="u-password-error""#))
            #expect(short.text.contains(#"value="zhang.yaoshi""#), "the form keeps what was typed")
            #expect(try await app.count("SELECT count(*)::int FROM console_users WHERE user_name = 'zhang.yaoshi'") == 0)
            let created = try await ConsoleCatalogueTests.post(
                app, "/console/users", create + [("password", "药房-密码-2026-x")], jar: &jar)
            #expect(created.status == .seeOther && created.headers[.location] == "/console/users?done=user_created")
            var pharmacist = Jar()
            let login = try await ConsoleTests.login(app, "zhang.yaoshi", password: "药房-密码-2026-x", jar: &pharmacist)
            #expect(login.status == .seeOther)
            // A pharmacist does not see the page, nor may post to it.
            #expect(try await ConsoleTests.get(app, "/console/users", jar: &pharmacist).status == .forbidden)
            let home = try await ConsoleTests.get(app, "/console/", jar: &pharmacist)
            let refused = try await ConsoleCatalogueTests.post(
                app, "/console/users/centre/disable", [("csrf", ConsoleTests.csrf(in: home.text))], jar: &pharmacist)
            #expect(refused.status == .forbidden)

            // A new password refused is shown beside its row's field, not the new-account form's.
            let tooShort = try await ConsoleCatalogueTests.post(
                app, "/console/users/zhang.yaoshi/reset-password", [("csrf", csrf), ("password", "short")], jar: &jar)
            #expect(tooShort.status == .unprocessableContent)
            #expect(tooShort.text.contains(#"<span id="pw-zhang.yaoshi-error" class="refusal">"#))
            #expect(tooShort.text.contains(#"aria-describedby="pw-zhang.yaoshi-error""#))
            #expect(!tooShort.text.contains(#"id="u-password-error""#), "\(tooShort.text)")
            #expect(tooShort.text.contains("密码："), "the sentence names the field as the form labels it")
            let reset = try await ConsoleCatalogueTests.post(
                app, "/console/users/zhang.yaoshi/reset-password", [("csrf", csrf), ("password", "新的-密码-2026-y")],
                jar: &jar)
            #expect(reset.status == .seeOther)
            #expect(try await ConsoleTests.get(app, "/console/", jar: &pharmacist).status == .seeOther, "sessions ended")
            let disabled = try await ConsoleCatalogueTests.post(
                app, "/console/users/zhang.yaoshi/disable", [("csrf", csrf)], jar: &jar)
            #expect(disabled.status == .seeOther)
            #expect(
                try await ConsoleTests.get(app, "/console/users", jar: &jar).text.contains(
                    #"<td class="state">已停用</td>"#))
            let actions = try await app.database.rows(
                "SELECT action FROM audit_log WHERE entity_type = 'console_user' AND entity_key = 'zhang.yaoshi' ORDER BY id",
                as: String.self)
            #expect(
                actions.filter { ["create", "reset_password", "disable"].contains($0) } == [
                    "create", "reset_password", "disable",
                ])
        }
    }

    @Test("a centre manages only its own consortium's accounts")
    func onlyOwnConsortium() async throws {
        try await TestApp.run { app in
            try await ConsoleTests.account(app, "centre", .consortiumAdmin, institution: nil)
            let cases = ConsoleAccountUseCases(database: app.database)
            try await cases.create(
                .init(
                    userName: "national", displayName: "", role: .masterDataAdmin, consortiumCode: nil, institutionCode: nil,
                    prescriber: nil), password: ConsoleTests.password, actor: .console("test"))
            let centre = try #require(try await ConsoleUserStore(database: app.database).account(userName: "centre"))
                .principal
            await #expect(throws: DomainError.self) {
                try await cases.disable(userName: "national", actor: Actor(centre), manager: centre)
            }
            await #expect(throws: DomainError.self) {
                try await cases.create(
                    .init(
                        userName: "other", displayName: "", role: .masterDataAdmin, consortiumCode: nil,
                        institutionCode: nil, prescriber: nil), password: ConsoleTests.password, actor: Actor(centre),
                    manager: centre)
            }
            #expect(try await app.count("SELECT count(*)::int FROM console_users WHERE disabled_at IS NOT NULL") == 0)
        }
    }
}

import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

#if canImport(Glibc)
    import Glibc
#endif

/// `consortiumrx user`: the web console's accounts. Passwords are read from standard input or typed at a prompt,
/// never given as arguments (which other users of the machine can see).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create web-console accounts, reset their passwords, disable them.",
        subcommands: [Create.self, ResetPassword.self, Disable.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account; its password is read from standard input (or typed twice at a prompt).")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The user name: 2 to 40 lower-case letters, digits, '.', '_' or '-'.")
        var name: String

        @Option(name: .customLong("display-name"), help: "The person's name as pages show it (e.g. 张药师).")
        var displayName: String = ""

        @Option(
            help:
                "consortium_admin, institution_pharmacist, procurement_officer, prescriber, regulator, auditor, finance or master_data_admin."
        )
        var role: String

        @Option(help: "The consortium's code (every role but master_data_admin).")
        var consortium: String?

        @Option(help: "Scope the account to one institution of the consortium.")
        var institution: String?

        @Option(help: "For a prescriber scoped to an institution: the registered prescriber (pseudonym) the person is.")
        var prescriber: String?

        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input's first line.")
        var passwordStdin = false

        func validate() throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("unknown role '\(role)'; one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            do {
                try ConsoleAccount.checkUserName(name)
                try role.checkTokenScope(consortiumCode: consortium, institutionCode: institution, prescriber: prescriber)
            } catch {
                let field = error.fieldErrors.first
                throw ValidationError("--\(field?.field ?? "name"): \(field?.reason ?? error.message)")
            }
        }

        func run() async throws {
            let account = ConsoleAccountUseCases.NewAccount(
                userName: name, displayName: displayName, role: Role(rawValue: role)!, consortiumCode: consortium,
                institutionCode: institution, prescriber: prescriber)
            let password = try readPassword(fromStdin: passwordStdin)
            try await fieldErrorsExit {
                try await database.withDatabase("user") { db in
                    try await ConsoleAccountUseCases(database: db).create(
                        account, password: password, actor: .console("user create"))
                }
            }
            print("user \(account.userName) created")
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Set a new password (from standard input or a prompt); unlocks the account and ends its sessions.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The user name.")
        var name: String

        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input's first line.")
        var passwordStdin = false

        func run() async throws {
            let (name, password) = (self.name, try readPassword(fromStdin: passwordStdin))
            try await fieldErrorsExit {
                try await database.withDatabase("user") { db in
                    try await ConsoleAccountUseCases(database: db).resetPassword(
                        userName: name, password: password, actor: .console("user reset-password"))
                }
            }
            print("user \(name): password reset")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an account: it can no longer log in, and its sessions end.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The user name.")
        var name: String

        func run() async throws {
            let name = self.name
            try await database.withDatabase("user") { db in
                try await ConsoleAccountUseCases(database: db).disable(userName: name, actor: .console("user disable"))
            }
            print("user \(name) disabled")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a consortium's accounts (or the national ones).")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The consortium's code; without it, the national accounts (master_data_admin).")
        var consortium: String?

        func run() async throws {
            let consortium = self.consortium
            let users = try await database.withDatabase("user") { db in
                try await ConsoleAccountUseCases(database: db).list(consortiumCode: consortium)
            }
            for u in users {
                let state = u.disabledAt != nil ? "disabled" : (u.lockedUntil.map { $0 > Date() } == true ? "locked" : "active")
                print("\(u.userName)\t\(u.role.rawValue)\t\(u.institutionCode ?? "-")\t\(state)\t\(u.displayName)")
            }
        }
    }
}

/// The password: standard input's first line when asked or when input is not a terminal; else typed twice, unseen.
private func readPassword(fromStdin: Bool) throws -> String {
    if fromStdin || isatty(STDIN_FILENO) == 0 {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("--password-stdin: standard input has no password")
        }
        return line
    }
    guard let first = getpass("密码 / password: ").map({ String(cString: $0) }),
        let second = getpass("再次输入 / again: ").map({ String(cString: $0) })
    else { throw ValidationError("no password was typed") }
    guard first == second else { throw ValidationError("the two passwords differ") }
    return first
}

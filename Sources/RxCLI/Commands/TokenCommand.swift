import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it alone on standard output (it is shown once).")

        @OptionGroup var database: DatabaseOptions

        @Option(
            help:
                "consortium_admin, institution_pharmacist, procurement_officer, prescriber, regulator, auditor, finance or master_data_admin."
        )
        var role: String

        @Option(help: "The consortium's code (every role but master_data_admin, which belongs to no consortium).")
        var consortium: String?

        @Option(help: "Scope the token to one institution of the consortium.")
        var institution: String?

        @Option(
            help:
                "Bind a prescriber token (with --institution) to one registered prescriber of that institution, by pseudonym: its long-prescription checks and issues are in that prescriber's name only."
        )
        var prescriber: String?

        @Option(help: "A label for the audit trail.")
        var name: String = ""

        @Option(
            name: .customLong("expires-in-days"),
            help:
                "Days until the token expires, \(TokenLifetime.days.lowerBound) to \(TokenLifetime.days.upperBound) (default: never)."
        )
        var expiresInDays: Int?

        func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("unknown role '\(role)'; one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            // master_data_admin keeps national master data: no --consortium; every other role needs one.
            do {
                try Role(rawValue: role)!.checkTokenScope(
                    consortiumCode: consortium, institutionCode: institution, prescriber: prescriber)
            } catch {
                let field = error.fieldErrors.first
                throw ValidationError("--\(field?.field ?? "consortium"): \(field?.reason ?? error.message)")
            }
            do {
                try ConsoleAccount.checkTokenName(name)
            } catch {
                throw ValidationError("--name: \(error.fieldErrors.first?.reason ?? error.message)")
            }
            do {
                _ = try TokenLifetime.expiry(days: expiresInDays, from: Date())
            } catch {
                throw ValidationError("--expires-in-days: \(error.fieldErrors.first?.reason ?? error.message)")
            }
        }

        func run() async throws {
            let role = Role(rawValue: role)!
            let expiresAt = try TokenLifetime.expiry(days: expiresInDays, from: Date())
            let (consortium, institution, prescriber, name) = (self.consortium, self.institution, self.prescriber, self.name)
            // Bad input found in the database (a prescriber not registered at the institution): exit 2.
            let issued = try await fieldErrorsExit {
                try await database.withDatabase("token") { db in
                    try await TokenUseCases(database: db).create(
                        role: role, consortiumCode: consortium, institutionCode: institution, prescriber: prescriber,
                        name: name, expiresAt: expiresAt, actor: .console("token create"))
                }
            }
            print(issued.token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a consortium's tokens (never the tokens themselves).")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The consortium's code; without it, the national tokens (master_data_admin).")
        var consortium: String?

        func run() async throws {
            let consortium = self.consortium
            let tokens = try await database.withDatabase("token") { db in
                try await TokenUseCases(database: db).list(consortiumCode: consortium)
            }
            for t in tokens {
                let state = t.revokedAt != nil ? "revoked" : (t.expiresAt.map { $0 < Date() } == true ? "expired" : "active")
                print("\(t.id)\t\(t.role.rawValue)\t\(t.institutionCode ?? "-")\t\(state)\t\(t.name)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (see token list).")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The token's id.")
        var id: Int64

        func run() async throws {
            let id = self.id
            try await database.withDatabase("token") { db in
                try await TokenUseCases(database: db).revoke(id: id, actor: .console("token revoke"))
            }
            print("token \(id) revoked")
        }
    }
}

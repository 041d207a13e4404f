import ArgumentParser
import Foundation
import RxDomain
import RxStore
import RxUseCases

/// Who runs a recorded command (`reconcile …`): `--operator NAME`, else the holder of `--token`, else the
/// operating-system user. The run is kept with that name.
struct OperatorOptions: ParsableArguments {
    @Option(name: .customLong("operator"), help: "Who runs it, as the run records it (default: the --token's name, else $USER).")
    var name: String?

    @Option(help: "An API token of the consortium: the run is recorded in its holder's name.")
    var token: String?

    /// The name to record, or exit 2: an unknown, expired or revoked token, or one of another consortium.
    func resolve(consortiumCode: String?, database: Database) async throws -> String {
        if let name {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.count <= 200 else {
                throw ReconcileCommand.badInput("--operator must be 1 to 200 characters")
            }
            return trimmed
        }
        if let token {
            guard let principal = try await TokenUseCases(database: database).principal(forToken: token) else {
                throw ReconcileCommand.badInput("--token is unknown, expired or revoked")
            }
            if let consortiumCode, !principal.may(.signConsoleRun(consortiumCode: consortiumCode)) {
                throw ReconcileCommand.badInput("--token belongs to another consortium than \(consortiumCode)")
            }
            return principal.name
        }
        return ReconcileCommand.user
    }
}

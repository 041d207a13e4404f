import ArgumentParser

/// The command tree. Each subcommand lives in a file of its own.
public struct ConsortiumRxCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "consortiumrx",
        abstract: "The pharmacy of a medical consortium: API server, migrations, seeds, tokens.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, SeedCommand.self, TokenCommand.self, ImportCommand.self,
            ReconcileCommand.self,
        ]
    )

    public init() {}
}

import ArgumentParser

/// The command tree. Each subcommand lives in a file of its own.
package struct ConsortiumRxCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "consortiumrx",
        abstract: "The pharmacy of a medical consortium: API server, migrations, seeds, tokens.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, SeedCommand.self, TokenCommand.self, ImportCommand.self,
            ExportCommand.self, ReconcileCommand.self, ShortagesCommand.self, ReportCommand.self,
            CrosswalkCommand.self, UserCommand.self,
        ]
    )

    package init() {}
}

extension ConsortiumRxCommand {
    /// Parses the process's arguments, runs the command, and exits with its status.
    package static func runFromCommandLine() async {
        await main()
    }
}

import RxCLI

await Entry.run()

/// The executable only hands over to the command tree in RxCLI.
enum Entry {
    static func run() async {
        await ConsortiumRxCommand.runFromCommandLine()
    }
}

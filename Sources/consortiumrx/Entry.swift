import RxCLI

/// The executable only hands over to the command tree in RxCLI.
@main
enum Entry {
    static func main() async {
        await ConsortiumRxCommand.main()
    }
}

import Foundation
import Testing

/// The `consortiumrx` commands as an operator runs them: their arguments, what they do, and their exit statuses
/// (docs/cli.md: 0 done, 1 discrepancies or an error that is not bad input, 2 bad input, 64 a usage error).
@Suite("CLI: every command's arguments, run and exit status")
struct CLITests {
    /// The built binary on a fresh seeded database, dropped afterwards.
    static func withCommand(_ body: (Command) async throws -> Void) async throws {
        let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
        let name = try await TestDatabases.shared.seededDatabase()
        do {
            try await body(Command(binary: binary, databaseURL: await TestDatabases.shared.url(of: name)))
        } catch {
            try? await TestDatabases.shared.drop(name)
            throw error
        }
        try await TestDatabases.shared.drop(name)
    }

    static func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("crx-cli-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test("usage errors are 64 and name the problem: an unknown command or option, a missing argument, a bad value")
    func usageErrors() async throws {
        try await Self.withCommand { cli in
            for (arguments, says) in [
                (["frobnicate"], "frobnicate"),
                (["token", "create", "--role", "overlord", "--consortium", "JLTCM"], "overlord"),
                (["token", "create", "--role", "auditor", "--consortium", "JLTCM", "--expires-in-days", "0"], "expires-in-days"),
                (
                    ["token", "create", "--role", "auditor", "--consortium", "JLTCM", "--expires-in-days", "3651"],
                    "expires-in-days"
                ),
                (["import", "prices"], "file"),
                (["serve", "--log-level", "loud"], "loud"),
                (["migrate", "--no-such-option"], "no-such-option"),
            ] {
                let run = try cli.run(arguments)
                #expect(run.status == 64, "\(arguments): \(run.status) \(run.err)")
                #expect(run.err.localizedCaseInsensitiveContains(says), "\(arguments): \(run.err)")
            }
        }
    }

    @Test("without a database URL every command that needs one stops with 64")
    func noDatabase() throws {
        let binary = try #require(Command.binary, "build consortiumrx first (swift build --build-tests)")
        let cli = Command(binary: binary, databaseURL: "")
        let run = try cli.run(["migrate"])
        #expect(run.status == 64, "\(run.status) \(run.err)")
    }

    @Test("--help answers 0 for every command")
    func help() async throws {
        try await Self.withCommand { cli in
            for arguments in [
                ["--help"], ["serve", "--help"], ["migrate", "--help"], ["seed", "--help"], ["token", "--help"],
                ["import", "--help"], ["reconcile", "--help"],
            ] {
                let run = try cli.run(arguments)
                #expect(run.status == 0, "\(arguments): \(run.status) \(run.err)")
                #expect(run.out.contains("USAGE"), "\(arguments)")
            }
        }
    }

    @Test("migrate is idempotent; tokens are created, listed without their secret, and revoked")
    func migrateAndTokens() async throws {
        try await Self.withCommand { cli in
            #expect(try cli.run(["migrate"]).status == 0)
            let created = try cli.run([
                "token", "create", "--role", "auditor", "--consortium", "JLTCM", "--name", "cli test", "--expires-in-days", "30",
            ])
            #expect(created.status == 0, "\(created.err)")
            let secret = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!secret.isEmpty && !secret.contains("\n"))
            let listed = try cli.run(["token", "list", "--consortium", "JLTCM"])
            #expect(listed.status == 0 && listed.out.contains("cli test") && !listed.out.contains(secret), "\(listed.out)")
            let line = try #require(listed.out.split(separator: "\n").first { $0.contains("cli test") })
            let id = String(line.split(separator: "\t")[0])
            #expect(try cli.run(["token", "revoke", id]).status == 0)
            #expect(
                try cli.run(["token", "list", "--consortium", "JLTCM"]).out.split(separator: "\n").first {
                    $0.contains("cli test")
                }?.contains("revoked") == true)
        }
    }

    @Test("import: a bad line is 2 and changes nothing; an unknown consortium is 1; a good file is 0 with its summary")
    func imports() async throws {
        try await Self.withCommand { cli in
            let bad = try Self.file("institution_code,drug_code,year,quantity_kg\nNOPE,NOPE,2025,-1\n")
            defer { try? FileManager.default.removeItem(at: bad) }
            let refused = try cli.run(["import", "herb-usage", bad.path, "--consortium", "JLTCM"])
            #expect(refused.status == 2 && refused.err.contains("line 2"), "\(refused.status) \(refused.err)")
            let unknown = try cli.run(["import", "herb-usage", bad.path, "--consortium", "NOPE"])
            #expect(unknown.status == 1, "\(unknown.status) \(unknown.err)")
            let wrongEncoding = try cli.run(["import", "herb-usage", bad.path, "--consortium", "JLTCM", "--encoding", "latin1"])
            #expect(wrongEncoding.status == 2 || wrongEncoding.status == 64, "\(wrongEncoding.status) \(wrongEncoding.err)")
            let empty = try Self.file("institution_code,drug_code,year,quantity_kg\n")
            defer { try? FileManager.default.removeItem(at: empty) }
            let done = try cli.run(["import", "herb-usage", empty.path, "--consortium", "JLTCM"])
            #expect(done.status == 0 && done.out.contains("0 lines"), "\(done.status) \(done.out) \(done.err)")
        }
    }

    @Test("reconcile: a bad --format or --as-of is 2; an unknown consortium for a report is 2")
    func reconcileBadInput() async throws {
        try await Self.withCommand { cli in
            for arguments in [
                ["reconcile", "catalogues", "--consortium", "JLTCM", "--format", "xml"],
                ["reconcile", "catalogues", "--consortium", "JLTCM", "--as-of", "2027-02-30"],
                ["reconcile", "catalogues", "--consortium", "NOPE"],
            ] {
                let run = try cli.run(arguments)
                #expect(run.status == 2, "\(arguments): \(run.status) \(run.err)")
            }
        }
    }
}

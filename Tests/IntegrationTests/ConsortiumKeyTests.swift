import Foundation
import PostgresNIO
import RxStore
import Testing

/// Issue 28, "past one primary": a table of a consortium's data is distributed by `consortium_id`, and a distributed
/// table can only keep a primary or unique key that holds it. Every key of a table with the column holds it, but
/// those listed here, each with why; a new table or key that leaves it out fails until it is keyed by consortium or
/// listed with its reason.
@Suite("Keys by consortium")
struct ConsortiumKeyTests {
    /// The keys that do not hold `consortium_id` today, and why. Shrinking this list is the work before sharding
    /// (docs/operations.md, "Past one primary").
    static let known: [String: String] = [
        // The national role (the service's master-data administrator) has no consortium.
        "api_tokens.api_tokens_pkey": "a token may be national (no consortium)",
        "api_tokens.api_tokens_token_hash_key": "a token is found by its hash before its consortium is known",
        "audit_log.audit_log_pkey": "national changes (drugs, suppliers) are audited without a consortium",
        "drug_code_crosswalk.drug_code_crosswalk_pkey": "a crosswalk row may be national (no consortium)",
    ]

    @Test("28: every primary or unique key of a table with consortium_id holds it, but the ones listed with their reason")
    func keysHoldTheConsortium() async throws {
        try await TestApp.run { app in
            let found = try await app.database.rows(
                """
                SELECT c.conrelid::regclass::text || '.' || c.conname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'consortium_id' AND NOT a.attisdropped
                WHERE c.contype IN ('p', 'u') AND NOT (a.attnum = ANY(c.conkey))
                UNION ALL
                -- unique indexes made without a constraint
                SELECT i.indrelid::regclass::text || '.' || i.indexrelid::regclass::text
                FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = 'consortium_id' AND NOT a.attisdropped
                WHERE i.indisunique AND NOT (a.attnum = ANY(i.indkey::int2[]))
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """, as: String.self)
            let unexplained = found.filter { Self.known[$0] == nil }
            #expect(unexplained.isEmpty, "keys without consortium_id: \(unexplained)")
            // The list holds nothing that has been fixed since.
            #expect(Set(Self.known.keys).subtracting(found).isEmpty, "\(Set(Self.known.keys).subtracting(found))")
        }
    }

    /// The foreign keys between two tables of consortium data that do not carry `consortium_id` on both sides, and
    /// why. A key to national master data (drugs, suppliers, consortia) is not one of them.
    static let crossing: [String: String] = [
        "audit_log.audit_log_actor_token_id_fkey": "national changes are audited without a consortium"
    ]

    @Test("28: a foreign key between tables of consortium data carries consortium_id on both sides, but the ones listed")
    func foreignKeysStayInTheConsortium() async throws {
        try await TestApp.run { app in
            let found = try await app.database.rows(
                """
                SELECT c.conrelid::regclass::text || '.' || c.conname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'consortium_id' AND NOT a.attisdropped
                JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attname = 'consortium_id' AND NOT b.attisdropped
                WHERE c.contype = 'f'
                  AND NOT (a.attnum = ANY(c.conkey) AND b.attnum = ANY(c.confkey)
                           AND array_position(c.conkey, a.attnum) = array_position(c.confkey, b.attnum))
                ORDER BY 1
                """, as: String.self)
            let unexplained = found.filter { Self.crossing[$0] == nil }
            #expect(unexplained.isEmpty, "foreign keys that may cross consortia: \(unexplained)")
            #expect(Set(Self.crossing.keys).subtracting(found).isEmpty, "\(Set(Self.crossing.keys).subtracting(found))")
        }
    }

    /// The Swift files of the stores, where every query is written.
    static func storeFiles() -> [URL] {
        let stores = TestDatabases.repositoryRoot.appendingPathComponent("Sources/RxStore")
        return FileManager.default.enumerator(at: stores, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
    }

    @Test("28: paging is keyset-based everywhere: no query of the stores pages by OFFSET")
    func noOffsetPaging() throws {
        let files = Self.storeFiles()
        #expect(!files.isEmpty)
        // A page found by counting past the rows before it costs what those rows cost; a key finds it in the index.
        let offset = try Regex(#"\bOFFSET\b"#).ignoresCase()
        var found: [String] = []
        for file in files {
            for (number, line) in try String(contentsOf: file, encoding: .utf8).split(separator: "\n").enumerated()
            where line.contains(offset) && !line.trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                found.append("\(file.lastPathComponent):\(number + 1)")
            }
        }
        #expect(found.isEmpty, "queries paged by OFFSET: \(found)")
    }

    @Test("28: the stores join a member by (consortium_id, id), never by its id alone")
    func membersJoinedByConsortium() throws {
        let files = Self.storeFiles()
        #expect(!files.isEmpty)
        // `JOIN institutions i ON i.id = x.institution_id`: no unique key on the id alone plans it (the key is the
        // consortium and the id), and a table distributed by consortium joins on the distribution column.
        let byIDAlone = try Regex(#"JOIN institutions (\w+) ON \1\.id ="#)
        var found: [String] = []
        for file in files {
            for (number, line) in try String(contentsOf: file, encoding: .utf8).split(separator: "\n").enumerated()
            where line.contains(byIDAlone) {
                found.append("\(file.lastPathComponent):\(number + 1)")
            }
        }
        #expect(found.isEmpty, "joins of a member by its id alone: \(found)")
    }
}

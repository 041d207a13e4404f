import Foundation
import PostgresNIO
import RxDomain
import Testing

@testable import RxStore

/// The drug lookup that shares its queries through `ReadCoalescer` (whose own logic `UnitTests` covers), against
/// the database.
@Suite("Shared drug lookups")
struct SharedDrugLookupTests {
    @Test("concurrent lookups through the API's store answer as one lookup each would")
    func likeSingleLookups() async throws {
        try await TestApp.run { app in
            let codes = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 120", as: String.self)
            let plain = DrugStore(database: app.database)
            let pooled = Database(client: app.database.client, logger: app.database.logger, poolSize: 4)
            let shared = DrugStore(database: pooled, sharedLookups: true)
            let asked = codes + ["NO-SUCH-DRUG", "NO-SUCH-DRUG"] + codes.prefix(30)
            let answers = try await withThrowingTaskGroup(of: (String, Drug?).self) { group in
                for code in asked { group.addTask { (code, try await shared.find(code: code)) } }
                return try await group.reduce(into: [(String, Drug?)]()) { $0.append($1) }
            }
            #expect(answers.count == asked.count)
            for (code, drug) in answers {
                #expect(drug == (try await plain.find(code: code)), "\(code)")
            }
        }
    }
}

import Foundation
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// `sql/019_shared_rules.sql` names rules that RxDomain also holds; these tests tie each SQL function to its Swift
/// side, so the two cannot drift apart (issue 20).
@Suite("Shared SQL rules")
struct SharedSQLRulesTests {
    static let levels = InstitutionLevel.allCases

    /// Every subset of the four levels.
    static var subsets: [[InstitutionLevel]] {
        (0..<(1 << levels.count)).map { mask in levels.indices.filter { mask & (1 << $0) != 0 }.map { levels[$0] } }
    }

    @Test("catalogue_item_allows(levels, level) is CatalogueItem.allows for every subset of levels and every level")
    func itemAllows() async throws {
        try await TestApp.run { app in
            for subset in Self.subsets {
                let rows = try await app.database.rows(
                    """
                    SELECT l, catalogue_item_allows(\(subset.map(\.rawValue))::text[], l)
                    FROM unnest(\(Self.levels.map(\.rawValue))::text[]) AS l
                    """, as: (String, Bool).self)
                #expect(rows.count == Self.levels.count)
                let item = CatalogueItem(drugCode: "X", levels: subset, note: nil, justification: nil)
                for (level, allowed) in rows {
                    let level = try #require(InstitutionLevel(rawValue: level))
                    #expect(allowed == item.allows(level), "levels \(subset.map(\.rawValue)), level \(level.rawValue)")
                }
            }
        }
    }

    /// The demo consortium's id, its members, and the date its first catalogue takes effect.
    static func demo(_ app: TestApp) async throws -> (id: Int64, members: [Institution], first: BusinessDate) {
        let consortium = try #require(try await ConsortiumStore(database: app.database).find(code: TestApp.demoConsortium))
        let members = try await app.database.read {
            try await InstitutionStore(database: app.database).list(consortiumID: consortium.id, connection: $0)
        }
        let text =
            try await app.database.rows(
                """
                SELECT min(effective_from)::text FROM catalogue_versions
                WHERE consortium_id = \(consortium.id) AND status = 'published'
                """, as: String?.self
            ).first ?? nil
        let first = try #require(text.flatMap(BusinessDate.init))
        return (consortium.id, members, first)
    }

    @Test("member_catalogue_in_effect gives each member exactly the drugs the member-catalogue use case computes")
    func memberCatalogueInEffect() async throws {
        try await TestApp.run { app in
            let (id, members, first) = try await Self.demo(app)
            #expect(members.count >= 3)
            // Two members keep lists of their own (one of them empty); the others use the consortium catalogue.
            let own = members[0]
            let empty = members[1]
            try await app.database.transaction { connection in
                for member in [own, empty] {
                    try await connection.run(
                        "INSERT INTO member_catalogues (consortium_id, institution_id) VALUES (\(id), \(member.id))",
                        logger: app.database.logger)
                }
                try await connection.run(
                    """
                    INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
                    SELECT \(id), \(own.id), drug_code FROM catalogue_items
                    WHERE consortium_id = \(id) ORDER BY drug_code LIMIT 5
                    """, logger: app.database.logger)
            }
            let useCases = MemberCatalogueUseCases(database: app.database)
            for date in [first.adding(days: -1), first, first.adding(days: 400)] {
                var sql: [Int64: [String]] = [:]
                for (institution, code) in try await app.database.rows(
                    "SELECT institution_id, drug_code FROM member_catalogue_in_effect(\(id), \(date.description)::date)",
                    as: (Int64, String).self)
                {
                    sql[institution, default: []].append(code)
                }
                var total = 0
                for member in members {
                    let swift = try await useCases.get(institution: member, on: date).drugs.map(\.code).sorted()
                    #expect((sql[member.id] ?? []).sorted() == swift, "\(member.code) on \(date)")
                    total += swift.count
                }
                #expect(total > 0)
                #expect(Set(sql.keys).isSubset(of: Set(members.map(\.id))))
            }
        }
    }

    @Test("catalogue_version_in_effect is the version the catalogue use case reports in effect; NULL before the first")
    func versionInEffect() async throws {
        try await TestApp.run { app in
            let (id, _, first) = try await Self.demo(app)
            let catalogue = CatalogueUseCases(database: app.database)
            for date in [first.adding(days: -1), first, first.adding(days: 1), first.adding(days: 4000)] {
                let sql =
                    try await app.database.rows(
                        "SELECT catalogue_version_in_effect(\(id), \(date.description)::date)", as: Int?.self
                    ).first ?? nil
                let swift = try await catalogue.inEffect(consortiumID: id, on: date)?.0.number
                #expect(sql == swift, "on \(date)")
                #expect((sql == nil) == (date < first), "on \(date)")
            }
        }
    }
}

import Foundation
import Logging
import PostgresNIO
import RxDomain

package struct OutOfLineEntry: Sendable, Equatable, Encodable {
    package var institutionCode: String
    package var drugCode: String
    /// `not_in_catalogue` or `level_not_allowed`.
    package var reason: String
}

/// Members' own lists inside the consortium catalogue, and what reads across them.
package struct MemberCatalogueStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// The consortium catalogue in effect as a map from drug code to item.
    package func catalogueMap(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws -> (
        Int?, [String: CatalogueItem]
    ) {
        let catalogue = CatalogueStore(database: database)
        guard let number = try await catalogue.numberInEffect(consortiumID: consortiumID, on: date, connection: connection) else {
            return (nil, [:])
        }
        let rows = try await connection.rows(
            """
            SELECT drug_code, levels, note, justification FROM catalogue_items
            WHERE consortium_id = \(consortiumID) AND version_number = \(number)
            """, as: (String, [String], String?, String?).self, logger: logger)
        var map: [String: CatalogueItem] = [:]
        for r in rows {
            map[r.0] = CatalogueItem(drugCode: r.0, levels: try r.1.map { try decodeEnum($0) }, note: r.2, justification: r.3)
        }
        return (number, map)
    }

    /// What a member's catalogue is made of on a date: the consortium catalogue in effect and the member's own
    /// list, if it keeps one (`CatalogueRules.memberCatalogue` puts them together).
    package func facts(institution: Institution, on date: BusinessDate, connection: PostgresConnection) async throws
        -> MemberCatalogueFacts
    {
        let (version, map) = try await catalogueMap(consortiumID: institution.consortiumID, on: date, connection: connection)
        let revision = try await connection.row(
            """
            SELECT revision FROM member_catalogues WHERE consortium_id = \(institution.consortiumID) AND institution_id = \(institution.id)
            """, as: Int.self, logger: logger)
        let ownList: [String]? =
            revision == nil
            ? nil
            : try await connection.rows(
                """
                SELECT drug_code FROM member_catalogue_items
                WHERE consortium_id = \(institution.consortiumID) AND institution_id = \(institution.id) ORDER BY drug_code
                """, as: String.self, logger: logger)
        return MemberCatalogueFacts(
            institution: institution, consortiumVersion: version, catalogue: map, revision: revision, ownList: ownList)
    }

    /// The codes of the drugs in the member's catalogue in effect on `date` (`member_catalogue_in_effect`).
    package func drugCodes(institution: Institution, on date: BusinessDate, connection: PostgresConnection) async throws
        -> Set<String>
    {
        Set(
            try await connection.rows(
                """
                SELECT drug_code FROM member_catalogue_in_effect(\(institution.consortiumID), \(date.description)::date)
                WHERE institution_id = \(institution.id)
                """, as: String.self, logger: logger))
    }

    /// Every member's catalogue in effect, as drug codes by institution id, in one query whatever the number of
    /// members (the long-prescription check's context holds them all).
    package func drugCodes(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws
        -> [Int64: Set<String>]
    {
        var codes: [Int64: Set<String>] = [:]
        for (institutionID, code) in try await connection.rows(
            "SELECT institution_id, drug_code FROM member_catalogue_in_effect(\(consortiumID), \(date.description)::date)",
            as: (Int64, String).self, logger: logger)
        {
            codes[institutionID, default: []].insert(code)
        }
        return codes
    }

    /// Locks the institution's row: two pharmacists saving its list at once serialise here.
    package func lockInstitution(_ institutionID: Int64, on connection: PostgresConnection) async throws {
        _ = try await connection.row(
            "SELECT id FROM institutions WHERE id = \(institutionID) FOR UPDATE", as: Int64.self, logger: logger)
    }

    /// Makes `codes` the member's own list (it keeps one from now on) and counts the change.
    package func replaceOwnList(of institution: Institution, with codes: [String], on connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            INSERT INTO member_catalogues (consortium_id, institution_id) VALUES (\(institution.consortiumID), \(institution.id))
            ON CONFLICT (consortium_id, institution_id) DO UPDATE
            SET revision = member_catalogues.revision + 1, updated_at = now()
            """, logger: logger)
        try await connection.run(
            """
            DELETE FROM member_catalogue_items WHERE consortium_id = \(institution.consortiumID)
              AND institution_id = \(institution.id) AND NOT (drug_code = ANY(\(codes)))
            """, logger: logger)
        try await connection.run(
            """
            INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
            SELECT \(institution.consortiumID), \(institution.id), c FROM unnest(\(codes)::text[]) AS c
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Members' lists out of line with the consortium catalogue in effect on a date: drugs it dropped, or
    /// restricted to other levels. Reported, never silently rewritten.
    package func outOfLine(consortiumID: Int64, on date: BusinessDate) async throws -> [OutOfLineEntry] {
        try await database.read { try await outOfLine(consortiumID: consortiumID, on: date, connection: $0) }
    }

    package func outOfLine(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws
        -> [OutOfLineEntry]
    {
        try await connection.rows(
            """
            SELECT i.code, m.drug_code,
                   CASE WHEN c.drug_code IS NULL THEN 'not_in_catalogue' ELSE 'level_not_allowed' END
            FROM member_catalogue_items m
            JOIN institutions i ON i.consortium_id = m.consortium_id AND i.id = m.institution_id
            LEFT JOIN catalogue_items c ON c.consortium_id = m.consortium_id
                 AND c.version_number = catalogue_version_in_effect(\(consortiumID), \(date.description)::date)
                 AND c.drug_code = m.drug_code
            WHERE m.consortium_id = \(consortiumID)
              AND (c.drug_code IS NULL OR NOT catalogue_item_allows(c.levels, i.level))
            ORDER BY i.code, m.drug_code
            """, as: (String, String, String).self, logger: logger
        ).map { OutOfLineEntry(institutionCode: $0.0, drugCode: $0.1, reason: $0.2) }
    }

    package struct CategoryShare: Sendable, Encodable {
        package var category: String
        package var items: Int
        package var essential: Int
        package var insured: Int
    }

    package struct MemberSummary: Sendable, Encodable {
        package var institutionCode: String
        package var level: String
        package var usesConsortiumCatalogue: Bool
        package var items: Int
        package var outOfLine: Int
    }

    package struct Report: Sendable {
        package var version: Int?
        package var categories: [CategoryShare]
        package var members: [MemberSummary]
    }

    /// Counts and shares of essential-list and insurance-listed items by category, and per member its list
    /// size and how many of its items are out of line.
    package func report(consortiumID: Int64, on date: BusinessDate) async throws -> Report {
        try await database.lagTolerant.read { connection in
            let version = try await CatalogueStore(database: database).numberInEffect(
                consortiumID: consortiumID, on: date, connection: connection)
            let categories = try await connection.rows(
                """
                SELECT d.category, count(*)::int,
                       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM drug_essential_editions e WHERE e.drug_code = d.code))::int,
                       count(*) FILTER (WHERE d.insurance_class <> 'none')::int
                FROM catalogue_items c JOIN drugs d ON d.code = c.drug_code
                WHERE c.consortium_id = \(consortiumID) AND c.version_number = \(version ?? -1)
                GROUP BY d.category ORDER BY d.category
                """, as: (String, Int, Int, Int).self, logger: logger
            ).map { CategoryShare(category: $0.0, items: $0.1, essential: $0.2, insured: $0.3) }
            let members = try await connection.rows(
                """
                SELECT i.code, i.level, mc.institution_id IS NULL,
                       CASE WHEN mc.institution_id IS NULL
                            THEN (SELECT count(*)::int FROM catalogue_items c
                                  WHERE c.consortium_id = i.consortium_id AND c.version_number = \(version ?? -1)
                                    AND catalogue_item_allows(c.levels, i.level))
                            ELSE (SELECT count(*)::int FROM member_catalogue_items m
                                  WHERE m.consortium_id = i.consortium_id AND m.institution_id = i.id)
                       END
                FROM institutions i
                LEFT JOIN member_catalogues mc ON mc.consortium_id = i.consortium_id AND mc.institution_id = i.id
                WHERE i.consortium_id = \(consortiumID) ORDER BY i.code
                """, as: (String, String, Bool, Int).self, logger: logger)
            // On the connection already held: asking the pool for a second one while holding this one deadlocks once
            // every connection is held by a report waiting for another.
            let outOfLine = Dictionary(
                grouping: try await outOfLine(consortiumID: consortiumID, on: date, connection: connection),
                by: \.institutionCode)
            return Report(
                version: version, categories: categories,
                members: members.map { m in
                    MemberSummary(
                        institutionCode: m.0, level: m.1, usesConsortiumCatalogue: m.2, items: m.3,
                        outOfLine: outOfLine[m.0]?.count ?? 0)
                })
        }
    }
}

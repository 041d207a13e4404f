import Foundation
import PostgresNIO
import RxDomain

/// The shortage lists' memberships (`shortage_list_memberships`, national data). SQL only.
package struct ShortageListStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// Which of `codes` are drugs of the national master data.
    package func knownDrugs(_ codes: [String], on connection: StoreConnection) async throws -> Set<String> {
        Set(
            try await connection.rows(
                "SELECT code FROM drugs WHERE code = ANY(\(codes)::text[])", as: String.self, logger: logger))
    }

    /// Writes memberships: one already held from the same day on the same list is brought up to date (its end and
    /// source), a new one added. Returns how many rows changed. An overlap with another period of the same list is
    /// refused by the table (23P01).
    package func upsert(_ memberships: [ShortageListMembership], on connection: StoreConnection) async throws -> Int {
        guard !memberships.isEmpty else { return 0 }
        let drugs = memberships.map(\.drugCode)
        let lists = memberships.map(\.list.rawValue)
        let regions = memberships.map { $0.region ?? "" }
        let froms = memberships.map(\.from.description)
        let untils = memberships.map { $0.until?.description ?? "" }
        let sources = memberships.map(\.source)
        let changed = try await connection.row(
            """
            WITH x AS (
                SELECT x.drug_code, x.list_kind, nullif(x.region, '') AS region, x.valid_from::date AS valid_from,
                       nullif(x.valid_until, '')::date AS valid_until, x.source
                FROM unnest(\(drugs)::text[], \(lists)::text[], \(regions)::text[], \(froms)::text[], \(untils)::text[],
                            \(sources)::text[]) AS x (drug_code, list_kind, region, valid_from, valid_until, source)
            ), updated AS (
                UPDATE shortage_list_memberships m SET valid_until = x.valid_until, source = x.source
                FROM x
                WHERE m.drug_code = x.drug_code AND m.list_kind = x.list_kind
                  AND coalesce(m.region, '') = coalesce(x.region, '') AND m.valid_from = x.valid_from
                  AND (m.valid_until IS DISTINCT FROM x.valid_until OR m.source <> x.source)
                RETURNING m.id
            ), inserted AS (
                INSERT INTO shortage_list_memberships (drug_code, list_kind, region, valid_from, valid_until, source)
                SELECT x.drug_code, x.list_kind, x.region, x.valid_from, x.valid_until, x.source FROM x
                WHERE NOT EXISTS (
                    SELECT 1 FROM shortage_list_memberships m
                    WHERE m.drug_code = x.drug_code AND m.list_kind = x.list_kind
                      AND coalesce(m.region, '') = coalesce(x.region, '') AND m.valid_from = x.valid_from)
                RETURNING id
            )
            SELECT ((SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted))::int
            """, as: Int.self, logger: logger)
        return changed ?? 0
    }
}

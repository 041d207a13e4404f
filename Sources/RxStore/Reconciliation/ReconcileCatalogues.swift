import Foundation
import Logging
import PostgresNIO
import RxDomain

/// `consortiumrx reconcile catalogues --consortium CODE`: every drug on a member's own list against the consortium
/// catalogue in effect on a date (the published version with the latest effective date on or before it): not in
/// it, or restricted to levels the member is not. Members without a list of their own use the consortium catalogue
/// and are in line by construction. One set-based query; the run is recorded in the same transaction.
package struct ReconcileCatalogues: Sendable {
    package typealias Outcome = RecordReconciliationOutcome<MemberCatalogueClassification>

    let database: Database
    var logger: Logger { database.logger }

    package init(database: Database) { self.database = database }

    package func run(
        consortiumCode: String, asOf: BusinessDate, format: ReconciliationReport.Format = .table,
        createdBy: String
    ) async throws -> Outcome {
        let startedAt = Date()
        return try await RecordReconciliationRun.outcome(database: database, format: format) { connection in
            try await reconcile(
                consortiumCode: consortiumCode, asOf: asOf, startedAt: startedAt, createdBy: createdBy,
                connection: connection)
        }
    }

    func reconcile(
        consortiumCode: String, asOf: BusinessDate, startedAt: Date, createdBy: String,
        connection: PostgresConnection
    ) async throws -> RecordReconciliationReport<MemberCatalogueClassification> {
        guard let consortiumID = try await ConsortiumStore(database: database).find(code: consortiumCode, on: connection)?.id
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        let version = try await CatalogueStore(database: database).numberInEffect(
            consortiumID: consortiumID, on: asOf, connection: connection)
        let listed =
            try await connection.row(
                "SELECT count(*)::int FROM member_catalogue_items WHERE consortium_id = \(consortiumID)", as: Int.self,
                logger: logger) ?? 0
        // The listed drugs out of line (the rule of `CatalogueRules.outOfLine`, set-based), with the version's item.
        let rows = try await connection.rows(
            """
            SELECT i.code, i.level, m.drug_code, d.generic_name, c.drug_code IS NOT NULL, coalesce(c.levels, '{}')
            FROM member_catalogue_items m
            JOIN institutions i ON i.id = m.institution_id
            JOIN drugs d ON d.code = m.drug_code
            LEFT JOIN catalogue_items c ON c.consortium_id = m.consortium_id AND c.version_number = \(version)
                                        AND c.drug_code = m.drug_code
            WHERE m.consortium_id = \(consortiumID)
              AND (c.drug_code IS NULL OR (cardinality(c.levels) > 0 AND NOT (i.level = ANY (c.levels))))
            ORDER BY i.code, m.drug_code
            """, as: (String, String, String, String, Bool, [String]).self, logger: logger)
        let entries = rows.compactMap { r -> ReportEntry<MemberCatalogueClassification>? in
            guard let level = InstitutionLevel(rawValue: r.1) else { return nil }
            let item = r.4 ? CatalogueItem(drugCode: r.2, levels: r.5.compactMap(InstitutionLevel.init(rawValue:))) : nil
            return MemberCatalogueReconciliation.classify(
                MemberCatalogueItemFacts(
                    institutionCode: r.0, level: level, drugCode: r.2, drugName: r.3, catalogueVersion: version,
                    catalogueItem: item))
        }
        return try await RecordReconciliationRun.record(
            kind: "catalogues", consortiumID: consortiumID,
            subject:
                "consortium \(consortiumCode), members' lists against catalogue version \(version.map(String.init) ?? "none")",
            parameters: "consortium=\(consortiumCode)", asOf: asOf, startedAt: startedAt, lines: listed,
            entries: entries, hasMoney: false, createdBy: createdBy, connection: connection, logger: logger)
    }
}

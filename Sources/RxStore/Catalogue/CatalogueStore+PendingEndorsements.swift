import Foundation
import PostgresNIO
import RxDomain

/// An institution that has not endorsed a catalogue version: undecided, or objecting (with its comment).
package struct PendingEndorsement: Sendable, Equatable {
    package var institutionCode: String
    package var institutionName: String
    package var level: InstitutionLevel
    package var isLead: Bool
    package var status: PendingEndorsementStatus
    package var comment: String?
    package var recordedAt: Date?
}

extension CatalogueStore {
    /// The consortium's institutions (the lead among them) whose latest decision on a version put to the members is
    /// not an endorsement, by institution code.
    package func pendingEndorsements(
        _ number: Int, consortium: Consortium, status: PendingEndorsementStatus?, page: PageRequest,
        on connection: PostgresConnection
    ) async throws -> Page<PendingEndorsement> {
        let rows = try await connection.rows(
            """
            SELECT i.code, i.name, i.level, i.code = \(consortium.leadInstitutionCode), e.decision IS NOT NULL, e.comment, e.recorded_at
            FROM institutions i
            LEFT JOIN catalogue_endorsements e
              ON e.consortium_id = i.consortium_id AND e.version_number = \(number) AND e.institution_id = i.id
            WHERE i.consortium_id = \(consortium.id) AND i.code > \(page.after ?? "")
              AND e.decision IS DISTINCT FROM 'endorse'
              AND (\(status?.rawValue)::text IS NULL
                   OR (\(status?.rawValue) = 'undecided' AND e.decision IS NULL)
                   OR (\(status?.rawValue) = 'objected' AND e.decision = 'object'))
            ORDER BY i.code LIMIT \(page.limit + 1)
            """, as: (String, String, String, Bool?, Bool, String?, Date?).self, logger: logger)
        return Page(
            rows: try rows.map {
                PendingEndorsement(
                    institutionCode: $0.0, institutionName: $0.1, level: try decodeEnum($0.2), isLead: $0.3 ?? false,
                    status: $0.4 ? .objected : .undecided, comment: $0.5, recordedAt: $0.6)
            }, limit: page.limit, key: \.institutionCode)
    }
}

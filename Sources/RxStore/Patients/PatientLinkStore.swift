import Foundation
import Logging
import PostgresNIO
import RxDomain

/// One patient across the consortium (患者主索引): the consortium pseudonyms and each member's links to them. SQL
/// only; `PatientLinkRules` decides.
package struct PatientLinkStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// A link as stored, with the member's code and when it was made.
    package struct Stored: Sendable, Equatable {
        package var link: PatientLink
        package var institutionCode: String
        package var linkedAt: Date
    }

    /// The link of a member's pseudonym, if any.
    package func link(of member: MemberPatient, consortiumID: Int64, connection: PostgresConnection) async throws -> Stored? {
        try await links(
            """
            WHERE l.consortium_id = \(consortiumID) AND l.institution_id = \(member.institutionID)
              AND l.member_pseudonym = \(member.pseudonym)
            """, connection: connection
        ).first
    }

    /// Every link to a consortium pseudonym, by member.
    package func links(ofConsortiumPseudonym pseudonym: String, consortiumID: Int64, connection: PostgresConnection)
        async throws -> [Stored]
    {
        try await links(
            "WHERE l.consortium_id = \(consortiumID) AND l.consortium_pseudonym = \(pseudonym)", connection: connection)
    }

    /// The links of the consortium patient a member's pseudonym is linked to (none when it is not linked): what
    /// `PatientLinkRules.pseudonyms(of:links:)` needs.
    package func linksOfPatient(_ member: MemberPatient, consortiumID: Int64, connection: PostgresConnection) async throws
        -> [PatientLink]
    {
        try await links(
            """
            JOIN patient_links me ON me.consortium_id = l.consortium_id AND me.consortium_pseudonym = l.consortium_pseudonym
            WHERE me.consortium_id = \(consortiumID) AND me.institution_id = \(member.institutionID)
              AND me.member_pseudonym = \(member.pseudonym)
            """, connection: connection
        ).map(\.link)
    }

    private func links(_ condition: PostgresQuery, connection: PostgresConnection) async throws -> [Stored] {
        var query: PostgresQuery = """
            SELECT l.institution_id, i.code, l.member_pseudonym, l.consortium_pseudonym, l.basis, l.linked_at
            FROM patient_links l JOIN institutions i ON i.consortium_id = l.consortium_id AND i.id = l.institution_id

            """
        query.sql += condition.sql
        query.binds = condition.binds
        query.sql += " ORDER BY i.code, l.member_pseudonym"
        return try await connection.rows(query, as: (Int64, String, String, String, String, Date).self, logger: logger).map {
            Stored(
                link: PatientLink(
                    member: MemberPatient(institutionID: $0.0, pseudonym: $0.2), consortiumPseudonym: $0.3,
                    basis: try decodeEnum($0.4)),
                institutionCode: $0.1, linkedAt: $0.5)
        }
    }

    /// Records a link (and its consortium pseudonym when new); false when the member's pseudonym was linked meanwhile
    /// (the caller reads it again and decides).
    package func insert(_ link: PatientLink, consortiumID: Int64, by tokenID: Int64?, connection: PostgresConnection)
        async throws -> Bool
    {
        try await connection.run(
            """
            INSERT INTO consortium_patients (consortium_id, pseudonym) VALUES (\(consortiumID), \(link.consortiumPseudonym))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        return try await connection.row(
            """
            INSERT INTO patient_links (consortium_id, institution_id, member_pseudonym, consortium_pseudonym, basis, linked_by)
            VALUES (\(consortiumID), \(link.member.institutionID), \(link.member.pseudonym), \(link.consortiumPseudonym),
                    \(link.basis.rawValue), \(tokenID))
            ON CONFLICT DO NOTHING
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
    }
}

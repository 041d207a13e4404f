import Logging
import PostgresNIO
import RxDomain

package struct ConsortiumUpdate: Sendable {
    package var name: String?
    package var kind: ConsortiumKind?
    package var leadInstitutionCode: String?
    package init(name: String? = nil, kind: ConsortiumKind? = nil, leadInstitutionCode: String? = nil) {
        self.name = name
        self.kind = kind
        self.leadInstitutionCode = leadInstitutionCode
    }
}

/// Consortia (医联体) and their lead institutions.
package struct ConsortiumStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    static func consortium(_ row: (Int64, String, String, String, String?)) throws -> Consortium {
        Consortium(id: row.0, code: row.1, name: row.2, kind: try decodeEnum(row.3), leadInstitutionCode: row.4)
    }

    package func find(code: String) async throws -> Consortium? {
        try await database.read { try await find(code: code, on: $0) }
    }

    func find(code: String, on connection: PostgresConnection, forUpdate: Bool = false) async throws -> Consortium? {
        let query: PostgresQuery =
            forUpdate
            ? """
            SELECT c.id, c.code, c.name, c.kind, l.code
            FROM consortia c LEFT JOIN institutions l ON l.id = c.lead_institution_id
            WHERE c.code = \(code) FOR UPDATE OF c
            """
            : """
            SELECT c.id, c.code, c.name, c.kind, l.code
            FROM consortia c LEFT JOIN institutions l ON l.id = c.lead_institution_id
            WHERE c.code = \(code)
            """
        return try await connection.row(query, as: (Int64, String, String, String, String?).self, logger: database.logger)
            .map(Self.consortium)
    }

    package func update(code: String, with change: ConsortiumUpdate, by principal: Principal) async throws -> Consortium {
        try await database.transaction { connection in
            guard let before = try await find(code: code, on: connection, forUpdate: true) else {
                throw DomainError.notFound("no consortium \(code)")
            }
            try principal.require(.updateConsortium(consortiumID: before.id))
            var leadID: Int64?
            if let lead = change.leadInstitutionCode {
                guard
                    let row = try await connection.row(
                        "SELECT id, consortium_id FROM institutions WHERE code = \(lead)", as: (Int64, Int64).self,
                        logger: database.logger), row.1 == before.id
                else { throw DomainError.invalid("leadInstitutionCode", "\(lead) is not a member of \(code)") }
                leadID = row.0
            }
            try await connection.run(
                """
                UPDATE consortia SET name = COALESCE(\(change.name), name), kind = COALESCE(\(change.kind?.rawValue), kind),
                    lead_institution_id = COALESCE(\(leadID), lead_institution_id), updated_at = now()
                WHERE id = \(before.id)
                """, logger: database.logger)
            guard let after = try await find(code: code, on: connection) else { throw DomainError.notFound(code) }
            try await audit.record(
                on: connection, consortiumID: before.id, actor: Actor(principal), action: "update",
                entityType: "consortium", entityKey: code, before: before, after: after)
            return after
        }
    }
}

import Logging
import PostgresNIO
import RxDomain

package struct InstitutionDraft: Sendable {
    package var code: String
    package var name: String
    package var level: InstitutionLevel
    package var type: InstitutionType
    package var hasTestingLab: Bool
    package init(code: String, name: String, level: InstitutionLevel, type: InstitutionType, hasTestingLab: Bool) {
        self.code = code
        self.name = name
        self.level = level
        self.type = type
        self.hasTestingLab = hasTestingLab
    }
}

package struct InstitutionUpdate: Sendable {
    package var name: String?
    package var level: InstitutionLevel?
    package var type: InstitutionType?
    package var hasTestingLab: Bool?
    package init(name: String? = nil, level: InstitutionLevel? = nil, type: InstitutionType? = nil, hasTestingLab: Bool? = nil) {
        self.name = name
        self.level = level
        self.type = type
        self.hasTestingLab = hasTestingLab
    }
}

/// Member institutions: the lead hospital, member hospitals, community and township centres, village clinics.
package struct InstitutionStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    typealias Row = (Int64, Int64, String, String, String, String, String, Bool, Bool)

    static func institution(_ r: Row) throws -> Institution {
        Institution(
            id: r.0, consortiumID: r.1, consortiumCode: r.2, code: r.3, name: r.4, level: try decodeEnum(r.5),
            type: try decodeEnum(r.6), hasTestingLab: r.7, isLead: r.8)
    }

    package func find(code: String) async throws -> Institution? {
        try await database.read { try await find(code: code, on: $0) }
    }

    func find(code: String, on connection: PostgresConnection) async throws -> Institution? {
        try await connection.row(
            """
            SELECT i.id, i.consortium_id, c.code, i.code, i.name, i.level, i.type, i.has_testing_lab,
                   c.lead_institution_id IS NOT DISTINCT FROM i.id
            FROM institutions i JOIN consortia c ON c.id = i.consortium_id
            WHERE i.code = \(code)
            """, as: Row.self, logger: database.logger
        ).map(Self.institution)
    }

    package func list(consortiumID: Int64, page: PageRequest) async throws -> Page<Institution> {
        let rows = try await database.rows(
            """
            SELECT i.id, i.consortium_id, c.code, i.code, i.name, i.level, i.type, i.has_testing_lab,
                   c.lead_institution_id IS NOT DISTINCT FROM i.id
            FROM institutions i JOIN consortia c ON c.id = i.consortium_id
            WHERE i.consortium_id = \(consortiumID) AND i.code > \(page.after ?? "")
            ORDER BY i.code
            LIMIT \(page.limit + 1)
            """, as: Row.self)
        return Page(rows: try rows.map(Self.institution), limit: page.limit, key: \.code)
    }

    func list(consortiumID: Int64, connection: PostgresConnection) async throws -> [Institution] {
        try await connection.rows(
            """
            SELECT i.id, i.consortium_id, c.code, i.code, i.name, i.level, i.type, i.has_testing_lab,
                   c.lead_institution_id IS NOT DISTINCT FROM i.id
            FROM institutions i JOIN consortia c ON c.id = i.consortium_id
            WHERE i.consortium_id = \(consortiumID) ORDER BY i.code
            """, as: Row.self, logger: database.logger
        ).map(Self.institution)
    }

    package func create(_ draft: InstitutionDraft, in consortium: Consortium, by principal: Principal) async throws -> Institution
    {
        try principal.require(.createInstitution(consortiumID: consortium.id))
        if let e = Codes.institutionCodeError(draft.code) { throw DomainError.invalid("code", e) }
        return try await database.transaction { connection in
            try await connection.run(
                """
                INSERT INTO institutions (consortium_id, code, name, level, type, has_testing_lab)
                VALUES (\(consortium.id), \(draft.code), \(draft.name), \(draft.level.rawValue), \(draft.type.rawValue),
                        \(draft.hasTestingLab))
                """, logger: database.logger)
            guard let created = try await find(code: draft.code, on: connection) else { throw DomainError.notFound(draft.code) }
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "institution", entityKey: draft.code, before: Institution?.none, after: created)
            return created
        }
    }

    package func update(code: String, with change: InstitutionUpdate, by principal: Principal) async throws -> Institution {
        try await database.transaction { connection in
            guard
                let before = try await connection.row(
                    """
                    SELECT i.id, i.consortium_id, c.code, i.code, i.name, i.level, i.type, i.has_testing_lab,
                           c.lead_institution_id IS NOT DISTINCT FROM i.id
                    FROM institutions i JOIN consortia c ON c.id = i.consortium_id
                    WHERE i.code = \(code) FOR UPDATE OF i
                    """, as: Row.self, logger: database.logger
                ).map(Self.institution), before.consortiumID == principal.consortiumID
            else { throw DomainError.notFound("no institution \(code)") }
            try principal.require(.updateInstitution(consortiumID: before.consortiumID, institutionID: before.id))
            try await connection.run(
                """
                UPDATE institutions SET name = COALESCE(\(change.name), name), level = COALESCE(\(change.level?.rawValue), level),
                    type = COALESCE(\(change.type?.rawValue), type),
                    has_testing_lab = COALESCE(\(change.hasTestingLab), has_testing_lab), updated_at = now()
                WHERE id = \(before.id)
                """, logger: database.logger)
            guard let after = try await find(code: code, on: connection) else { throw DomainError.notFound(code) }
            try await audit.record(
                on: connection, consortiumID: before.consortiumID, actor: Actor(principal), action: "update",
                entityType: "institution", entityKey: code, before: before, after: after)
            return after
        }
    }
}

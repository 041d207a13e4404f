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

    /// The columns of `Row`, from an institution `i` and its consortium `c`.
    static let selectInstitution = """
        SELECT i.id, i.consortium_id, c.code, i.code, i.name, i.level, i.type, i.has_testing_lab,
               c.lead_institution_id IS NOT DISTINCT FROM i.id
        FROM institutions i JOIN consortia c ON c.id = i.consortium_id
        """

    static func institution(_ r: Row) throws -> Institution {
        Institution(
            id: r.0, consortiumID: r.1, consortiumCode: r.2, code: r.3, name: r.4, level: try decodeEnum(r.5),
            type: try decodeEnum(r.6), hasTestingLab: r.7, isLead: r.8)
    }

    /// The member with `code` in the consortium: codes are unique within a consortium, not across the province.
    package func find(code: String, consortiumID: Int64) async throws -> Institution? {
        try await database.read { try await find(code: code, consortiumID: consortiumID, on: $0) }
    }

    package func find(code: String, consortiumID: Int64, on connection: PostgresConnection) async throws -> Institution? {
        try await connection.row(
            InstitutionWithConsortium(consortiumID: consortiumID, code: code), logger: database.logger
        ).map {
            try Self.institution(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8))
        }
    }

    /// The member with `code` of the consortium with `consortiumCode`: a command names both.
    package func find(code: String, consortiumCode: String, on connection: PostgresConnection) async throws
        -> Institution?
    {
        try await connection.row(
            """
            \(unescaped: Self.selectInstitution)
            WHERE c.code = \(consortiumCode) AND i.code = \(code)
            """, as: Row.self, logger: database.logger
        ).map(Self.institution)
    }

    /// An institution with its consortium (and the consortium's lead), in one query.
    package func findWithConsortium(code: String, consortiumID: Int64) async throws
        -> (institution: Institution, consortium: Consortium)?
    {
        guard
            let r = try await database.read({ connection in
                try await connection.row(
                    InstitutionWithConsortium(consortiumID: consortiumID, code: code), logger: database.logger)
            })
        else { return nil }
        return try Self.withConsortium(r)
    }

    /// The institution and its consortium of an `InstitutionWithConsortium` row.
    static func withConsortium(_ r: InstitutionWithConsortium.Row) throws -> (institution: Institution, consortium: Consortium) {
        (
            try Self.institution((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8)),
            try ConsortiumStore.consortium((r.1, r.2, r.9, r.10, r.11))
        )
    }

    /// The lookup of every request that names a member (within the caller's consortium), prepared once per
    /// connection.
    struct InstitutionWithConsortium: PostgresPreparedStatement {
        static let sql = """
            SELECT \(columns)
            FROM \(tables)
            WHERE i.consortium_id = $1 AND i.code = $2
            """
        /// The twelve columns of `Row`, for statements that read a member with more (`StockStore.MemberStockView`).
        static let columns = """
            i.id, i.consortium_id, c.code, i.code, i.name, i.level, i.type, i.has_testing_lab,
                   c.lead_institution_id IS NOT DISTINCT FROM i.id, c.name, c.kind, l.code
            """
        static let tables = """
            institutions i JOIN consortia c ON c.id = i.consortium_id
            LEFT JOIN institutions l ON l.consortium_id = c.id AND l.id = c.lead_institution_id
            """
        typealias Row = (Int64, Int64, String, String, String, String, String, Bool, Bool, String, String, String?)
        var consortiumID: Int64
        var code: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(consortiumID)
            bindings.append(code)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    package func list(consortiumID: Int64, page: PageRequest) async throws -> Page<Institution> {
        let rows = try await database.rows(
            """
            \(unescaped: Self.selectInstitution)
            WHERE i.consortium_id = \(consortiumID) AND i.code > \(page.after ?? "")
            ORDER BY i.code
            LIMIT \(page.limit + 1)
            """, as: Row.self)
        return Page(rows: try rows.map(Self.institution), limit: page.limit, key: \.code)
    }

    package func list(consortiumID: Int64, connection: PostgresConnection) async throws -> [Institution] {
        try await connection.rows(
            """
            \(unescaped: Self.selectInstitution)
            WHERE i.consortium_id = \(consortiumID) ORDER BY i.code
            """, as: Row.self, logger: database.logger
        ).map(Self.institution)
    }

    package func insert(_ draft: InstitutionDraft, consortiumID: Int64, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO institutions (consortium_id, code, name, level, type, has_testing_lab)
            VALUES (\(consortiumID), \(draft.code), \(draft.name), \(draft.level.rawValue), \(draft.type.rawValue),
                    \(draft.hasTestingLab))
            """, logger: logger)
    }

    /// The institution by code in the consortium, its row locked for an update.
    package func findForUpdate(code: String, consortiumID: Int64, on connection: PostgresConnection) async throws
        -> Institution?
    {
        try await connection.row(
            """
            \(unescaped: Self.selectInstitution)
            WHERE i.consortium_id = \(consortiumID) AND i.code = \(code) FOR UPDATE OF i
            """, as: Row.self, logger: logger
        ).map(Self.institution)
    }

    package func update(id: Int64, with change: InstitutionUpdate, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            UPDATE institutions SET name = COALESCE(\(change.name), name), level = COALESCE(\(change.level?.rawValue), level),
                type = COALESCE(\(change.type?.rawValue), type),
                has_testing_lab = COALESCE(\(change.hasTestingLab), has_testing_lab), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }
}

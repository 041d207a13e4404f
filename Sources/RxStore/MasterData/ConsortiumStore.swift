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

    package func find(code: String, on connection: PostgresConnection, forUpdate: Bool = false) async throws -> Consortium? {
        guard forUpdate else {
            return try await connection.row(ConsortiumByCode(code: code), logger: database.logger).map(Self.consortium)
        }
        return try await connection.row(
            """
            SELECT c.id, c.code, c.name, c.kind, l.code
            FROM consortia c LEFT JOIN institutions l ON l.consortium_id = c.id AND l.id = c.lead_institution_id
            WHERE c.code = \(code) FOR UPDATE OF c
            """, as: (Int64, String, String, String, String?).self, logger: database.logger
        ).map(Self.consortium)
    }

    /// The lookup of every request that names a consortium, prepared once per connection.
    struct ConsortiumByCode: PostgresPreparedStatement {
        static let sql = """
            SELECT \(columns)
            FROM \(tables)
            WHERE c.code = $1
            """
        /// The five columns of `Row`, for statements that read a consortium with more (`StockStore.DrugStockView`).
        static let columns = "c.id, c.code, c.name, c.kind, l.code"
        static let tables = """
            consortia c LEFT JOIN institutions l ON l.consortium_id = c.id AND l.id = c.lead_institution_id
            """
        typealias Row = (Int64, String, String, String, String?)
        var code: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(code)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The institution a change names as the lead, among the consortium's members.
    package func leadCandidate(code: String, consortiumID: Int64, on connection: PostgresConnection) async throws
        -> ConsortiumRules.LeadCandidate?
    {
        try await connection.row(
            "SELECT id, consortium_id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)",
            as: (Int64, Int64).self, logger: logger
        ).map { ConsortiumRules.LeadCandidate(id: $0.0, consortiumID: $0.1) }
    }

    package func update(id: Int64, with change: ConsortiumUpdate, leadInstitutionID: Int64?, on connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            UPDATE consortia SET name = COALESCE(\(change.name), name), kind = COALESCE(\(change.kind?.rawValue), kind),
                lead_institution_id = COALESCE(\(leadInstitutionID), lead_institution_id), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }
}

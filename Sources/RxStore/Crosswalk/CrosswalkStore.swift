import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The drug code crosswalk (药品编码对照): reads and writes of `drug_code_crosswalk`, no decisions.
package struct CrosswalkStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    typealias Row = (Int64, Int64?, String, String, String, String, Decimal, String, String?, String)

    static let columns = """
        x.id, x.consortium_id, x.code_type, x.code, x.specification, x.drug_code, x.package_factor,
        x.valid_from::text, x.valid_to::text, x.source
        """

    /// A stored row as a mapping. The code was checked when written; a row whose code no longer passes the shape
    /// check (a stricter rule since) is still read, as stored.
    static func mapping(_ r: Row) throws -> CrosswalkMapping {
        let type: DrugCodeType = try decodeEnum(r.2)
        let code = (try? DrugCode(r.3, type: type, field: "code")) ?? DrugCode(stored: r.3, type: type)
        return CrosswalkMapping(
            id: r.0, consortiumID: r.1, code: code, specification: r.4.isEmpty ? nil : r.4, drugCode: r.5,
            packageFactor: Quantity(r.6), validFrom: BusinessDate(r.7)!, validTo: r.8.flatMap(BusinessDate.init),
            source: r.9)
    }

    // MARK: Reading

    /// The consortium's mappings and the national ones (oldest first), filtered by code type, code and drug, and
    /// by the date they hold on when `on` is given.
    package func list(
        consortiumID: Int64, codeType: DrugCodeType?, code: String?, drugCode: String?, on day: BusinessDate?,
        page: PageRequest
    ) async throws -> Page<CrosswalkMapping> {
        let after = page.afterID
        let rows = try await database.rows(
            """
            SELECT \(unescaped: Self.columns) FROM drug_code_crosswalk x
            WHERE (x.consortium_id = \(consortiumID) OR x.consortium_id IS NULL) AND x.id > \(after)
              AND (\(codeType?.rawValue)::text IS NULL OR x.code_type = \(codeType?.rawValue))
              AND (\(code)::text IS NULL OR x.code = \(code))
              AND (\(drugCode)::text IS NULL OR x.drug_code = \(drugCode))
              AND (\(day?.description)::date IS NULL OR daterange(x.valid_from, x.valid_to) @> \(day?.description)::date)
            ORDER BY x.id LIMIT \(page.limit + 1)
            """, as: Row.self)
        return Page(rows: try rows.map(Self.mapping), limit: page.limit, key: { String($0.id ?? 0) })
    }

    /// One mapping of any scope (the use case decides whether the caller may see or change it).
    package func mapping(id: Int64, connection: PostgresConnection, lock: Bool = false) async throws -> CrosswalkMapping? {
        let query: PostgresQuery =
            lock
            ? "SELECT \(unescaped: Self.columns) FROM drug_code_crosswalk x WHERE x.id = \(id) FOR UPDATE"
            : "SELECT \(unescaped: Self.columns) FROM drug_code_crosswalk x WHERE x.id = \(id)"
        return try await connection.row(query, as: Row.self, logger: logger).map(Self.mapping)
    }

    /// The mappings of these codes that a consortium sees (its own and the national ones), every date.
    package func mappings(
        of codes: [DrugCode], consortiumID: Int64, connection: PostgresConnection
    ) async throws -> [CrosswalkMapping] {
        guard !codes.isEmpty else { return [] }
        let rows = try await connection.rows(
            """
            SELECT \(unescaped: Self.columns) FROM drug_code_crosswalk x
            JOIN unnest(\(codes.map(\.type.rawValue))::text[], \(codes.map(\.value))::text[]) AS c (code_type, code)
              ON x.code_type = c.code_type AND x.code = c.code
            WHERE x.consortium_id = \(consortiumID) OR x.consortium_id IS NULL
            ORDER BY x.id
            """, as: Row.self, logger: logger)
        return try rows.map(Self.mapping)
    }

    /// Which of these drug codes name a drug of the master data.
    package func knownDrugs(_ codes: [String], connection: PostgresConnection) async throws -> Set<String> {
        guard !codes.isEmpty else { return [] }
        let rows = try await connection.rows(
            "SELECT code FROM drugs WHERE code = ANY(\(codes)::text[])", as: String.self, logger: logger)
        return Set(rows)
    }

    /// The consortium's id by its code.
    package func consortiumID(code: String, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row("SELECT id FROM consortia WHERE code = \(code)", as: Int64.self, logger: logger)
    }

    /// For each new mapping (by its index), a kept mapping of the same scope and code whose dates overlap it.
    package func overlapping(
        _ mappings: [CrosswalkMapping], consortiumID: Int64?, connection: PostgresConnection
    ) async throws -> [(index: Int, existing: CrosswalkMapping)] {
        guard !mappings.isEmpty else { return [] }
        let rows = try await connection.rows(
            """
            SELECT DISTINCT ON (n.i) n.i::bigint, \(unescaped: Self.columns)
            FROM unnest(\(mappings.map(\.code.type.rawValue))::text[], \(mappings.map(\.code.value))::text[],
                        \(mappings.map { $0.specification ?? "" })::text[], \(mappings.map(\.validFrom.description))::date[],
                        \(mappings.map { $0.validTo?.description ?? "" })::text[]) WITH ORDINALITY
                 AS n (code_type, code, specification, valid_from, valid_to, i)
            JOIN drug_code_crosswalk x
              ON coalesce(x.consortium_id, 0) = coalesce(\(consortiumID)::bigint, 0)
             AND x.code_type = n.code_type AND x.code = n.code AND x.specification = n.specification
             AND daterange(x.valid_from, x.valid_to) && daterange(n.valid_from, nullif(n.valid_to, '')::date)
            ORDER BY n.i, x.id
            """, as: (Int64, Int64, Int64?, String, String, String, String, Decimal, String, String?, String).self,
            logger: logger)
        return try rows.map { r in
            (Int(r.0) - 1, try Self.mapping((r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10)))
        }
    }

    // MARK: Writing

    /// Inserts new mappings in one statement; their ids, in order.
    package func insert(_ mappings: [CrosswalkMapping], connection: PostgresConnection) async throws -> [Int64] {
        guard !mappings.isEmpty else { return [] }
        let ids: [Int64] = try await connection.rows(
            """
            INSERT INTO drug_code_crosswalk (consortium_id, code_type, code, specification, drug_code, package_factor,
                                             valid_from, valid_to, source)
            SELECT nullif(n.consortium_id, 0), n.code_type, n.code, n.specification, n.drug_code, n.package_factor,
                   n.valid_from, nullif(n.valid_to, '')::date, n.source
            FROM unnest(\(mappings.map { $0.consortiumID ?? 0 })::bigint[], \(mappings.map(\.code.type.rawValue))::text[],
                        \(mappings.map(\.code.value))::text[], \(mappings.map { $0.specification ?? "" })::text[],
                        \(mappings.map(\.drugCode))::text[], \(mappings.map { $0.packageFactor.description })::numeric[],
                        \(mappings.map(\.validFrom.description))::date[],
                        \(mappings.map { $0.validTo?.description ?? "" })::text[], \(mappings.map(\.source))::text[])
                 WITH ORDINALITY AS n (consortium_id, code_type, code, specification, drug_code, package_factor,
                                       valid_from, valid_to, source, i)
            ORDER BY n.i
            RETURNING id
            """, as: Int64.self, logger: logger)
        return ids.sorted(by: <)
    }

    /// Inserts the mappings that no kept mapping of the same scope and code overlaps (the seed's second run), and
    /// returns those inserted with their ids.
    package func insertNew(_ mappings: [CrosswalkMapping], connection: PostgresConnection) async throws -> [CrosswalkMapping] {
        guard !mappings.isEmpty else { return [] }
        let rows = try await connection.rows(
            """
            INSERT INTO drug_code_crosswalk AS x (consortium_id, code_type, code, specification, drug_code,
                                                  package_factor, valid_from, valid_to, source)
            SELECT nullif(n.consortium_id, 0), n.code_type, n.code, n.specification, n.drug_code, n.package_factor,
                   n.valid_from, nullif(n.valid_to, '')::date, n.source
            FROM unnest(\(mappings.map { $0.consortiumID ?? 0 })::bigint[], \(mappings.map(\.code.type.rawValue))::text[],
                        \(mappings.map(\.code.value))::text[], \(mappings.map { $0.specification ?? "" })::text[],
                        \(mappings.map(\.drugCode))::text[], \(mappings.map { $0.packageFactor.description })::numeric[],
                        \(mappings.map(\.validFrom.description))::date[],
                        \(mappings.map { $0.validTo?.description ?? "" })::text[], \(mappings.map(\.source))::text[])
                 WITH ORDINALITY AS n (consortium_id, code_type, code, specification, drug_code, package_factor,
                                       valid_from, valid_to, source, i)
            ORDER BY n.i
            ON CONFLICT DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, as: Row.self, logger: logger)
        return try rows.map(Self.mapping).sorted { ($0.id ?? 0) < ($1.id ?? 0) }
    }

    /// Sets the day after a mapping's last day.
    package func setValidTo(id: Int64, validTo: BusinessDate, connection: PostgresConnection) async throws {
        try await connection.run(
            "UPDATE drug_code_crosswalk SET valid_to = \(validTo.description)::date WHERE id = \(id)", logger: logger)
    }

    // MARK: Files

    /// A crosswalk file read whole (they are small: a consortium's codes, the national list of a few hundred
    /// thousand rows at most), decoded from UTF-8 or GBK, against the columns it must have.
    package static func readFile(_ input: FileInput, encoding: FileEncoding, requiredColumns: [String]) throws -> CSVTable {
        var source = try ChunkSource(input)
        var data = Data()
        while let chunk = try source.next() { data.append(chunk) }
        guard let text = String(data: data, encoding: encoding.foundation) else {
            throw CSVStreamParser.Malformed(
                line: 1, reason: "the file is not \(encoding.rawValue) text (a GBK file needs --encoding gbk)")
        }
        return try CSVTable(text: text, requiredColumns: requiredColumns, file: "the file", reportRagged: true)
    }
}

extension CrosswalkStore {
    /// One audit row per mapping a file loaded (action `load`), in one statement.
    package func auditLoaded(
        _ mappings: [CrosswalkMapping], consortiumID: Int64?, actor: Actor, connection: PostgresConnection
    ) async throws {
        try await audit.record(
            on: connection, consortiumID: consortiumID, actor: actor, action: "load", entityType: "drug_code_crosswalk",
            entityKeys: mappings.map { String($0.id ?? 0) }, befores: nil, afters: try mappings.map { try AuditLog.json($0) })
    }
}

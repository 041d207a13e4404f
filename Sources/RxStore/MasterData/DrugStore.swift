import Logging
import PostgresNIO
import RxDomain

package struct DrugSearch: Sendable {
    /// A code prefix.
    package var codePrefix: String?
    /// A substring of the generic name or the English name, or, when it is letters and digits only, of the
    /// generic name's pinyin initials (拼音首字母: `aldp` finds 氨氯地平).
    package var text: String?
    package var category: DrugCategory?
    package var page: PageRequest
    package init(codePrefix: String?, text: String?, category: DrugCategory?, page: PageRequest) {
        self.codePrefix = codePrefix
        self.text = text
        self.category = category
        self.page = page
    }
}

/// Drug master data: national codes, classification, essential-list editions, decoction-piece attributes.
package struct DrugStore: SQLStore {
    let database: Database
    /// Shares the queries of concurrent `find(code:)` calls; see `init(database:sharedLookups:)`.
    let lookups: ReadCoalescer<String, Drug>?

    /// With `sharedLookups`, concurrent `find(code:)` calls that would queue for a connection share one query
    /// (`ReadCoalescer`): for the one long-lived store that serves the API.
    package init(database: Database, sharedLookups: Bool = false) {
        self.database = database
        guard sharedLookups else {
            self.lookups = nil
            return
        }
        self.lookups = ReadCoalescer(
            name: "drug_by_code", concurrency: database.sharedReadConcurrency, health: database.readHealth
        ) { codes in
            try await database.read { connection in
                var found: [String: Drug] = [:]
                for try await row in try await connection.stream(DrugsByCodes(codes: codes), logger: database.logger) {
                    found[row.0] = try Self.drug(row)
                }
                return found
            }
        }
    }

    typealias Row = (
        String, String, String?, String, String?, Int, String, String, String?, String?, String, String, String,
        Bool, Bool, String?, String?, String?, [String]
    )

    static func drug(_ r: Row) throws -> Drug {
        var piece: DecoctionPiece?
        if let herb = r.15, let processing = r.16, let grade = r.17 {
            piece = DecoctionPiece(herbName: herb, processing: try decodeEnum(processing), grade: grade)
        }
        return Drug(
            code: r.0, genericName: r.1, nameEn: r.2, dosageForm: r.3, strength: r.4, packageSize: r.5,
            packageUnit: r.6, unit: r.7, manufacturer: r.8, atcCode: r.9, category: try decodeEnum(r.10),
            essentialEditions: r.18, insuranceClass: try decodeEnum(r.11), controlClass: try decodeEnum(r.12),
            antimicrobial: r.13, coldChain: r.14, decoctionPiece: piece)
    }

    /// A drug read from `selectDrugs`' columns, in their order (`RowReader`).
    static func drug(reading r: inout RowReader) throws -> Drug {
        try drug(
            (
                try r.next(), try r.next(), try r.next(), try r.next(), try r.next(), try r.next(), try r.next(),
                try r.next(), try r.next(), try r.next(), try r.next(), try r.next(), try r.next(), try r.next(),
                try r.next(), try r.next(), try r.next(), try r.next(), try r.next()
            ))
    }

    /// A `Row`, without its condition (constant text only: values are always bound).
    static let selectDrugs = """
        SELECT d.code, d.generic_name, d.name_en, d.dosage_form, d.strength, d.package_size, d.package_unit,
               d.unit, d.manufacturer, d.atc_code, d.category, d.insurance_class, d.control_class,
               d.antimicrobial, d.cold_chain, d.herb_name, d.processing, d.grade,
               ARRAY(SELECT e.edition FROM drug_essential_editions e WHERE e.drug_code = d.code ORDER BY e.edition)
        FROM drugs d
        """

    /// The hot lookup, prepared once per connection.
    struct DrugByCode: PostgresPreparedStatement {
        static let sql = selectDrugs + " WHERE d.code = $1"
        typealias Row = DrugStore.Row
        var code: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(code)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Several at once, for `ReadCoalescer`: one statement whatever the number of codes.
    ///
    /// Each code probes the primary key on its own (`LATERAL … LIMIT 1`). With `d.code = ANY($1)` the planner
    /// scans a small table whole and compares every row with every code: on the demo's 536 drugs that cost a
    /// batch of six about twice what six probes do (PostgreSQL CPU per lookup under `bench/run.sh`).
    struct DrugsByCodes: PostgresPreparedStatement {
        static let sql = """
            SELECT d.* FROM unnest($1::text[]) AS k(code)
            CROSS JOIN LATERAL (\(selectDrugs) WHERE d.code = k.code LIMIT 1) AS d
            """
        typealias Row = DrugStore.Row
        var codes: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(codes)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    package func find(code: String) async throws -> Drug? {
        if let lookups { return try await lookups.value(for: code) }
        do {
            return try await database.withConnection { connection in
                for try await row in try await connection.stream(DrugByCode(code: code), logger: database.logger) {
                    return try Self.drug(row)
                }
                return nil
            }
        } catch {
            throw DatabaseErrors.map(error, logger: database.logger)
        }
    }

    package func find(code: String, on connection: PostgresConnection, forUpdate: Bool = false) async throws -> Drug? {
        if forUpdate {
            _ = try await connection.row(
                "SELECT 1 FROM drugs WHERE code = \(code) FOR UPDATE", as: Int.self, logger: database.logger)
        }
        for try await row in try await connection.stream(DrugByCode(code: code), logger: database.logger) {
            return try Self.drug(row)
        }
        return nil
    }

    /// Several drugs by code, in code order; unknown codes are left out.
    package func find(codes: [String], on connection: PostgresConnection) async throws -> [Drug] {
        var drugs: [Drug] = []
        for try await row in try await connection.stream(DrugsByCodes(codes: codes), logger: database.logger) {
            drugs.append(try Self.drug(row))
        }
        return drugs.sorted { $0.code < $1.code }
    }

    package func search(_ search: DrugSearch) async throws -> Page<Drug> {
        let pattern = search.text.map { "%" + $0.likeEscaped + "%" }
        let initials = search.text.flatMap(PinyinInitials.searchPattern)
        let rows = try await database.rows(
            """
            SELECT d.code, d.generic_name, d.name_en, d.dosage_form, d.strength, d.package_size, d.package_unit,
                   d.unit, d.manufacturer, d.atc_code, d.category, d.insurance_class, d.control_class,
                   d.antimicrobial, d.cold_chain, d.herb_name, d.processing, d.grade,
                   ARRAY(SELECT e.edition FROM drug_essential_editions e WHERE e.drug_code = d.code ORDER BY e.edition)
            FROM drugs d
            WHERE d.code > \(search.page.after ?? "")
              AND (\(search.codePrefix)::text IS NULL OR starts_with(d.code, \(search.codePrefix)))
              AND (\(pattern)::text IS NULL OR d.generic_name LIKE \(pattern) ESCAPE '\\'
                   OR lower(d.name_en) LIKE lower(\(pattern)) ESCAPE '\\'
                   OR d.pinyin_initials LIKE \(initials))
              AND (\(search.category?.rawValue)::text IS NULL OR d.category = \(search.category?.rawValue))
            ORDER BY d.code
            LIMIT \(search.page.limit + 1)
            """, as: Row.self)
        return Page(rows: try rows.map(Self.drug), limit: search.page.limit, key: \.code)
    }

    /// The drug's row; its editions go through `setEditions`.
    package func insert(_ drug: Drug, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO drugs (code, generic_name, name_en, dosage_form, strength, package_size, package_unit, unit,
                               manufacturer, atc_code, category, insurance_class, control_class, antimicrobial,
                               cold_chain, herb_name, processing, grade)
            VALUES (\(drug.code), \(drug.genericName), \(drug.nameEn), \(drug.dosageForm), \(drug.strength),
                    \(drug.packageSize), \(drug.packageUnit), \(drug.unit), \(drug.manufacturer), \(drug.atcCode),
                    \(drug.category.rawValue), \(drug.insuranceClass.rawValue), \(drug.controlClass.rawValue),
                    \(drug.antimicrobial), \(drug.coldChain), \(drug.decoctionPiece?.herbName),
                    \(drug.decoctionPiece?.processing.rawValue), \(drug.decoctionPiece?.grade))
            """, logger: database.logger)
    }

    /// Which of `editions` are known editions of the essential medicines list.
    package func knownEditions(_ editions: [String], on connection: PostgresConnection) async throws -> [String] {
        try await connection.rows(
            "SELECT edition FROM essential_list_editions WHERE edition = ANY(\(editions))", as: String.self,
            logger: database.logger)
    }

    package func setEditions(_ code: String, _ editions: [String], on connection: PostgresConnection) async throws {
        try await connection.run(
            "DELETE FROM drug_essential_editions WHERE drug_code = \(code) AND NOT (edition = ANY(\(editions)))",
            logger: database.logger)
        try await connection.run(
            """
            INSERT INTO drug_essential_editions (drug_code, edition)
            SELECT \(code), e FROM unnest(\(editions)::text[]) AS e ON CONFLICT DO NOTHING
            """, logger: database.logger)
    }

    package func update(code: String, with change: DrugUpdate, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            UPDATE drugs SET generic_name = COALESCE(\(change.genericName), generic_name),
                name_en = COALESCE(\(change.nameEn), name_en),
                manufacturer = COALESCE(\(change.manufacturer), manufacturer),
                atc_code = COALESCE(\(change.atcCode), atc_code),
                insurance_class = COALESCE(\(change.insuranceClass?.rawValue), insurance_class),
                control_class = COALESCE(\(change.controlClass?.rawValue), control_class),
                antimicrobial = COALESCE(\(change.antimicrobial), antimicrobial),
                cold_chain = COALESCE(\(change.coldChain), cold_chain),
                updated_at = now()
            WHERE code = \(code)
            """, logger: database.logger)
    }
}

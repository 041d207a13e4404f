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
                    let drug = try Self.drug(row)
                    found[drug.code] = drug
                }
                return found
            }
        }
    }

    /// A drug read from `selectDrugs`' columns, in their order (`RowReader`): the one place a drug is built from a
    /// row. (Read into a tuple first, every drug of the catalogue was copied through the generic runtime.)
    static func drug(reading r: inout RowReader) throws -> Drug {
        let code: String = try r.next()
        let genericName: String = try r.next()
        let nameEn: String? = try r.next()
        let dosageForm: String = try r.next()
        let strength: String? = try r.next()
        let packageSize: Int = try r.next()
        let packageUnit: String = try r.next()
        let unit: String = try r.next()
        let manufacturer: String? = try r.next()
        let atcCode: String? = try r.next()
        let category: String = try r.next()
        let insuranceClass: String = try r.next()
        let controlClass: String = try r.next()
        let antimicrobial: Bool = try r.next()
        let coldChain: Bool = try r.next()
        let herbName: String? = try r.next()
        let processing: String? = try r.next()
        let grade: String? = try r.next()
        let essentialEditions: [String] = try r.next()
        var piece: DecoctionPiece?
        if let herbName, let processing, let grade {
            piece = DecoctionPiece(herbName: herbName, processing: try decodeEnum(processing), grade: grade)
        }
        return Drug(
            code: code, genericName: genericName, nameEn: nameEn, dosageForm: dosageForm, strength: strength,
            packageSize: packageSize, packageUnit: packageUnit, unit: unit, manufacturer: manufacturer, atcCode: atcCode,
            category: try decodeEnum(category), essentialEditions: essentialEditions,
            insuranceClass: try decodeEnum(insuranceClass), controlClass: try decodeEnum(controlClass),
            antimicrobial: antimicrobial, coldChain: coldChain, decoctionPiece: piece)
    }

    /// A drug from a row of `selectDrugs`' columns.
    static func drug(_ row: PostgresRow) throws -> Drug {
        var reader = RowReader(row)
        return try drug(reading: &reader)
    }

    /// A drug's columns (`drug(reading:)`), without the condition (constant text only: values are always bound).
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
        /// The row as it comes, read by `DrugStore.drug(_:)`.
        typealias Row = PostgresRow
        var code: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(code)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
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
        /// The rows as they come, read by `DrugStore.drug(_:)`.
        typealias Row = PostgresRow
        var codes: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(codes)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
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
            """, reading: Self.drug(reading:))
        return Page(rows: rows, limit: search.page.limit, key: \.code)
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

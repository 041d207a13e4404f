import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The writes of `seed`: reference data and the demo consortium, each changed only where it differs, so a second
/// load changes nothing. Each returns how many rows it changed.
package struct SeedStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    package func upsertEditions(_ editions: [SeedRecords.Edition], on connection: PostgresConnection) async throws -> Int {
        var changed = 0
        for e in editions {
            changed += try await connection.rows(
                """
                INSERT INTO essential_list_editions (edition, effective_from, item_count, note)
                VALUES (\(e.edition), \(e.effectiveFrom)::date, \(e.itemCount), \(e.note))
                ON CONFLICT (edition) DO UPDATE SET effective_from = EXCLUDED.effective_from,
                    item_count = EXCLUDED.item_count, note = EXCLUDED.note
                WHERE (essential_list_editions.effective_from, essential_list_editions.item_count, essential_list_editions.note)
                      IS DISTINCT FROM (EXCLUDED.effective_from, EXCLUDED.item_count, EXCLUDED.note)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    package func upsertDefaults(_ defaults: [SeedRecords.PolicyDefault], on connection: PostgresConnection) async throws -> Int {
        var changed = 0
        for d in defaults {
            changed += try await connection.rows(
                """
                INSERT INTO policy_defaults (key, value, effective_from, source)
                VALUES (\(d.key), \(d.value), \(d.effectiveFrom)::date, \(d.source))
                ON CONFLICT (key, effective_from) DO UPDATE SET value = EXCLUDED.value, source = EXCLUDED.source
                WHERE (policy_defaults.value, policy_defaults.source) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.source)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    package func upsertSuppliers(_ suppliers: [Supplier], on connection: PostgresConnection) async throws -> Int {
        // Manufacturers first, so a sales company can name the manufacturer it counts as.
        var changed = 0
        for s in suppliers.sorted(by: {
            ($0.countsAsManufacturerCode == nil ? 0 : 1, $0.code) < ($1.countsAsManufacturerCode == nil ? 0 : 1, $1.code)
        }) {
            changed += try await connection.rows(
                """
                INSERT INTO suppliers (code, name, is_manufacturer, is_distributor, manufacturing_licence,
                                       distribution_licence, counts_as_manufacturer_id)
                VALUES (\(s.code), \(s.name), \(s.isManufacturer), \(s.isDistributor), \(s.manufacturingLicence),
                        \(s.distributionLicence), (SELECT id FROM suppliers WHERE code = \(s.countsAsManufacturerCode)))
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, is_manufacturer = EXCLUDED.is_manufacturer,
                    is_distributor = EXCLUDED.is_distributor, manufacturing_licence = EXCLUDED.manufacturing_licence,
                    distribution_licence = EXCLUDED.distribution_licence,
                    counts_as_manufacturer_id = EXCLUDED.counts_as_manufacturer_id, updated_at = now()
                WHERE (suppliers.name, suppliers.is_manufacturer, suppliers.is_distributor, suppliers.manufacturing_licence,
                       suppliers.distribution_licence, suppliers.counts_as_manufacturer_id)
                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.is_manufacturer, EXCLUDED.is_distributor,
                       EXCLUDED.manufacturing_licence, EXCLUDED.distribution_licence, EXCLUDED.counts_as_manufacturer_id)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    /// The pharmacopoeia's limits per decoction piece (herb_quality_limits), changed only where they differ.
    /// The demo's traceability code prefixes, changed only where they differ.
    package func upsertTraceabilityPrefixes(_ rows: [SeedRecords.TraceabilityPrefix], on connection: PostgresConnection)
        async throws -> Int
    {
        var changed = 0
        for r in rows {
            changed += try await connection.rows(
                """
                INSERT INTO traceability_code_prefixes (prefix, drug_code, package)
                VALUES (\(r.prefix), \(r.drugCode), \(r.package))
                ON CONFLICT (prefix) DO UPDATE SET drug_code = EXCLUDED.drug_code, package = EXCLUDED.package
                WHERE (traceability_code_prefixes.drug_code, traceability_code_prefixes.package)
                      IS DISTINCT FROM (EXCLUDED.drug_code, EXCLUDED.package)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    package func upsertQualityLimits(_ rows: [SeedRecords.QualityLimit], on connection: PostgresConnection) async throws -> Int {
        let measures = HerbQualityMeasure.allCases
        let columns = measures.map(\.limitColumn)
        let list = columns.joined(separator: ", ")
        let excluded = columns.map { "EXCLUDED.\($0)" }.joined(separator: ", ")
        let current = columns.map { "herb_quality_limits.\($0)" }.joined(separator: ", ")
        var changed = 0
        for r in rows {
            let v = measures.map { r.limits[$0] }
            changed += try await connection.rows(
                """
                INSERT INTO herb_quality_limits (drug_code, monograph, \(unescaped: list))
                VALUES (\(r.drugCode), \(r.monograph), \(v[0]), \(v[1]), \(v[2]), \(v[3]), \(v[4]), \(v[5]), \(v[6]), \(v[7]), \(v[8]), \(v[9]))
                ON CONFLICT (drug_code) DO UPDATE SET monograph = EXCLUDED.monograph, (\(unescaped: list)) = ROW(\(unescaped: excluded))
                WHERE (herb_quality_limits.monograph, \(unescaped: current)) IS DISTINCT FROM (EXCLUDED.monograph, \(unescaped: excluded))
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    /// All drugs in one statement: arrays of columns, unnested.
    package func upsertDrugs(_ drugs: [Drug], on connection: PostgresConnection) async throws -> Int {
        let changed = try await connection.rows(
            """
            INSERT INTO drugs (code, generic_name, name_en, dosage_form, strength, package_size, package_unit, unit,
                               manufacturer, atc_code, category, insurance_class, control_class, antimicrobial,
                               cold_chain, herb_name, processing, grade)
            SELECT code, generic_name, NULLIF(name_en, ''), dosage_form, NULLIF(strength, ''), package_size, package_unit,
                   unit, NULLIF(manufacturer, ''), NULLIF(atc_code, ''), category, insurance_class, control_class,
                   antimicrobial, cold_chain, NULLIF(herb_name, ''), NULLIF(processing, ''), NULLIF(grade, '')
            FROM unnest(\(drugs.map(\.code))::text[], \(drugs.map(\.genericName))::text[], \(drugs.map { $0.nameEn ?? "" })::text[],
                        \(drugs.map(\.dosageForm))::text[], \(drugs.map { $0.strength ?? "" })::text[],
                        \(drugs.map(\.packageSize))::int[], \(drugs.map(\.packageUnit))::text[], \(drugs.map(\.unit))::text[],
                        \(drugs.map { $0.manufacturer ?? "" })::text[], \(drugs.map { $0.atcCode ?? "" })::text[],
                        \(drugs.map(\.category.rawValue))::text[], \(drugs.map(\.insuranceClass.rawValue))::text[],
                        \(drugs.map(\.controlClass.rawValue))::text[], \(drugs.map(\.antimicrobial))::bool[],
                        \(drugs.map(\.coldChain))::bool[], \(drugs.map { $0.decoctionPiece?.herbName ?? "" })::text[],
                        \(drugs.map { $0.decoctionPiece?.processing.rawValue ?? "" })::text[],
                        \(drugs.map { $0.decoctionPiece?.grade ?? "" })::text[])
                 AS t(code, generic_name, name_en, dosage_form, strength, package_size, package_unit, unit, manufacturer,
                      atc_code, category, insurance_class, control_class, antimicrobial, cold_chain, herb_name,
                      processing, grade)
            ON CONFLICT (code) DO UPDATE SET generic_name = EXCLUDED.generic_name, name_en = EXCLUDED.name_en,
                dosage_form = EXCLUDED.dosage_form, strength = EXCLUDED.strength, package_size = EXCLUDED.package_size,
                package_unit = EXCLUDED.package_unit, unit = EXCLUDED.unit, manufacturer = EXCLUDED.manufacturer,
                atc_code = EXCLUDED.atc_code, category = EXCLUDED.category, insurance_class = EXCLUDED.insurance_class,
                control_class = EXCLUDED.control_class, antimicrobial = EXCLUDED.antimicrobial,
                cold_chain = EXCLUDED.cold_chain, herb_name = EXCLUDED.herb_name, processing = EXCLUDED.processing,
                grade = EXCLUDED.grade, updated_at = now()
            WHERE (drugs.generic_name, drugs.name_en, drugs.dosage_form, drugs.strength, drugs.package_size,
                   drugs.package_unit, drugs.unit, drugs.manufacturer, drugs.atc_code, drugs.category,
                   drugs.insurance_class, drugs.control_class, drugs.antimicrobial, drugs.cold_chain, drugs.herb_name,
                   drugs.processing, drugs.grade)
                  IS DISTINCT FROM
                  (EXCLUDED.generic_name, EXCLUDED.name_en, EXCLUDED.dosage_form, EXCLUDED.strength, EXCLUDED.package_size,
                   EXCLUDED.package_unit, EXCLUDED.unit, EXCLUDED.manufacturer, EXCLUDED.atc_code, EXCLUDED.category,
                   EXCLUDED.insurance_class, EXCLUDED.control_class, EXCLUDED.antimicrobial, EXCLUDED.cold_chain,
                   EXCLUDED.herb_name, EXCLUDED.processing, EXCLUDED.grade)
            RETURNING 1
            """, as: Int.self, logger: logger
        ).count
        let pairs = drugs.flatMap { d in d.essentialEditions.map { (d.code, $0) } }
        let added = try await connection.rows(
            """
            INSERT INTO drug_essential_editions (drug_code, edition)
            SELECT * FROM unnest(\(pairs.map(\.0))::text[], \(pairs.map(\.1))::text[])
            ON CONFLICT DO NOTHING RETURNING 1
            """, as: Int.self, logger: logger
        ).count
        return changed + added
    }

    /// The demo consortium's first catalogue version, published as agreed, when it has none yet.
    package func publishFirstCatalogue(
        consortiumCode: String, effectiveFrom: String, items: [CatalogueItem], on connection: PostgresConnection
    ) async throws -> Int {
        guard !items.isEmpty else { return 0 }
        guard
            let consortiumID = try await connection.row(
                "SELECT id FROM consortia WHERE code = \(consortiumCode)", as: Int64.self, logger: logger)
        else { return 0 }
        let existing = try await connection.row(
            "SELECT count(*)::int FROM catalogue_versions WHERE consortium_id = \(consortiumID)", as: Int.self, logger: logger)
        guard existing == 0 else { return 0 }
        try await connection.run(
            "INSERT INTO catalogue_versions (consortium_id, number) VALUES (\(consortiumID), 1)", logger: logger)
        try await connection.run(
            """
            INSERT INTO catalogue_items (consortium_id, version_number, drug_code, levels, note, justification)
            SELECT \(consortiumID), 1, code, CASE WHEN levels = '' THEN '{}'::text[] ELSE string_to_array(levels, ';') END,
                   NULLIF(note, ''), NULLIF(justification, '')
            FROM unnest(\(items.map(\.drugCode))::text[], \(items.map { $0.levels.map(\.rawValue).joined(separator: ";") })::text[],
                        \(items.map { $0.note ?? "" })::text[], \(items.map { $0.justification ?? "" })::text[])
                 AS t(code, levels, note, justification)
            """, logger: logger)
        try await connection.run(
            """
            UPDATE catalogue_versions SET status = 'published', effective_from = \(effectiveFrom)::date,
                published_at = now(), proposed_at = now()
            WHERE consortium_id = \(consortiumID) AND number = 1
            """, logger: logger)
        return 1
    }

    /// The demo members' hospital preparations and preparation licences (their drug rows are among the drugs).
    package func upsertPreparations(
        consortiumCode: String, preparations: [SeedRecords.Preparation], licences: [SeedRecords.Licence],
        on connection: PostgresConnection
    ) async throws -> Int {
        guard
            let consortiumID = try await connection.row(
                "SELECT id FROM consortia WHERE code = \(consortiumCode)", as: Int64.self, logger: logger)
        else { return 0 }
        var changed = 0
        for p in preparations {
            changed += try await connection.rows(
                """
                INSERT INTO hospital_preparations (consortium_id, drug_code, producer_institution_id, registration_kind,
                                                   registration_number, registration_valid_to, reimbursable)
                VALUES (\(consortiumID), \(p.drug.code),
                        (SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(p.producerCode)),
                        \(p.registrationKind.rawValue), \(p.registrationNumber), \(p.registrationValidTo?.description)::date,
                        \(p.reimbursable))
                ON CONFLICT (consortium_id, drug_code) DO UPDATE SET
                    producer_institution_id = EXCLUDED.producer_institution_id,
                    registration_kind = EXCLUDED.registration_kind, registration_number = EXCLUDED.registration_number,
                    registration_valid_to = EXCLUDED.registration_valid_to, reimbursable = EXCLUDED.reimbursable,
                    updated_at = now()
                WHERE (hospital_preparations.producer_institution_id, hospital_preparations.registration_kind,
                       hospital_preparations.registration_number, hospital_preparations.registration_valid_to,
                       hospital_preparations.reimbursable)
                      IS DISTINCT FROM (EXCLUDED.producer_institution_id, EXCLUDED.registration_kind,
                       EXCLUDED.registration_number, EXCLUDED.registration_valid_to, EXCLUDED.reimbursable)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        for l in licences {
            changed += try await connection.rows(
                """
                INSERT INTO preparation_licences (consortium_id, institution_id, licence_number, valid_from, valid_to)
                VALUES (\(consortiumID),
                        (SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(l.institutionCode)),
                        \(l.number), \(l.validFrom.description)::date, \(l.validTo.description)::date)
                ON CONFLICT (consortium_id, institution_id, licence_number) DO UPDATE SET
                    valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to
                WHERE (preparation_licences.valid_from, preparation_licences.valid_to)
                      IS DISTINCT FROM (EXCLUDED.valid_from, EXCLUDED.valid_to)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    /// The consortium's id by code, nil when it is not recorded.
    package func consortiumID(code: String, on connection: PostgresConnection) async throws -> Int64? {
        try await connection.row("SELECT id FROM consortia WHERE code = \(code)", as: Int64.self, logger: logger)
    }

    /// Whether the consortium has any long-prescription rule set yet.
    package func hasLongPrescriptionRules(consortiumID: Int64, on connection: PostgresConnection) async throws -> Bool {
        let count = try await connection.row(
            "SELECT count(*)::int FROM long_rx_rule_sets WHERE consortium_id = \(consortiumID)", as: Int.self, logger: logger)
        return count != 0
    }

    /// The demo consortium's prescribers, changed only where they differ.
    package func upsertPrescribers(
        _ prescribers: [SeedRecords.Prescriber], consortiumID: Int64, on connection: PostgresConnection
    ) async throws -> Int {
        var changed = 0
        for p in prescribers {
            changed += try await connection.rows(
                """
                INSERT INTO prescribers (consortium_id, pseudonym, institution_id, title)
                SELECT \(consortiumID), \(p.pseudonym), id, \(p.title.rawValue) FROM institutions
                WHERE consortium_id = \(consortiumID) AND code = \(p.institution)
                ON CONFLICT (consortium_id, pseudonym) DO UPDATE SET institution_id = EXCLUDED.institution_id, title = EXCLUDED.title
                WHERE (prescribers.institution_id, prescribers.title) IS DISTINCT FROM (EXCLUDED.institution_id, EXCLUDED.title)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    package func upsertConsortium(_ c: SeedRecords.Consortium, on connection: PostgresConnection) async throws -> Int {
        var changed = try await connection.rows(
            """
            INSERT INTO consortia (code, name, kind) VALUES (\(c.code), \(c.name), \(c.kind.rawValue))
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, updated_at = now()
            WHERE (consortia.name, consortia.kind) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind)
            RETURNING 1
            """, as: Int.self, logger: logger
        ).count
        guard
            let consortiumID = try await connection.row(
                "SELECT id FROM consortia WHERE code = \(c.code)", as: Int64.self, logger: logger)
        else { throw DomainError.notFound(c.code) }
        for i in c.institutions {
            changed += try await connection.rows(
                """
                INSERT INTO institutions (consortium_id, code, name, level, type, has_testing_lab)
                VALUES (\(consortiumID), \(i.code), \(i.name), \(i.level.rawValue), \(i.type.rawValue), \(i.hasTestingLab))
                ON CONFLICT (consortium_id, code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
                    type = EXCLUDED.type, has_testing_lab = EXCLUDED.has_testing_lab, updated_at = now()
                WHERE (institutions.name, institutions.level, institutions.type, institutions.has_testing_lab)
                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.level, EXCLUDED.type, EXCLUDED.has_testing_lab)
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        changed += try await connection.rows(
            """
            UPDATE consortia SET lead_institution_id = l.id, updated_at = now()
            FROM (SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(c.lead)) l
            WHERE consortia.id = \(consortiumID) AND lead_institution_id IS DISTINCT FROM l.id
            RETURNING 1
            """, as: Int.self, logger: logger
        ).count
        for s in c.settings {
            changed += try await connection.rows(
                """
                INSERT INTO consortium_settings (consortium_id, key, value, effective_from)
                VALUES (\(consortiumID), \(s.key), \(s.value), \(s.effectiveFrom)::date)
                ON CONFLICT (consortium_id, key, effective_from) DO UPDATE SET value = EXCLUDED.value
                WHERE consortium_settings.value IS DISTINCT FROM EXCLUDED.value
                RETURNING 1
                """, as: Int.self, logger: logger
            ).count
        }
        return changed
    }

    /// Statistics for what was just loaded, so that the first queries are planned on them rather than on guesses
    /// until autovacuum's next round.
    package func analyze() async throws {
        try await database.read { connection in try await connection.run("ANALYZE", logger: logger) }
    }
}

import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A patient of a consortium, as the supply-on-hand query knows them.
package struct PatientKey: Hashable, Sendable {
    var consortiumID: Int64
    var patientRef: String

    package init(consortiumID: Int64, patientRef: String) {
        self.consortiumID = consortiumID
        self.patientRef = patientRef
    }
}

/// The check's one patient query, prepared once per connection: every active long prescription of each patient
/// asked for (several at once when `ReadCoalescer` shares the query).
struct SupplyOnHandOfPatients: PostgresPreparedStatement {
    static let sql = """
        SELECT lp.consortium_id, lp.patient_ref, lp.drug_code, lp.id, (lp.start_date + lp.days - 1)::text
        FROM unnest($1::bigint[], $2::text[]) AS k(consortium_id, patient_ref)
        JOIN long_prescriptions lp ON lp.consortium_id = k.consortium_id AND lp.patient_ref = k.patient_ref
        WHERE lp.status = 'active'
        ORDER BY lp.start_date
        """
    typealias Row = (Int64, String, String, Int64, String)
    var patients: [PatientKey]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(patients.map(\.consortiumID))
        bindings.append(patients.map(\.patientRef))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }

    static func read(_ patients: [PatientKey], on connection: PostgresConnection, logger: Logger) async throws -> [PatientKey:
        [ActiveSupply]]
    {
        var supply: [PatientKey: [ActiveSupply]] = [:]
        for try await row in try await connection.stream(Self(patients: patients), logger: logger) {
            guard let lastDay = BusinessDate(row.4) else { continue }
            supply[PatientKey(consortiumID: row.0, patientRef: row.1), default: []].append(
                ActiveSupply(drugCode: row.2, prescriptionID: row.3, lastDay: lastDay))
        }
        return supply
    }
}

/// Long prescriptions (长处方): the rules in force, the facts of the check, issued prescriptions and their fills.
package struct LongPrescriptionStore: SQLStore {
    let database: Database
    /// Shares the supply-on-hand queries of concurrent checks; see `init(database:sharedReads:)`.
    let supplyReads: ReadCoalescer<PatientKey, [ActiveSupply]>?

    /// With `sharedReads`, concurrent checks that would queue for a connection share the query for their patients'
    /// supply on hand (`ReadCoalescer`): for the one long-lived store that serves the API.
    package init(database: Database, sharedReads: Bool = false) {
        self.database = database
        guard sharedReads else {
            self.supplyReads = nil
            return
        }
        self.supplyReads = ReadCoalescer(
            name: "supply_on_hand", concurrency: database.sharedReadConcurrency, health: database.readHealth
        ) { patients in
            try await database.read { connection in
                try await SupplyOnHandOfPatients.read(patients, on: connection, logger: database.logger)
            }
        }
    }

    // MARK: Rules

    package func national(consortiumID: Int64, on date: BusinessDate, field: String = "date", connection: PostgresConnection)
        async throws
        -> LongPrescriptionRules.National
    {
        let settings = Settings(logger: logger)
        let maxDays = try await settings.required(
            .longPrescriptionNationalMaxDays, consortiumID: consortiumID, on: date, field: field, connection: connection)
        let standard = try await settings.required(
            .longPrescriptionStandardMaxDays, consortiumID: consortiumID, on: date, field: field, connection: connection)
        return .init(maxDays: maxDays, standardDays: standard)
    }

    package func ruleSet(consortiumID: Int64, on date: BusinessDate) async throws -> LongPrescriptionRuleSet? {
        try await database.read { try await ruleSet(consortiumID: consortiumID, on: date, connection: $0) }
    }

    package func ruleSet(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws
        -> LongPrescriptionRuleSet?
    {
        guard
            let head = try await connection.row(
                """
                SELECT id, effective_from::text, requires_family_doctor_contract, max_assessment_age_days, supply_on_hand_tolerance_days
                FROM long_rx_rule_sets WHERE consortium_id = \(consortiumID) AND effective_from <= \(date.description)::date
                ORDER BY effective_from DESC LIMIT 1
                """, as: (Int64, String, Bool, Int, Int).self, logger: logger)
        else { return nil }
        let conditions = try await connection.rows(
            """
            SELECT icd_from, icd_to, name, max_days, allows_antimicrobials FROM long_rx_conditions
            WHERE consortium_id = \(consortiumID) AND rule_set_id = \(head.0) ORDER BY icd_from
            """, as: (String, String, String, Int?, Bool).self, logger: logger
        ).map { QualifyingCondition(icdFrom: $0.0, icdTo: $0.1, name: $0.2, maxDays: $0.3, allowsAntimicrobials: $0.4) }
        let levels = try await connection.rows(
            "SELECT level, max_days FROM long_rx_level_limits WHERE consortium_id = \(consortiumID) AND rule_set_id = \(head.0)",
            as: (String, Int).self, logger: logger)
        let excluded: [String] = try await connection.rows(
            "SELECT drug_code FROM long_rx_excluded_drugs WHERE consortium_id = \(consortiumID) AND rule_set_id = \(head.0)",
            as: String.self, logger: logger)
        var byLevel: [InstitutionLevel: Int] = [:]
        for (level, days) in levels { byLevel[try decodeEnum(level)] = days }
        return LongPrescriptionRuleSet(
            effectiveFrom: BusinessDate(head.1)!, conditions: conditions, maxDaysByLevel: byLevel,
            requiresFamilyDoctorContract: head.2, maxAssessmentAgeDays: head.3, supplyOnHandToleranceDays: head.4,
            excludedDrugs: Set(excluded))
    }

    /// Inserts a rule set with its conditions, level limits and excluded drugs; nil when it was not recorded.
    @discardableResult
    package func insertRuleSet(_ rules: LongPrescriptionRuleSet, consortiumID: Int64, connection: PostgresConnection)
        async throws -> Int64?
    {
        guard
            let id = try await connection.row(
                """
                INSERT INTO long_rx_rule_sets (consortium_id, effective_from, requires_family_doctor_contract, max_assessment_age_days,
                                               supply_on_hand_tolerance_days)
                VALUES (\(consortiumID), \(rules.effectiveFrom.description)::date, \(rules.requiresFamilyDoctorContract),
                        \(rules.maxAssessmentAgeDays), \(rules.supplyOnHandToleranceDays))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        for c in rules.conditions {
            try await connection.run(
                """
                INSERT INTO long_rx_conditions (consortium_id, rule_set_id, icd_from, icd_to, name, max_days, allows_antimicrobials)
                VALUES (\(consortiumID), \(id), \(c.icdFrom), \(c.icdTo), \(c.name), \(c.maxDays), \(c.allowsAntimicrobials))
                """, logger: logger)
        }
        for (level, days) in rules.maxDaysByLevel {
            try await connection.run(
                "INSERT INTO long_rx_level_limits (consortium_id, rule_set_id, level, max_days) VALUES (\(consortiumID), \(id), \(level.rawValue), \(days))",
                logger: logger)
        }
        for code in rules.excludedDrugs.sorted() {
            try await connection.run(
                "INSERT INTO long_rx_excluded_drugs (consortium_id, rule_set_id, drug_code) VALUES (\(consortiumID), \(id), \(code))",
                logger: logger)
        }
        return id
    }

    package func insertPrescriber(
        pseudonym: String, institution: Institution, title: PrescriberTitle, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO prescribers (consortium_id, pseudonym, institution_id, title)
            VALUES (\(institution.consortiumID), \(pseudonym), \(institution.id), \(title.rawValue))
            """, logger: logger)
    }

    // MARK: The check's facts

    /// Whether this store shares the supply-on-hand queries of concurrent checks (`sharedReads`).
    package var sharesReads: Bool { supplyReads != nil }

    /// The patient's supply on hand from active long prescriptions: the one query of the check that depends on the
    /// patient. Shared with concurrent checks when this store was made with `sharedReads`.
    package func supplyOnHand(of patient: PatientKey) async throws -> [ActiveSupply] {
        guard let supplyReads else {
            return try await database.read {
                try await checkFacts(drugsOutsideContext: [], patient: patient, connection: $0).supply
            }
        }
        return try await supplyReads.value(for: patient) ?? []
    }

    /// The facts of a check on one connection: the drugs outside its context, and the patient's supply on hand.
    package func checkFacts(drugsOutsideContext codes: [String], patient: PatientKey, connection: PostgresConnection)
        async throws -> (drugs: [Drug], supply: [ActiveSupply])
    {
        let drugs = codes.isEmpty ? [] : try await DrugStore(database: database).find(codes: codes, on: connection)
        let supply = try await SupplyOnHandOfPatients.read([patient], on: connection, logger: logger)[patient] ?? []
        return (drugs, supply)
    }

    /// The active long prescriptions of a patient at every member (`PatientLinkRules.pseudonyms(of:links:)`): the
    /// first pseudonym, the patient as the request names them, by its reference at any member (as before the
    /// patient index); the others, linked to the same consortium patient, by member and reference. Oldest first.
    package func supplyOnHand(of pseudonyms: [MemberPatient], consortiumID: Int64, connection: PostgresConnection)
        async throws -> [ActiveSupply]
    {
        guard let patient = pseudonyms.first else { return [] }
        let others = pseudonyms.dropFirst()
        return try await connection.rows(
            """
            SELECT lp.drug_code, lp.id, (lp.start_date + lp.days - 1)::text
            FROM long_prescriptions lp
            WHERE lp.consortium_id = \(consortiumID) AND lp.status = 'active'
              AND (lp.patient_ref = \(patient.pseudonym)
                   OR (lp.institution_id, lp.patient_ref) IN (
                       SELECT k.institution_id, k.patient_ref
                       FROM unnest(\(others.map(\.institutionID))::bigint[], \(others.map(\.pseudonym))::text[])
                            AS k(institution_id, patient_ref)))
            ORDER BY lp.start_date, lp.id
            """, as: (String, Int64, String).self, logger: logger
        ).compactMap { row in
            BusinessDate(row.2).map { ActiveSupply(drugCode: row.0, prescriptionID: row.1, lastDay: $0) }
        }
    }

    /// The hash an idempotency key of an issue is recorded with.
    package static func requestHash(_ canonical: String) -> Data {
        Data(SHA256.hash(data: Data(canonical.utf8)))
    }

    /// The drugs by code (those outside a check's context).
    package func drugs(codes: [String], connection: PostgresConnection) async throws -> [Drug] {
        try await DrugStore(database: database).find(codes: codes, on: connection)
    }

    package func institution(code: String, consortiumID: Int64, connection: PostgresConnection) async throws
        -> Institution?
    {
        try await InstitutionStore(database: database).find(code: code, consortiumID: consortiumID, on: connection)
    }

    // MARK: Issuing

    /// Serialises issues for this patient and drug until the transaction ends; the exclusion constraint is the backstop.
    package func lockPatientDrug(consortiumID: Int64, patientRef: String, drugCode: String, connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            "SELECT pg_advisory_xact_lock(hashtextextended(\("lrx:\(consortiumID):\(patientRef):\(drugCode)"), 0))",
            logger: logger)
    }

    package func prescriberID(pseudonym: String, consortiumID: Int64, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT id FROM prescribers WHERE consortium_id = \(consortiumID) AND pseudonym = \(pseudonym)",
            as: Int64.self, logger: logger)
    }

    /// Inserts an issued prescription guarding supply from `today` for `days` less the tolerance; returns its id.
    package func insertPrescription(
        _ item: LongPrescriptionRequest.Item, days: Int, tolerance: Int, patientRef: String, institutionID: Int64,
        prescriberID: Int64, maxFills: Int, minDaysBetweenFills: Int, validityDays: Int, today: BusinessDate,
        rxTraceCode: String, createdBy tokenID: Int64?, consortiumID: Int64, connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO long_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref, drug_code, daily_dose, days,
                quantity, start_date, supply_guard, max_fills, min_days_between_fills, validity_days, created_by, rx_trace_code)
            VALUES (\(consortiumID), \(institutionID), \(prescriberID), \(patientRef), \(item.drugCode), \(item.dailyDose),
                    \(days), \(item.dailyDose * Decimal(days)), \(today.description)::date,
                    daterange(\(today.description)::date, \(today.description)::date + \(max(0, days - 1 - tolerance))::int),
                    \(maxFills), \(minDaysBetweenFills), \(validityDays), \(tokenID), \(rxTraceCode))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// An issued prescription's columns (`p` the prescription, `i` its institution), as `issued` reads them.
    static let issuedColumns = """
        p.id, i.code, p.patient_ref, p.drug_code, p.daily_dose, p.days, p.quantity, p.start_date::text, p.status,
        p.end_reason, p.max_fills, p.min_days_between_fills, p.validity_days, p.dispensed_quantity,
        (SELECT count(*)::int FROM long_prescription_fills f WHERE f.consortium_id = p.consortium_id AND f.prescription_id = p.id)
        """
    typealias IssuedRow = (
        Int64, String, String, String, Decimal, Int, Decimal, String, String, String?, Int, Int, Int, Decimal, Int
    )

    static func issued(_ r: IssuedRow) -> IssuedPrescription {
        IssuedPrescription(
            id: r.0, institutionCode: r.1, patientRef: r.2, drugCode: r.3, dailyDose: r.4, days: r.5, quantity: r.6,
            startDate: BusinessDate(r.7)!, status: r.8, endReason: r.9, maxFills: r.10, minDaysBetweenFills: r.11,
            validityDays: r.12, dispensed: r.13, fills: r.14)
    }

    package func prescription(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false)
        async throws -> IssuedPrescription?
    {
        let query: PostgresQuery =
            lock
            ? """
            SELECT \(unescaped: Self.issuedColumns)
            FROM long_prescriptions p
            JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.id = \(id) FOR UPDATE OF p
            """
            : """
            SELECT \(unescaped: Self.issuedColumns)
            FROM long_prescriptions p
            JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.id = \(id)
            """
        return try await connection.row(query, as: IssuedRow.self, logger: logger).map(Self.issued)
    }

    /// The prescriptions of a patient's pseudonyms (each a member's reference), active and ended, newest first.
    package func prescriptions(of pseudonyms: [MemberPatient], consortiumID: Int64, connection: PostgresConnection)
        async throws -> [IssuedPrescription]
    {
        try await connection.rows(
            """
            SELECT \(unescaped: Self.issuedColumns)
            FROM long_prescriptions p
            JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID)
              AND (p.institution_id, p.patient_ref) IN (
                  SELECT k.institution_id, k.patient_ref
                  FROM unnest(\(pseudonyms.map(\.institutionID))::bigint[], \(pseudonyms.map(\.pseudonym))::text[])
                       AS k(institution_id, patient_ref))
            ORDER BY p.start_date DESC, p.id DESC
            LIMIT 200
            """, as: IssuedRow.self, logger: logger
        ).map(Self.issued)
    }

    package func prescription(id: Int64, consortiumID: Int64) async throws -> IssuedPrescription? {
        try await database.read { try await prescription(id: id, consortiumID: consortiumID, connection: $0) }
    }

    package func lastFill(prescriptionID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> BusinessDate?
    {
        let last = try await connection.row(
            "SELECT max(filled_on)::text FROM long_prescription_fills WHERE consortium_id = \(consortiumID) AND prescription_id = \(prescriptionID)",
            as: String?.self, logger: logger)
        return (last ?? nil).flatMap(BusinessDate.init)
    }

    /// Records fill number `fillNo` and raises the prescription's dispensed total.
    package func insertFill(
        prescriptionID id: Int64, fillNo: Int, quantity: Decimal, filledOn: BusinessDate, recordedBy tokenID: Int64?,
        consortiumID: Int64, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO long_prescription_fills (consortium_id, prescription_id, fill_no, filled_on, quantity, recorded_by)
            VALUES (\(consortiumID), \(id), \(fillNo), \(filledOn.description)::date, \(quantity), \(tokenID))
            """, logger: logger)
        try await connection.run(
            "UPDATE long_prescriptions SET dispensed_quantity = dispensed_quantity + \(quantity) WHERE consortium_id = \(consortiumID) AND id = \(id)",
            logger: logger)
    }

    package enum EndReason: String, Sendable, CaseIterable {
        case targetsNotMet = "targets_not_met"
        case newDisease = "new_disease"
        case admitted
        case other
    }

    package func institutionID(code: String, consortiumID: Int64, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)", as: Int64.self,
            logger: logger)
    }

    package func end(id: Int64, reason: EndReason, consortiumID: Int64, today: BusinessDate, connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            UPDATE long_prescriptions SET status = 'ended', end_reason = \(reason.rawValue), ended_on = \(today.description)::date
            WHERE consortium_id = \(consortiumID) AND id = \(id)
            """, logger: logger)
    }

    /// The national insurance e-prescription record of a long prescription (`EPrescriptionRecord`): a refill is a fill
    /// after the first (maxReptCnt is the fills allowed less one), the line the drug by its code; nil when there is no
    /// such prescription or it carries no trace code.
    package func record(id: Int64, consortiumID: Int64, connection: PostgresConnection) async throws -> EPrescriptionRecord? {
        guard
            let r = try await connection.row(
                """
                SELECT p.rx_trace_code, p.hi_rxno, p.start_date::text, p.validity_days, p.max_fills,
                       (SELECT count(*)::int FROM long_prescription_fills f
                        WHERE f.consortium_id = p.consortium_id AND f.prescription_id = p.id),
                       p.min_days_between_fills, p.init_rxno, p.voided_at IS NOT NULL, p.revoked_at IS NOT NULL, p.drug_code,
                       p.quantity, d.unit, p.days
                FROM long_prescriptions p JOIN drugs d ON d.code = p.drug_code
                WHERE p.consortium_id = \(consortiumID) AND p.id = \(id)
                """,
                as: (String?, String?, String, Int, Int, Int, Int, String?, Bool, Bool, String, Decimal, String, Int).self,
                logger: logger),
            let traceCode = r.0, let issuedOn = BusinessDate(r.2)
        else { return nil }
        return EPrescriptionRecord(
            traceCode: traceCode, insuranceRxNumber: r.1, issuedOn: issuedOn, validityDays: r.3, refillable: r.4 > 1,
            maxRefills: r.4 - 1, refills: max(r.5 - 1, 0), minDaysBetweenRefills: r.6, renewal: r.7 != nil,
            initialRxNumber: r.7, longPrescription: true,
            lines: [
                .init(
                    insuranceCode: r.10, inHouseCode: r.10, quantity: Quantity(r.11), unit: r.12, days: r.13,
                    hospitalPreparation: false)
            ], voided: r.8, revoked: r.9)
    }

    /// Voids the e-prescription and records the insurance revoke in one step, with the reason; with `end`, the
    /// prescription ends on `today` (reason other). False when it was voided already.
    package func void(
        id: Int64, reason: String, end: Bool, today: BusinessDate, consortiumID: Int64, connection: PostgresConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            UPDATE long_prescriptions
            SET voided_at = clock_timestamp(), revoked_at = clock_timestamp(), void_reason = \(reason),
                status = CASE WHEN \(end)::boolean THEN 'ended' ELSE status END,
                end_reason = CASE WHEN \(end)::boolean THEN 'other' ELSE end_reason END,
                ended_on = CASE WHEN \(end)::boolean THEN \(today.description)::date ELSE ended_on END
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND voided_at IS NULL
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
    }
}

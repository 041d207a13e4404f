import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A patient of a consortium, as the supply-on-hand query knows them.
struct PatientKey: Hashable, Sendable {
    var consortiumID: Int64
    var patientRef: String
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

/// Long prescriptions (长处方): the rules in force, the check, issued prescriptions and their fills.
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

    func national(consortiumID: Int64, on date: BusinessDate, field: String = "date", connection: PostgresConnection) async throws
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

    func ruleSet(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws
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

    /// Records a rule set in force from its date. The national limits are the ceiling: stricter, never looser.
    package func createRuleSet(_ rules: LongPrescriptionRuleSet, consortium: Consortium, by principal: Principal) async throws {
        try principal.require(.manageLongPrescriptionRules(consortiumID: consortium.id))
        try await database.transaction { connection in
            try await insertRuleSet(rules, consortiumID: consortium.id, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "long_rx_rule_set", entityKey: rules.effectiveFrom.description, before: LongPrescriptionRuleSet?.none,
                after: rules)
        }
    }

    func insertRuleSet(_ rules: LongPrescriptionRuleSet, consortiumID: Int64, connection: PostgresConnection) async throws {
        let national = try await national(
            consortiumID: consortiumID, on: rules.effectiveFrom, field: "effectiveFrom", connection: connection)
        let errors = rules.loosenessErrors(nationalMaxDays: national.maxDays)
        guard errors.isEmpty else {
            throw DomainError.unprocessable("the rule set is looser than the national rules allow", errors)
        }
        guard
            let id = try await connection.row(
                """
                INSERT INTO long_rx_rule_sets (consortium_id, effective_from, requires_family_doctor_contract, max_assessment_age_days,
                                               supply_on_hand_tolerance_days)
                VALUES (\(consortiumID), \(rules.effectiveFrom.description)::date, \(rules.requiresFamilyDoctorContract),
                        \(rules.maxAssessmentAgeDays), \(rules.supplyOnHandToleranceDays))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { throw DomainError.conflict("the rule set was not recorded") }
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
    }

    package func registerPrescriber(pseudonym: String, institution: Institution, title: PrescriberTitle, by principal: Principal)
        async throws
    {
        guard
            principal.may(.manageLongPrescriptionRules(consortiumID: institution.consortiumID))
                || principal.may(.editMemberCatalogue(consortiumID: institution.consortiumID, institutionID: institution.id))
        else { throw DomainError.forbidden("prescribers are registered by the pharmacy centre or the institution's pharmacist") }
        try await database.transaction { connection in
            try await connection.run(
                """
                INSERT INTO prescribers (consortium_id, pseudonym, institution_id, title)
                VALUES (\(institution.consortiumID), \(pseudonym), \(institution.id), \(title.rawValue))
                """, logger: logger)
            struct Record: Encodable { var pseudonym: String; var institution: String; var title: String }
            try await audit.record(
                on: connection, consortiumID: institution.consortiumID, actor: Actor(principal), action: "register",
                entityType: "prescriber", entityKey: pseudonym, before: Record?.none,
                after: Record(pseudonym: pseudonym, institution: institution.code, title: title.rawValue))
        }
    }

    // MARK: The check

    /// The check, with the patient-independent facts from `cache` when given: then it costs one query, the
    /// patient's supply on hand, shared with concurrent checks when this store was made with `sharedReads`.
    package func check(
        _ request: LongPrescriptionRequest, consortiumID: Int64, today: BusinessDate, cache: LongPrescriptionContextCache? = nil
    ) async throws -> LongPrescriptionCheck {
        try request.patient.requireAssessmentsHappened(today: today)
        guard let cache else {
            return try await database.read { connection in
                let context = try await LongPrescriptionContext.load(
                    consortiumID: consortiumID, on: today, database: database, connection: connection)
                return try await check(request, context: context, connection: connection)
            }
        }
        let context = try await cache.context(consortiumID: consortiumID, on: today, database: database)
        guard let supplyReads else {
            return try await database.read { connection in try await check(request, context: context, connection: connection) }
        }
        let prescriber = try LongPrescriptionRules.prescriber(of: request, in: context)
        let unknown = LongPrescriptionRules.drugsOutsideContext(request, context)
        let extra =
            unknown.isEmpty
            ? []
            : try await database.read { connection in
                try await DrugStore(database: database).find(codes: unknown, on: connection)
            }
        let supply =
            try await supplyReads.value(for: PatientKey(consortiumID: context.consortiumID, patientRef: request.patientRef)) ?? []
        return try LongPrescriptionRules.judge(
            request, context: context, prescriber: prescriber, extraDrugs: extra, supply: supply)
    }

    func check(_ request: LongPrescriptionRequest, context: LongPrescriptionContext, connection: PostgresConnection) async throws
        -> LongPrescriptionCheck
    {
        let prescriber = try LongPrescriptionRules.prescriber(of: request, in: context)
        let unknown = LongPrescriptionRules.drugsOutsideContext(request, context)
        let extra = unknown.isEmpty ? [] : try await DrugStore(database: database).find(codes: unknown, on: connection)
        // The one query that depends on the patient: supply still on hand from active long prescriptions.
        let patient = PatientKey(consortiumID: context.consortiumID, patientRef: request.patientRef)
        let supply = try await SupplyOnHandOfPatients.read([patient], on: connection, logger: logger)[patient] ?? []
        return try LongPrescriptionRules.judge(
            request, context: context, prescriber: prescriber, extraDrugs: extra, supply: supply)
    }

    // MARK: Issuing

    /// Records an issued long prescription (one item) after running the same check: 422 when it fails, 409 naming
    /// the earlier prescription when supply is still on hand beyond the tolerance. The days issued are those the
    /// check allows. Honours an idempotency key. With `cache`, the patient-independent facts come from it, as for
    /// the desk check, so the per-patient lock is held only for the patient's supply on hand and the insert.
    package func issue(
        _ request: LongPrescriptionRequest, consortiumID: Int64, maxFills: Int, minDaysBetweenFills: Int, validityDays: Int,
        idempotencyKey: String?, today: BusinessDate, by principal: Principal, cache: LongPrescriptionContextCache? = nil
    ) async throws -> IssuedPrescription {
        let item = try LongPrescriptionRules.issuedItem(request)
        try request.patient.requireAssessmentsHappened(today: today)
        let canonical =
            "\(request.institutionCode)|\(request.prescriberPseudonym)|\(request.patientRef)|\(item.drugCode)|\(item.dailyDose)|\(item.days)"
        let requestHash = Data(SHA256.hash(data: Data(canonical.utf8)))
        // Loaded before the transaction: the cache reads on a pooled connection of its own.
        let cached = try await cache?.context(consortiumID: consortiumID, on: today, database: database)
        return try await database.transaction { connection in
            guard
                let institution = try await InstitutionStore(database: database).find(
                    code: request.institutionCode, on: connection),
                institution.consortiumID == consortiumID
            else { throw DomainError.invalid("institutionCode", "no member \(request.institutionCode)") }
            try principal.require(.issueLongPrescription(consortiumID: consortiumID, institutionID: institution.id))
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                let fresh = try await connection.row(
                    """
                    INSERT INTO idempotency_keys (consortium_id, token_id, key, operation, request_hash, response_status, response_body)
                    VALUES (\(consortiumID), \(tokenID), \(key), 'issue_long_prescription', \(requestHash), 201, '{}'::jsonb)
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, as: Int.self, logger: logger)
                if fresh == nil {
                    guard
                        let stored = try await connection.row(
                            """
                            SELECT request_hash, (response_body->>'id')::bigint FROM idempotency_keys
                            WHERE consortium_id = \(consortiumID) AND token_id = \(tokenID) AND key = \(key) AND operation = 'issue_long_prescription'
                            """, as: (Data, Int64?).self, logger: logger), stored.0 == requestHash, let id = stored.1
                    else { throw DomainError.invalid("Idempotency-Key", "was used for a different prescription; use a new key") }
                    return try await prescription(id: id, consortiumID: consortiumID, connection: connection)
                }
            }
            // Serialise issues for this patient and drug; the exclusion constraint is the backstop.
            try await connection.run(
                "SELECT pg_advisory_xact_lock(hashtextextended(\("lrx:\(consortiumID):\(request.patientRef):\(item.drugCode)"), 0))",
                logger: logger)
            // The same check; the patient's supply on hand is read in this transaction, under the lock.
            let context: LongPrescriptionContext
            if let cached {
                context = cached
            } else {
                context = try await LongPrescriptionContext.load(
                    consortiumID: consortiumID, on: today, database: database, connection: connection)
            }
            let days = try LongPrescriptionRules.daysToIssue(
                item, check: try await check(request, context: context, connection: connection))
            let tolerance = context.rules?.supplyOnHandToleranceDays ?? 0
            guard
                let prescriberID = try await connection.row(
                    "SELECT id FROM prescribers WHERE consortium_id = \(consortiumID) AND pseudonym = \(request.prescriberPseudonym)",
                    as: Int64.self, logger: logger)
            else { throw DomainError.invalid("prescriber", "unknown") }
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO long_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref, drug_code, daily_dose, days,
                        quantity, start_date, supply_guard, max_fills, min_days_between_fills, validity_days, created_by)
                    VALUES (\(consortiumID), \(institution.id), \(prescriberID), \(request.patientRef), \(item.drugCode), \(item.dailyDose),
                            \(days), \(item.dailyDose * Decimal(days)), \(today.description)::date,
                            daterange(\(today.description)::date, \(today.description)::date + \(max(0, days - 1 - tolerance))::int),
                            \(maxFills), \(minDaysBetweenFills), \(validityDays), \(principal.tokenID))
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the prescription was not recorded") }
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                try await connection.run(
                    """
                    UPDATE idempotency_keys SET response_body = jsonb_build_object('id', \(id))
                    WHERE consortium_id = \(consortiumID) AND token_id = \(tokenID) AND key = \(key) AND operation = 'issue_long_prescription'
                    """, logger: logger)
            }
            let issued = try await prescription(id: id, consortiumID: consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "issue",
                entityType: "long_prescription", entityKey: String(id), before: IssuedPrescription?.none, after: issued)
            return issued
        }
    }

    func prescription(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> IssuedPrescription
    {
        let query: PostgresQuery =
            lock
            ? """
            SELECT p.id, i.code, p.patient_ref, p.drug_code, p.daily_dose, p.days, p.quantity, p.start_date::text, p.status,
                   p.end_reason, p.max_fills, p.min_days_between_fills, p.validity_days, p.dispensed_quantity,
                   (SELECT count(*)::int FROM long_prescription_fills f WHERE f.consortium_id = p.consortium_id AND f.prescription_id = p.id)
            FROM long_prescriptions p JOIN institutions i ON i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.id = \(id) FOR UPDATE OF p
            """
            : """
            SELECT p.id, i.code, p.patient_ref, p.drug_code, p.daily_dose, p.days, p.quantity, p.start_date::text, p.status,
                   p.end_reason, p.max_fills, p.min_days_between_fills, p.validity_days, p.dispensed_quantity,
                   (SELECT count(*)::int FROM long_prescription_fills f WHERE f.consortium_id = p.consortium_id AND f.prescription_id = p.id)
            FROM long_prescriptions p JOIN institutions i ON i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.id = \(id)
            """
        guard
            let r = try await connection.row(
                query,
                as: (Int64, String, String, String, Decimal, Int, Decimal, String, String, String?, Int, Int, Int, Decimal, Int)
                    .self,
                logger: logger)
        else { throw DomainError.notFound("no long prescription \(id)") }
        return IssuedPrescription(
            id: r.0, institutionCode: r.1, patientRef: r.2, drugCode: r.3, dailyDose: r.4, days: r.5, quantity: r.6,
            startDate: BusinessDate(r.7)!, status: r.8, endReason: r.9, maxFills: r.10, minDaysBetweenFills: r.11,
            validityDays: r.12, dispensed: r.13, fills: r.14)
    }

    package func prescription(id: Int64, consortiumID: Int64) async throws -> IssuedPrescription {
        try await database.read { try await prescription(id: id, consortiumID: consortiumID, connection: $0) }
    }

    /// Records a fill: within the validity, not more fills than allowed, not sooner than the minimum interval,
    /// and never more in total than was issued. An ended prescription is not filled.
    package func fill(
        id: Int64, quantity: Decimal, filledOn: BusinessDate, consortiumID: Int64, today: BusinessDate = .today(),
        by principal: Principal
    ) async throws -> IssuedPrescription {
        try principal.require(.dispense(consortiumID: consortiumID))
        try LongPrescriptionRules.checkFillQuantity(quantity)
        try filledOn.requireHappened(field: "filledOn", today: today)
        return try await database.transaction { connection in
            let before = try await prescription(id: id, consortiumID: consortiumID, connection: connection, lock: true)
            let last = try await connection.row(
                "SELECT max(filled_on)::text FROM long_prescription_fills WHERE consortium_id = \(consortiumID) AND prescription_id = \(id)",
                as: String?.self, logger: logger)
            try LongPrescriptionRules.checkFill(
                before, quantity: quantity, filledOn: filledOn, lastFill: (last ?? nil).flatMap(BusinessDate.init))
            try await connection.run(
                """
                INSERT INTO long_prescription_fills (consortium_id, prescription_id, fill_no, filled_on, quantity, recorded_by)
                VALUES (\(consortiumID), \(id), \(before.fills + 1), \(filledOn.description)::date, \(quantity), \(principal.tokenID))
                """, logger: logger)
            try await connection.run(
                "UPDATE long_prescriptions SET dispensed_quantity = dispensed_quantity + \(quantity) WHERE consortium_id = \(consortiumID) AND id = \(id)",
                logger: logger)
            let after = try await prescription(id: id, consortiumID: consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "fill",
                entityType: "long_prescription", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    package enum EndReason: String, Sendable, CaseIterable {
        case targetsNotMet = "targets_not_met"
        case newDisease = "new_disease"
        case admitted
        case other
    }

    /// A prescriber ends a long prescription (targets not met, a new disease, admission, other): later fills are
    /// refused, and a restart counts as a first prescription.
    package func end(id: Int64, reason: EndReason, consortiumID: Int64, today: BusinessDate, by principal: Principal) async throws
        -> IssuedPrescription
    {
        try await database.transaction { connection in
            let before = try await prescription(id: id, consortiumID: consortiumID, connection: connection, lock: true)
            guard
                let institutionID = try await connection.row(
                    "SELECT id FROM institutions WHERE code = \(before.institutionCode)", as: Int64.self, logger: logger)
            else { throw DomainError.notFound(before.institutionCode) }
            try principal.require(.issueLongPrescription(consortiumID: consortiumID, institutionID: institutionID))
            try LongPrescriptionRules.checkEnd(before)
            try await connection.run(
                """
                UPDATE long_prescriptions SET status = 'ended', end_reason = \(reason.rawValue), ended_on = \(today.description)::date
                WHERE consortium_id = \(consortiumID) AND id = \(id)
                """, logger: logger)
            let after = try await prescription(id: id, consortiumID: consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "end",
                entityType: "long_prescription", entityKey: String(id), before: before, after: after)
            return after
        }
    }
}

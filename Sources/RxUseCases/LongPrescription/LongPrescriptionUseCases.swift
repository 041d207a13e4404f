import Foundation
import RxDomain
import RxStore

/// Long prescriptions (长处方): the rules in force, the check, issued prescriptions and their fills.
package struct LongPrescriptionUseCases: Sendable {
    package typealias EndReason = LongPrescriptionStore.EndReason

    let database: Database
    let store: LongPrescriptionStore
    let links: PatientLinkStore
    let extended: ExtendedPrescriptionStore

    /// With `sharedReads`, concurrent checks that would queue for a connection share the query for their patients'
    /// supply on hand (`ReadCoalescer`): for the one long-lived instance that serves the API.
    package init(database: Database, sharedReads: Bool = false) {
        self.database = database
        self.store = LongPrescriptionStore(database: database, sharedReads: sharedReads)
        self.links = PatientLinkStore(database: database)
        self.extended = ExtendedPrescriptionStore(database: database)
    }

    /// The patient's pseudonyms at every member (`PatientLinkRules.pseudonyms(of:links:)`): only itself when the
    /// member has not linked it to a consortium patient.
    func patientPseudonyms(
        of request: LongPrescriptionRequest, institutionID: Int64, consortiumID: Int64, connection: StoreConnection
    )
        async throws -> [MemberPatient]
    {
        let member = MemberPatient(institutionID: institutionID, pseudonym: request.patientRef)
        return PatientLinkRules.pseudonyms(
            of: member, links: try await links.linksOfPatient(member, consortiumID: consortiumID, connection: connection))
    }

    /// The supply a patient holds across the consortium: the active long prescriptions and the extended prescriptions
    /// of chronic-disease drugs of every pseudonym, in the order of their last day
    /// (`ExtendedPrescriptionRules.supplyOnHand`, so the check sees the latest).
    func supplyOnHand(of pseudonyms: [MemberPatient], consortiumID: Int64, connection: StoreConnection) async throws
        -> [ActiveSupply]
    {
        ExtendedPrescriptionRules.supplyOnHand(
            long: try await store.supplyOnHand(of: pseudonyms, consortiumID: consortiumID, connection: connection),
            extended: try await extended.supply(of: pseudonyms, consortiumID: consortiumID, connection: connection))
    }

    /// A patient named by one member's pseudonym at its institution (422 when that is no member of the consortium),
    /// with every pseudonym linked to it at the other members.
    func pseudonyms(ofMember pseudonym: String, at institutionCode: String, consortiumID: Int64, connection: StoreConnection)
        async throws -> [MemberPatient]
    {
        guard
            let institution = try await store.institution(
                code: institutionCode, consortiumID: consortiumID, connection: connection)
        else { throw DomainError.invalid("institutionCode", "no member \(institutionCode)") }
        let member = MemberPatient(institutionID: institution.id, pseudonym: pseudonym)
        return PatientLinkRules.pseudonyms(
            of: member, links: try await links.linksOfPatient(member, consortiumID: consortiumID, connection: connection))
    }

    /// A patient's supply across the consortium, named by one member's pseudonym (every pseudonym linked to it
    /// counts), per drug with its earliest renewal date (`LongPrescriptionRules.renewals`, the tolerance of the rules
    /// in effect today): what a prescriber reads before prescribing again.
    package func patientRenewals(
        consortiumID: Int64, institutionCode: String, memberPseudonym: String, today: BusinessDate, by principal: Principal
    ) async throws -> [DrugRenewal] {
        try principal.require(.readPatientLinks(consortiumID: consortiumID))
        return try await database.read { connection in
            let pseudonyms = try await pseudonyms(
                ofMember: memberPseudonym, at: institutionCode, consortiumID: consortiumID, connection: connection)
            let supply = try await supplyOnHand(of: pseudonyms, consortiumID: consortiumID, connection: connection)
            let rules = try await store.ruleSet(consortiumID: consortiumID, on: today, connection: connection)
                .orNotFound("no long-prescription rules are in effect on \(today)")
            return LongPrescriptionRules.renewals(supply, toleranceDays: rules.supplyOnHandToleranceDays, today: today)
        }
    }

    /// A patient's long prescriptions across the consortium, active and ended, newest first, named by one member's
    /// pseudonym (every pseudonym linked to it counts): what the desk shows before prescribing again or ending one.
    package func patientPrescriptions(
        consortiumID: Int64, institutionCode: String, memberPseudonym: String, by principal: Principal
    ) async throws -> [IssuedPrescription] {
        try principal.require(.readPatientLinks(consortiumID: consortiumID))
        return try await database.read { connection in
            let pseudonyms = try await pseudonyms(
                ofMember: memberPseudonym, at: institutionCode, consortiumID: consortiumID, connection: connection)
            return try await store.prescriptions(of: pseudonyms, consortiumID: consortiumID, connection: connection)
        }
    }

    // MARK: Rules

    package func ruleSet(consortiumID: Int64, on date: BusinessDate) async throws -> LongPrescriptionRuleSet? {
        try await store.ruleSet(consortiumID: consortiumID, on: date)
    }

    /// Records a rule set in force from its date. The national limits are the ceiling: stricter, never looser.
    package func createRuleSet(_ rules: LongPrescriptionRuleSet, consortium: Consortium, by principal: Principal) async throws {
        try principal.require(.manageLongPrescriptionRules(consortiumID: consortium.id))
        try await database.transaction { transaction in
            let national = try await store.national(
                consortiumID: consortium.id, on: rules.effectiveFrom, field: "effectiveFrom", connection: transaction)
            try LongPrescriptionRules.checkRuleSet(rules, nationalMaxDays: national.maxDays)
            guard try await store.insertRuleSet(rules, consortiumID: consortium.id, connection: transaction) != nil else {
                throw DomainError.conflict("the rule set was not recorded")
            }
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "long_rx_rule_set", entityKey: rules.effectiveFrom.description, before: LongPrescriptionRuleSet?.none,
                after: rules)
        }
    }

    package func registerPrescriber(pseudonym: String, institution: Institution, title: PrescriberTitle, by principal: Principal)
        async throws
    {
        guard
            principal.may(.manageLongPrescriptionRules(consortiumID: institution.consortiumID))
                || principal.may(.editMemberCatalogue(consortiumID: institution.consortiumID, institutionID: institution.id))
        else { throw DomainError.forbidden("prescribers are registered by the pharmacy centre or the institution's pharmacist") }
        try await database.transaction { transaction in
            try await store.insertPrescriber(
                pseudonym: pseudonym, institution: institution, title: title, connection: transaction)
            struct Record: Encodable { var pseudonym: String; var institution: String; var title: String }
            try await database.audit.record(
                on: transaction, consortiumID: institution.consortiumID, actor: Actor(principal), action: "register",
                entityType: "prescriber", entityKey: pseudonym, before: Record?.none,
                after: Record(pseudonym: pseudonym, institution: institution.code, title: title.rawValue))
        }
    }

    /// Prescribers by pseudonym. The pharmacy centre, auditors and regulators see every institution's (optionally one's:
    /// an unknown code finds none); a member's pharmacist or prescriber sees its own institution's, and naming another is 403.
    package func prescribers(
        consortium: Consortium, institutionCode: String?, title: PrescriberTitle?, by principal: Principal, page: PageRequest
    ) async throws -> Page<RegisteredPrescriber> {
        let own = principal.may(.readPrescribers(consortiumID: consortium.id, institutionID: nil)) ? nil : principal.institutionID
        try principal.require(.readPrescribers(consortiumID: consortium.id, institutionID: own))
        if own != nil, let institutionCode, institutionCode != principal.institutionCode {
            throw DomainError.forbidden("a member sees its own institution's prescribers, not \(institutionCode)'s")
        }
        return try await store.prescribers(
            consortiumID: consortium.id, institutionID: own, institutionCode: institutionCode, title: title, page: page)
    }

    /// The business day a check or an issue is for: `asked` (补录) within `prescription_late_entry_days` of today
    /// (`LongPrescriptionRules.businessDate`), else today, without a query.
    func businessDate(
        _ asked: BusinessDate?, consortiumID: Int64, today: BusinessDate, connection: StoreConnection? = nil
    ) async throws -> BusinessDate {
        guard let asked else { return today }
        let read: @Sendable (StoreConnection) async throws -> Int = { connection in
            try await Settings(logger: database.logger).required(
                .prescriptionLateEntryDays, consortiumID: consortiumID, on: today, connection: connection)
        }
        let lateEntryDays: Int
        if let connection {
            lateEntryDays = try await read(connection)
        } else {
            lateEntryDays = try await database.read(read)
        }
        return try LongPrescriptionRules.businessDate(asked, today: today, lateEntryDays: lateEntryDays)
    }

    // MARK: The check

    /// The desk check as a person or a system asks for it: the caller may run checks (403 first), then the request
    /// is built from what was sent (its 400s), a prescriber's account checks in its own name only, and the check runs
    /// in the caller's consortium.
    package func deskCheck(
        by principal: Principal, businessDate: BusinessDate? = nil, today: BusinessDate,
        cache: LongPrescriptionContextCache? = nil, request build: () throws -> LongPrescriptionRequest
    ) async throws -> (request: LongPrescriptionRequest, check: LongPrescriptionCheck) {
        try principal.require(.runDeskChecks)
        let request = try build()
        try principal.requireOwnPrescriber(request.prescriberPseudonym)
        let consortiumID = try principal.scopedConsortiumID(orNotFound: "no consortium")
        return (
            request,
            try await check(request, consortiumID: consortiumID, businessDate: businessDate, today: today, cache: cache)
        )
    }

    /// The check, with the patient-independent facts from `cache` when given: then it costs one query, the
    /// patient's supply on hand, shared with concurrent checks when this instance was made with `sharedReads`.
    /// `businessDate`: a late entry's day (补录), the check run as on it.
    package func check(
        _ request: LongPrescriptionRequest, consortiumID: Int64, businessDate: BusinessDate? = nil, today: BusinessDate,
        cache: LongPrescriptionContextCache? = nil
    ) async throws -> LongPrescriptionCheck {
        // From here on, today is the day the check is for: a late entry's, or today.
        let today = try await self.businessDate(businessDate, consortiumID: consortiumID, today: today)
        try request.patient.requireAssessmentsHappened(today: today)
        if let cache, store.sharesReads {
            let context = try await cache.context(consortiumID: consortiumID, on: today, database: database)
            let prescriber = try LongPrescriptionRules.prescriber(of: request, in: context)
            let unknown = LongPrescriptionRules.drugsOutsideContext(request, context)
            let institutionID = context.institutions[request.institutionCode]?.id ?? 0
            let (extra, pseudonyms, extendedSupply) = try await database.read {
                connection -> ([Drug], [MemberPatient], [ExtendedSupply]) in
                let extra = unknown.isEmpty ? [] : try await store.drugs(codes: unknown, connection: connection)
                let pseudonyms = try await patientPseudonyms(
                    of: request, institutionID: institutionID, consortiumID: context.consortiumID, connection: connection)
                let extendedSupply =
                    pseudonyms.count == 1
                    ? try await extended.supply(of: pseudonyms, consortiumID: context.consortiumID, connection: connection)
                    : []
                return (extra, pseudonyms, extendedSupply)
            }
            // An unlinked patient (the common case) shares the one long-prescription supply query with concurrent
            // checks; a linked one reads every member's pseudonym.
            let supply =
                pseudonyms.count == 1
                ? ExtendedPrescriptionRules.supplyOnHand(
                    long: try await store.supplyOnHand(
                        of: PatientKey(consortiumID: context.consortiumID, patientRef: request.patientRef)),
                    extended: extendedSupply)
                : try await database.read { connection in
                    try await supplyOnHand(of: pseudonyms, consortiumID: context.consortiumID, connection: connection)
                }
            return try LongPrescriptionRules.judge(
                request, context: context, prescriber: prescriber, extraDrugs: extra, supply: supply)
        }
        let cached = try await cache?.context(consortiumID: consortiumID, on: today, database: database)
        return try await database.read { connection in
            let context: LongPrescriptionContext
            if let cached {
                context = cached
            } else {
                context = try await LongPrescriptionContext.load(
                    consortiumID: consortiumID, on: today, database: database, connection: connection)
            }
            let prescriber = try LongPrescriptionRules.prescriber(of: request, in: context)
            let unknown = LongPrescriptionRules.drugsOutsideContext(request, context)
            let drugs = unknown.isEmpty ? [] : try await store.drugs(codes: unknown, connection: connection)
            let pseudonyms = try await patientPseudonyms(
                of: request, institutionID: context.institutions[request.institutionCode]?.id ?? 0,
                consortiumID: context.consortiumID, connection: connection)
            let supply = try await supplyOnHand(of: pseudonyms, consortiumID: context.consortiumID, connection: connection)
            return try LongPrescriptionRules.judge(
                request, context: context, prescriber: prescriber, extraDrugs: drugs, supply: supply)
        }
    }

    // MARK: Issuing

    /// Records an issued long prescription (one item) after running the same check: 422 when it fails, 409 naming
    /// the earlier prescription when supply is still on hand beyond the tolerance. The days issued are those the
    /// check allows. Honours an idempotency key. With `cache`, the patient-independent facts come from it, as for
    /// the desk check, so the per-patient lock is held only for the patient's supply on hand and the insert.
    /// `businessDate`: a late entry's day (补录): the check run as on it, the prescription starting on it.
    package func issue(
        _ request: LongPrescriptionRequest, consortiumID: Int64, maxFills: Int, minDaysBetweenFills: Int, validityDays: Int,
        idempotencyKey: String?, businessDate: BusinessDate? = nil, today: BusinessDate, by principal: Principal,
        cache: LongPrescriptionContextCache? = nil
    ) async throws -> IssuedPrescription {
        let item = try LongPrescriptionRules.issuedItem(request)
        // From here on, today is the day the check is for: a late entry's, or today.
        let today = try await self.businessDate(businessDate, consortiumID: consortiumID, today: today)
        try request.patient.requireAssessmentsHappened(today: today)
        let canonical =
            "\(request.institutionCode)|\(request.prescriberPseudonym)|\(request.patientRef)|\(item.drugCode)|\(item.dailyDose)|\(item.days)"
            + (businessDate.map { "|\($0)" } ?? "")
        let requestHash = LongPrescriptionStore.requestHash(canonical)
        // Loaded before the transaction: the cache reads on a pooled connection of its own.
        let cached = try await cache?.context(consortiumID: consortiumID, on: today, database: database)
        return try await database.transaction { transaction in
            let institution = try LongPrescriptionRules.issuingInstitution(
                try await store.institution(code: request.institutionCode, consortiumID: consortiumID, connection: transaction),
                code: request.institutionCode, consortiumID: consortiumID)
            try principal.require(.issueLongPrescription(consortiumID: consortiumID, institutionID: institution.id))
            try principal.requireOwnPrescriber(request.prescriberPseudonym)
            let keys = IdempotencyKeyStore(database: database)
            if let key = idempotencyKey, let tokenID = principal.tokenID,
                try await keys.claim(
                    key, for: .issueLongPrescription, requestHash: requestHash, tokenID: tokenID,
                    consortiumID: consortiumID, on: transaction) == false
            {
                let id = try LongPrescriptionRules.replayedPrescription(
                    try await keys.stored(
                        key, for: .issueLongPrescription, tokenID: tokenID, consortiumID: consortiumID, on: transaction
                    ).map { (requestHash: $0.requestHash, id: $0.recordID) },
                    requestHash: requestHash)
                return try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                    .orNotFound("no long prescription \(id)")
            }
            // The patient at every member: each pseudonym's issues of this drug are serialised (in one order, so two
            // members issuing at once do not deadlock); the exclusion constraint is the backstop per reference.
            let pseudonyms = try await patientPseudonyms(
                of: request, institutionID: institution.id, consortiumID: consortiumID, connection: transaction)
            for patientRef in Set(pseudonyms.map(\.pseudonym)).sorted() {
                try await store.lockPatientDrug(
                    consortiumID: consortiumID, patientRef: patientRef, drugCode: item.drugCode, connection: transaction)
            }
            // The same check; the patient's supply on hand is read in this transaction, under the lock.
            let context: LongPrescriptionContext
            if let cached {
                context = cached
            } else {
                context = try await LongPrescriptionContext.load(
                    consortiumID: consortiumID, on: today, database: database, connection: transaction)
            }
            let prescriber = try LongPrescriptionRules.prescriber(of: request, in: context)
            let unknown = LongPrescriptionRules.drugsOutsideContext(request, context)
            let drugs = unknown.isEmpty ? [] : try await store.drugs(codes: unknown, connection: transaction)
            let supply = try await supplyOnHand(of: pseudonyms, consortiumID: consortiumID, connection: transaction)
            let days = try LongPrescriptionRules.daysToIssue(
                item,
                check: try LongPrescriptionRules.judge(
                    request, context: context, prescriber: prescriber, extraDrugs: drugs, supply: supply))
            let prescriberID = try LongPrescriptionRules.registeredPrescriber(
                try await store.prescriberID(
                    pseudonym: request.prescriberPseudonym, consortiumID: consortiumID, connection: transaction))
            guard
                let id = try await store.insertPrescription(
                    item, days: days, tolerance: context.rules?.supplyOnHandToleranceDays ?? 0,
                    patientRef: request.patientRef, institutionID: institution.id, prescriberID: prescriberID,
                    maxFills: maxFills, minDaysBetweenFills: minDaysBetweenFills, validityDays: validityDays, today: today,
                    rxTraceCode: TraceCodes.make(prefix: "LP"), createdBy: principal.tokenID, consortiumID: consortiumID,
                    connection: transaction)
            else { throw DomainError.conflict("the prescription was not recorded") }
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                try await keys.record(
                    key, for: .issueLongPrescription, recordID: id, tokenID: tokenID, consortiumID: consortiumID,
                    on: transaction)
            }
            let issued = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no long prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "issue",
                entityType: "long_prescription", entityKey: String(id), before: IssuedPrescription?.none, after: issued)
            return issued
        }
    }

    package func prescription(id: Int64, consortiumID: Int64) async throws -> IssuedPrescription {
        try await store.prescription(id: id, consortiumID: consortiumID).orNotFound("no long prescription \(id)")
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
        return try await database.transaction { transaction in
            let before = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no long prescription \(id)")
            let last = try await store.lastFill(prescriptionID: id, consortiumID: consortiumID, connection: transaction)
            try LongPrescriptionRules.checkFill(before, quantity: quantity, filledOn: filledOn, lastFill: last)
            try await store.insertFill(
                prescriptionID: id, fillNo: before.fills + 1, quantity: quantity, filledOn: filledOn,
                recordedBy: principal.tokenID, consortiumID: consortiumID, connection: transaction)
            let after = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no long prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "fill",
                entityType: "long_prescription", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    /// A prescriber ends a long prescription (targets not met, a new disease, admission, other): later fills are
    /// refused, and a restart counts as a first prescription.
    package func end(id: Int64, reason: EndReason, consortiumID: Int64, today: BusinessDate, by principal: Principal) async throws
        -> IssuedPrescription
    {
        try await database.transaction { transaction in
            let before = try await lockedForPrescriber(id, consortiumID: consortiumID, by: principal, on: transaction)
            try LongPrescriptionRules.checkEnd(before)
            try await store.end(id: id, reason: reason, consortiumID: consortiumID, today: today, connection: transaction)
            let after = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no long prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "end",
                entityType: "long_prescription", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    /// The prescription locked until the transaction ends (404 when there is none), once the principal may issue
    /// at its institution: who may end or void it.
    func lockedForPrescriber(_ id: Int64, consortiumID: Int64, by principal: Principal, on transaction: StoreConnection)
        async throws -> IssuedPrescription
    {
        let prescription = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction, lock: true)
            .orNotFound("no long prescription \(id)")
        guard
            let institutionID = try await store.institutionID(
                code: prescription.institutionCode, consortiumID: consortiumID, connection: transaction)
        else { throw DomainError.notFound(prescription.institutionCode) }
        try principal.require(.issueLongPrescription(consortiumID: consortiumID, institutionID: institutionID))
        return prescription
    }

    /// The e-prescription record's JSON as a member's HIS uploads it, its status as of `today`.
    package func record(id: Int64, consortiumID: Int64, today: BusinessDate) async throws -> String {
        try await database.read { connection in
            try await store.record(id: id, consortiumID: consortiumID, connection: connection)
        }.orNotFound("no long prescription \(id)").json(on: today)
    }

    /// A long prescription as the void's audit row keeps it: the prescription and its record's void and revoke.
    struct VoidAudit: Encodable {
        var prescription: IssuedPrescription
        var voided: Bool
        var revoked: Bool
    }

    /// Voids the e-prescription (作废) and records the insurance revoke in one step, with a reason
    /// (`EPrescriptionRecord.void`: once, 409; a reason, 422): who may issue and end it. An active one ends with it.
    package func void(id: Int64, reason: String, consortiumID: Int64, today: BusinessDate, by principal: Principal)
        async throws -> IssuedPrescription
    {
        try await database.transaction { transaction in
            let before = try await lockedForPrescriber(id, consortiumID: consortiumID, by: principal, on: transaction)
            let record = try await store.record(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no long prescription \(id)")
            let voided = try record.void(reason: reason)
            guard
                try await store.void(
                    id: id, reason: reason, end: before.status == "active", today: today, consortiumID: consortiumID,
                    connection: transaction)
            else { throw DomainError.conflict("the void was not recorded") }
            let after = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no long prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "void",
                entityType: "long_prescription", entityKey: String(id),
                before: VoidAudit(prescription: before, voided: record.voided, revoked: record.revoked),
                after: VoidAudit(prescription: after, voided: voided.voided, revoked: voided.revoked))
            return after
        }
    }
}

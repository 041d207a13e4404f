import Foundation
import RxDomain
import RxStore

/// Extended prescriptions (延伸处方, 集中配送): issue at the patient's institution, review at the dispensing one,
/// cancel with a reason; each in one transaction with its audit row. `ExtendedPrescriptionRules` decides.
package struct ExtendedPrescriptionUseCases: Sendable {
    let database: Database
    let store: ExtendedPrescriptionStore
    let longPrescriptions: LongPrescriptionUseCases

    package init(database: Database) {
        self.database = database
        self.store = ExtendedPrescriptionStore(database: database)
        self.longPrescriptions = LongPrescriptionUseCases(database: database)
    }

    /// What an issue asks for, already held to the contract.
    package struct IssueRequest: Sendable {
        package var request: LongPrescriptionRequest
        package var dispensingInstitutionCode: String
        package var collectingInstitutionCode: String?
        package var homeAddressRef: String?
        package var chronic: Bool
        package var businessDate: BusinessDate?
        package var validityDays: Int

        package init(
            request: LongPrescriptionRequest, dispensingInstitutionCode: String, collectingInstitutionCode: String?,
            homeAddressRef: String?, chronic: Bool, businessDate: BusinessDate?, validityDays: Int
        ) {
            self.request = request
            self.dispensingInstitutionCode = dispensingInstitutionCode
            self.collectingInstitutionCode = collectingInstitutionCode
            self.homeAddressRef = homeAddressRef
            self.chronic = chronic
            self.businessDate = businessDate
            self.validityDays = validityDays
        }
    }

    /// Issues an extended prescription of one drug: a drug of the consortium's catalogue the issuing member does not
    /// hold itself; a chronic-disease drug passes the long-prescription check over the patient's supply at every
    /// member (409 naming the prescription that holds it). The quantity is the daily dose times the days granted.
    package func issue(_ asked: IssueRequest, consortiumID: Int64, today: BusinessDate, by principal: Principal) async throws
        -> StoredExtendedPrescription
    {
        let request = asked.request
        let item = try LongPrescriptionRules.issuedItem(request)
        try principal.requireOwnPrescriber(request.prescriberPseudonym)
        try request.patient.requireAssessmentsHappened(today: today)
        let lookup = longPrescriptions.store
        return try await database.transaction { transaction in
            let issuer = try LongPrescriptionRules.issuingInstitution(
                try await lookup.institution(code: request.institutionCode, connection: transaction),
                code: request.institutionCode, consortiumID: consortiumID)
            try principal.require(.issueExtendedPrescription(consortiumID: consortiumID, institutionID: issuer.id))
            func member(_ code: String, field: String) async throws -> Institution {
                guard let found = try await lookup.institution(code: code, connection: transaction),
                    found.consortiumID == consortiumID
                else { throw DomainError.invalid(field, "no member \(code)") }
                return found
            }
            let dispensing = try await member(asked.dispensingInstitutionCode, field: "dispensingInstitutionCode")
            var collecting = issuer
            if let code = asked.collectingInstitutionCode {
                collecting = try await member(code, field: "collectingInstitutionCode")
            }
            try ExtendedPrescriptionRules.checkParties(issuerID: issuer.id, dispensingID: dispensing.id)
            let settings = Settings(logger: database.logger)
            let lateEntryDays = try await settings.required(
                .prescriptionLateEntryDays, consortiumID: consortiumID, on: today, connection: transaction)
            let businessDate = try ExtendedPrescriptionRules.businessDate(
                asked.businessDate, today: today, lateEntryDays: lateEntryDays)
            // The patient at every member, each pseudonym's issues of this drug serialised in one order.
            let pseudonyms = try await longPrescriptions.patientPseudonyms(
                of: request, institutionID: issuer.id, consortiumID: consortiumID, connection: transaction)
            for patientRef in Set(pseudonyms.map(\.pseudonym)).sorted() {
                try await lookup.lockPatientDrug(
                    consortiumID: consortiumID, patientRef: patientRef, drugCode: item.drugCode, connection: transaction)
            }
            let context = try await LongPrescriptionContext.load(
                consortiumID: consortiumID, on: businessDate, database: database, connection: transaction)
            let inCatalogue = try await store.inConsortiumCatalogue(
                drugCode: item.drugCode, consortiumID: consortiumID, on: businessDate, connection: transaction)
            let facts = ExtendedPrescriptionRules.IssueFacts(
                inConsortiumCatalogue: inCatalogue,
                inOwnList: context.catalogues[issuer.id]?.contains(item.drugCode) ?? false,
                onHandAtIssuer: Quantity(
                    try await store.onHand(
                        drugCode: item.drugCode, institutionID: issuer.id, consortiumID: consortiumID,
                        connection: transaction)),
                chronic: asked.chronic)
            let unknown = LongPrescriptionRules.drugsOutsideContext(request, context)
            let drugs = unknown.isEmpty ? [] : try await lookup.drugs(codes: unknown, connection: transaction)
            let supply = try await longPrescriptions.supplyOnHand(
                of: pseudonyms, consortiumID: consortiumID, connection: transaction)
            let checkContext = ExtendedPrescriptionRules.longCheckContext(
                context, issuerID: issuer.id, consortiumCatalogue: inCatalogue ? [item.drugCode] : [])
            let days = try ExtendedPrescriptionRules.daysToIssue(
                item, quantity: Quantity(item.dailyDose * Decimal(item.days)), facts: facts
            ) { () throws(DomainError) in
                let prescriber = try LongPrescriptionRules.prescriber(of: request, in: checkContext)
                return try LongPrescriptionRules.judge(
                    request, context: checkContext, prescriber: prescriber, extraDrugs: drugs, supply: supply)
            }
            let prescriberID = try LongPrescriptionRules.registeredPrescriber(
                try await lookup.prescriberID(
                    pseudonym: request.prescriberPseudonym, consortiumID: consortiumID, connection: transaction))
            let unit = try await store.unit(drugCode: item.drugCode, connection: transaction)
                .orNotFound("no drug \(item.drugCode)")
            guard
                let id = try await store.insert(
                    .init(
                        institutionID: issuer.id, prescriberID: prescriberID, patientRef: request.patientRef,
                        dispensingInstitutionID: dispensing.id, collectingInstitutionID: collecting.id,
                        homeAddressRef: asked.homeAddressRef, chronic: asked.chronic, businessDate: businessDate,
                        rxTraceCode: Self.traceCode(), validityDays: asked.validityDays, drugCode: item.drugCode,
                        quantity: item.dailyDose * Decimal(days), unit: unit, days: days),
                    issuedBy: principal.tokenID, consortiumID: consortiumID, connection: transaction)
            else { throw DomainError.conflict("the prescription was not recorded") }
            let issued = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no extended prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "issue",
                entityType: "extended_prescription", entityKey: String(id), before: StoredExtendedPrescription?.none,
                after: issued)
            return issued
        }
    }

    /// A prescription trace code (rxTraceCode): 20 characters, random, unique in the consortium by the schema.
    static func traceCode() -> String {
        let digits = Array("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return "EX" + String((0..<18).map { _ in digits[Int.random(in: 0..<digits.count, using: &generator)] })
    }

    package func prescription(id: Int64, consortiumID: Int64) async throws -> StoredExtendedPrescription {
        try await database.read { connection in
            try await store.prescription(id: id, consortiumID: consortiumID, connection: connection)
        }.orNotFound("no extended prescription \(id)")
    }

    /// The e-prescription record's JSON as a member's HIS uploads it, its status as of `today`.
    package func record(id: Int64, consortiumID: Int64, today: BusinessDate) async throws -> String {
        try await database.read { connection in
            try await store.record(id: id, consortiumID: consortiumID, connection: connection)
        }.orNotFound("no extended prescription \(id)").json(on: today)
    }

    /// The review (审方) by a pharmacist of the dispensing institution: approved, with the delivery deadline
    /// (`extended_rx_delivery_deadline_hours` after now), or refused with a reason shown to the prescriber. Another
    /// state is 409 naming it; racing reviews queue on the row lock and the later one finds it reviewed (409).
    package func review(
        id: Int64, approve: Bool, reason: String?, consortiumID: Int64, today: BusinessDate, by principal: Principal
    ) async throws -> StoredExtendedPrescription {
        try await database.transaction { transaction in
            let before = try await store.prescription(id: id, consortiumID: consortiumID, lock: true, connection: transaction)
                .orNotFound("no extended prescription \(id)")
            try principal.require(
                .reviewExtendedPrescription(consortiumID: consortiumID, dispensingInstitutionID: before.dispensingInstitutionID))
            _ = try ExtendedPrescriptionRules.move(
                from: before.state, action: approve ? .approve : .refuse(reason: reason ?? ""), id: id)
            let hours = try await Settings(logger: database.logger).required(
                .extendedPrescriptionDeliveryDeadlineHours, consortiumID: consortiumID, on: today, connection: transaction)
            guard
                try await store.review(
                    id: id, approved: approve, reason: reason, deliveryDeadlineHours: hours, by: principal.tokenID,
                    consortiumID: consortiumID, connection: transaction)
            else { throw DomainError.conflict("the review was not recorded") }
            let after = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no extended prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: approve ? "approve" : "refuse",
                entityType: "extended_prescription", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    /// Cancels one with a reason, until collected: a prescriber or pharmacist of the issuing institution, or a
    /// pharmacist of the dispensing one. Dispatch is not built yet, so no cancellation here sends stock back.
    package func cancel(id: Int64, reason: String, consortiumID: Int64, by principal: Principal) async throws
        -> StoredExtendedPrescription
    {
        try await database.transaction { transaction in
            let before = try await store.prescription(id: id, consortiumID: consortiumID, lock: true, connection: transaction)
                .orNotFound("no extended prescription \(id)")
            try principal.require(
                .cancelExtendedPrescription(
                    consortiumID: consortiumID, institutionID: before.institutionID,
                    dispensingInstitutionID: before.dispensingInstitutionID))
            let move = try ExtendedPrescriptionRules.move(from: before.state, action: .cancel(reason: reason), id: id)
            guard !move.stockBack else {
                // Dispatch is not built yet: no prescription holds dispatched stock to send back.
                let action = ExtendedPrescriptionAction.cancel(reason: reason).name
                throw DomainError.conflict("extended prescription \(id) is \(before.state.rawValue); it cannot be \(action)")
            }
            guard
                try await store.cancel(
                    id: id, reason: reason, expected: before.state, by: principal.tokenID, consortiumID: consortiumID,
                    connection: transaction)
            else { throw DomainError.conflict("the cancellation was not recorded") }
            let after = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no extended prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "cancel",
                entityType: "extended_prescription", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    /// The lists by state for each side: a token of an institution sees those it issued, dispenses or collects
    /// (`side` narrows to one); a token of the whole consortium sees every member's.
    package func list(
        consortiumID: Int64, state: ExtendedPrescriptionState?, side: String?, limit: Int, by principal: Principal
    ) async throws -> [StoredExtendedPrescription] {
        try principal.require(.readConsortium(consortiumID: consortiumID))
        return try await database.read { connection in
            try await store.list(
                consortiumID: consortiumID, state: state, institutionID: principal.institutionID,
                side: principal.institutionID == nil ? nil : side, limit: limit, connection: connection)
        }
    }
}

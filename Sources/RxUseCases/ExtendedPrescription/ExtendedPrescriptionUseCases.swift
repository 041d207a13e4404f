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
    /// An idempotency key answers its first issue again, and only for the same request.
    package func issue(
        _ asked: IssueRequest, idempotencyKey: String? = nil, consortiumID: Int64, today: BusinessDate,
        by principal: Principal
    ) async throws -> StoredExtendedPrescription {
        let request = asked.request
        let item = try LongPrescriptionRules.issuedItem(request)
        try principal.requireOwnPrescriber(request.prescriberPseudonym)
        try request.patient.requireAssessmentsHappened(today: today)
        let lookup = longPrescriptions.store
        let requestHash = LongPrescriptionStore.requestHash(
            [
                request.institutionCode, request.prescriberPseudonym, request.patientRef, item.drugCode, "\(item.dailyDose)",
                "\(item.days)", asked.dispensingInstitutionCode, asked.collectingInstitutionCode ?? "",
                asked.homeAddressRef ?? "", "\(asked.chronic)", asked.businessDate?.description ?? "", "\(asked.validityDays)",
            ].joined(separator: "|"))
        return try await database.transaction { transaction in
            let issuer = try LongPrescriptionRules.issuingInstitution(
                try await lookup.institution(code: request.institutionCode, consortiumID: consortiumID, connection: transaction),
                code: request.institutionCode, consortiumID: consortiumID)
            try principal.require(.issueExtendedPrescription(consortiumID: consortiumID, institutionID: issuer.id))
            let keys = IdempotencyKeyStore(database: database)
            if let key = idempotencyKey, let tokenID = principal.tokenID,
                try await keys.claim(
                    key, for: .issueExtendedPrescription, requestHash: requestHash, tokenID: tokenID,
                    consortiumID: consortiumID, on: transaction) == false
            {
                let id = try LongPrescriptionRules.replayedPrescription(
                    try await keys.stored(
                        key, for: .issueExtendedPrescription, tokenID: tokenID, consortiumID: consortiumID, on: transaction
                    ).map { (requestHash: $0.requestHash, id: $0.recordID) },
                    requestHash: requestHash)
                return try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                    .orNotFound("no extended prescription \(id)")
            }
            func member(_ code: String, field: String) async throws -> Institution {
                guard let found = try await lookup.institution(code: code, consortiumID: consortiumID, connection: transaction)
                else { throw DomainError.invalid(field, "no member \(code)") }
                return found
            }
            let dispensing = try await member(asked.dispensingInstitutionCode, field: "dispensingInstitutionCode")
            var collecting = issuer
            if let code = asked.collectingInstitutionCode {
                collecting = try await member(code, field: "collectingInstitutionCode")
            }
            try ExtendedPrescriptionRules.checkParties(issuerID: issuer.id, dispensingID: dispensing.id)
            let businessDate = try await longPrescriptions.businessDate(
                asked.businessDate, consortiumID: consortiumID, today: today, connection: transaction)
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
                        rxTraceCode: TraceCodes.make(prefix: "EX"), validityDays: asked.validityDays, drugCode: item.drugCode,
                        quantity: item.dailyDose * Decimal(days), unit: unit, days: days),
                    issuedBy: principal.tokenID, consortiumID: consortiumID, connection: transaction)
            else { throw DomainError.conflict("the prescription was not recorded") }
            if let key = idempotencyKey, let tokenID = principal.tokenID {
                try await keys.record(
                    key, for: .issueExtendedPrescription, recordID: id, tokenID: tokenID, consortiumID: consortiumID,
                    on: transaction)
            }
            let issued = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no extended prescription \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "issue",
                entityType: "extended_prescription", entityKey: String(id), before: StoredExtendedPrescription?.none,
                after: issued)
            return issued
        }
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
            let before = try await locked(id, consortiumID: consortiumID, on: transaction)
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
    /// pharmacist of the dispensing one. Stock already dispatched goes back to the dispensing stock it left from.
    package func cancel(id: Int64, reason: String, consortiumID: Int64, today: BusinessDate, by principal: Principal)
        async throws -> StoredExtendedPrescription
    {
        try await database.transaction { transaction in
            let before = try await locked(id, consortiumID: consortiumID, on: transaction)
            try principal.require(
                .cancelExtendedPrescription(
                    consortiumID: consortiumID, institutionID: before.institutionID,
                    dispensingInstitutionID: before.dispensingInstitutionID))
            let move = try ExtendedPrescriptionRules.move(from: before.state, action: .cancel(reason: reason), id: id)
            try await postStock(of: before, to: move.to, consortiumID: consortiumID, today: today, by: principal, on: transaction)
            guard
                try await store.cancel(
                    id: id, reason: reason, expected: before.state, by: principal.tokenID, consortiumID: consortiumID,
                    connection: transaction)
            else { throw DomainError.conflict("the cancellation was not recorded") }
            return try await audited("cancel", id: id, before: before, consortiumID: consortiumID, by: principal, on: transaction)
        }
    }

    /// Voids the e-prescription (作废) and records the insurance revoke in one step, with a reason: who may cancel it
    /// may void it. One not yet dispatched is cancelled with it; one on its way is 409 (cancel it first, so its
    /// stock goes back).
    package func void(id: Int64, reason: String, consortiumID: Int64, by principal: Principal) async throws
        -> StoredExtendedPrescription
    {
        try await database.transaction { transaction in
            let before = try await locked(id, consortiumID: consortiumID, on: transaction)
            try principal.require(
                .cancelExtendedPrescription(
                    consortiumID: consortiumID, institutionID: before.institutionID,
                    dispensingInstitutionID: before.dispensingInstitutionID))
            let record = try await store.record(id: id, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no extended prescription \(id)")
            let decision = try ExtendedPrescriptionRules.void(record, state: before.state, reason: reason, id: id)
            guard
                try await store.void(
                    id: id, reason: reason, cancel: decision.cancels, expected: before.state, by: principal.tokenID,
                    consortiumID: consortiumID, connection: transaction)
            else { throw DomainError.conflict("the void was not recorded") }
            return try await audited("void", id: id, before: before, consortiumID: consortiumID, by: principal, on: transaction)
        }
    }

    /// Dispatches an approved prescription (配送) from the dispensing member's stock (a location, or its stock outside
    /// locations), first expiry first out unless a lot is named, never a quarantined lot nor one short of the
    /// minimum shelf life for issue. Racing dispatches queue on the prescription's row; the later finds it dispatched.
    package func dispatch(
        id: Int64, locationCode: String?, lotNumber: String?, consortiumID: Int64, today: BusinessDate,
        by principal: Principal
    ) async throws -> StoredExtendedPrescription {
        try await database.transaction { transaction in
            let before = try await locked(id, consortiumID: consortiumID, on: transaction)
            try principal.require(
                .dispatchExtendedPrescription(
                    consortiumID: consortiumID, dispensingInstitutionID: before.dispensingInstitutionID))
            // The state first: a prescription dispatched already is 409, whatever the stock now holds.
            if before.state != .approved {
                _ = try ExtendedPrescriptionRules.move(
                    from: before.state,
                    action: .dispatch(stock: before.dispensingInstitutionCode, quantity: Quantity(before.quantity), lots: []),
                    id: id)
            }
            let shelfLife = PolicySetting.stockMinimumShelfLifeForIssueDays
            let stock = StockStore(database: database)
            let facts = try await stock.issueFacts(
                consortiumID: consortiumID, institutionID: before.dispensingInstitutionID, locationCode: locationCode,
                drugCode: before.drugCode, settingKey: shelfLife.key, on: today, connection: transaction)
            if let code = locationCode, facts.locationID == nil {
                throw DomainError.invalid("locationCode", "\(before.dispensingInstitutionCode) has no store location \(code)")
            }
            let minimumDays = try await Settings(logger: database.logger).required(
                shelfLife, consortiumID: consortiumID, on: today, connection: transaction)
            let lots = try StockRules.allocateFEFO(
                facts.lots, quantity: Quantity(before.quantity), on: today, minimumShelfLifeDays: minimumDays,
                lotNumber: lotNumber)
            let move = try ExtendedPrescriptionRules.move(
                from: before.state,
                action: .dispatch(
                    stock: locationCode ?? before.dispensingInstitutionCode, quantity: Quantity(before.quantity), lots: lots),
                id: id)
            var dispatched = before
            dispatched.dispatchLocationID = facts.locationID
            dispatched.lots = lots
            let movementIDs = try await postStock(
                of: dispatched, to: move.to, consortiumID: consortiumID, today: today, by: principal, on: transaction)
            guard
                try await store.recordDispatch(
                    id: id, locationID: facts.locationID,
                    lots: zip(lots, movementIDs).map { (lot: $0.lot, quantity: $0.quantity, movementID: $1) },
                    by: principal.tokenID, consortiumID: consortiumID, connection: transaction)
            else { throw DomainError.conflict("the dispatch was not recorded") }
            return try await audited(
                "dispatch", id: id, before: before, consortiumID: consortiumID, by: principal, on: transaction)
        }
    }

    /// Records the delivery (送达) of a dispatched prescription: its lots enter the collecting member's stock, and the
    /// last day to collect is `extended_rx_collection_deadline_days` after today.
    package func deliver(id: Int64, consortiumID: Int64, today: BusinessDate, by principal: Principal) async throws
        -> StoredExtendedPrescription
    {
        try await database.transaction { transaction in
            let before = try await locked(id, consortiumID: consortiumID, on: transaction)
            try principal.require(
                .deliverExtendedPrescription(
                    consortiumID: consortiumID, dispensingInstitutionID: before.dispensingInstitutionID,
                    collectingInstitutionID: before.collectingInstitutionID))
            let move = try ExtendedPrescriptionRules.move(from: before.state, action: .deliver, id: id)
            let days = try await Settings(logger: database.logger).required(
                .extendedPrescriptionCollectionDeadlineDays, consortiumID: consortiumID, on: today, connection: transaction)
            try await postStock(of: before, to: move.to, consortiumID: consortiumID, today: today, by: principal, on: transaction)
            guard
                try await store.recordDelivery(
                    id: id, collectBy: ExtendedPrescriptionRules.collectBy(deliveredOn: today, days: days),
                    by: principal.tokenID, consortiumID: consortiumID, connection: transaction)
            else { throw DomainError.conflict("the delivery was not recorded") }
            return try await audited(
                "deliver", id: id, before: before, consortiumID: consortiumID, by: principal, on: transaction)
        }
    }

    /// The patient collects a delivered prescription (取药: out of the collecting member's stock to the patient), or,
    /// with `collected` false, it is marked not collected once its last day to collect has passed (逾期未取: the lots
    /// go back to the dispensing stock they left).
    package func handOver(
        id: Int64, collected: Bool, consortiumID: Int64, today: BusinessDate, by principal: Principal
    ) async throws -> StoredExtendedPrescription {
        try await database.transaction { transaction in
            let before = try await locked(id, consortiumID: consortiumID, on: transaction)
            try principal.require(
                .collectExtendedPrescription(
                    consortiumID: consortiumID, collectingInstitutionID: before.collectingInstitutionID))
            let action: ExtendedPrescriptionAction
            if collected {
                action = .collect
            } else {
                // Never delivered: no deadline yet, and the state machine refuses the move by its state.
                action = .markNotCollected(today: today, collectBy: before.collectBy ?? today)
            }
            let move = try ExtendedPrescriptionRules.move(from: before.state, action: action, id: id)
            try await postStock(of: before, to: move.to, consortiumID: consortiumID, today: today, by: principal, on: transaction)
            guard
                try await store.recordHandOver(
                    id: id, collected: collected, by: principal.tokenID, consortiumID: consortiumID, connection: transaction)
            else { throw DomainError.conflict("the hand-over was not recorded") }
            return try await audited(
                collected ? "collect" : "mark_not_collected", id: id, before: before, consortiumID: consortiumID,
                by: principal, on: transaction)
        }
    }

    /// Posts the stock movements of a move to `to` (`ExtendedPrescriptionRules.stockLegs`), the prescription being
    /// their document; their ids, in the order of the legs. A move back from the collecting member reads the drug's
    /// standing blocks first: quarantined lots stay there.
    @discardableResult
    func postStock(
        of prescription: StoredExtendedPrescription, to: ExtendedPrescriptionState, consortiumID: Int64,
        today: BusinessDate, by principal: Principal, on transaction: StoreConnection
    ) async throws -> [Int64] {
        var quarantined: Set<LotKey> = []
        if prescription.state == .delivered && to != .collected, let drug = prescription.lots.first?.lot.drugCode {
            let blocks = try await StockStore(database: database).standingBlocks(
                consortiumID: consortiumID, drugCode: drug, on: transaction)
            quarantined = ExtendedPrescriptionRules.quarantinedLots(
                prescription.lots, blocks: Dictionary(uniqueKeysWithValues: blocks.map { (LotKey($0.key), $0.value) }),
                on: today)
        }
        let legs = ExtendedPrescriptionRules.stockLegs(
            from: prescription.state, to: to, lots: prescription.lots,
            dispensing: .init(institutionID: prescription.dispensingInstitutionID, locationID: prescription.dispatchLocationID),
            collecting: .init(institutionID: prescription.collectingInstitutionID, locationID: nil), quarantined: quarantined)
        return try await StockMovementStore(database: database).post(
            legs.map {
                NewStockMovement(
                    institutionID: $0.place.institutionID, locationID: $0.place.locationID, lot: $0.lot, reason: $0.reason,
                    quantity: $0.quantity, documentType: .extendedPrescription, documentID: prescription.id,
                    businessDate: today)
            }, consortiumID: consortiumID, actorTokenID: principal.tokenID, on: transaction)
    }

    /// The prescription, locked until the transaction ends: racing moves queue on it and the later one finds the
    /// state the first left (404 when there is none).
    func locked(_ id: Int64, consortiumID: Int64, on transaction: StoreConnection) async throws -> StoredExtendedPrescription {
        try await store.prescription(id: id, consortiumID: consortiumID, lock: true, connection: transaction)
            .orNotFound("no extended prescription \(id)")
    }

    /// Reads the prescription as it now stands and writes the audit row of `action`; the prescription.
    func audited(
        _ action: String, id: Int64, before: StoredExtendedPrescription, consortiumID: Int64, by principal: Principal,
        on transaction: StoreConnection
    ) async throws -> StoredExtendedPrescription {
        let after = try await store.prescription(id: id, consortiumID: consortiumID, connection: transaction)
            .orNotFound("no extended prescription \(id)")
        try await database.audit.record(
            on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: action,
            entityType: "extended_prescription", entityKey: String(id), before: before, after: after)
        return after
    }

    /// The prescriptions not delivered by their deadline (`ExtendedPrescriptionRules.isLate` at `now`), soonest
    /// deadline first: of every member for a token of the whole consortium, of its sides for an institution's.
    package func late(consortiumID: Int64, now: Date, by principal: Principal) async throws -> [StoredExtendedPrescription] {
        try principal.require(.readConsortium(consortiumID: consortiumID))
        let onTheirWay = try await database.read { connection in
            try await store.onTheirWay(
                consortiumID: consortiumID, institutionID: principal.institutionID, limit: 1_000, connection: connection)
        }
        return onTheirWay.filter { ExtendedPrescriptionRules.isLate(due: $0.deliveryDueAt, deliveredAt: nil, now: now) }
    }

    /// Fulfilment (collected ÷ (collected + not collected), median time from issue to collection) per issuing member
    /// and per drug, of the prescriptions issued in the window (`ExtendedPrescriptionRules.reportWindow`).
    package func fulfilment(
        consortiumID: Int64, from: BusinessDate?, to: BusinessDate?, today: BusinessDate, by principal: Principal
    ) async throws -> (from: BusinessDate, to: BusinessDate, byMember: [ExtendedFulfilment], byDrug: [ExtendedFulfilment]) {
        try principal.require(.readConsortium(consortiumID: consortiumID))
        let window = try ExtendedPrescriptionRules.reportWindow(from: from, to: to, today: today)
        let outcomes = try await database.read { connection in
            try await store.outcomes(consortiumID: consortiumID, from: window.from, to: window.to, connection: connection)
        }
        return (
            window.from, window.to, ExtendedPrescriptionRules.fulfilment(outcomes, by: \.memberCode),
            ExtendedPrescriptionRules.fulfilment(outcomes, by: \.drugCode)
        )
    }

    /// The lists by state for each side: a token of an institution sees those it issued, dispenses or collects
    /// (`side` narrows to one); a token of the whole consortium sees every member's.
    package func list(
        consortiumID: Int64, state: ExtendedPrescriptionState?, side: String?, page: PageRequest, by principal: Principal
    ) async throws -> Page<StoredExtendedPrescription> {
        try principal.require(.readConsortium(consortiumID: consortiumID))
        return try await database.read { connection in
            try await store.list(
                consortiumID: consortiumID, state: state, institutionID: principal.institutionID,
                side: principal.institutionID == nil ? nil : side, page: page, connection: connection)
        }
    }
}

import Foundation
import RxDomain
import RxStore

/// An action on a shortage as asked for: its kind, why, and what the kind needs (the proposals a redistribution
/// accepts, the substitute, the emergency purchase's supplier, quantity and ordering member, the escalation's
/// expected recovery).
package struct ShortageActionInput: Sendable {
    package var kind: ShortageActionKind
    package var reason: String
    package var proposalIDs: [Int64]
    package var substituteDrugCode: String?
    package var supplierCode: String?
    package var quantity: Quantity?
    /// The member the emergency order is raised for; the consortium's lead when not given.
    package var institutionCode: String?
    package var expectedRecovery: BusinessDate?

    package init(
        kind: ShortageActionKind, reason: String, proposalIDs: [Int64] = [], substituteDrugCode: String? = nil,
        supplierCode: String? = nil, quantity: Quantity? = nil, institutionCode: String? = nil,
        expectedRecovery: BusinessDate? = nil
    ) {
        self.kind = kind
        self.reason = reason
        self.proposalIDs = proposalIDs
        self.substituteDrugCode = substituteDrugCode
        self.supplierCode = supplierCode
        self.quantity = quantity
        self.institutionCode = institutionCode
        self.expectedRecovery = expectedRecovery
    }
}

/// What an action did: the log entry, the record after it, and what it created (the transfers of a redistribution,
/// the order of an emergency purchase).
package struct ShortageActionOutcome: Sendable {
    package var action: ShortageActionEntry
    package var shortage: ShortageState
    package var transfers: [StockTransfer]
    package var order: PurchaseOrder?
}

/// The proposals computed for a record, stored as proposed, and the need no sender could meet.
package struct ShortageProposals: Sendable {
    package var proposals: [ShortageProposal]
    package var unmet: [String: Quantity]
}

/// The response to a shortage (短缺应对): redistribution proposals and their acceptance (调剂), substitutes signed off
/// by a pharmacist (替代), emergency purchases (应急采购), escalation (上报) and its report, and closing, reopening,
/// cause and owner by hand. Each change is one transaction with the record row-locked, the decision
/// `ShortageRules`', and its audit row; every action is appended to `shortage_actions`.
package struct ShortageActionUseCases: Sendable {
    let database: Database
    let shortages: ShortageActionStore
    let proposals: ShortageProposalStore

    package init(database: Database) {
        self.database = database
        self.shortages = ShortageActionStore(database: database)
        self.proposals = ShortageProposalStore(database: database)
    }

    // MARK: Reading

    /// The record with its actions (anyone who reads every member's stock, or signs off substitutes).
    package func shortage(id: Int64, consortium: Consortium, by principal: Principal) async throws
        -> (state: ShortageState, actions: [ShortageActionEntry])
    {
        try requireRead(consortium, principal)
        return try await database.read { c in
            let state = try await shortages.shortage(id: id, consortiumID: consortium.id, connection: c)
                .orNotFound("no shortage \(id)")
            return (state, try await shortages.actions(shortageID: id, consortiumID: consortium.id, connection: c))
        }
    }

    /// The record's redistribution proposals still open, for those who act on shortages.
    package func openProposals(id: Int64, consortium: Consortium, by principal: Principal) async throws -> [ShortageProposal] {
        try principal.require(
            .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.read { c in
            try await proposals.proposals(shortageID: id, status: .proposed, consortiumID: consortium.id, connection: c)
        }
    }

    /// The alternatives to the record's drug in the catalogue in effect with stock on hand, ranked
    /// (`SubstituteRanking.rank`).
    package func substitutes(id: Int64, consortium: Consortium, today: BusinessDate, by principal: Principal) async throws
        -> [SubstituteRanking.Candidate]
    {
        try requireRead(consortium, principal)
        return try await database.read { c in
            let state = try await shortages.shortage(id: id, consortiumID: consortium.id, connection: c)
                .orNotFound("no shortage \(id)")
            return try await ranked(state.record.drugCode, consortium: consortium, today: today, connection: c)
        }
    }

    /// The escalation report (the direct-reporting form) of the record as it stands today.
    package func report(id: Int64, consortium: Consortium, today: BusinessDate, by principal: Principal) async throws
        -> ShortageEscalationReport
    {
        try principal.require(
            .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.read { c in
            let state = try await shortages.shortage(id: id, consortiumID: consortium.id, connection: c)
                .orNotFound("no shortage \(id)")
            return try await report(
                state, expectedRecovery: state.expectedRecovery, consortium: consortium, today: today, connection: c)
        }
    }

    // MARK: Redistribution (调剂)

    /// Computes the redistribution plan from every member's issuable lots and consumption over the window
    /// (`StockPositionStore`, `StockRules.daysOfStock`), the receivers' catalogues and the settings; stores its
    /// proposals as proposed, superseding the record's earlier open ones, and returns them with the unmet need.
    package func propose(id: Int64, consortium: Consortium, today: BusinessDate, by principal: Principal) async throws
        -> ShortageProposals
    {
        try principal.require(
            .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let drugCode = try await database.read { c in
            try await shortages.shortage(id: id, consortiumID: consortium.id, connection: c).orNotFound("no shortage \(id)")
        }.record.drugCode
        let (settings, shelfLife) = try await database.read { c in
            try await self.settings(consortiumID: consortium.id, today: today, connection: c)
        }
        let window = try StockRules.consumptionWindow(before: today, days: settings.windowDays)
        let positions = StockPositionStore(database: database)
        let lots = try await positions.lotBalances(consortiumID: consortium.id, institutionID: nil, drugCode: drugCode)
        let used = try await positions.consumption(
            consortiumID: consortium.id, institutionID: nil, drugCode: drugCode, from: window.from, to: window.to)
        return try await database.transaction { c in
            let state = try await locked(id, consortium: consortium, connection: c)
            guard state.record.status == .open else {
                throw DomainError.conflict("a shortage that is \(state.record.status.rawValue) cannot be \("given proposals")")
            }
            let institutions = try await shortages.institutions(consortiumID: consortium.id, connection: c)
            let holders = try await proposals.holdersOfDrug(
                drugCode: drugCode, consortiumID: consortium.id, on: today, connection: c)
            let codes = Set(lots.map(\.institutionCode)).union(used.map(\.institutionCode)).sorted()
            let members = try codes.map { code in
                let held = lots.filter { $0.institutionCode == code }.map(\.lot)
                let consumed = used.first { $0.institutionCode == code }?.consumed ?? .zero
                let position = try StockRules.daysOfStock(
                    institutionCode: code, drugCode: drugCode, lots: held, consumed: consumed, window: window, on: today,
                    minimumShelfLifeDays: shelfLife)
                return RedistributionPlan.Member(
                    institutionCode: code, onHand: position.issuable, consumed: consumed, lots: held,
                    inCatalogue: institutions[code].map { holders.contains($0.id) } ?? false)
            }
            let plan = try RedistributionPlan.propose(
                drugCode: drugCode, members: members, settings: settings, on: today, minimumShelfLifeDays: shelfLife)
            try await proposals.supersede(
                shortageID: id, consortiumID: consortium.id, tokenID: principal.tokenID, connection: c)
            for proposal in plan.proposals {
                guard let from = institutions[proposal.fromInstitutionCode], let to = institutions[proposal.toInstitutionCode]
                else { throw DomainError.notFound("no institution \(proposal.fromInstitutionCode)") }
                guard
                    try await proposals.insert(
                        consortiumID: consortium.id, shortageID: id, drugCode: drugCode, fromInstitutionID: from.id,
                        toInstitutionID: to.id, quantity: proposal.quantity, lots: proposal.lots, on: today, connection: c)
                        != nil
                else { throw DomainError.conflict("the proposal was not recorded") }
            }
            let stored = try await proposals.proposals(
                shortageID: id, status: .proposed, consortiumID: consortium.id, connection: c)
            struct Record: Encodable {
                var proposals: [ShortageProposal]
                var unmet: [String: Quantity]
            }
            try await database.audit.record(
                on: c, consortiumID: consortium.id, actor: Actor(principal), action: "propose", entityType: "shortage",
                entityKey: String(id), before: Record?.none, after: Record(proposals: stored, unmet: plan.unmet))
            return ShortageProposals(proposals: stored, unmet: plan.unmet)
        }
    }

    /// Accepts one proposal: its stock transfer (a draft with the proposal's lots, through the transfer's create
    /// path) and the redistribute action, in one transaction.
    package func accept(proposalID: Int64, reason: String, consortium: Consortium, today: BusinessDate, by principal: Principal)
        async throws -> ShortageActionOutcome
    {
        try principal.require(
            .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let shortageID = try await database.read { c in
            try await proposals.proposal(id: proposalID, consortiumID: consortium.id, connection: c)
                .orNotFound("no shortage proposal \(proposalID)")
        }.shortageID
        return try await act(
            id: shortageID, ShortageActionInput(kind: .redistribute, reason: reason, proposalIDs: [proposalID]),
            consortium: consortium, today: today, by: principal)
    }

    /// Rejects a proposal with the reason (409 when it is no longer proposed).
    package func reject(proposalID: Int64, reason: String?, consortium: Consortium, by principal: Principal) async throws
        -> ShortageProposal
    {
        try principal.require(
            .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        try ShortageRules.checkRejection(reason: reason)
        return try await database.transaction { c in
            let before = try await proposals.proposal(id: proposalID, consortiumID: consortium.id, lock: true, connection: c)
                .orNotFound("no shortage proposal \(proposalID)")
            try ShortageRules.checkProposalOpen(status: before.status.rawValue, id: proposalID)
            guard
                try await proposals.reject(
                    id: proposalID, reason: reason ?? "", tokenID: principal.tokenID, consortiumID: consortium.id,
                    connection: c)
            else { throw DomainError.conflict("proposal \(proposalID) was decided by another request; reload it") }
            let after = try await proposals.proposal(id: proposalID, consortiumID: consortium.id, connection: c)
                .orNotFound("no shortage proposal \(proposalID)")
            try await database.audit.record(
                on: c, consortiumID: consortium.id, actor: Actor(principal), action: "reject",
                entityType: "shortage_proposal", entityKey: String(proposalID), before: before, after: after)
            return after
        }
    }

    // MARK: Actions

    /// An action on an open record (`ShortageRules.act`), with what it does, in one transaction with the record
    /// locked: a redistribution creates each accepted proposal's transfer; a substitute is signed off by the acting
    /// pharmacist; an emergency purchase raises the order flagged with the shortage and its supplier; an escalation
    /// stores the report as sent and raises the level.
    package func act(
        id: Int64, _ input: ShortageActionInput, consortium: Consortium, today: BusinessDate, by principal: Principal
    ) async throws -> ShortageActionOutcome {
        if input.kind == .substitute {
            guard
                principal.may(.signOffSubstitute(consortiumID: consortium.id))
                    || principal.may(
                        .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
            else { throw DomainError.forbidden("a substitute is chosen by the supply centre and signed off by a pharmacist") }
        } else {
            try principal.require(
                .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        }
        guard let tokenID = principal.tokenID else {
            throw DomainError.forbidden("an action on a shortage is taken with an API token")
        }
        return try await database.transaction { c in
            var state = try await locked(id, consortium: consortium, connection: c)
            let before = state
            var candidates: [String] = []
            if input.kind == .substitute {
                candidates = try await ranked(state.record.drugCode, consortium: consortium, today: today, connection: c)
                    .map(\.drug.code)
            }
            let request = ShortageActionRequest(
                kind: input.kind, actorTokenID: tokenID, on: today, reason: input.reason, proposalIDs: input.proposalIDs,
                substituteDrugCode: input.substituteDrugCode,
                signOff: input.kind == .substitute
                    ? PharmacistSignOff(tokenID: tokenID, isPharmacist: principal.role == .institutionPharmacist) : nil,
                supplierCode: input.supplierCode, quantity: input.quantity, expectedRecovery: input.expectedRecovery)
            state.record = try ShortageRules.act(request, on: state.record, substituteCandidates: candidates)

            var transfers: [StockTransfer] = []
            var order: PurchaseOrder?
            var supplierID: Int64?
            var report: String?
            switch input.kind {
            case .redistribute:
                for proposalID in input.proposalIDs {
                    transfers.append(
                        try await transfer(
                            proposalID, shortage: state, consortium: consortium, today: today, principal, connection: c))
                }
            case .substitute:
                break
            case .emergencyPurchase:
                let placed = try await emergencyOrder(
                    input, shortage: state, consortium: consortium, today: today, principal, connection: c)
                order = placed.0
                supplierID = placed.1
            case .escalate:
                if let expected = input.expectedRecovery { state.expectedRecovery = expected }
                report = try await self.report(
                    state, expectedRecovery: state.expectedRecovery, consortium: consortium, today: today, connection: c
                ).json
                try await shortages.saveState(state, consortiumID: consortium.id, connection: c)
            }
            guard
                let actionID = try await shortages.insertAction(
                    consortiumID: consortium.id, shortageID: id, request: request, supplierID: supplierID,
                    purchaseOrderID: order?.id, report: report, connection: c)
            else { throw DomainError.conflict("the action was not recorded") }
            for (proposalID, transfer) in zip(input.proposalIDs, transfers) {
                guard
                    try await proposals.accept(
                        id: proposalID, transferID: transfer.id, actionID: actionID, tokenID: tokenID,
                        consortiumID: consortium.id, connection: c)
                else { throw DomainError.conflict("proposal \(proposalID) was decided by another request; reload it") }
            }
            let action = try await shortages.actions(shortageID: id, consortiumID: consortium.id, connection: c)
                .first { $0.id == actionID }.orNotFound("no shortage action \(actionID)")
            try await database.audit.record(
                on: c, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "shortage_action", entityKey: String(actionID), before: ShortageActionEntry?.none,
                after: action)
            if state != before {
                try await database.audit.record(
                    on: c, consortiumID: consortium.id, actor: Actor(principal), action: input.kind.rawValue,
                    entityType: "shortage", entityKey: String(id), before: before, after: state)
            }
            return ShortageActionOutcome(action: action, shortage: state, transfers: transfers, order: order)
        }
    }

    /// The transfer of one accepted proposal of this record: a draft from its sender to its receiver with one line
    /// per proposed lot (the lots the plan took first expiry first out).
    func transfer(
        _ proposalID: Int64, shortage: ShortageState, consortium: Consortium, today: BusinessDate, _ principal: Principal,
        connection c: StoreConnection
    ) async throws -> StockTransfer {
        guard
            let proposal = try await proposals.proposal(id: proposalID, consortiumID: consortium.id, lock: true, connection: c),
            proposal.shortageID == shortage.id
        else { throw DomainError.invalid("proposalIds", "no proposal \(proposalID) of shortage \(shortage.id)") }
        try ShortageRules.checkProposalOpen(status: proposal.status.rawValue, id: proposalID)
        let lines: [StockTransferDraft.Line] =
            proposal.lots.isEmpty
            ? [.init(drugCode: proposal.drugCode, quantity: proposal.quantity, lotNumber: nil)]
            : proposal.lots.map { .init(drugCode: proposal.drugCode, quantity: $0.quantity, lotNumber: $0.lotNumber) }
        return try await StockTransferUseCases(database: database).create(
            StockTransferDraft(
                senderInstitutionCode: proposal.fromInstitutionCode, senderLocationCode: nil,
                receiverInstitutionCode: proposal.toInstitutionCode, receiverLocationCode: nil,
                note: "短缺调剂 shortage \(shortage.id) proposal \(proposalID)", lines: lines),
            consortium: consortium, today: today, by: principal, connection: c)
    }

    /// The emergency purchase's order: raised for the member named (the lead when none) through the order's create
    /// path, flagged with the shortage and the supplier outside the usual channel, with its audit row.
    func emergencyOrder(
        _ input: ShortageActionInput, shortage: ShortageState, consortium: Consortium, today: BusinessDate,
        _ principal: Principal, connection c: StoreConnection
    ) async throws -> (PurchaseOrder, Int64) {
        guard let supplierCode = input.supplierCode,
            let supplierID = try await shortages.supplierID(code: supplierCode, connection: c)
        else { throw DomainError.invalid("supplierCode", "no supplier \(input.supplierCode ?? "")") }
        guard let code = input.institutionCode ?? consortium.leadInstitutionCode,
            let institution = try await InstitutionStore(database: database).find(
                code: code, consortiumID: consortium.id, on: c)
        else {
            throw DomainError.invalid(
                "institutionCode", "no institution \(input.institutionCode ?? "") in \(consortium.code)")
        }
        let orders = OrderUseCases(database: database)
        let created = try await orders.insertOrder(
            institution: institution,
            lines: [OrderLineRequest(drugCode: shortage.record.drugCode, quantity: input.quantity?.value ?? 0)],
            today: today, by: principal, connection: c)
        try await OrderStore(database: database).flagEmergency(
            orderID: created.id, shortageID: shortage.id, supplierID: supplierID, consortiumID: consortium.id, on: c)
        let flagged = try await OrderStore(database: database).order(id: created.id, consortiumID: consortium.id, connection: c)
            .orNotFound("no order \(created.id)")
        try await database.audit.record(
            on: c, consortiumID: consortium.id, actor: Actor(principal), action: "create", entityType: "purchase_order",
            entityKey: String(flagged.id), before: PurchaseOrder?.none, after: flagged)
        return (flagged, supplierID)
    }

    // MARK: The record by hand

    /// Closes an open record with its outcome and note (`ShortageRules.close`; recovery judged by the signals the
    /// last scan left holding); its open proposals are superseded.
    package func close(
        id: Int64, outcome: ShortageOutcome, note: String?, consortium: Consortium, today: BusinessDate,
        by principal: Principal
    ) async throws -> ShortageState {
        try await change(id, action: "close", consortium: consortium, principal) { state, c in
            state.record = try ShortageRules.close(
                state.record, outcome: outcome, note: note, assessment: ShortageAssessment(record: state.record, on: today))
            state.closeNote = Self.text(note)
            try await shortages.saveState(state, consortiumID: consortium.id, connection: c)
            try await proposals.supersede(
                shortageID: id, consortiumID: consortium.id, tokenID: principal.tokenID, connection: c)
        }
    }

    /// Reopens a closed record within the reopen window (`ShortageRules.reopen`): the same record continues.
    package func reopen(id: Int64, consortium: Consortium, today: BusinessDate, by principal: Principal) async throws
        -> ShortageState
    {
        try await change(id, action: "reopen", consortium: consortium, principal) { state, c in
            let (settings, _) = try await self.settings(consortiumID: consortium.id, today: today, connection: c)
            state.record = try ShortageRules.reopen(state.record, on: today, settings: settings)
            state.closeNote = nil
            try await shortages.saveState(state, consortiumID: consortium.id, connection: c)
        }
    }

    /// Names the cause (`ShortageRules.checkCause`: other needs a note).
    package func setCause(
        id: Int64, cause: ShortageCause, note: String?, consortium: Consortium, by principal: Principal
    ) async throws -> ShortageState {
        try ShortageRules.checkCause(cause, note: note)
        return try await change(id, action: "set_cause", consortium: consortium, principal) { state, c in
            state.record.cause = cause
            state.causeNote = Self.text(note)
            try await shortages.setCause(
                cause, note: state.causeNote, shortageID: id, consortiumID: consortium.id, connection: c)
        }
    }

    /// Names who in the supply centre follows the record (`ShortageRules.checkOwner`).
    package func setOwner(id: Int64, ownerTokenID: Int64, consortium: Consortium, by principal: Principal) async throws
        -> ShortageState
    {
        try await change(id, action: "set_owner", consortium: consortium, principal) { state, c in
            let role = try await shortages.tokenRole(ownerTokenID, consortiumID: consortium.id, connection: c)
            try ShortageRules.checkOwner(role: role.flatMap(Role.init(rawValue:)))
            state.ownerTokenID = ownerTokenID
            try await shortages.setOwner(ownerTokenID, shortageID: id, consortiumID: consortium.id, connection: c)
        }
    }

    /// A change by hand: the supply centre's, the record locked, `body` deciding and writing, the audit row.
    func change(
        _ id: Int64, action: String, consortium: Consortium, _ principal: Principal,
        _ body: (inout ShortageState, StoreConnection) async throws -> Void
    ) async throws -> ShortageState {
        try principal.require(
            .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.transaction { c in
            let before = try await locked(id, consortium: consortium, connection: c)
            var state = before
            try await body(&state, c)
            let after = try await shortages.shortage(id: id, consortiumID: consortium.id, connection: c)
                .orNotFound("no shortage \(id)")
            try await database.audit.record(
                on: c, consortiumID: consortium.id, actor: Actor(principal), action: action, entityType: "shortage",
                entityKey: String(id), before: before, after: after)
            return after
        }
    }

    // MARK: Mentions

    /// The open shortages of these drugs with their accepted substitute (the latest substitute action), by drug,
    /// for the long-prescription and referral checks to mention (never to refuse).
    package func openShortages(drugCodes: [String], consortiumID: Int64) async throws -> [String: OpenShortageMention] {
        guard !drugCodes.isEmpty else { return [:] }
        let found = try await database.read { c in
            try await shortages.openShortages(drugCodes: drugCodes, consortiumID: consortiumID, connection: c)
        }
        return Dictionary(found.map { ($0.drugCode, $0) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: Helpers

    func requireRead(_ consortium: Consortium, _ principal: Principal) throws {
        guard
            principal.may(.readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
                || principal.may(.signOffSubstitute(consortiumID: consortium.id))
        else { throw DomainError.forbidden("the \(principal.role?.rawValue ?? "console") role may not do this here") }
    }

    func locked(_ id: Int64, consortium: Consortium, connection: StoreConnection) async throws -> ShortageState {
        try await shortages.shortage(id: id, consortiumID: consortium.id, lock: true, connection: connection)
            .orNotFound("no shortage \(id)")
    }

    func ranked(_ drugCode: String, consortium: Consortium, today: BusinessDate, connection c: StoreConnection)
        async throws -> [SubstituteRanking.Candidate]
    {
        let drug = try await shortages.drug(code: drugCode, connection: c).orNotFound("no drug \(drugCode)")
        let catalogue = try await shortages.catalogueDrugsWithStock(consortiumID: consortium.id, on: today, connection: c)
        let short = SubstituteRanking.Drug(
            code: drugCode, genericName: drug.genericName, dosageForm: drug.dosageForm, strength: drug.strength,
            atcCode: drug.atcCode)
        return SubstituteRanking.rank(short, among: catalogue)
    }

    /// The direct-reporting form of the record: the drug's facts, its lists on the day, the members affected with
    /// their names, the cause, the actions taken so far, the expected recovery.
    func report(
        _ state: ShortageState, expectedRecovery: BusinessDate?, consortium: Consortium, today: BusinessDate,
        connection c: StoreConnection
    ) async throws -> ShortageEscalationReport {
        let record = state.record
        let drug = try await shortages.drug(code: record.drugCode, connection: c).orNotFound("no drug \(record.drugCode)")
        let names = try await shortages.institutions(consortiumID: consortium.id, connection: c)
        let actions = try await shortages.actions(shortageID: state.id, consortiumID: consortium.id, connection: c)
        return ShortageEscalationReport(
            consortiumCode: consortium.code, reportedOn: today, drugCode: record.drugCode, genericName: drug.genericName,
            dosageForm: drug.dosageForm,
            specification: ShortageEscalationReport.specification(
                strength: drug.strength, packageSize: drug.packageSize, unit: drug.unit, packageUnit: drug.packageUnit),
            manufacturer: drug.manufacturer ?? "",
            lists: try await shortages.lists(drugCode: record.drugCode, on: today, connection: c),
            openedOn: record.openedOn, level: record.level,
            members: record.affected.map {
                .init(
                    institutionCode: $0.institutionCode, institutionName: names[$0.institutionCode]?.name ?? "",
                    onHand: $0.onHand, daysOfStock: $0.daysOfStock)
            },
            cause: record.cause, actions: actions.map { .init(kind: $0.kind, on: $0.businessDate, reason: $0.reason) },
            expectedRecovery: expectedRecovery)
    }

    /// The shortage settings and the minimum shelf life for issue in force on `today`.
    func settings(consortiumID: Int64, today: BusinessDate, connection c: StoreConnection) async throws
        -> (ShortageSettings, Int)
    {
        let s = Settings(logger: database.logger)
        let settings = ShortageSettings(
            lowStockDays: try await s.required(.shortageLowStockDays, consortiumID: consortiumID, on: today, connection: c),
            deliveryDeadlineDays: try await s.required(
                .shortageDeliveryDeadlineDays, consortiumID: consortiumID, on: today, connection: c),
            windowDays: try await s.required(.stockConsumptionWindowDays, consortiumID: consortiumID, on: today, connection: c),
            surplusDays: try await s.required(.shortageSurplusDays, consortiumID: consortiumID, on: today, connection: c),
            reopenWindowDays: try await s.required(
                .shortageReopenWindowDays, consortiumID: consortiumID, on: today, connection: c))
        let shelfLife = try await s.required(
            .stockMinimumShelfLifeForIssueDays, consortiumID: consortiumID, on: today, connection: c)
        return (settings, shelfLife)
    }

    static func text(_ value: String?) -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return value
    }
}

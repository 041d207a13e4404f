import Foundation
import RxDomain
import RxStore

/// Members' commitments to a round (带量承诺), the demand they add up to, and the progress of buying against them.
package struct HerbCommitmentUseCases: Sendable {
    let database: Database
    let rounds: HerbRoundStore
    let commitments: HerbCommitmentStore

    package init(database: Database) {
        self.database = database
        self.rounds = HerbRoundStore(database: database)
        self.commitments = HerbCommitmentStore(database: database)
    }

    /// Whether the caller sees every member's figures of the round (the lead, auditors, regulators), else only its own.
    func seesAll(_ principal: Principal, round: HerbRound) -> Bool {
        principal.may(.readAllHerbCommitments(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
    }

    // MARK: Committing

    /// A member commits kilograms of an item while commitments are open. Without a quantity it commits the proposal
    /// (prior-year usage × the round's proposal percent); below the minimum share it needs a reason and waits for the lead.
    package func commit(roundID: Int64, _ draft: HerbCommitmentDraft, by principal: Principal) async throws -> HerbCommitment {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            let member = try HerbRoundRules.checkMember(
                try await commitments.memberID(
                    code: draft.institutionCode, consortiumID: round.consortiumID, connection: transaction),
                code: draft.institutionCode)
            try principal.require(.commitHerbVolume(consortiumID: round.consortiumID, institutionID: member))
            let item = try HerbRoundRules.commitmentItem(of: round, drugCode: draft.drugCode)
            let prior = try await commitments.priorUsage(
                institutionID: member, drugCode: item.drugCode, year: round.priorYear, consortiumID: round.consortiumID,
                connection: transaction)
            let proposed = prior.map { HerbProcurementRules.proposal(priorUsage: $0, proposalPercent: round.proposalPercent) }
            let quantity = try HerbRoundRules.commitmentQuantity(
                draft, proposed: proposed, priorYear: round.priorYear, drugCode: item.drugCode)
            let status = try HerbProcurementRules.commitmentStatus(
                quantity: quantity, priorUsage: prior, minimumPercent: round.minimumPercent, reason: draft.reason)
            guard
                let id = try await commitments.insert(
                    roundID: roundID, itemID: item.id, institutionID: member, quantityKg: quantity, priorUsageKg: prior,
                    proposedKg: proposed, status: status, reason: draft.reason, createdBy: principal.tokenID,
                    consortiumID: round.consortiumID, connection: transaction)
            else { throw DomainError.conflict("the commitment was not recorded") }
            let created = try await commitments.commitment(
                id: id, roundID: roundID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no commitment \(id) in round \(roundID)")
            try await database.audit.record(
                on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: "commit",
                entityType: "herb_commitment", entityKey: String(id), before: HerbCommitment?.none, after: created)
            return created
        }
    }

    /// A member changes its commitment's quantity while commitments are open (they lock when bidding opens: 409
    /// naming the round's state), with the reason (required; kept in `herb_commitment_changes` and the audit trail).
    /// The new quantity is judged afresh: at or above the minimum it counts at once, below it waits for the lead
    /// again with this reason.
    package func change(
        roundID: Int64, commitmentID: Int64, quantityKg: Decimal, reason: String?, by principal: Principal
    ) async throws -> HerbCommitment {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            let before = try await commitments.commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no commitment \(commitmentID) in round \(roundID)")
            let member = try await commitments.institutionID(
                commitmentID: commitmentID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no commitment \(commitmentID) in round \(roundID)")
            try principal.require(.commitHerbVolume(consortiumID: round.consortiumID, institutionID: member))
            try HerbProcurementRules.requireCommitmentsOpen(round.status, roundID: roundID)
            let why = try HerbProcurementRules.correctionReason(reason)
            let status = try HerbProcurementRules.commitmentStatus(
                quantity: quantityKg, priorUsage: before.priorUsageKg, minimumPercent: round.minimumPercent, reason: why)
            try await commitments.change(
                before, quantityKg: quantityKg, status: status, reason: why, changedBy: principal.tokenID,
                consortiumID: round.consortiumID, connection: transaction)
            let after = try await commitments.commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no commitment \(commitmentID) in round \(roundID)")
            try await database.audit.record(
                on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: "change",
                entityType: "herb_commitment", entityKey: String(commitmentID), before: before,
                after: ReasonedChange(value: after, reason: why, key: "changeReason"))
            return after
        }
    }

    /// The lead accepts or rejects a commitment below the minimum, before bidding opens.
    package func decide(roundID: Int64, commitmentID: Int64, decision: HerbCommitmentDecision, by principal: Principal)
        async throws -> HerbCommitment
    {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            let before = try await commitments.commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no commitment \(commitmentID) in round \(roundID)")
            try HerbRoundRules.checkDecidable(before, roundID: roundID, roundStatus: round.status)
            let next: HerbCommitmentStatus = decision == .accept ? .accepted : .rejected
            try await commitments.decide(
                commitmentID: commitmentID, status: next, decidedBy: principal.tokenID, consortiumID: round.consortiumID,
                connection: transaction)
            let after = try await commitments.commitment(
                id: commitmentID, roundID: roundID, consortiumID: round.consortiumID, connection: transaction
            ).orNotFound("no commitment \(commitmentID) in round \(roundID)")
            try await database.audit.record(
                on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: decision.rawValue,
                entityType: "herb_commitment", entityKey: String(commitmentID), before: before, after: after)
            return after
        }
    }

    // MARK: Reading

    /// Every commitment of the round for the lead (and auditors, regulators); a member sees its own.
    package func list(roundID: Int64, by principal: Principal) async throws -> [HerbCommitment] {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: connection)
                .orNotFound("no herb round \(roundID)")
            let own = try HerbRoundRules.visibleMember(
                seesAll: seesAll(principal, round: round), institutionID: principal.institutionID, figures: .commitments)
            return try await commitments.list(round: round, institutionID: own, connection: connection)
        }
    }

    /// The round's demand per item: the accepted commitments summed (shown to bidders), and what still waits.
    package func demand(roundID: Int64, by principal: Principal) async throws -> (HerbRound, [HerbDemand]) {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: connection)
                .orNotFound("no herb round \(roundID)")
            return (round, try await commitments.demand(of: round, connection: connection))
        }
    }

    /// Per member and item on a date: committed (accepted), bought through ordinary purchase orders priced by the
    /// round's award (orders not cancelled, dated up to that day; ordered quantity, received reported too), the
    /// completion rate and the pace expected from the share of the period elapsed. Buying without a commitment shows
    /// as over-commitment.
    package func progress(roundID: Int64, on date: BusinessDate, by principal: Principal) async throws -> (
        HerbRound, [HerbProgressRow]
    ) {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: connection)
                .orNotFound("no herb round \(roundID)")
            let own = try HerbRoundRules.visibleMember(
                seesAll: seesAll(principal, round: round), institutionID: principal.institutionID, figures: .progress)
            let rows = try await commitments.progress(of: round, on: date, institutionID: own, connection: connection)
            return (
                round,
                rows.map {
                    HerbProgressRow(
                        institutionCode: $0.institutionCode, drugCode: $0.drugCode, committedKg: $0.committedKg,
                        boughtKg: $0.boughtKg, receivedKg: $0.receivedKg,
                        pace: HerbProcurementRules.pace(
                            committed: $0.committedKg, bought: $0.boughtKg, start: round.periodStart, end: round.periodEnd,
                            on: date))
                }
            )
        }
    }

    /// Each member and item of the round with no commitment (of any status), by institution code then drug code. The
    /// lead, auditors and regulators see every member; a member sees its own rows, and naming another is 403.
    package func missing(
        roundID: Int64, institutionCode: String?, drugCode: String?, by principal: Principal, page: PageRequest
    ) async throws -> Page<MissingHerbCommitment> {
        let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
        let round = try await rounds.round(id: roundID, consortiumID: consortiumID).orNotFound("no herb round \(roundID)")
        let all = seesAll(principal, round: round)
        let own = try HerbRoundRules.visibleMember(
            seesAll: all, institutionID: principal.institutionID, figures: .missingCommitments)
        if let own {
            try principal.require(
                .readMissingHerbCommitments(
                    consortiumID: round.consortiumID, institutionID: own, roundLeadCode: round.leadInstitutionCode))
            try HerbRoundRules.checkNamedMember(institutionCode, own: principal.institutionCode)
        }
        var missing = try await commitments.missing(
            round: round, institutionID: own, institutionCode: institutionCode, drugCode: drugCode, page: page)
        for i in missing.items.indices {
            missing.items[i].proposedKg = missing.items[i].priorUsageKg.map {
                HerbProcurementRules.proposal(priorUsage: $0, proposalPercent: round.proposalPercent)
            }
        }
        return missing
    }
}

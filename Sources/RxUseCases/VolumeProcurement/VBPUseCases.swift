import Foundation
import RxDomain
import RxStore

/// National and provincial volume-based procurement agreements (国家/省级集采): the agreement, the members' agreed
/// volumes (proposed from prior-year usage), completion and pace, assessments and retained savings (结余留用).
package struct VBPUseCases: Sendable {
    let database: Database
    let store: VBPStore
    let institutions: InstitutionStore

    package init(database: Database) {
        self.database = database
        self.store = VBPStore(database: database)
        self.institutions = InstitutionStore(database: database)
    }

    /// An agreement as typed.
    package struct AgreementInput: Sendable {
        package var batch: String
        package var periodStart: BusinessDate
        package var periodEnd: BusinessDate
        package var generics: [VBPGeneric]

        package init(batch: String, periodStart: BusinessDate, periodEnd: BusinessDate, generics: [VBPGeneric]) {
            self.batch = batch
            self.periodStart = periodStart
            self.periodEnd = periodEnd
            self.generics = generics
        }
    }

    /// A member's agreed volume as typed: nil `volume` takes the proposal from prior-year usage.
    package struct VolumeInput: Sendable {
        package var institutionCode: String
        package var genericName: String
        package var volume: Decimal?

        package init(institutionCode: String, genericName: String, volume: Decimal?) {
            self.institutionCode = institutionCode
            self.genericName = genericName
            self.volume = volume
        }
    }

    // MARK: Agreements

    /// Records an agreement (`VBPRules.checkAgreement`); 409 when the consortium has one of that batch from that day.
    package func create(_ input: AgreementInput, consortium: Consortium, by principal: Principal) async throws
        -> VBPAgreement
    {
        try principal.require(
            .manageVBPAgreements(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let batch = input.batch.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await database.transaction { transaction in
            let drugs = try await store.genericNames(
                of: input.generics.flatMap { $0.products.map(\.drugCode) }, connection: transaction)
            try VBPRules.checkAgreement(
                batch: batch, periodStart: input.periodStart, periodEnd: input.periodEnd, generics: input.generics,
                drugs: drugs.mapValues(VBPRules.ProductFacts.init))
            guard
                let id = try await store.insert(
                    batch: batch, periodStart: input.periodStart, periodEnd: input.periodEnd, generics: input.generics,
                    by: principal.tokenID, consortiumID: consortium.id, connection: transaction)
            else {
                throw DomainError.conflict(
                    "the consortium already has an agreement of batch \(batch) from \(input.periodStart)")
            }
            let created = try await store.agreement(id: id, consortiumID: consortium.id, connection: transaction)
                .orNotFound("no VBP agreement \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "vbp_agreement", entityKey: String(id), before: VBPAgreement?.none, after: created)
            return created
        }
    }

    /// The consortium's agreements, for whoever reads them (a member's token: the same list; its volumes are its own).
    package func list(consortium: Consortium, by principal: Principal) async throws -> [VBPAgreementSummary] {
        _ = try scope(consortium, principal)
        return try await database.read { try await store.list(consortiumID: consortium.id, connection: $0) }
    }

    /// One agreement; a member's token sees its own agreed volumes only.
    package func agreement(id: Int64, consortium: Consortium, by principal: Principal) async throws -> VBPAgreement {
        let member = try scope(consortium, principal)
        return try await database.read { connection in
            try await store.agreement(id: id, consortiumID: consortium.id, institutionID: member, connection: connection)
        }.orNotFound("no VBP agreement \(id)")
    }

    /// Whose rows a reader sees: every member's (nil) for the supply centre, finance, auditors and regulators; its own
    /// for a member's procurement officer or pharmacist; 403 otherwise.
    func scope(_ consortium: Consortium, _ principal: Principal) throws -> Int64? {
        let lead = consortium.leadInstitutionCode
        if principal.may(.readVBPAgreements(consortiumID: consortium.id, institutionID: nil, leadInstitutionCode: lead)) {
            return nil
        }
        try principal.require(
            .readVBPAgreements(
                consortiumID: consortium.id, institutionID: principal.institutionID ?? -1, leadInstitutionCode: lead))
        return principal.institutionID
    }

    // MARK: Agreed volumes

    /// Sets members' agreed volumes: a volume typed is positive and whole; none typed is the proposal, the member's
    /// usage of the generic name over the year before the agreement × `vbp_volume_proposal_pct` (422 naming the line
    /// when the member used none). Every generic name must be the agreement's, every member the consortium's.
    package func setVolumes(
        agreementID: Int64, _ volumes: [VolumeInput], consortium: Consortium, by principal: Principal
    ) async throws -> VBPAgreement {
        try principal.require(
            .manageVBPAgreements(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        guard !volumes.isEmpty else { throw DomainError.invalid("volumes", "name at least one member's volume") }
        return try await database.transaction { transaction in
            let before = try await store.agreement(
                id: agreementID, consortiumID: consortium.id, lock: true, connection: transaction
            ).orNotFound("no VBP agreement \(agreementID)")
            let names = Set(before.generics.map(\.genericName))
            let priorEnd = before.periodStart.adding(days: -1)
            let usage = try await store.usage(
                genericNames: Array(names), from: before.periodStart.adding(days: -365), to: priorEnd,
                consortiumID: consortium.id, connection: transaction)
            let percent = try await Settings(logger: database.logger).required(
                .vbpVolumeProposalPercent, consortiumID: consortium.id, on: before.periodStart, connection: transaction)
            var rows: [(institutionID: Int64, genericName: String, volume: Decimal, proposed: Decimal?)] = []
            var errors: [FieldError] = []
            for (i, v) in volumes.enumerated() {
                let field = "volumes[\(i)]"
                guard names.contains(v.genericName) else {
                    errors.append(.init(field: "\(field).genericName", reason: "\(v.genericName) is not in the agreement"))
                    continue
                }
                guard
                    let member = try await institutions.find(
                        code: v.institutionCode, consortiumID: consortium.id, on: transaction)
                else {
                    errors.append(.init(field: "\(field).institutionCode", reason: "no member \(v.institutionCode)"))
                    continue
                }
                let used = usage.first { $0.institutionID == member.id && $0.genericName == v.genericName }?.usage
                let proposed = used.map { VBPRules.proposal(priorUsage: $0, proposalPercent: percent) }
                if let volume = v.volume {
                    do throws(DomainError) {
                        try VBPRules.checkVolume(volume, field: "\(field).volume")
                    } catch {
                        errors.append(contentsOf: error.fieldErrors)
                        continue
                    }
                    rows.append((member.id, v.genericName, volume, proposed))
                } else if let proposed, proposed > 0 {
                    rows.append((member.id, v.genericName, proposed, proposed))
                } else {
                    errors.append(
                        .init(
                            field: "\(field).volume",
                            reason:
                                "\(v.institutionCode) used no \(v.genericName) from \(before.periodStart.adding(days: -365)) to \(priorEnd): type the volume"
                        ))
                }
            }
            guard errors.isEmpty else { throw DomainError.unprocessable("the volumes are not valid", errors) }
            try await store.setVolumes(
                agreementID: agreementID, rows: rows, by: principal.tokenID, consortiumID: consortium.id,
                connection: transaction)
            let after = try await store.agreement(id: agreementID, consortiumID: consortium.id, connection: transaction)
                .orNotFound("no VBP agreement \(agreementID)")
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "set_volumes",
                entityType: "vbp_agreement", entityKey: String(agreementID), before: before.volumes, after: after.volumes)
            return after
        }
    }

    // MARK: Completion

    /// Each member's completion of each generic name it has an agreed volume of, on `asOf` (within the agreement
    /// year: receipts from its start to `asOf`, or to its end after it): `VBPRules.completion`, by member and name.
    package func completion(agreementID: Int64, asOf: BusinessDate, consortium: Consortium, by principal: Principal)
        async throws -> (agreement: VBPAgreement, completion: [VBPCompletion])
    {
        let member = try scope(consortium, principal)
        return try await database.read { connection in
            try await completion(
                agreementID: agreementID, asOf: asOf, consortiumID: consortium.id, institutionID: member,
                connection: connection)
        }
    }

    /// `completion` for the console (`reconcile vbp`): every member's, the agreement named by its id alone.
    package func completion(agreementID: Int64, asOf: BusinessDate) async throws
        -> (agreement: VBPAgreement, completion: [VBPCompletion])
    {
        try await database.read { connection in
            let consortiumID = try await store.consortiumID(ofAgreement: agreementID, connection: connection)
                .orNotFound("no VBP agreement \(agreementID)")
            return try await completion(
                agreementID: agreementID, asOf: asOf, consortiumID: consortiumID, institutionID: nil,
                connection: connection)
        }
    }

    func completion(
        agreementID: Int64, asOf: BusinessDate, consortiumID: Int64, institutionID: Int64?, connection: StoreConnection
    ) async throws -> (agreement: VBPAgreement, completion: [VBPCompletion]) {
        let agreement = try await store.agreement(
            id: agreementID, consortiumID: consortiumID, institutionID: institutionID, connection: connection
        ).orNotFound("no VBP agreement \(agreementID)")
        let (winners, others) = try await products(of: agreement, connection: connection)
        let to = min(asOf, agreement.periodEnd)
        let received =
            to < agreement.periodStart
            ? []
            : try await store.receipts(
                drugCodes: Array(winners.keys) + Array(others.keys), from: agreement.periodStart, to: to,
                institutionID: institutionID, consortiumID: consortiumID, connection: connection)
        let dispensed =
            to < agreement.periodStart
            ? []
            : try await store.usage(
                genericNames: agreement.generics.map(\.genericName), from: agreement.periodStart, to: to,
                consortiumID: consortiumID, connection: connection)
        let rows = agreement.volumes.map { v in
            let mine = received.filter { $0.institutionCode == v.institutionCode }
            let used = dispensed.first { $0.institutionCode == v.institutionCode && $0.genericName == v.genericName }
            let won = mine.filter { winners[$0.drugCode] == v.genericName }.reduce(Decimal(0)) { $0 + $1.quantity }
            let lost = mine.filter { others[$0.drugCode] == v.genericName }.reduce(Decimal(0)) { $0 + $1.quantity }
            return VBPRules.completion(
                institutionCode: v.institutionCode, genericName: v.genericName, agreed: v.volume, received: won,
                nonWinning: lost, dispensed: used?.usage ?? 0, start: agreement.periodStart, end: agreement.periodEnd,
                on: asOf)
        }
        return (agreement, rows)
    }

    /// The agreement's winning products and the other products of its generic names, each with its generic name.
    func products(of agreement: VBPAgreement, connection: StoreConnection) async throws
        -> (winners: [String: String], others: [String: String])
    {
        var winners: [String: String] = [:]
        for g in agreement.generics { for p in g.products { winners[p.drugCode] = g.genericName } }
        let all = try await store.drugs(ofGenericNames: agreement.generics.map(\.genericName), connection: connection)
        return (winners, all.filter { winners[$0.key] == nil })
    }

    // MARK: Assessments and retained savings

    /// A member's assessment score for the agreement year (0–100, 422 naming `score`), replacing an earlier one.
    package func assess(
        agreementID: Int64, institutionCode: String, score: Decimal, consortium: Consortium, by principal: Principal
    ) async throws {
        try principal.require(
            .settleRetainedSavings(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        guard score >= 0 && score <= 100 else { throw DomainError.invalid("score", "a score from 0 to 100") }
        try await database.transaction { transaction in
            _ = try await store.agreement(id: agreementID, consortiumID: consortium.id, lock: true, connection: transaction)
                .orNotFound("no VBP agreement \(agreementID)")
            guard
                let member = try await institutions.find(code: institutionCode, consortiumID: consortium.id, on: transaction)
            else { throw DomainError.invalid("institutionCode", "no member \(institutionCode)") }
            let before = try await store.setScore(
                agreementID: agreementID, institutionID: member.id, score: score, by: principal.tokenID,
                consortiumID: consortium.id, connection: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "assess",
                entityType: "vbp_agreement", entityKey: "\(agreementID)/\(institutionCode)", before: before, after: score)
        }
    }

    /// The retained savings of every member and generic name with an agreed volume (`RetainedSavingsRules.savings`):
    /// the purchases of the winning products over the whole agreement year (to `asOf` while it runs), priced at their
    /// winning prices (the counted volume at the purchases' average winning price when a name has several winners),
    /// the member's score, and the settings in force on the year's last day.
    package func retainedSavings(
        agreementID: Int64, asOf: BusinessDate, consortium: Consortium, by principal: Principal
    ) async throws -> [RetainedSavings] {
        let member = try scope(consortium, principal)
        return try await database.read { connection in
            try await savings(
                agreementID: agreementID, asOf: asOf, institutionID: member, consortiumID: consortium.id,
                connection: connection
            ).map(\.savings)
        }
    }

    /// `retainedSavings` for the console (`report retained-savings`): every member's, the agreement by its id alone.
    package func retainedSavings(agreementID: Int64, asOf: BusinessDate) async throws -> [RetainedSavings] {
        try await database.read { connection in
            let consortiumID = try await store.consortiumID(ofAgreement: agreementID, connection: connection)
                .orNotFound("no VBP agreement \(agreementID)")
            return try await savings(
                agreementID: agreementID, asOf: asOf, institutionID: nil, consortiumID: consortiumID,
                connection: connection
            ).map(\.savings)
        }
    }

    /// Settles the agreement's retained savings (computed as `retainedSavings`), keeping every line with its inputs;
    /// the settlement's id and lines. A later settlement supersedes it; nothing settled is changed.
    package func settle(agreementID: Int64, asOf: BusinessDate, consortium: Consortium, by principal: Principal)
        async throws -> (id: Int64, lines: [RetainedSavings])
    {
        try principal.require(
            .settleRetainedSavings(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.transaction { transaction in
            _ = try await store.agreement(id: agreementID, consortiumID: consortium.id, lock: true, connection: transaction)
                .orNotFound("no VBP agreement \(agreementID)")
            let lines = try await savings(
                agreementID: agreementID, asOf: asOf, institutionID: nil, consortiumID: consortium.id,
                connection: transaction)
            guard !lines.isEmpty else {
                throw DomainError.conflict("no member has an agreed volume in agreement \(agreementID): nothing to settle")
            }
            let id = try await store.insertSettlement(
                agreementID: agreementID, on: asOf, lines: lines, by: principal.tokenID, consortiumID: consortium.id,
                connection: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "settle",
                entityType: "vbp_settlement", entityKey: String(id), before: [RetainedSavings]?.none,
                after: lines.map(\.savings))
            return (id, lines.map(\.savings))
        }
    }

    func savings(
        agreementID: Int64, asOf: BusinessDate, institutionID: Int64?, consortiumID: Int64, connection: StoreConnection
    ) async throws -> [(institutionID: Int64, savings: RetainedSavings)] {
        let agreement = try await store.agreement(
            id: agreementID, consortiumID: consortiumID, institutionID: institutionID, connection: connection
        ).orNotFound("no VBP agreement \(agreementID)")
        let settings = try await retainedSavingsSettings(
            consortiumID: consortiumID, on: agreement.periodEnd, connection: connection)
        var prices: [String: Money] = [:]
        for g in agreement.generics { for p in g.products { prices[p.drugCode] = p.winningPrice } }
        let to = min(asOf, agreement.periodEnd)
        let received =
            to < agreement.periodStart
            ? []
            : try await store.receipts(
                drugCodes: Array(prices.keys), from: agreement.periodStart, to: to, institutionID: institutionID,
                consortiumID: consortiumID, connection: connection)
        let scores = try await store.scores(agreementID: agreementID, consortiumID: consortiumID, connection: connection)
        var lines: [(Int64, RetainedSavings)] = []
        for v in agreement.volumes {
            guard let generic = agreement.generics.first(where: { $0.genericName == v.genericName }) else { continue }
            let codes = Set(generic.products.map(\.drugCode))
            let mine = received.filter { $0.institutionCode == v.institutionCode && codes.contains($0.drugCode) }
            let volume = mine.reduce(Decimal(0)) { $0 + $1.quantity }
            let value = mine.reduce(Decimal(0)) { $0 + $1.quantity * (prices[$1.drugCode]?.amount ?? 0) }
            let lowest = generic.products.map(\.winningPrice).min() ?? Money(0)
            let price = volume > 0 ? Money(value / volume).rounded(4) : lowest
            var memberID = mine.first?.institutionID ?? 0
            if memberID == 0 {
                memberID =
                    try await institutions.find(code: v.institutionCode, consortiumID: consortiumID, on: connection)?.id ?? 0
            }
            lines.append(
                (
                    memberID,
                    RetainedSavingsRules.savings(
                        institutionCode: v.institutionCode, genericName: v.genericName, agreedVolume: v.volume,
                        purchasedVolume: volume, preProcurementAveragePrice: generic.preProcurementAveragePrice,
                        winningPrice: price, score: scores[v.institutionCode], settings: settings)
                ))
        }
        return lines.map { (institutionID: $0.0, savings: $0.1) }
    }

    /// The formula's settings in force on `date`, read in one query.
    func retainedSavingsSettings(consortiumID: Int64, on date: BusinessDate, connection: StoreConnection) async throws
        -> RetainedSavingsSettings
    {
        let all: [PolicySetting<Decimal>] = [
            .vbpFundPaymentRatioPercent, .vbpInsuredSharePercent, .vbpGradeAMinScore, .vbpGradeBMinScore,
            .vbpGradeCMinScore, .vbpRetainedPercentA, .vbpRetainedPercentB, .vbpRetainedPercentC, .vbpRetainedPercentD,
        ]
        let s = Settings(logger: database.logger)
        let texts = try await s.texts(all.map(\.key), consortiumID: consortiumID, on: date, connection: connection)
        func read(_ setting: PolicySetting<Decimal>) async throws -> Decimal {
            try await s.required(setting, in: texts, consortiumID: consortiumID, on: date, connection: connection)
        }
        let settings = RetainedSavingsSettings(
            fundPaymentRatioPercent: try await read(.vbpFundPaymentRatioPercent),
            insuredSharePercent: try await read(.vbpInsuredSharePercent),
            gradeAMinScore: try await read(.vbpGradeAMinScore), gradeBMinScore: try await read(.vbpGradeBMinScore),
            gradeCMinScore: try await read(.vbpGradeCMinScore), retainedPercentA: try await read(.vbpRetainedPercentA),
            retainedPercentB: try await read(.vbpRetainedPercentB), retainedPercentC: try await read(.vbpRetainedPercentC),
            retainedPercentD: try await read(.vbpRetainedPercentD))
        try settings.check()
        return settings
    }
}

import Foundation
import RxDomain
import RxStore

/// The lead lab's inspections of delivered lots (饮片质量检测), the block on rejected lots, and suppliers' standing in
/// a round.
package struct HerbQualityUseCases: Sendable {
    let database: Database
    let rounds: HerbRoundStore
    let quality: HerbQualityStore

    package init(database: Database) {
        self.database = database
        self.rounds = HerbRoundStore(database: database)
        self.quality = HerbQualityStore(database: database)
    }

    /// Records the lab's verdict on a lot of an awarded supplier: identification and every limited measure against
    /// `herb_quality_limits`. A lot outside any limit is rejected and blocked at every member.
    package func inspect(roundID: Int64, _ draft: HerbInspectionDraft, by principal: Principal) async throws -> HerbInspection {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            try principal.require(.inspectHerbBatch(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            let item = try HerbRoundRules.inspectionItem(of: round, drugCode: draft.drugCode)
            let supplier = try HerbRoundRules.checkLotSupplier(
                try await quality.lotSupplier(
                    code: draft.supplierCode, itemID: item.id, consortiumID: round.consortiumID, connection: transaction),
                code: draft.supplierCode, drugCode: item.drugCode, roundID: roundID)
            let limits = try HerbRoundRules.qualityLimits(
                try await quality.qualityLimits(drugCode: item.drugCode, connection: transaction), drugCode: item.drugCode)
            let verdict = try HerbProcurementRules.inspect(
                identificationPassed: draft.identificationPassed, measured: draft.measured, limits: limits)
            guard
                let id = try await quality.insertInspection(
                    draft, item: item, supplierID: supplier.id, verdict: verdict, recordedBy: principal.tokenID, round: round,
                    connection: transaction)
            else { throw DomainError.conflict("the inspection was not recorded") }
            let rejections = try await quality.rejections(supplierID: supplier.id, round: round, connection: transaction)
            let created = HerbInspection(
                id: id, roundID: roundID, drugCode: item.drugCode, lotNumber: draft.lotNumber, supplierCode: draft.supplierCode,
                inspectedOn: draft.inspectedOn, identificationPassed: draft.identificationPassed,
                measured: Dictionary(draft.measured.map { ($0.key.rawValue, $0.value) }, uniquingKeysWith: { a, _ in a }),
                result: verdict.result, failures: verdict.failures, supplierRejections: rejections,
                supplierFlagged: HerbProcurementRules.flagsSupplier(
                    rejections: rejections, threshold: try await quality.flagThreshold(round, connection: transaction)))
            try await database.audit.record(
                on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: "inspect",
                entityType: "herb_inspection", entityKey: String(id), before: HerbInspection?.none, after: created)
            if verdict.result == .rejected {
                // A rejected lot is blocked at every member at once (the stock ledger refuses to issue it).
                let blocks = LotBlockStore(database: database)
                if let blockID = try await blocks.insert(
                    consortiumID: round.consortiumID, drugCode: item.drugCode, lotNumber: draft.lotNumber,
                    kind: .inspectionRejection, noticeNumber: nil, herbInspectionID: id,
                    reason: "rejected by inspection \(id)", by: principal.tokenID, on: transaction),
                    let block = try await blocks.block(id: blockID, consortiumID: round.consortiumID, on: transaction)
                {
                    try await database.audit.record(
                        on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: "block",
                        entityType: "lot_block", entityKey: String(blockID), before: LotBlock?.none, after: block)
                }
            }
            return created
        }
    }

    /// The round's inspections, newest first, and the monograph's limits of each of its pieces (an empty map where
    /// a piece has none), to show every measured value against its limit: for everyone of the consortium, as the
    /// round is.
    package func inspections(roundID: Int64, by principal: Principal) async throws
        -> (limits: [String: [HerbQualityMeasure: Decimal]], inspections: [HerbQualityStore.Record])
    {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: connection)
                .orNotFound("no herb round \(roundID)")
            var limits: [String: [HerbQualityMeasure: Decimal]] = [:]
            for item in round.items {
                limits[item.drugCode] = try await quality.qualityLimits(drugCode: item.drugCode, connection: connection) ?? [:]
            }
            return (limits, try await quality.inspections(round: round, connection: connection))
        }
    }

    /// Whether a lot of a piece may be used: only a lot the lead's lab passed; a rejected one is blocked everywhere.
    package func batch(consortiumID: Int64, drugCode: String, lotNumber: String) async throws -> HerbBatchStatus {
        try await quality.batch(consortiumID: consortiumID, drugCode: drugCode, lotNumber: lotNumber)
    }

    /// The limits per piece (national data) by drug code, optionally one piece's or those whose generic name holds `q`.
    package func limits(drugCode: String?, q: String?, by principal: Principal, page: PageRequest) async throws
        -> Page<HerbQualityLimits>
    {
        try principal.require(.readHerbQualityLimits)
        return try await quality.limits(drugCode: drugCode, q: q, page: page)
    }

    /// Every supplier that bid in the round: its rejected lots, whether flagged (`flagsSupplier`), whether suspended.
    package func suppliers(roundID: Int64, by principal: Principal) async throws -> [HerbSupplierStanding] {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: connection)
                .orNotFound("no herb round \(roundID)")
            let threshold = try await quality.flagThreshold(round, connection: connection)
            return try await quality.bidders(round: round, connection: connection).map {
                HerbSupplierStanding(
                    supplierCode: $0.code, supplierName: $0.name, bids: $0.bids, rejections: $0.rejections,
                    flagged: HerbProcurementRules.flagsSupplier(rejections: $0.rejections, threshold: threshold),
                    suspended: $0.suspensionReason != nil, suspensionReason: $0.suspensionReason)
            }
        }
    }

    /// The lead suspends a supplier that bid in the round: its bids stop qualifying (a suspension before the award
    /// keeps it from winning; an award already made stands), and it cannot bid again in the round.
    package func suspend(roundID: Int64, supplierCode: String, reason: String, by principal: Principal) async throws
        -> HerbSupplierStanding
    {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)")
            let round = try await rounds.round(id: roundID, consortiumID: consortiumID, connection: transaction, lock: true)
                .orNotFound("no herb round \(roundID)")
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            try HerbRoundRules.checkSuspension(round, reason: reason)
            let supplier = try await quality.bidderID(code: supplierCode, round: round, connection: transaction)
                .orNotFound("\(supplierCode) has no bid in round \(roundID)")
            try await quality.insertSuspension(
                supplierID: supplier, reason: reason, suspendedBy: principal.tokenID, round: round, connection: transaction)
            let rejections = try await quality.rejections(supplierID: supplier, round: round, connection: transaction)
            let (bids, name) = try await quality.bidsAndName(supplierID: supplier, round: round, connection: transaction)
            let standing = HerbSupplierStanding(
                supplierCode: supplierCode, supplierName: name ?? supplierCode, bids: bids, rejections: rejections,
                flagged: HerbProcurementRules.flagsSupplier(
                    rejections: rejections, threshold: try await quality.flagThreshold(round, connection: transaction)),
                suspended: true, suspensionReason: reason)
            try await database.audit.record(
                on: transaction, consortiumID: round.consortiumID, actor: Actor(principal), action: "suspend",
                entityType: "herb_supplier_suspension", entityKey: "\(roundID):\(supplierCode)",
                before: HerbSupplierStanding?.none, after: standing)
            return standing
        }
    }
}

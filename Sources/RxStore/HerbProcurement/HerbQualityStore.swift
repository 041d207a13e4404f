import Foundation
import Logging
import PostgresNIO
import RxDomain

package struct HerbInspectionDraft: Sendable {
    package var drugCode: String
    package var lotNumber: String
    package var supplierCode: String
    package var inspectedOn: BusinessDate
    package var identificationPassed: Bool
    package var measured: [HerbQualityMeasure: Decimal]
    package init(
        drugCode: String, lotNumber: String, supplierCode: String, inspectedOn: BusinessDate, identificationPassed: Bool,
        measured: [HerbQualityMeasure: Decimal]
    ) {
        self.drugCode = drugCode
        self.lotNumber = lotNumber
        self.supplierCode = supplierCode
        self.inspectedOn = inspectedOn
        self.identificationPassed = identificationPassed
        self.measured = measured
    }
}

package struct HerbInspection: Sendable, Equatable, Encodable {
    package var id: Int64
    package var roundID: Int64
    package var drugCode: String
    package var lotNumber: String
    package var supplierCode: String
    package var inspectedOn: BusinessDate
    package var identificationPassed: Bool
    package var measured: [String: Decimal]
    package var result: HerbInspectionResult
    package var failures: [String]
    /// The supplier's rejected lots in this round, after this inspection.
    package var supplierRejections: Int
    package var supplierFlagged: Bool
}

package struct HerbBatchStatus: Sendable, Equatable {
    package enum Status: String, Sendable { case passed, rejected, uninspected }
    package var drugCode: String
    package var lotNumber: String
    package var status: Status
    package var mayUse: Bool
    package var roundID: Int64?
    package var supplierCode: String?
    package var failures: [String]
}

package struct HerbSupplierStanding: Sendable, Equatable, Encodable {
    package var supplierCode: String
    package var supplierName: String
    package var bids: Int
    package var rejections: Int
    package var flagged: Bool
    package var suspended: Bool
    package var suspensionReason: String?
}

/// The lead lab's inspections of delivered lots, the block on rejected lots, and suppliers' standing in a round.
package struct HerbQualityStore: SQLStore {
    let database: Database
    let rounds: HerbRoundStore

    package init(database: Database) {
        self.database = database
        self.rounds = HerbRoundStore(database: database)
    }

    /// Records the lab's verdict on a lot of an awarded supplier: identification and every limited measure against
    /// `herb_quality_limits`. A lot outside any limit is rejected and blocked at every member.
    package func inspect(roundID: Int64, _ draft: HerbInspectionDraft, by principal: Principal) async throws -> HerbInspection {
        try await database.transaction { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            try principal.require(.inspectHerbBatch(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            let item = try HerbRoundRules.inspectionItem(of: round, drugCode: draft.drugCode)
            let supplier = try HerbRoundRules.checkLotSupplier(
                try await connection.row(
                    """
                    SELECT s.id, coalesce(bool_or(k.winner), false) FROM suppliers s
                    LEFT JOIN herb_bids b ON b.supplier_id = s.id AND b.consortium_id = \(round.consortiumID) AND b.item_id = \(item.id)
                    LEFT JOIN herb_bid_rankings k ON k.consortium_id = b.consortium_id AND k.bid_id = b.id
                    WHERE s.code = \(draft.supplierCode) GROUP BY s.id
                    """, as: (Int64, Bool).self, logger: logger
                ).map { HerbRoundRules.LotSupplier(id: $0.0, awarded: $0.1) },
                code: draft.supplierCode, drugCode: item.drugCode, roundID: roundID)
            let limitColumns = HerbQualityMeasure.allCases.map(\.limitColumn).joined(separator: ", ")
            let limits = try HerbRoundRules.qualityLimits(
                try await connection.row(
                    "SELECT \(unescaped: limitColumns) FROM herb_quality_limits WHERE drug_code = \(item.drugCode)",
                    as: (Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?).self,
                    logger: logger
                ).map { row in
                    let values = [row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9]
                    var limits: [HerbQualityMeasure: Decimal] = [:]
                    for (measure, value) in zip(HerbQualityMeasure.allCases, values) { if let value { limits[measure] = value } }
                    return limits
                },
                drugCode: item.drugCode)
            let verdict = try HerbProcurementRules.inspect(
                identificationPassed: draft.identificationPassed, measured: draft.measured, limits: limits)
            let m = { (x: HerbQualityMeasure) in draft.measured[x] }
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO herb_inspections (consortium_id, round_id, item_id, drug_code, lot_number, supplier_id, inspected_on,
                        identification_passed, moisture_pct, total_ash_pct, so2_mg_per_kg, lead_mg_per_kg, cadmium_mg_per_kg,
                        arsenic_mg_per_kg, mercury_mg_per_kg, copper_mg_per_kg, aflatoxin_b1_ug_per_kg, aflatoxins_total_ug_per_kg,
                        result, failures, recorded_by)
                    VALUES (\(round.consortiumID), \(roundID), \(item.id), \(item.drugCode), \(draft.lotNumber), \(supplier.id),
                            \(draft.inspectedOn.description)::date, \(draft.identificationPassed), \(m(.moisturePct)), \(m(.totalAshPct)),
                            \(m(.sulfurDioxideMgPerKg)), \(m(.leadMgPerKg)), \(m(.cadmiumMgPerKg)), \(m(.arsenicMgPerKg)),
                            \(m(.mercuryMgPerKg)), \(m(.copperMgPerKg)), \(m(.aflatoxinB1UgPerKg)), \(m(.aflatoxinsTotalUgPerKg)),
                            \(verdict.result.rawValue), \(verdict.failures), \(principal.tokenID))
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the inspection was not recorded") }
            let rejections =
                try await connection.row(
                    """
                    SELECT count(*)::int FROM herb_inspections WHERE consortium_id = \(round.consortiumID) AND round_id = \(roundID)
                      AND supplier_id = \(supplier.id) AND result = 'rejected'
                    """, as: Int.self, logger: logger) ?? 0
            let created = HerbInspection(
                id: id, roundID: roundID, drugCode: item.drugCode, lotNumber: draft.lotNumber, supplierCode: draft.supplierCode,
                inspectedOn: draft.inspectedOn, identificationPassed: draft.identificationPassed,
                measured: Dictionary(draft.measured.map { ($0.key.rawValue, $0.value) }, uniquingKeysWith: { a, _ in a }),
                result: verdict.result, failures: verdict.failures, supplierRejections: rejections,
                supplierFlagged: HerbProcurementRules.flagsSupplier(
                    rejections: rejections, threshold: try await flagThreshold(round, connection)))
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: "inspect",
                entityType: "herb_inspection", entityKey: String(id), before: HerbInspection?.none, after: created)
            return created
        }
    }

    /// Whether a lot of a piece may be used: only a lot the lead's lab passed; a rejected one is blocked everywhere.
    package func batch(consortiumID: Int64, drugCode: String, lotNumber: String) async throws -> HerbBatchStatus {
        let row = try await database.rows(
            """
            SELECT h.round_id, s.code, h.result, h.failures FROM herb_inspections h JOIN suppliers s ON s.id = h.supplier_id
            WHERE h.consortium_id = \(consortiumID) AND h.drug_code = \(drugCode) AND h.lot_key = lot_key(\(lotNumber))
            """, as: (Int64, String, String, [String]).self
        ).first
        guard let row else {
            return HerbBatchStatus(
                drugCode: drugCode, lotNumber: lotNumber, status: .uninspected, mayUse: false, roundID: nil, supplierCode: nil,
                failures: ["not yet inspected by the lead's lab"])
        }
        let passed = row.2 == HerbInspectionResult.passed.rawValue
        return HerbBatchStatus(
            drugCode: drugCode, lotNumber: lotNumber, status: passed ? .passed : .rejected, mayUse: passed, roundID: row.0,
            supplierCode: row.1, failures: row.3)
    }

    /// Every supplier that bid in the round: its rejected lots, whether flagged (`flagsSupplier`), whether suspended.
    package func suppliers(roundID: Int64, by principal: Principal) async throws -> [HerbSupplierStanding] {
        try await database.read { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection)
            let threshold = try await flagThreshold(round, connection)
            return try await connection.rows(
                """
                SELECT s.code, s.name, count(DISTINCT b.id)::int,
                       (SELECT count(*)::int FROM herb_inspections h WHERE h.consortium_id = \(round.consortiumID)
                          AND h.round_id = \(roundID) AND h.supplier_id = s.id AND h.result = 'rejected'),
                       x.reason
                FROM herb_bids b JOIN suppliers s ON s.id = b.supplier_id
                LEFT JOIN herb_supplier_suspensions x ON x.consortium_id = b.consortium_id AND x.round_id = b.round_id
                     AND x.supplier_id = s.id
                WHERE b.consortium_id = \(round.consortiumID) AND b.round_id = \(roundID)
                GROUP BY s.id, s.code, s.name, x.reason ORDER BY s.code
                """, as: (String, String, Int, Int, String?).self, logger: logger
            ).map {
                HerbSupplierStanding(
                    supplierCode: $0.0, supplierName: $0.1, bids: $0.2, rejections: $0.3,
                    flagged: HerbProcurementRules.flagsSupplier(rejections: $0.3, threshold: threshold), suspended: $0.4 != nil,
                    suspensionReason: $0.4)
            }
        }
    }

    /// The lead suspends a supplier that bid in the round: its bids stop qualifying (a suspension before the award
    /// keeps it from winning; an award already made stands), and it cannot bid again in the round.
    package func suspend(roundID: Int64, supplierCode: String, reason: String, by principal: Principal) async throws
        -> HerbSupplierStanding
    {
        try await database.transaction { connection in
            let round = try await rounds.round(
                id: roundID, consortiumID: try principal.scopedConsortiumID(orNotFound: "no herb round \(roundID)"),
                connection: connection, lock: true)
            try principal.require(.runHerbRound(consortiumID: round.consortiumID, roundLeadCode: round.leadInstitutionCode))
            try HerbRoundRules.checkSuspension(round, reason: reason)
            guard
                let supplier = try await connection.row(
                    """
                    SELECT s.id FROM suppliers s WHERE s.code = \(supplierCode) AND EXISTS (
                        SELECT 1 FROM herb_bids b WHERE b.consortium_id = \(round.consortiumID) AND b.round_id = \(roundID) AND b.supplier_id = s.id)
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.notFound("\(supplierCode) has no bid in round \(roundID)") }
            try await connection.run(
                """
                INSERT INTO herb_supplier_suspensions (consortium_id, round_id, supplier_id, reason, suspended_by)
                VALUES (\(round.consortiumID), \(roundID), \(supplier), \(reason), \(principal.tokenID))
                """, logger: logger)
            let rejections =
                try await connection.row(
                    """
                    SELECT count(*)::int FROM herb_inspections WHERE consortium_id = \(round.consortiumID) AND round_id = \(roundID)
                      AND supplier_id = \(supplier) AND result = 'rejected'
                    """, as: Int.self, logger: logger) ?? 0
            let bids =
                try await connection.row(
                    """
                    SELECT count(*)::int FROM herb_bids WHERE consortium_id = \(round.consortiumID) AND round_id = \(roundID)
                      AND supplier_id = \(supplier)
                    """, as: Int.self, logger: logger) ?? 0
            let name =
                try await connection.row("SELECT name FROM suppliers WHERE id = \(supplier)", as: String.self, logger: logger)
                ?? supplierCode
            let standing = HerbSupplierStanding(
                supplierCode: supplierCode, supplierName: name, bids: bids, rejections: rejections,
                flagged: HerbProcurementRules.flagsSupplier(
                    rejections: rejections, threshold: try await flagThreshold(round, connection)), suspended: true,
                suspensionReason: reason)
            try await audit.record(
                on: connection, consortiumID: round.consortiumID, actor: Actor(principal), action: "suspend",
                entityType: "herb_supplier_suspension", entityKey: "\(roundID):\(supplierCode)",
                before: HerbSupplierStanding?.none, after: standing)
            return standing
        }
    }

    /// Rejected lots that flag a supplier, as set when the round began.
    private func flagThreshold(_ round: HerbRound, _ connection: PostgresConnection) async throws -> Int {
        try await Settings(logger: logger).required(
            .herbRejectionsToFlagSupplier, consortiumID: round.consortiumID, on: round.periodStart, connection: connection)
    }
}

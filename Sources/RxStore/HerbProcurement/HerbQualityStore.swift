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

    package init(
        id: Int64, roundID: Int64, drugCode: String, lotNumber: String, supplierCode: String, inspectedOn: BusinessDate,
        identificationPassed: Bool, measured: [String: Decimal], result: HerbInspectionResult, failures: [String],
        supplierRejections: Int, supplierFlagged: Bool
    ) {
        self.id = id
        self.roundID = roundID
        self.drugCode = drugCode
        self.lotNumber = lotNumber
        self.supplierCode = supplierCode
        self.inspectedOn = inspectedOn
        self.identificationPassed = identificationPassed
        self.measured = measured
        self.result = result
        self.failures = failures
        self.supplierRejections = supplierRejections
        self.supplierFlagged = supplierFlagged
    }
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

    package init(
        supplierCode: String, supplierName: String, bids: Int, rejections: Int, flagged: Bool, suspended: Bool,
        suspensionReason: String?
    ) {
        self.supplierCode = supplierCode
        self.supplierName = supplierName
        self.bids = bids
        self.rejections = rejections
        self.flagged = flagged
        self.suspended = suspended
        self.suspensionReason = suspensionReason
    }
}

/// The lead lab's inspections of delivered lots, the block on rejected lots, and suppliers' standing in a round.
package struct HerbQualityStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// A supplier as the supplier of a lot of an item, with whether one of its bids on the item won.
    package func lotSupplier(code: String, itemID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> HerbRoundRules.LotSupplier?
    {
        try await connection.row(
            """
            SELECT s.id, coalesce(bool_or(k.winner), false) FROM suppliers s
            LEFT JOIN herb_bids b ON b.supplier_id = s.id AND b.consortium_id = \(consortiumID) AND b.item_id = \(itemID)
            LEFT JOIN herb_bid_rankings k ON k.consortium_id = b.consortium_id AND k.bid_id = b.id
            WHERE s.code = \(code) GROUP BY s.id
            """, as: (Int64, Bool).self, logger: logger
        ).map { HerbRoundRules.LotSupplier(id: $0.0, awarded: $0.1) }
    }

    /// The limits of a piece by measure (nil: the piece has no row of limits).
    package func qualityLimits(drugCode: String, connection: PostgresConnection) async throws -> [HerbQualityMeasure: Decimal]? {
        let limitColumns = HerbQualityMeasure.allCases.map(\.limitColumn).joined(separator: ", ")
        return try await connection.row(
            "SELECT \(unescaped: limitColumns) FROM herb_quality_limits WHERE drug_code = \(drugCode)",
            as: (Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?).self,
            logger: logger
        ).map { row in
            let values = [row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9]
            var limits: [HerbQualityMeasure: Decimal] = [:]
            for (measure, value) in zip(HerbQualityMeasure.allCases, values) { if let value { limits[measure] = value } }
            return limits
        }
    }

    package func insertInspection(
        _ draft: HerbInspectionDraft, item: HerbRoundItem, supplierID: Int64, verdict: HerbProcurementRules.QualityVerdict,
        recordedBy tokenID: Int64?, round: HerbRound, connection: PostgresConnection
    ) async throws -> Int64? {
        let m = { (x: HerbQualityMeasure) in draft.measured[x] }
        return try await connection.row(
            """
            INSERT INTO herb_inspections (consortium_id, round_id, item_id, drug_code, lot_number, supplier_id, inspected_on,
                identification_passed, moisture_pct, total_ash_pct, so2_mg_per_kg, lead_mg_per_kg, cadmium_mg_per_kg,
                arsenic_mg_per_kg, mercury_mg_per_kg, copper_mg_per_kg, aflatoxin_b1_ug_per_kg, aflatoxins_total_ug_per_kg,
                result, failures, recorded_by)
            VALUES (\(round.consortiumID), \(round.id), \(item.id), \(item.drugCode), \(draft.lotNumber), \(supplierID),
                    \(draft.inspectedOn.description)::date, \(draft.identificationPassed), \(m(.moisturePct)), \(m(.totalAshPct)),
                    \(m(.sulfurDioxideMgPerKg)), \(m(.leadMgPerKg)), \(m(.cadmiumMgPerKg)), \(m(.arsenicMgPerKg)),
                    \(m(.mercuryMgPerKg)), \(m(.copperMgPerKg)), \(m(.aflatoxinB1UgPerKg)), \(m(.aflatoxinsTotalUgPerKg)),
                    \(verdict.result.rawValue), \(verdict.failures), \(tokenID))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// An inspection as recorded: the lot, who supplied it, each measure taken and the verdict.
    package struct Record: Sendable, Equatable {
        package var id: Int64
        package var drugCode: String
        package var lotNumber: String
        package var supplierCode: String
        package var inspectedOn: BusinessDate
        package var identificationPassed: Bool
        package var measured: [HerbQualityMeasure: Decimal]
        package var result: HerbInspectionResult
        package var failures: [String]
    }

    /// The round's inspections, newest first.
    package func inspections(round: HerbRound, connection: PostgresConnection) async throws -> [Record] {
        let measured = HerbQualityMeasure.allCases.map { "h." + $0.measuredColumn }.joined(separator: ", ")
        let rows = try await connection.rows(
            """
            SELECT h.id, h.drug_code, h.lot_number, s.code, h.inspected_on::text, h.identification_passed, h.result,
                   h.failures, \(unescaped: measured)
            FROM herb_inspections h JOIN suppliers s ON s.id = h.supplier_id
            WHERE h.consortium_id = \(round.consortiumID) AND h.round_id = \(round.id)
            ORDER BY h.id DESC
            """,
            as: (
                Int64, String, String, String, String, Bool, String, [String], Decimal?, Decimal?, Decimal?, Decimal?,
                Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?
            ).self, logger: logger)
        return try rows.map { r in
            let values = [r.8, r.9, r.10, r.11, r.12, r.13, r.14, r.15, r.16, r.17]
            var measured: [HerbQualityMeasure: Decimal] = [:]
            for (measure, value) in zip(HerbQualityMeasure.allCases, values) { if let value { measured[measure] = value } }
            return Record(
                id: r.0, drugCode: r.1, lotNumber: r.2, supplierCode: r.3, inspectedOn: BusinessDate(r.4)!,
                identificationPassed: r.5, measured: measured, result: try decodeEnum(r.6), failures: r.7)
        }
    }

    /// The supplier's rejected lots in the round.
    package func rejections(supplierID: Int64, round: HerbRound, connection: PostgresConnection) async throws -> Int {
        try await connection.row(
            """
            SELECT count(*)::int FROM herb_inspections WHERE consortium_id = \(round.consortiumID) AND round_id = \(round.id)
              AND supplier_id = \(supplierID) AND result = 'rejected'
            """, as: Int.self, logger: logger) ?? 0
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

    /// Every supplier that bid in the round: its bids, its rejected lots, and its suspension's reason if suspended.
    package func bidders(round: HerbRound, connection: PostgresConnection) async throws
        -> [(code: String, name: String, bids: Int, rejections: Int, suspensionReason: String?)]
    {
        let roundID = round.id
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
        ).map { (code: $0.0, name: $0.1, bids: $0.2, rejections: $0.3, suspensionReason: $0.4) }
    }

    /// A supplier that bid in the round, by code (nil: none by that code bid).
    package func bidderID(code: String, round: HerbRound, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            """
            SELECT s.id FROM suppliers s WHERE s.code = \(code) AND EXISTS (
                SELECT 1 FROM herb_bids b WHERE b.consortium_id = \(round.consortiumID) AND b.round_id = \(round.id) AND b.supplier_id = s.id)
            """, as: Int64.self, logger: logger)
    }

    package func insertSuspension(
        supplierID: Int64, reason: String, suspendedBy tokenID: Int64?, round: HerbRound, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO herb_supplier_suspensions (consortium_id, round_id, supplier_id, reason, suspended_by)
            VALUES (\(round.consortiumID), \(round.id), \(supplierID), \(reason), \(tokenID))
            """, logger: logger)
    }

    /// The supplier's bids in the round, and its name.
    package func bidsAndName(supplierID: Int64, round: HerbRound, connection: PostgresConnection) async throws
        -> (bids: Int, name: String?)
    {
        let bids =
            try await connection.row(
                """
                SELECT count(*)::int FROM herb_bids WHERE consortium_id = \(round.consortiumID) AND round_id = \(round.id)
                  AND supplier_id = \(supplierID)
                """, as: Int.self, logger: logger) ?? 0
        let name = try await connection.row(
            "SELECT name FROM suppliers WHERE id = \(supplierID)", as: String.self, logger: logger)
        return (bids, name)
    }

    /// Rejected lots that flag a supplier, as set when the round began.
    package func flagThreshold(_ round: HerbRound, connection: PostgresConnection) async throws -> Int {
        try await Settings(logger: logger).required(
            .herbRejectionsToFlagSupplier, consortiumID: round.consortiumID, on: round.periodStart, connection: connection)
    }
}

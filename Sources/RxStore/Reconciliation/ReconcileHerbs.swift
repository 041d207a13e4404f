import Foundation
import Logging
import PostgresNIO
import RxDomain

/// `consortiumrx reconcile herbs --round ID`: per member and item of a volume-based round of decoction pieces,
/// committed against bought (the progress endpoint's figures, as of a date), and every lot the lead's lab rejected
/// that a member nevertheless received. Two set-based queries; the run is recorded in the same transaction.
package struct ReconcileHerbs: Sendable {
    package typealias Outcome = RecordReconciliationOutcome<HerbCommitmentClassification>

    let database: Database
    var logger: Logger { database.logger }

    package init(database: Database) { self.database = database }

    package func run(
        roundID: Int64, asOf: BusinessDate, format: ReconciliationReport.Format = .table,
        createdBy: String
    ) async throws -> Outcome {
        let startedAt = Date()
        return try await RecordReconciliationRun.outcome(database: database, format: format) { connection in
            try await reconcile(roundID: roundID, asOf: asOf, startedAt: startedAt, createdBy: createdBy, connection: connection)
        }
    }

    func reconcile(
        roundID: Int64, asOf: BusinessDate, startedAt: Date, createdBy: String,
        connection: PostgresConnection
    ) async throws -> RecordReconciliationReport<HerbCommitmentClassification> {
        guard
            let round = try await connection.row(
                "SELECT consortium_id, name, period_start::text, period_end::text FROM herb_rounds WHERE id = \(roundID)",
                as: (Int64, String, String, String).self, logger: logger),
            let start = BusinessDate(round.2), let end = BusinessDate(round.3)
        else { throw DomainError.notFound("no herb round \(roundID)") }
        let consortiumID = round.0
        let day = asOf.description

        // Committed (accepted) against ordered through purchase orders priced by the round's award (not cancelled,
        // dated up to as-of) and received of them up to as-of; buying without a commitment shows as committed 0.
        let members = try await connection.rows(
            """
            WITH c AS (
                SELECT item_id, institution_id, quantity_kg FROM herb_commitments
                WHERE consortium_id = \(consortiumID) AND round_id = \(roundID) AND status = 'accepted'
            ), b AS (
                SELECT i.id AS item_id, o.institution_id, sum(l.quantity) AS ordered, coalesce(sum(r.quantity), 0) AS received
                FROM herb_round_items i
                JOIN purchase_order_lines l ON l.consortium_id = i.consortium_id AND l.price_agreement_id = i.award_agreement_id
                JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
                LEFT JOIN LATERAL (
                    SELECT sum(d.quantity) AS quantity FROM deliveries d
                    WHERE d.consortium_id = l.consortium_id AND d.order_id = l.order_id AND d.line_no = l.line_no
                      AND d.received_on <= \(day)::date
                ) r ON true
                WHERE i.consortium_id = \(consortiumID) AND i.round_id = \(roundID) AND o.status <> 'cancelled'
                  AND o.order_date <= \(day)::date
                GROUP BY i.id, o.institution_id
            ), j AS (
                SELECT coalesce(c.item_id, b.item_id) AS item_id, coalesce(c.institution_id, b.institution_id) AS institution_id,
                       coalesce(c.quantity_kg, 0) AS committed, coalesce(b.ordered, 0) AS ordered, coalesce(b.received, 0) AS received
                FROM c FULL JOIN b ON b.item_id = c.item_id AND b.institution_id = c.institution_id
            )
            SELECT m.code, i.drug_code, d.generic_name, j.committed, j.ordered, j.received, a.unit_price
            FROM j
            JOIN herb_round_items i ON i.consortium_id = \(consortiumID) AND i.id = j.item_id
            JOIN drugs d ON d.code = i.drug_code
            JOIN institutions m ON m.id = j.institution_id
            LEFT JOIN price_agreements a ON a.consortium_id = i.consortium_id AND a.id = i.award_agreement_id
            ORDER BY m.code, i.drug_code
            """, as: (String, String, String, Decimal, Decimal, Decimal, Decimal?).self, logger: logger)

        // Lots of the round's pieces the lab rejected by as-of, received by a member (through any order line of the
        // piece) by as-of. Orders carry no lot: a rejected lot shows once it is delivered.
        let rejected = try await connection.rows(
            """
            SELECT m.code, h.drug_code, dr.generic_name, h.lot_number, s.code, h.inspected_on::text, h.failures,
                   sum(d.quantity), min(d.received_on)::text, max(d.received_on)::text, sum(d.quantity * l.unit_price)
            FROM herb_inspections h
            JOIN suppliers s ON s.id = h.supplier_id
            JOIN drugs dr ON dr.code = h.drug_code
            JOIN deliveries d ON d.consortium_id = h.consortium_id AND d.lot_key = h.lot_key
            JOIN purchase_order_lines l ON l.consortium_id = d.consortium_id AND l.order_id = d.order_id AND l.line_no = d.line_no
                                       AND l.drug_code = h.drug_code
            JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
            JOIN institutions m ON m.id = o.institution_id
            WHERE h.consortium_id = \(consortiumID) AND h.round_id = \(roundID) AND h.result = 'rejected'
              AND h.inspected_on <= \(day)::date AND d.received_on <= \(day)::date
            GROUP BY m.code, h.drug_code, dr.generic_name, h.lot_number, s.code, h.inspected_on, h.failures
            ORDER BY m.code, h.drug_code, h.lot_number
            """, as: (String, String, String, String, String, String, [String], Decimal, String, String, Decimal).self,
            logger: logger)

        var entries = members.map {
            HerbCommitmentReconciliation.classify(
                HerbCommitmentFacts(
                    institutionCode: $0.0, drugCode: $0.1, drugName: $0.2, committedKg: $0.3, orderedKg: $0.4,
                    receivedKg: $0.5, awardedPrice: $0.6.map { Money($0) }),
                periodStart: start, periodEnd: end, asOf: asOf)
        }
        for r in rejected {
            guard let inspected = BusinessDate(r.5), let first = BusinessDate(r.8), let last = BusinessDate(r.9) else { continue }
            entries.append(
                HerbCommitmentReconciliation.classify(
                    RejectedBatchFacts(
                        institutionCode: r.0, drugCode: r.1, drugName: r.2, lotNumber: r.3, supplierCode: r.4,
                        inspectedOn: inspected,
                        failures: r.6, receivedKg: r.7, firstReceivedOn: first, lastReceivedOn: last, value: Money(r.10))))
        }
        return try await RecordReconciliationRun.record(
            kind: "herbs", consortiumID: consortiumID, subject: "round \(roundID) (\(round.1)), period \(start)..\(end)",
            parameters: "round=\(roundID)", asOf: asOf, startedAt: startedAt, entries: entries, hasMoney: true,
            createdBy: createdBy, connection: connection, logger: logger)
    }
}

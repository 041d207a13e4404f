import Foundation
import Logging
import PostgresNIO
import RxDomain

/// `consortiumrx reconcile transfers --consortium CODE`: per approval of a hospital preparation's transfer, approved,
/// shipped, received, in transit and remaining as of a date; then every shipment outside its approval. The schema
/// already guarantees a shipment's receiver is named on its approval (foreign key), that it ships the approval's
/// preparation (it has no drug of its own), that a receipt has its shipment and that a lot is not expired when
/// shipped (checks); what it cannot guarantee, or what the API refuses but data loaded around it might hold, is
/// checked here. Two set-based queries; the run is recorded in the same transaction.
package struct ReconcileTransfers: Sendable {
    package typealias Outcome = RecordReconciliationOutcome<TransferClassification>

    let database: Database
    var logger: Logger { database.logger }

    package init(database: Database) { self.database = database }

    package func run(
        consortiumCode: String, asOf: BusinessDate, format: ReconciliationReport.Format = .table,
        createdBy: String
    ) async throws -> Outcome {
        let startedAt = Date()
        return try await RecordReconciliationRun.outcome(database: database, format: format) { connection in
            try await reconcile(
                consortiumCode: consortiumCode, asOf: asOf, startedAt: startedAt, createdBy: createdBy,
                connection: connection)
        }
    }

    func reconcile(
        consortiumCode: String, asOf: BusinessDate, startedAt: Date, createdBy: String,
        connection: PostgresConnection
    ) async throws -> RecordReconciliationReport<TransferClassification> {
        guard let consortiumID = try await ConsortiumStore(database: database).find(code: consortiumCode, on: connection)?.id
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        let day = asOf.description

        let approvals = try await connection.rows(
            """
            SELECT a.id, a.kind, a.document_number, a.drug_code, d.generic_name, sup.code,
                   coalesce((SELECT array_agg(i.code ORDER BY i.code) FROM transfer_approval_receivers r
                             JOIN institutions i ON i.id = r.institution_id WHERE r.approval_id = a.id), '{}'),
                   a.unit, a.approved_quantity, a.shipped_quantity,
                   coalesce(t.total, 0), coalesce(t.shipped, 0), coalesce(t.received, 0), coalesce(t.in_transit, 0),
                   coalesce(t.shipments, 0)::int, a.valid_from::text, a.valid_to::text
            FROM transfer_approvals a
            JOIN drugs d ON d.code = a.drug_code
            JOIN institutions sup ON sup.id = a.supplier_institution_id
            LEFT JOIN LATERAL (
                SELECT sum(s.quantity) AS total,
                       sum(s.quantity) FILTER (WHERE s.shipped_on <= \(day)::date) AS shipped,
                       sum(r.quantity_received) FILTER (WHERE s.shipped_on <= \(day)::date AND r.received_on <= \(day)::date) AS received,
                       sum(s.quantity) FILTER (WHERE s.shipped_on <= \(day)::date
                                                 AND (r.id IS NULL OR r.received_on > \(day)::date)) AS in_transit,
                       count(*) FILTER (WHERE s.shipped_on <= \(day)::date) AS shipments
                FROM transfer_shipments s LEFT JOIN transfer_receipts r ON r.shipment_id = s.id
                WHERE s.consortium_id = a.consortium_id AND s.approval_id = a.id
            ) t ON true
            WHERE a.consortium_id = \(consortiumID)
            ORDER BY a.id
            """,
            as: (
                Int64, String, String?, String, String, String, [String], String, Decimal, Decimal, Decimal, Decimal, Decimal,
                Decimal, Int, String, String
            ).self, logger: logger)

        // Shipments up to as-of, each with its approval's terms, its running total in shipping order, the
        // preparation's registration, whether the producer held a licence that day, and its receipt by as-of.
        let shipments = try await connection.rows(
            """
            SELECT s.id, s.approval_id, a.drug_code, rcv.code, s.lot_number, a.unit, s.quantity, s.shipped_on::text,
                   a.valid_from::text, a.valid_to::text, a.approved_quantity,
                   sum(s.quantity) OVER (PARTITION BY s.approval_id ORDER BY s.shipped_on, s.id),
                   CASE WHEN p.registration_kind = 'approval_number' THEN p.registration_valid_to::text END,
                   EXISTS (SELECT 1 FROM preparation_licences pl
                           WHERE pl.consortium_id = a.consortium_id AND pl.institution_id = a.supplier_institution_id
                             AND s.shipped_on BETWEEN pl.valid_from AND pl.valid_to),
                   r.quantity_received, r.received_on::text
            FROM transfer_shipments s
            JOIN transfer_approvals a ON a.consortium_id = s.consortium_id AND a.id = s.approval_id
            JOIN hospital_preparations p ON p.consortium_id = a.consortium_id AND p.drug_code = a.drug_code
            JOIN institutions rcv ON rcv.id = s.receiver_institution_id
            LEFT JOIN transfer_receipts r ON r.shipment_id = s.id AND r.received_on <= \(day)::date
            WHERE s.consortium_id = \(consortiumID) AND s.shipped_on <= \(day)::date
            ORDER BY s.approval_id, s.shipped_on, s.id
            """,
            as: (
                Int64, Int64, String, String, String, String, Decimal, String, String, String, Decimal, Decimal, String?, Bool,
                Decimal?, String?
            ).self, logger: logger)

        var shipmentEntries: [Int64: [ReportEntry<TransferClassification>]] = [:]
        for s in shipments {
            guard let shipped = BusinessDate(s.7), let from = BusinessDate(s.8), let to = BusinessDate(s.9) else { continue }
            let facts = TransferShipmentFacts(
                shipmentID: s.0, approvalID: s.1, drugCode: s.2, receiverCode: s.3, lotNumber: s.4, unit: s.5, quantity: s.6,
                shippedOn: shipped, validFrom: from, validTo: to, approved: s.10, cumulativeShipped: s.11,
                registrationValidTo: s.12.flatMap(BusinessDate.init), licensed: s.13, receivedQuantity: s.14,
                receivedOn: s.15.flatMap(BusinessDate.init))
            if let entry = TransferApprovalReconciliation.classify(facts) { shipmentEntries[s.1, default: []].append(entry) }
        }
        // Each approval, then the shipments against it that lie outside it.
        var entries: [ReportEntry<TransferClassification>] = []
        for a in approvals {
            guard let from = BusinessDate(a.15), let to = BusinessDate(a.16) else { continue }
            entries.append(
                TransferApprovalReconciliation.classify(
                    TransferApprovalFacts(
                        approvalID: a.0, kind: a.1, documentNumber: a.2, drugCode: a.3, drugName: a.4, supplierCode: a.5,
                        receiverCodes: a.6,
                        unit: a.7, approved: a.8, runningShippedTotal: a.9, shipmentsTotal: a.10, shipped: a.11, received: a.12,
                        inTransit: a.13, shipments: a.14, validFrom: from, validTo: to), asOf: asOf))
            entries += shipmentEntries[a.0] ?? []
        }
        return try await RecordReconciliationRun.record(
            kind: "transfers", consortiumID: consortiumID, subject: "consortium \(consortiumCode), transfer approvals",
            parameters: "consortium=\(consortiumCode)", asOf: asOf, startedAt: startedAt,
            lines: approvals.count + shipments.count, entries: entries, hasMoney: false,
            createdBy: createdBy, connection: connection, logger: logger)
    }
}

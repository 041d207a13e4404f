import Foundation
import PostgresNIO
import RxDomain

/// The SQL of the reports of records against records (`consortiumrx reconcile herbs|transfers|catalogues`; the
/// orchestration is in RxUseCases): set-based queries that return each entry's facts for RxDomain to classify.
package struct RecordReconciliationStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// A consortium's id by code, if there is one.
    package func consortiumID(code: String, on connection: PostgresConnection) async throws -> Int64? {
        try await ConsortiumStore(database: database).find(code: code, on: connection)?.id
    }

    // MARK: Herb rounds

    /// A herb round's consortium, name and period; nil when there is no such round.
    package func herbRound(id roundID: Int64, on connection: PostgresConnection) async throws
        -> (consortiumID: Int64, name: String, start: BusinessDate, end: BusinessDate)?
    {
        guard
            let round = try await connection.row(
                "SELECT consortium_id, name, period_start::text, period_end::text FROM herb_rounds WHERE id = \(roundID)",
                as: (Int64, String, String, String).self, logger: logger),
            let start = BusinessDate(round.2), let end = BusinessDate(round.3)
        else { return nil }
        return (round.0, round.1, start, end)
    }

    /// Per member and item of the round, committed against ordered and received as of a date.
    package func herbCommitmentFacts(roundID: Int64, consortiumID: Int64, asOf: BusinessDate, on connection: PostgresConnection)
        async throws -> [HerbCommitmentFacts]
    {
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
            JOIN institutions m ON m.consortium_id = \(consortiumID) AND m.id = j.institution_id
            LEFT JOIN price_agreements a ON a.consortium_id = i.consortium_id AND a.id = i.award_agreement_id
            ORDER BY m.code, i.drug_code
            """, as: (String, String, String, Decimal, Decimal, Decimal, Decimal?).self, logger: logger)

        return members.map {
            HerbCommitmentFacts(
                institutionCode: $0.0, drugCode: $0.1, drugName: $0.2, committedKg: $0.3, orderedKg: $0.4,
                receivedKg: $0.5, awardedPrice: $0.6.map { Money($0) })
        }
    }

    /// The rejected lots of the round's pieces received by a member, as of a date.
    package func rejectedBatchFacts(roundID: Int64, consortiumID: Int64, asOf: BusinessDate, on connection: PostgresConnection)
        async throws -> [RejectedBatchFacts]
    {
        let day = asOf.description
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
            JOIN institutions m ON m.consortium_id = o.consortium_id AND m.id = o.institution_id
            WHERE h.consortium_id = \(consortiumID) AND h.round_id = \(roundID) AND h.result = 'rejected'
              AND h.inspected_on <= \(day)::date AND d.received_on <= \(day)::date
            GROUP BY m.code, h.drug_code, dr.generic_name, h.lot_number, s.code, h.inspected_on, h.failures
            ORDER BY m.code, h.drug_code, h.lot_number
            """, as: (String, String, String, String, String, String, [String], Decimal, String, String, Decimal).self,
            logger: logger)

        return rejected.compactMap { r in
            guard let inspected = BusinessDate(r.5), let first = BusinessDate(r.8), let last = BusinessDate(r.9) else {
                return nil
            }
            return RejectedBatchFacts(
                institutionCode: r.0, drugCode: r.1, drugName: r.2, lotNumber: r.3, supplierCode: r.4, inspectedOn: inspected,
                failures: r.6, receivedKg: r.7, firstReceivedOn: first, lastReceivedOn: last, value: Money(r.10))
        }
    }

    // MARK: Transfers

    /// Each transfer approval of the consortium with what was shipped and received against it as of a date; `rows`
    /// counts every approval read.
    package func transferApprovalFacts(consortiumID: Int64, asOf: BusinessDate, on connection: PostgresConnection)
        async throws -> (rows: Int, facts: [TransferApprovalFacts])
    {
        let day = asOf.description
        let approvals = try await connection.rows(
            """
            SELECT a.id, a.kind, a.document_number, a.drug_code, d.generic_name, sup.code,
                   coalesce((SELECT array_agg(i.code ORDER BY i.code) FROM transfer_approval_receivers r
                             JOIN institutions i ON i.consortium_id = r.consortium_id AND i.id = r.institution_id
                             WHERE r.consortium_id = a.consortium_id AND r.approval_id = a.id), '{}'),
                   a.unit, a.approved_quantity, a.shipped_quantity,
                   coalesce(t.total, 0), coalesce(t.shipped, 0), coalesce(t.received, 0), coalesce(t.in_transit, 0),
                   coalesce(t.shipments, 0)::int, a.valid_from::text, a.valid_to::text
            FROM transfer_approvals a
            JOIN drugs d ON d.code = a.drug_code
            JOIN institutions sup ON sup.consortium_id = a.consortium_id AND sup.id = a.supplier_institution_id
            LEFT JOIN LATERAL (
                SELECT sum(s.quantity) AS total,
                       sum(s.quantity) FILTER (WHERE s.shipped_on <= \(day)::date) AS shipped,
                       sum(r.quantity_received) FILTER (WHERE s.shipped_on <= \(day)::date AND r.received_on <= \(day)::date) AS received,
                       sum(s.quantity) FILTER (WHERE s.shipped_on <= \(day)::date
                                                 AND (r.id IS NULL OR r.received_on > \(day)::date)) AS in_transit,
                       count(*) FILTER (WHERE s.shipped_on <= \(day)::date) AS shipments
                FROM transfer_shipments s
                LEFT JOIN transfer_receipts r ON r.consortium_id = s.consortium_id AND r.shipment_id = s.id
                WHERE s.consortium_id = a.consortium_id AND s.approval_id = a.id
            ) t ON true
            WHERE a.consortium_id = \(consortiumID)
            ORDER BY a.id
            """,
            as: (
                Int64, String, String?, String, String, String, [String], String, Decimal, Decimal, Decimal, Decimal, Decimal,
                Decimal, Int, String, String
            ).self, logger: logger)

        let facts = approvals.compactMap { a -> TransferApprovalFacts? in
            guard let from = BusinessDate(a.15), let to = BusinessDate(a.16) else { return nil }
            return TransferApprovalFacts(
                approvalID: a.0, kind: a.1, documentNumber: a.2, drugCode: a.3, drugName: a.4, supplierCode: a.5,
                receiverCodes: a.6, unit: a.7, approved: a.8, runningShippedTotal: a.9, shipmentsTotal: a.10, shipped: a.11,
                received: a.12, inTransit: a.13, shipments: a.14, validFrom: from, validTo: to)
        }
        return (approvals.count, facts)
    }

    /// Each shipment up to a date with its approval's terms; `rows` counts every shipment read.
    package func transferShipmentFacts(consortiumID: Int64, asOf: BusinessDate, on connection: PostgresConnection)
        async throws -> (rows: Int, facts: [TransferShipmentFacts])
    {
        let day = asOf.description
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
            JOIN institutions rcv ON rcv.consortium_id = s.consortium_id AND rcv.id = s.receiver_institution_id
            LEFT JOIN transfer_receipts r ON r.consortium_id = s.consortium_id AND r.shipment_id = s.id
                                       AND r.received_on <= \(day)::date
            WHERE s.consortium_id = \(consortiumID) AND s.shipped_on <= \(day)::date
            ORDER BY s.approval_id, s.shipped_on, s.id
            """,
            as: (
                Int64, Int64, String, String, String, String, Decimal, String, String, String, Decimal, Decimal, String?, Bool,
                Decimal?, String?
            ).self, logger: logger)

        let facts = shipments.compactMap { s -> TransferShipmentFacts? in
            guard let shipped = BusinessDate(s.7), let from = BusinessDate(s.8), let to = BusinessDate(s.9) else { return nil }
            return TransferShipmentFacts(
                shipmentID: s.0, approvalID: s.1, drugCode: s.2, receiverCode: s.3, lotNumber: s.4, unit: s.5, quantity: s.6,
                shippedOn: shipped, validFrom: from, validTo: to, approved: s.10, cumulativeShipped: s.11,
                registrationValidTo: s.12.flatMap(BusinessDate.init), licensed: s.13, receivedQuantity: s.14,
                receivedOn: s.15.flatMap(BusinessDate.init))
        }
        return (shipments.count, facts)
    }

    // MARK: Members' catalogues

    /// The number of the consortium catalogue version in effect on a date, if any.
    package func catalogueVersionInEffect(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection)
        async throws -> Int?
    {
        try await CatalogueStore(database: database).numberInEffect(consortiumID: consortiumID, on: date, connection: connection)
    }

    /// How many drugs the members' own lists hold.
    package func memberListItemCount(consortiumID: Int64, on connection: PostgresConnection) async throws -> Int {
        try await connection.row(
            "SELECT count(*)::int FROM member_catalogue_items WHERE consortium_id = \(consortiumID)", as: Int.self,
            logger: logger) ?? 0
    }

    /// The drugs on members' own lists out of line with catalogue version `version`, with the version's item.
    package func memberListItemsOutOfLine(consortiumID: Int64, version: Int?, on connection: PostgresConnection)
        async throws -> [MemberCatalogueItemFacts]
    {
        // The listed drugs out of line (the rule of `CatalogueRules.outOfLine`, set-based), with the version's item.
        let rows = try await connection.rows(
            """
            SELECT i.code, i.level, m.drug_code, d.generic_name, c.drug_code IS NOT NULL, coalesce(c.levels, '{}')
            FROM member_catalogue_items m
            JOIN institutions i ON i.consortium_id = m.consortium_id AND i.id = m.institution_id
            JOIN drugs d ON d.code = m.drug_code
            LEFT JOIN catalogue_items c ON c.consortium_id = m.consortium_id AND c.version_number = \(version)
                                        AND c.drug_code = m.drug_code
            WHERE m.consortium_id = \(consortiumID)
              AND (c.drug_code IS NULL OR NOT catalogue_item_allows(c.levels, i.level))
            ORDER BY i.code, m.drug_code
            """, as: (String, String, String, String, Bool, [String]).self, logger: logger)
        return rows.compactMap { r -> MemberCatalogueItemFacts? in
            guard let level = InstitutionLevel(rawValue: r.1) else { return nil }
            let item = r.4 ? CatalogueItem(drugCode: r.2, levels: r.5.compactMap(InstitutionLevel.init(rawValue:))) : nil
            return MemberCatalogueItemFacts(
                institutionCode: r.0, level: level, drugCode: r.2, drugName: r.3, catalogueVersion: version, catalogueItem: item)
        }
    }
}

import Foundation
import PostgresNIO
import RxDomain

/// The consortium's records `InvoiceFileMatching` matches a file against, read once (issue 25): the streamed
/// counterpart of the joins of `InvoiceReconciliationStore.matchingQuery`, with the same filters.
extension InvoiceReconciliationStore {
    /// `institutions`: the members a file invoices; only their receipts, levels and own lists are read (a
    /// province's consortium has a quarter of a million members).
    package func matchingRecords(
        consortiumID: Int64, asOf: BusinessDate, institutions: [String], on connection: PostgresConnection
    ) async throws -> InvoiceFileMatching.Records {
        var records = InvoiceFileMatching.Records()
        // Every order line of a member with a receipt of a lot: a row per delivery (the records add up a lot's
        // deliveries on one order line), with what invoices recorded through the API billed of the line and of the
        // lot (leaving out a wrong distributor's lines, as the matching query does). No GROUP BY: a consortium's
        // millions of lots stream out of hash joins.
        let receipts = try await connection.stream(
            """
            WITH line_billed AS (
                SELECT x.order_id, x.order_line_no, sum(x.quantity) AS billed FROM invoice_lines x
                WHERE x.consortium_id = \(consortiumID) AND NOT x.discrepancies && ARRAY['wrong_distributor']
                GROUP BY x.order_id, x.order_line_no
            ), lot_billed AS (
                SELECT x.order_id, x.order_line_no, x.lot_key, sum(x.quantity) AS billed FROM invoice_lines x
                WHERE x.consortium_id = \(consortiumID) AND NOT x.discrepancies && ARRAY['wrong_distributor']
                GROUP BY x.order_id, x.order_line_no, x.lot_key
            )
            SELECT i.code, pol.drug_code, d.lot_key, pol.order_id, pol.line_no, pol.unit_price, co.distributor_id,
                   po.emergency_supplier_id, po.emergency_shortage_id, pol.received_quantity, d.quantity,
                   coalesce(lb.billed, 0), coalesce(kb.billed, 0)
            FROM purchase_orders po
            JOIN institutions i ON i.consortium_id = po.consortium_id AND i.id = po.institution_id
            JOIN purchase_order_lines pol ON pol.consortium_id = po.consortium_id AND pol.order_id = po.id
            JOIN deliveries d ON d.consortium_id = pol.consortium_id AND d.order_id = pol.order_id AND d.line_no = pol.line_no
            LEFT JOIN consolidated_orders co ON co.consortium_id = pol.consortium_id AND co.id = pol.consolidated_order_id
            LEFT JOIN line_billed lb ON lb.order_id = pol.order_id AND lb.order_line_no = pol.line_no
            LEFT JOIN lot_billed kb ON kb.order_id = pol.order_id AND kb.order_line_no = pol.line_no AND kb.lot_key = d.lot_key
            WHERE po.consortium_id = \(consortiumID) AND po.status <> 'cancelled' AND i.code = ANY(\(institutions)::text[])
            """, logger: logger)
        // Cell by cell: decoding a tuple of thirteen columns looks up generic metadata on every row. The price and
        // quantities go to the records in ten-thousandths (`ReceiptAmounts`), with no `Decimal` made for them.
        for try await row in receipts {
            var cells = row.makeIterator()
            func next() -> PostgresCell { cells.next()! }
            let key = InvoiceFileMatching.ReceiptKey(
                institutionCode: try next().decode(String.self), drugCode: try next().decode(String.self),
                lot: LotKey(try next().decode(String.self)))
            let (orderID, lineNo) = (try next().decode(Int64.self), try next().decode(Int.self))
            let price = next()
            let line = InvoiceFileMatching.ReceiptLine(
                orderID: orderID, lineNo: lineNo, consolidatedTo: try next().decode(Int64?.self),
                emergencySupplier: try next().decode(Int64?.self), emergencyShortageID: try next().decode(Int64?.self))
            let (lineReceived, lotReceived, lineBilled, lotBilled) = (next(), next(), next(), next())
            if let unifiedPrice = try price.decode(TenThousandthsColumn.self).value,
                let lineReceivedAmount = try lineReceived.decode(TenThousandthsColumn?.self).map({ $0.value }) ?? 0,
                let lotReceivedAmount = try lotReceived.decode(TenThousandthsColumn.self).value,
                let lineBilledAmount = try lineBilled.decode(TenThousandthsColumn.self).value,
                let lotBilledAmount = try lotBilled.decode(TenThousandthsColumn.self).value
            {
                records.addReceipt(
                    line,
                    amounts: InvoiceFileMatching.ReceiptAmounts(
                        unifiedPrice: unifiedPrice, lineReceived: lineReceivedAmount, lotReceived: lotReceivedAmount,
                        lineBilled: lineBilledAmount, lotBilled: lotBilledAmount),
                    at: key)
            } else {
                // More than four decimal places, or too large: as `Decimal`, kept exactly.
                records.addReceipt(
                    InvoiceFileMatching.ReceivedLot(
                        line, unifiedPrice: Money(try price.decode(NumericColumn.self).value),
                        lineReceived: try lineReceived.decode(NumericColumn?.self)?.value ?? 0,
                        lotReceived: try lotReceived.decode(NumericColumn.self).value,
                        lineBilled: try lineBilled.decode(NumericColumn.self).value,
                        lotBilled: try lotBilled.decode(NumericColumn.self).value),
                    at: key)
            }
        }

        var ownLists: [String: Set<String>] = [:]
        for try await (code, drug) in try await connection.stream(
            """
            SELECT i.code, mi.drug_code FROM member_catalogues mc
            JOIN institutions i ON i.consortium_id = mc.consortium_id AND i.id = mc.institution_id
            LEFT JOIN member_catalogue_items mi ON mi.consortium_id = mc.consortium_id AND mi.institution_id = mc.institution_id
            WHERE mc.consortium_id = \(consortiumID) AND i.code = ANY(\(institutions)::text[])
            """, logger: logger
        ).decode((String, String?).self) {
            ownLists[code, default: []].formUnion(drug.map { [$0] } ?? [])
        }
        for try await (code, level) in try await connection.stream(
            "SELECT code, level FROM institutions WHERE consortium_id = \(consortiumID) AND code = ANY(\(institutions)::text[])",
            logger: logger
        ).decode((String, String).self) {
            guard let level = InstitutionLevel(rawValue: level) else { continue }
            records.members[code] = InvoiceFileMatching.Member(level: level, ownList: ownLists[code])
        }
        for try await (drug, levels) in try await connection.stream(
            """
            SELECT ci.drug_code, ci.levels FROM catalogue_items ci
            WHERE ci.consortium_id = \(consortiumID)
              AND ci.version_number = catalogue_version_in_effect(\(consortiumID), \(asOf.description)::date)
            """, logger: logger
        ).decode((String, [String]).self) {
            records.catalogue[drug] = Set(levels.compactMap(InstitutionLevel.init(rawValue:)))
        }
        for try await (code, id, isManufacturer, countsAs) in try await connection.stream(
            "SELECT code, id, is_manufacturer, counts_as_manufacturer_id IS NOT NULL FROM suppliers", logger: logger
        ).decode((String, Int64, Bool, Bool).self) {
            records.suppliers[code] = InvoiceFileMatching.Supplier(
                id: id, isManufacturer: isManufacturer, countsAsManufacturer: countsAs)
        }
        for try await (distributor, number, id, paid) in try await connection.stream(
            """
            SELECT s.code, v.invoice_number, v.id,
                   EXISTS (SELECT 1 FROM payments p WHERE p.consortium_id = v.consortium_id AND p.invoice_id = v.id)
            FROM invoices v JOIN suppliers s ON s.id = v.distributor_id
            WHERE v.consortium_id = \(consortiumID)
            """, logger: logger
        ).decode((String, String, Int64, Bool).self) {
            records.recordedInvoices[
                InvoiceFileMatching.InvoiceNumberKey(distributorCode: distributor, invoiceNumber: number)] =
                RecordedInvoiceReference(id: id, paid: paid)
        }
        return records
    }
}

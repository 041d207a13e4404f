import Foundation
import Logging
import PostgresNIO
import RxDomain

package struct ConsolidatedOrder: Sendable, Equatable {
    package struct Line: Sendable, Equatable {
        package var institutionCode: String
        package var orderID: Int64
        package var lineNo: Int
        package var drugCode: String
        package var quantity: Decimal
        package var quantityUnit: PriceUnit
        package var unitPrice: Money
    }
    package var id: Int64
    package var distributorCode: String
    package var lines: [Line]
}

package struct InvoiceRequest: Sendable {
    package struct Line: Sendable {
        package var orderID: Int64
        package var orderLineNo: Int
        /// The lot billed, when the distributor names it; the line is then judged against that lot's receipts too.
        package var lotNumber: String?
        package var quantity: Decimal
        package var unitPrice: Money
        package var amount: Money
        package init(
            orderID: Int64, orderLineNo: Int, lotNumber: String? = nil, quantity: Decimal, unitPrice: Money, amount: Money
        ) {
            self.orderID = orderID
            self.orderLineNo = orderLineNo
            self.lotNumber = lotNumber
            self.quantity = quantity
            self.unitPrice = unitPrice
            self.amount = amount
        }
    }
    package var distributorCode: String
    package var invoiceNumber: String
    package var invoiceDate: BusinessDate
    package var institutionCode: String
    package var upstreamSupplierCode: String
    package var upstreamInvoiceNumber: String
    package var lines: [Line]
    package init(
        distributorCode: String, invoiceNumber: String, invoiceDate: BusinessDate, institutionCode: String,
        upstreamSupplierCode: String, upstreamInvoiceNumber: String, lines: [Line]
    ) {
        self.distributorCode = distributorCode
        self.invoiceNumber = invoiceNumber
        self.invoiceDate = invoiceDate
        self.institutionCode = institutionCode
        self.upstreamSupplierCode = upstreamSupplierCode
        self.upstreamInvoiceNumber = upstreamInvoiceNumber
        self.lines = lines
    }
}

package struct RecordedInvoice: Sendable, Equatable, Encodable {
    package struct Line: Sendable, Equatable, Encodable {
        package var lineNo: Int
        package var orderID: Int64
        package var orderLineNo: Int
        package var lotNumber: String?
        package var quantity: Decimal
        package var unitPrice: Money
        package var amount: Money
        package var discrepancies: [InvoiceLineDiscrepancy]
    }
    package var id: Int64
    package var distributorCode: String
    package var invoiceNumber: String
    package var institutionCode: String
    package var lines: [Line]
    /// Finance's review of its discrepancies, if any.
    package var review: DiscrepancyReview?
    package var reviewNote: String?
    package var matched: Bool { lines.allSatisfy { $0.discrepancies.isEmpty } }
    /// Matched, or its discrepancies resolved by finance: it may be paid.
    package var payable: Bool { matched || review == .resolved }
    package var total: Money { lines.reduce(Money(0)) { $0 + $1.amount } }
}

package struct Payable: Sendable, Equatable {
    package var invoiceID: Int64
    package var invoiceNumber: String
    package var distributorCode: String
    package var institutionCode: String
    package var amount: Money
    /// Paid so far (payment in parts), and what remains.
    package var paid: Money
    package var remaining: Money { (amount - paid).rounded(2) }
    package var acceptedOn: BusinessDate
    package var dueOn: BusinessDate
    package var status: ProcurementRules.PayableStatus
    /// The latest payment's date.
    package var paidOn: BusinessDate?
    package init(
        invoiceID: Int64, invoiceNumber: String, distributorCode: String, institutionCode: String, amount: Money,
        paid: Money, acceptedOn: BusinessDate, dueOn: BusinessDate, status: ProcurementRules.PayableStatus,
        paidOn: BusinessDate?
    ) {
        self.invoiceID = invoiceID
        self.invoiceNumber = invoiceNumber
        self.distributorCode = distributorCode
        self.institutionCode = institutionCode
        self.amount = amount
        self.paid = paid
        self.acceptedOn = acceptedOn
        self.dueOn = dueOn
        self.status = status
        self.paidOn = paidOn
    }
}

/// The consortium's drug supply centre (药品供应中心): contracts, consolidation, invoices and central payment.
package struct SupplyCentreStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// A supplier by code, as the supply centre's rules judge it; nil when there is none.
    package func supplier(code: String, on connection: PostgresConnection) async throws -> SupplyCentreRules.Supplier? {
        try await connection.row(
            "SELECT id, is_manufacturer, is_distributor, counts_as_manufacturer_id IS NOT NULL FROM suppliers WHERE code = \(code)",
            as: (Int64, Bool, Bool, Bool).self, logger: logger
        ).map { SupplyCentreRules.Supplier(id: $0.0, isManufacturer: $0.1, isDistributor: $0.2, countsAsManufacturer: $0.3) }
    }

    /// The distributor contracted for a drug, if any.
    package func contractedDistributorCode(drugCode: String, consortiumID: Int64, on connection: PostgresConnection)
        async throws -> String?
    {
        try await connection.row(
            """
            SELECT s.code FROM distributor_contracts c JOIN suppliers s ON s.id = c.distributor_id
            WHERE c.consortium_id = \(consortiumID) AND c.drug_code = \(drugCode)
            """, as: String.self, logger: logger)
    }

    /// Contracts a distributor for a drug, replacing the previous one.
    package func upsertContract(drugCode: String, distributorID: Int64, consortiumID: Int64, on connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            INSERT INTO distributor_contracts (consortium_id, drug_code, distributor_id)
            VALUES (\(consortiumID), \(drugCode), \(distributorID))
            ON CONFLICT (consortium_id, drug_code) DO UPDATE SET distributor_id = EXCLUDED.distributor_id, created_at = now()
            """, logger: logger)
    }

    // MARK: Consolidation

    /// The submitted orders, locked, by id, with the shortage of an emergency purchase.
    package func lockSubmittedOrders(consortiumID: Int64, on connection: PostgresConnection) async throws
        -> [SupplyCentreRules.SubmittedOrder]
    {
        try await connection.rows(
            """
            SELECT id, emergency_shortage_id FROM purchase_orders
            WHERE consortium_id = \(consortiumID) AND status = 'submitted' ORDER BY id FOR UPDATE
            """, as: (Int64, Int64?).self, logger: logger
        ).map { SupplyCentreRules.SubmittedOrder(id: $0.0, emergencyShortageID: $0.1) }
    }

    /// The drugs ordered in `orders` with no contracted distributor, by code.
    package func uncontractedDrugs(orders: [Int64], consortiumID: Int64, on connection: PostgresConnection) async throws
        -> [String]
    {
        try await connection.rows(
            """
            SELECT DISTINCT l.drug_code FROM purchase_order_lines l
            LEFT JOIN distributor_contracts c ON c.consortium_id = l.consortium_id AND c.drug_code = l.drug_code
            WHERE l.consortium_id = \(consortiumID) AND l.order_id = ANY(\(orders)) AND c.drug_code IS NULL
            ORDER BY 1
            """, as: String.self, logger: logger)
    }

    /// The distributors contracted for the drugs ordered in `orders`, by id.
    package func contractedDistributors(orders: [Int64], consortiumID: Int64, on connection: PostgresConnection)
        async throws -> [Int64]
    {
        try await connection.rows(
            """
            SELECT DISTINCT c.distributor_id FROM purchase_order_lines l
            JOIN distributor_contracts c ON c.consortium_id = l.consortium_id AND c.drug_code = l.drug_code
            WHERE l.consortium_id = \(consortiumID) AND l.order_id = ANY(\(orders)) ORDER BY 1
            """, as: Int64.self, logger: logger)
    }

    /// Creates a distributor's consolidated order holding the lines of `orders` contracted to it; returns its id,
    /// nil when the row was not created.
    package func insertConsolidatedOrder(
        distributorID: Int64, orders: [Int64], consortiumID: Int64, on connection: PostgresConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                "INSERT INTO consolidated_orders (consortium_id, distributor_id) VALUES (\(consortiumID), \(distributorID)) RETURNING id",
                as: Int64.self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            UPDATE purchase_order_lines l SET consolidated_order_id = \(id)
            FROM distributor_contracts c
            WHERE l.consortium_id = \(consortiumID) AND l.order_id = ANY(\(orders))
              AND c.consortium_id = l.consortium_id AND c.drug_code = l.drug_code AND c.distributor_id = \(distributorID)
            """, logger: logger)
        return id
    }

    /// Marks `orders` consolidated.
    package func markConsolidated(orders: [Int64], consortiumID: Int64, on connection: PostgresConnection) async throws {
        try await connection.run(
            "UPDATE purchase_orders SET status = 'consolidated', updated_at = now() WHERE consortium_id = \(consortiumID) AND id = ANY(\(orders))",
            logger: logger)
    }

    /// The consolidated orders `ids` with their lines, by id.
    package func consolidated(ids: [Int64], consortiumID: Int64, connection: PostgresConnection) async throws
        -> [ConsolidatedOrder]
    {
        let rows = try await connection.rows(
            """
            SELECT co.id, s.code, i.code, l.order_id, l.line_no, l.drug_code, l.quantity, l.quantity_unit, l.unit_price
            FROM consolidated_orders co JOIN suppliers s ON s.id = co.distributor_id
            JOIN purchase_order_lines l ON l.consortium_id = co.consortium_id AND l.consolidated_order_id = co.id
            JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
            JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
            WHERE co.consortium_id = \(consortiumID) AND co.id = ANY(\(ids))
            ORDER BY co.id, i.code, l.order_id, l.line_no
            """, as: (Int64, String, String, Int64, Int, String, Decimal, String, Decimal).self, logger: logger)
        var result: [ConsolidatedOrder] = []
        for r in rows {
            let line = ConsolidatedOrder.Line(
                institutionCode: r.2, orderID: r.3, lineNo: r.4, drugCode: r.5, quantity: r.6, quantityUnit: try decodeEnum(r.7),
                unitPrice: Money(r.8))
            if result.last?.id == r.0 {
                result[result.count - 1].lines.append(line)
            } else {
                result.append(ConsolidatedOrder(id: r.0, distributorCode: r.1, lines: [line]))
            }
        }
        return result
    }

    // MARK: Invoices

    /// A member's id by code, if the consortium has it.
    package func memberID(code: String, consortiumID: Int64, on connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)",
            as: Int64.self, logger: logger)
    }

    /// Inserts an invoice's head; returns its id, nil when the row was not created.
    package func insertInvoice(
        _ request: InvoiceRequest, distributorID: Int64, institutionID: Int64, upstreamSupplierID: Int64,
        consortiumID: Int64, on connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO invoices (consortium_id, distributor_id, invoice_number, invoice_date, institution_id,
                                  upstream_supplier_id, upstream_invoice_number)
            VALUES (\(consortiumID), \(distributorID), \(request.invoiceNumber), \(request.invoiceDate.description)::date,
                    \(institutionID), \(upstreamSupplierID), \(request.upstreamInvoiceNumber))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// Locks the order lines an invoice bills in one order, so two invoices racing for the same units run one after
    /// the other: the second sees what the first billed. (One statement, so no deadlock between them.)
    package func lockBilledOrderLines(_ lines: [InvoiceRequest.Line], consortiumID: Int64, on connection: PostgresConnection)
        async throws
    {
        let keys = Set(lines.map { [$0.orderID, Int64($0.orderLineNo)] }).sorted { $0.lexicographicallyPrecedes($1) }
        try await connection.run(
            """
            SELECT 1 FROM purchase_order_lines
            WHERE consortium_id = \(consortiumID)
              AND (order_id, line_no) IN (SELECT o, n::int FROM unnest(\(keys.map { $0[0] })::bigint[], \(keys.map { $0[1] })::bigint[]) AS k (o, n))
            ORDER BY order_id, line_no FOR UPDATE
            """, logger: logger)
    }

    /// Inserts invoice line `lineNo` with the discrepancies found on it.
    package func insertInvoiceLine(
        _ line: InvoiceRequest.Line, lineNo: Int, discrepancies: [InvoiceLineDiscrepancy], invoiceID: Int64,
        consortiumID: Int64, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO invoice_lines (consortium_id, invoice_id, line_no, order_id, order_line_no, lot_number, quantity,
                                       unit_price, amount, discrepancies)
            VALUES (\(consortiumID), \(invoiceID), \(lineNo), \(line.orderID), \(line.orderLineNo), \(line.lotNumber),
                    \(line.quantity), \(line.unitPrice.amount), \(line.amount.amount), \(discrepancies.map(\.rawValue)))
            """, logger: logger)
    }

    /// An invoice with its lines; nil when the consortium has no such invoice.
    package func invoice(id: Int64, consortiumID: Int64, connection: PostgresConnection) async throws -> RecordedInvoice? {
        guard
            let head = try await connection.row(
                """
                SELECT v.id, s.code, v.invoice_number, i.code, v.review_status, v.review_note FROM invoices v
                JOIN suppliers s ON s.id = v.distributor_id
                JOIN institutions i ON i.consortium_id = v.consortium_id AND i.id = v.institution_id
                WHERE v.consortium_id = \(consortiumID) AND v.id = \(id)
                """, as: (Int64, String, String, String, String?, String?).self, logger: logger)
        else { return nil }
        let lines = try await connection.rows(
            """
            SELECT line_no, order_id, order_line_no, lot_number, quantity, unit_price, amount, discrepancies FROM invoice_lines
            WHERE consortium_id = \(consortiumID) AND invoice_id = \(id) ORDER BY line_no
            """, as: (Int, Int64, Int, String?, Decimal, Decimal, Decimal, [String]).self, logger: logger
        ).map {
            RecordedInvoice.Line(
                lineNo: $0.0, orderID: $0.1, orderLineNo: $0.2, lotNumber: $0.3, quantity: $0.4, unitPrice: Money($0.5),
                amount: Money($0.6), discrepancies: try $0.7.map { try decodeEnum($0) })
        }
        return RecordedInvoice(
            id: head.0, distributorCode: head.1, invoiceNumber: head.2, institutionCode: head.3, lines: lines,
            review: try head.4.map { try decodeEnum($0) }, reviewNote: head.5)
    }

    /// An invoice as a list shows it: who billed whom, its total, whether its lines match, finance's review.
    package struct InvoiceSummary: Sendable, Equatable {
        package var id: Int64
        package var invoiceNumber: String
        package var invoiceDate: BusinessDate
        package var distributorCode: String
        package var institutionCode: String
        package var total: Money
        package var discrepantLines: Int
        package var review: DiscrepancyReview?
    }

    /// The consortium's invoices, newest first (keyset on the id); `unreviewed` keeps those with discrepancies that
    /// finance has not reviewed (the home page's to-do).
    package func invoices(consortiumID: Int64, unreviewed: Bool, page: PageRequest) async throws -> Page<InvoiceSummary> {
        let before = page.after.flatMap(Int64.init) ?? Int64.max
        let rows = try await database.rows(
            """
            SELECT v.id, v.invoice_number, v.invoice_date::text, s.code, i.code, t.amount, t.discrepant, v.review_status
            FROM invoices v
            JOIN LATERAL (
                SELECT sum(l.amount) AS amount, count(*) FILTER (WHERE cardinality(l.discrepancies) > 0)::int AS discrepant
                FROM invoice_lines l WHERE l.consortium_id = v.consortium_id AND l.invoice_id = v.id
            ) t ON true
            JOIN suppliers s ON s.id = v.distributor_id
            JOIN institutions i ON i.consortium_id = v.consortium_id AND i.id = v.institution_id
            WHERE v.consortium_id = \(consortiumID) AND v.id < \(before)
              AND (NOT \(unreviewed) OR (v.review_status IS NULL AND t.discrepant > 0))
            ORDER BY v.id DESC LIMIT \(page.limit + 1)
            """, as: (Int64, String, String, String, String, Decimal?, Int, String?).self)
        return Page(
            rows: try rows.map {
                InvoiceSummary(
                    id: $0.0, invoiceNumber: $0.1, invoiceDate: BusinessDate($0.2)!,
                    distributorCode: $0.3, institutionCode: $0.4, total: Money($0.5 ?? 0), discrepantLines: $0.6,
                    review: try $0.7.map { try decodeEnum($0) })
            }, limit: page.limit
        ) { String($0.id) }
    }

    /// The order line an invoice line bills as the records have it: its unified price, the distributor it was
    /// consolidated to, the emergency purchase's shortage and supplier, and what was received and already billed of
    /// it (and of the lot the invoice line names). Who supplied it is `InvoiceLineRules.supplies`.
    package struct BilledOrderLine: Sendable, Equatable {
        package var unitPrice: Money
        package var consolidatedDistributorID: Int64?
        package var emergencyShortageID: Int64?
        package var emergencySupplierID: Int64?
        package var line: ReceiptBalance
        /// nil when the invoice line names no lot.
        package var lot: ReceiptBalance?
    }

    /// The order line an invoice line bills; nil when it is not an order line of the member.
    package func invoicedOrderLine(
        _ line: InvoiceRequest.Line, institutionID: Int64, consortiumID: Int64, connection: PostgresConnection
    ) async throws -> BilledOrderLine? {
        guard
            let r = try await connection.row(
                """
                SELECT l.unit_price, co.distributor_id, o.emergency_shortage_id, o.emergency_supplier_id, l.received_quantity,
                       (SELECT coalesce(sum(x.quantity), 0) FROM invoice_lines x
                        WHERE x.consortium_id = l.consortium_id AND x.order_id = l.order_id AND x.order_line_no = l.line_no
                          AND NOT x.discrepancies && ARRAY['wrong_distributor']),
                       (SELECT coalesce(sum(d.quantity), 0) FROM deliveries d
                        WHERE d.consortium_id = l.consortium_id AND d.order_id = l.order_id AND d.line_no = l.line_no
                          AND d.lot_key = lot_key(\(line.lotNumber))),
                       (SELECT coalesce(sum(x.quantity), 0) FROM invoice_lines x
                        WHERE x.consortium_id = l.consortium_id AND x.order_id = l.order_id AND x.order_line_no = l.line_no
                          AND x.lot_key = lot_key(\(line.lotNumber)) AND NOT x.discrepancies && ARRAY['wrong_distributor'])
                FROM purchase_order_lines l
                JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
                LEFT JOIN consolidated_orders co ON co.consortium_id = l.consortium_id AND co.id = l.consolidated_order_id
                WHERE l.consortium_id = \(consortiumID) AND l.order_id = \(line.orderID) AND l.line_no = \(line.orderLineNo)
                  AND o.institution_id = \(institutionID)
                """, as: (Decimal, Int64?, Int64?, Int64?, Decimal, Decimal, Decimal, Decimal).self, logger: logger)
        else { return nil }
        return BilledOrderLine(
            unitPrice: Money(r.0), consolidatedDistributorID: r.1, emergencyShortageID: r.2, emergencySupplierID: r.3,
            line: ReceiptBalance(received: r.4, billed: r.5),
            lot: line.lotNumber == nil ? nil : ReceiptBalance(received: r.6, billed: r.7))
    }

    // MARK: Payment

    /// A payable invoice (matched, or its discrepancies resolved by finance) as read: its amount, its latest accepted
    /// delivery (nil: none yet), both kept on the invoice by the database (043_invoice_facts.sql), and what was paid
    /// of it.
    package struct PayableRow: Sendable {
        package var invoiceID: Int64
        package var invoiceNumber: String
        package var distributorCode: String
        package var institutionCode: String
        package var amount: Money
        package var acceptedOn: BusinessDate?
        package var paid: Money
        package var paidOn: BusinessDate?
    }

    /// The payable invoices by id, optionally one invoice or one member's, or only those not yet paid in full
    /// (`outstanding`: read through the partial index of invoices without `settled_on`); those after the id `after`,
    /// at most `limit` (nil: all).
    package func payableRows(
        consortiumID: Int64, institutionCode: String?, invoiceID: Int64?, outstanding: Bool = false, after: Int64 = 0,
        limit: Int? = nil, on connection: PostgresConnection
    ) async throws -> [PayableRow] {
        try await connection.rows(
            """
            SELECT v.id, v.invoice_number, s.code, i.code, v.amount, v.accepted_on::text, coalesce(p.paid, 0),
                   p.last::text
            FROM invoices v
            LEFT JOIN LATERAL (
                SELECT sum(amount) AS paid, max(paid_on) AS last FROM payments
                WHERE consortium_id = v.consortium_id AND invoice_id = v.id
            ) p ON true
            JOIN suppliers s ON s.id = v.distributor_id
            JOIN institutions i ON i.consortium_id = v.consortium_id AND i.id = v.institution_id
            WHERE v.consortium_id = \(consortiumID)
              AND (v.review_status = 'resolved' OR NOT EXISTS (
                    SELECT 1 FROM invoice_lines l WHERE l.consortium_id = v.consortium_id AND l.invoice_id = v.id
                      AND cardinality(l.discrepancies) > 0))
              AND (NOT \(outstanding) OR v.settled_on IS NULL) AND v.id > \(after)
              AND (\(invoiceID)::bigint IS NULL OR v.id = \(invoiceID))
              AND (\(institutionCode)::text IS NULL OR i.code = \(institutionCode))
            ORDER BY v.id LIMIT \(limit)::bigint
            """, as: (Int64, String, String, String, Decimal, String?, Decimal, String?).self, logger: logger
        ).map {
            PayableRow(
                invoiceID: $0.0, invoiceNumber: $0.1, distributorCode: $0.2, institutionCode: $0.3, amount: Money($0.4),
                acceptedOn: $0.5.flatMap(BusinessDate.init), paid: Money($0.6), paidOn: $0.7.flatMap(BusinessDate.init))
        }
    }

    /// Locks an invoice's row; false when the consortium has no such invoice.
    package func lockInvoice(id: Int64, consortiumID: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.row(
            "SELECT id FROM invoices WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE",
            as: Int64.self, logger: logger) != nil
    }

    /// What has been paid of an invoice so far.
    package func paidSoFar(invoiceID: Int64, consortiumID: Int64, on connection: PostgresConnection) async throws -> Money {
        Money(
            try await connection.row(
                "SELECT coalesce(sum(amount), 0) FROM payments WHERE consortium_id = \(consortiumID) AND invoice_id = \(invoiceID)",
                as: Decimal.self, logger: logger) ?? Decimal(0))
    }

    /// Records a payment of an invoice. A reference already recorded for the invoice is the unique key's 409
    /// (`payments_reference_once`).
    package func insertPayment(
        invoiceID: Int64, paidOn: BusinessDate, amount: Money, reference: String, consortiumID: Int64,
        recordedBy tokenID: Int64?, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO payments (consortium_id, invoice_id, paid_on, amount, reference, recorded_by)
            VALUES (\(consortiumID), \(invoiceID), \(paidOn.description)::date, \(amount.rounded(2).amount), \(reference), \(tokenID))
            """, logger: logger)
    }

    /// Sets finance's review of an invoice's discrepancies.
    package func setReview(
        _ review: DiscrepancyReview, note: String, reviewer: String, invoiceID: Int64, consortiumID: Int64,
        on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE invoices SET review_status = \(review.rawValue), review_note = \(note), reviewed_by = \(reviewer),
                                reviewed_at = now()
            WHERE consortium_id = \(consortiumID) AND id = \(invoiceID)
            """, logger: logger)
    }

    // MARK: Reports

    package struct SpendRow: Sendable, Equatable {
        package var institutionCode: String
        package var drugCode: String
        package var month: String
        /// Rounded to 分 by the database, so the totals add what the rows show.
        package var amount: Fen
    }

    package struct SpendReport: Sendable {
        package var rows: [SpendRow]
        package var total: Fen
        package var essential: Fen
        package var insured: Fen
        package var tcm: Fen

        /// A part's share of the total as a fraction with four places ("0.8500"); "0.0000" when nothing was spent.
        package func share(_ part: Fen) -> String { part.share(of: total) }
    }

    /// Spend (received quantity × unified price) per member, drug and month of the order date, with the shares
    /// on essential-list, insurance-listed and TCM (Chinese patent medicines and decoction pieces) drugs. The period's
    /// whole months are read from `receipts_by_month` (049_receipts_by_month.sql); the days it cuts from the order
    /// lines, by `purchase_orders_order_date` (a period with no cut day binds false and reads no order; an absent cut
    /// binds NULL bounds, no day). A month is either whole or cut, so no row adds the two. The drugs' flags are read
    /// once per drug of the report, not joined to each of its rows.
    package func spend(consortium: Consortium, period: MonthCut) async throws -> SpendReport {
        let (rows, flags) = try await database.lagTolerant.read { connection in
            let rows = try await connection.rows(
                """
                WITH parts AS (
                    SELECT r.institution_id, r.drug_code, r.month, r.amount
                    FROM receipts_by_month r
                    WHERE r.consortium_id = \(consortium.id) AND r.lines > 0
                      AND r.month >= \(period.wholeFrom.description)::date AND r.month < \(period.wholeUntil.description)::date
                    UNION ALL
                    SELECT o.institution_id, l.drug_code, date_trunc('month', o.order_date)::date,
                           sum(l.received_quantity * l.unit_price)
                    FROM purchase_orders o
                    JOIN purchase_order_lines l ON l.consortium_id = o.consortium_id AND l.order_id = o.id
                    WHERE \(period.head != nil || period.tail != nil) AND o.consortium_id = \(consortium.id)
                      AND l.received_quantity > 0
                      AND (o.order_date BETWEEN \(period.head?.lowerBound.description)::date
                                            AND \(period.head?.upperBound.description)::date
                           OR o.order_date BETWEEN \(period.tail?.lowerBound.description)::date
                                               AND \(period.tail?.upperBound.description)::date)
                    GROUP BY 1, 2, 3
                )
                SELECT i.code, p.drug_code, to_char(p.month, 'YYYY-MM'), (round(p.amount, 2) * 100)::bigint
                FROM parts p
                JOIN institutions i ON i.consortium_id = \(consortium.id) AND i.id = p.institution_id
                ORDER BY i.code, p.drug_code, p.month
                """, logger: logger
            ) { r in
                SpendRow(
                    institutionCode: try r.next(), drugCode: try r.next(), month: try r.next(),
                    amount: Fen(try r.next(Int64.self)))
            }
            let flags = try await connection.rows(
                """
                SELECT d.code, EXISTS (SELECT 1 FROM drug_essential_editions e WHERE e.drug_code = d.code),
                       d.insurance_class <> 'none', d.category IN ('chinese_patent', 'decoction_piece')
                FROM drugs d WHERE d.code = ANY(\(Array(Set(rows.map(\.drugCode)))))
                """, logger: logger
            ) { r in
                (
                    code: try r.next(String.self), essential: try r.next(Bool.self), insured: try r.next(Bool.self),
                    tcm: try r.next(Bool.self)
                )
            }
            return (rows, Dictionary(flags.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a }))
        }
        var report = SpendReport(rows: rows, total: .zero, essential: .zero, insured: .zero, tcm: .zero)
        for row in rows {
            report.total = report.total + row.amount
            guard let drug = flags[row.drugCode] else { continue }
            if drug.essential { report.essential = report.essential + row.amount }
            if drug.insured { report.insured = report.insured + row.amount }
            if drug.tcm { report.tcm = report.tcm + row.amount }
        }
        return report
    }
}

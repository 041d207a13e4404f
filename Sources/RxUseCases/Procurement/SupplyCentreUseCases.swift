import Foundation
import RxDomain
import RxStore

/// The consortium's drug supply centre (药品供应中心): contracts, consolidation, invoices and central payment.
package struct SupplyCentreUseCases: Sendable {
    package typealias SpendReport = SupplyCentreStore.SpendReport

    let database: Database
    let supplyCentre: SupplyCentreStore

    package init(database: Database) {
        self.database = database
        self.supplyCentre = SupplyCentreStore(database: database)
    }

    private func requireSupplyCentre(_ principal: Principal, _ consortium: Consortium) throws {
        try principal.require(.runSupplyCentre(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
    }

    private func supplier(_ code: String, field: String, connection: StoreConnection) async throws
        -> SupplyCentreRules.Supplier
    {
        try SupplyCentreRules.supplier(
            try await supplyCentre.supplier(code: code, on: connection), code: code, field: field)
    }

    // MARK: Contracts and consolidation

    /// Contracts a distributor (配送企业) for a drug, replacing the previous one.
    package func contract(drugCode: String, distributorCode: String, consortium: Consortium, by principal: Principal) async throws
    {
        try requireSupplyCentre(principal, consortium)
        try await database.transaction { connection in
            let distributor = try await supplier(distributorCode, field: "distributorCode", connection: connection)
            try SupplyCentreRules.checkDistributor(distributor, code: distributorCode)
            let before = try await supplyCentre.contractedDistributorCode(
                drugCode: drugCode, consortiumID: consortium.id, on: connection)
            try await supplyCentre.upsertContract(
                drugCode: drugCode, distributorID: distributor.id, consortiumID: consortium.id, on: connection)
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "contract",
                entityType: "distributor_contract", entityKey: drugCode, before: before, after: distributorCode)
        }
    }

    /// The consortium's distributor contracts by drug code, optionally one distributor's or one drug's.
    package func contracts(
        consortium: Consortium, distributorCode: String?, drugCode: String?, by principal: Principal, page: PageRequest
    ) async throws -> Page<DistributorContract> {
        try principal.require(.readDistributorContracts(consortiumID: consortium.id))
        return try await supplyCentre.contracts(
            consortium: consortium, distributorCode: distributorCode, drugCode: drugCode, page: page)
    }

    /// Consolidates every submitted member order into one consortium order per distributor, each line keeping
    /// the member it is delivered to; an emergency purchase is left out (`SupplyCentreRules.consolidable`: its own
    /// supplier delivers it). A drug without a contracted distributor stops it all (422 naming them).
    package func consolidate(consortium: Consortium, by principal: Principal) async throws -> [ConsolidatedOrder] {
        try requireSupplyCentre(principal, consortium)
        return try await database.transaction { connection in
            let orders = SupplyCentreRules.consolidable(
                try await supplyCentre.lockSubmittedOrders(consortiumID: consortium.id, on: connection))
            guard !orders.isEmpty else { return [] }
            try SupplyCentreRules.checkConsolidation(
                uncontractedDrugs: try await supplyCentre.uncontractedDrugs(
                    orders: orders, consortiumID: consortium.id, on: connection))
            let distributors = try await supplyCentre.contractedDistributors(
                orders: orders, consortiumID: consortium.id, on: connection)
            var ids: [Int64] = []
            for distributor in distributors {
                guard
                    let id = try await supplyCentre.insertConsolidatedOrder(
                        distributorID: distributor, orders: orders, consortiumID: consortium.id, on: connection)
                else { continue }
                ids.append(id)
            }
            try await supplyCentre.markConsolidated(orders: orders, consortiumID: consortium.id, on: connection)
            let result = try await supplyCentre.consolidated(ids: ids, consortiumID: consortium.id, connection: connection)
            struct Record: Encodable { var orders: [Int64]; var consolidatedOrders: [Int64] }
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "consolidate",
                entityType: "consolidation", entityKey: ids.map(String.init).joined(separator: ","), before: Record?.none,
                after: Record(orders: orders, consolidatedOrders: ids))
            return result
        }
    }

    package func consolidatedOrder(id: Int64, consortium: Consortium, by principal: Principal) async throws -> ConsolidatedOrder {
        try principal.require(
            .readSupplyCentreOrders(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        guard
            let order = try await database.read({
                try await supplyCentre.consolidated(ids: [id], consortiumID: consortium.id, connection: $0)
            }).first
        else {
            throw DomainError.notFound("no consolidated order \(id)")
        }
        return order
    }

    /// The consolidated orders, oldest first, with how many members, orders and lines each holds and its amount.
    package func consolidatedOrders(
        consortium: Consortium, distributorCode: String?, by principal: Principal, page: PageRequest
    ) async throws -> Page<ConsolidatedOrderSummary> {
        try principal.require(
            .readSupplyCentreOrders(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await supplyCentre.consolidatedOrders(consortium: consortium, distributorCode: distributorCode, page: page)
    }

    // MARK: Invoices

    /// Records a distributor's invoice to a member. The two-invoice rule is enforced (a second distributor in the
    /// chain is refused); a price other than the unified price on the order date, a quantity other than the one
    /// received, or an amount other than quantity × price is kept and marked, not refused.
    package func recordInvoice(_ request: InvoiceRequest, consortium: Consortium, by principal: Principal) async throws
        -> RecordedInvoice
    {
        try requireSupplyCentre(principal, consortium)
        try SupplyCentreRules.checkInvoiceLines(count: request.lines.count)
        return try await database.transaction { connection in
            let distributor = try await supplier(request.distributorCode, field: "distributorCode", connection: connection)
            try SupplyCentreRules.checkDistributor(distributor, code: request.distributorCode)
            let upstream = try await supplier(request.upstreamSupplierCode, field: "upstreamSupplierCode", connection: connection)
            try SupplyCentreRules.checkTwoInvoiceRule(upstream: upstream, code: request.upstreamSupplierCode)
            let institutionID = try SupplyCentreRules.invoicedMember(
                try await supplyCentre.memberID(code: request.institutionCode, consortiumID: consortium.id, on: connection),
                code: request.institutionCode)
            guard
                let invoiceID = try await supplyCentre.insertInvoice(
                    request, distributorID: distributor.id, institutionID: institutionID, upstreamSupplierID: upstream.id,
                    consortiumID: consortium.id, on: connection)
            else { throw DomainError.conflict("the invoice was not recorded") }
            try await supplyCentre.lockBilledOrderLines(request.lines, consortiumID: consortium.id, on: connection)
            for (index, line) in request.lines.enumerated() {
                // Who supplied the line: the distributor it was consolidated to, or an emergency purchase's supplier.
                let billed = try await supplyCentre.invoicedOrderLine(
                    line, institutionID: institutionID, consortiumID: consortium.id, connection: connection)
                let orderLine = try SupplyCentreRules.invoicedOrderLine(
                    billed.map {
                        InvoicedOrderLine(
                            orderID: line.orderID, lineNo: line.orderLineNo, unifiedPrice: $0.unitPrice,
                            suppliedByInvoicingDistributor: InvoiceLineRules.supplies(
                                invoicing: distributor.id, consolidatedTo: $0.consolidatedDistributorID,
                                emergencySupplier: $0.emergencySupplierID),
                            line: $0.line, lot: $0.lot, emergencyShortageID: $0.emergencyShortageID)
                    },
                    index: index, orderID: line.orderID, orderLineNo: line.orderLineNo, institutionCode: request.institutionCode)
                let found = InvoiceLineRules.judge(
                    quantity: line.quantity, unitPrice: line.unitPrice, amount: line.amount, against: orderLine)
                try await supplyCentre.insertInvoiceLine(
                    line, lineNo: index + 1, discrepancies: found.map(\.discrepancy), invoiceID: invoiceID,
                    consortiumID: consortium.id, on: connection)
            }
            let recorded = try await invoice(invoiceID, consortiumID: consortium.id, connection: connection)
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "record",
                entityType: "invoice", entityKey: String(invoiceID), before: RecordedInvoice?.none, after: recorded)
            return recorded
        }
    }

    /// The consortium's invoices, newest first, for those who read its finance; `unreviewed`: those in discrepancy
    /// that finance has not reviewed.
    package func invoices(consortium: Consortium, unreviewed: Bool, page: PageRequest, by principal: Principal)
        async throws -> Page<SupplyCentreStore.InvoiceSummary>
    {
        try principal.require(.readFinance(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await supplyCentre.invoices(consortiumID: consortium.id, unreviewed: unreviewed, page: page)
    }

    /// One invoice with its lines and their discrepancies, for those who read the consortium's finance.
    package func invoice(id: Int64, consortium: Consortium, by principal: Principal) async throws -> RecordedInvoice {
        try principal.require(.readFinance(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.read { try await invoice(id, consortiumID: consortium.id, connection: $0) }
    }

    private func invoice(_ id: Int64, consortiumID: Int64, connection: StoreConnection) async throws -> RecordedInvoice {
        let invoice = try await supplyCentre.invoice(id: id, consortiumID: consortiumID, connection: connection).orNotFound(
            "no invoice \(id)")
        return invoice
    }

    /// Locks an invoice's row (404 when there is none) and reads it: two payments or reviews of one invoice run one
    /// after the other.
    private func lockedInvoice(_ id: Int64, consortiumID: Int64, connection: StoreConnection) async throws
        -> RecordedInvoice
    {
        guard try await supplyCentre.lockInvoice(id: id, consortiumID: consortiumID, on: connection) else {
            throw DomainError.notFound("no invoice \(id)")
        }
        return try await invoice(id, consortiumID: consortiumID, connection: connection)
    }

    // MARK: Payment

    /// Payable invoices (matched, or their discrepancies resolved by finance) and when they are due: the term after
    /// the latest accepted delivery. Paid in full once the payments add up to the invoice's total. For those who read
    /// the consortium's finance (`readFinance`). Due or overdue, or `outstanding`, reads only the invoices not yet paid
    /// in full; otherwise every payable invoice since the consortium began.
    package func payables(
        consortium: Consortium, status: ProcurementRules.PayableStatus?, institutionCode: String? = nil,
        today: BusinessDate, invoiceID: Int64? = nil, outstanding: Bool = false, by principal: Principal
    ) async throws -> [Payable] {
        try await payables(
            consortium: consortium, status: status, institutionCode: institutionCode, today: today, invoiceID: invoiceID,
            outstanding: outstanding, after: 0, limit: nil, by: principal
        ).payables
    }

    /// A page of `payables` by invoice id (keyset), what the API lists: bounded however long the consortium's history.
    /// A status narrows the rows read, so a page may hold fewer than `page.limit` payables and still have a next one.
    package func payables(
        consortium: Consortium, status: ProcurementRules.PayableStatus?, institutionCode: String?, today: BusinessDate,
        page: PageRequest, by principal: Principal
    ) async throws -> Page<Payable> {
        let read = try await payables(
            consortium: consortium, status: status, institutionCode: institutionCode, today: today, invoiceID: nil,
            outstanding: false, after: page.afterID, limit: page.limit, by: principal)
        return Page(items: read.payables, after: read.lastRead.map(String.init))
    }

    /// The payables among the payable invoices after `after` by id, at most `limit` of them read (nil: all), and the
    /// id of the last one read when more remain.
    private func payables(
        consortium: Consortium, status: ProcurementRules.PayableStatus?, institutionCode: String?, today: BusinessDate,
        invoiceID: Int64?, outstanding: Bool, after: Int64, limit: Int?, by principal: Principal
    ) async throws -> (payables: [Payable], lastRead: Int64?) {
        try principal.require(.readFinance(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.read { connection in
            let term = try await Settings(logger: database.logger).required(
                .paymentTermDays, consortiumID: consortium.id, on: today, connection: connection)
            var rows = try await supplyCentre.payableRows(
                consortiumID: consortium.id, institutionCode: institutionCode, invoiceID: invoiceID,
                outstanding: outstanding || status == .due || status == .overdue, after: after,
                limit: limit.map { $0 + 1 }, on: connection)
            var lastRead: Int64?
            if let limit, rows.count > limit {
                rows.removeLast(rows.count - limit)
                lastRead = rows.last?.invoiceID
            }
            let payables = rows.compactMap { r -> Payable? in
                guard let accepted = r.acceptedOn else { return nil }
                let due = accepted.adding(days: term)
                let payable = Payable(
                    invoiceID: r.invoiceID, invoiceNumber: r.invoiceNumber, distributorCode: r.distributorCode,
                    institutionCode: r.institutionCode, amount: r.amount, paid: r.paid, acceptedOn: accepted, dueOn: due,
                    status: ProcurementRules.payableStatus(
                        dueOn: due, paid: (r.amount - r.paid).rounded(2).amount <= 0, today: today),
                    paidOn: r.paidOn)
                return status.map { $0 == payable.status } ?? true ? payable : nil
            }
            return (payables, lastRead)
        }
    }

    /// Records a central payment (统一支付) of a payable invoice: its whole amount or a part of what remains.
    package func pay(
        invoiceID: Int64, paidOn: BusinessDate, amount: Money, reference: String, consortium: Consortium, by principal: Principal
    ) async throws {
        try principal.require(.payInvoices(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        try await database.transaction { connection in
            let invoice = try await lockedInvoice(invoiceID, consortiumID: consortium.id, connection: connection)
            let paidSoFar = try await supplyCentre.paidSoFar(invoiceID: invoiceID, consortiumID: consortium.id, on: connection)
            try SupplyCentreRules.checkPayment(
                invoiceNumber: invoice.invoiceNumber, payable: invoice.payable, total: invoice.total, paidSoFar: paidSoFar,
                amount: amount)
            try await supplyCentre.insertPayment(
                invoiceID: invoiceID, paidOn: paidOn, amount: amount, reference: reference, consortiumID: consortium.id,
                recordedBy: principal.tokenID, on: connection)
            struct Record: Encodable {
                var invoiceID: Int64; var paidOn: String; var amount: Money; var reference: String; var remaining: Money
            }
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "pay", entityType: "payment",
                entityKey: String(invoiceID), before: Record?.none,
                after: Record(
                    invoiceID: invoiceID, paidOn: paidOn.description, amount: amount, reference: reference,
                    remaining: (invoice.total - paidSoFar - amount).rounded(2)))
        }
    }

    /// Finance marks an invoice's discrepancies resolved (it may then be paid) or disputed, with a note.
    package func review(
        invoiceID: Int64, as review: DiscrepancyReview, note: String, consortium: Consortium,
        by principal: Principal
    ) async throws -> RecordedInvoice {
        try principal.require(.reviewDiscrepancies(consortiumID: consortium.id))
        return try await database.transaction { connection in
            let before = try await lockedInvoice(invoiceID, consortiumID: consortium.id, connection: connection)
            let next = try DiscrepancyReview.next(from: before.review, to: review, note: note, hasDiscrepancies: !before.matched)
            try await supplyCentre.setReview(
                next, note: note, reviewer: principal.name, invoiceID: invoiceID, consortiumID: consortium.id, on: connection)
            let after = try await invoice(invoiceID, consortiumID: consortium.id, connection: connection)
            struct Record: Encodable { var review: String?; var note: String? }
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "review", entityType: "invoice",
                entityKey: String(invoiceID), before: Record(review: before.review?.rawValue, note: before.reviewNote),
                after: Record(review: after.review?.rawValue, note: after.reviewNote))
            return after
        }
    }

    // MARK: Reports

    /// 对账单 with each distributor the consortium still owes, as of `today` (finance, the supply centre, those who
    /// oversee the consortium): its payable invoices not yet paid in full, oldest first, with what was paid of each,
    /// and their totals; one distributor's when `distributorCode` is given. An invoice paid in full has left the
    /// statement; the payables list keeps it.
    package func statements(consortium: Consortium, distributorCode: String?, today: BusinessDate, by principal: Principal)
        async throws -> [(distributorCode: String, payables: [Payable], totals: DistributorStatementTotals)]
    {
        try principal.require(.readFinance(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let all = try await payables(consortium: consortium, status: nil, today: today, outstanding: true, by: principal)
        return Dictionary(grouping: all.filter { distributorCode == nil || $0.distributorCode == distributorCode }) {
            $0.distributorCode
        }.map { code, payables in
            let ordered = payables.sorted { ($0.acceptedOn, $0.invoiceNumber) < ($1.acceptedOn, $1.invoiceNumber) }
            return (
                code, ordered,
                DistributorStatementTotals(ordered.map { ($0.amount, $0.paid, $0.status == .overdue) })
            )
        }.sorted { $0.distributorCode < $1.distributorCode }
    }

    /// Spend (received quantity × unified price) per member, drug and month of the order date, with the shares
    /// on essential-list, insurance-listed and TCM (Chinese patent medicines and decoction pieces) drugs. For those
    /// who read the consortium's finance.
    package func spend(consortium: Consortium, from: BusinessDate, to: BusinessDate, by principal: Principal) async throws
        -> SpendReport
    {
        try principal.require(.readFinance(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await supplyCentre.spend(consortium: consortium, period: try MonthCut(from: from, to: to))
    }
}

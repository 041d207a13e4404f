import Foundation

/// What the consortium's drug supply centre (药品供应中心) accepts: the distributors it contracts (配送企业), the
/// consolidation of submitted orders, distributors' invoices (两票制) and central payment (统一支付). Facts in (what
/// the stores read), a refusal out; an invoice line's judgment is `InvoiceLineRules`.
package enum SupplyCentreRules {
    /// A supplier as found by its code.
    package struct Supplier: Sendable, Equatable {
        package var id: Int64
        package var isManufacturer: Bool
        package var isDistributor: Bool
        /// It counts as a manufacturer for the two-invoice rule (a wholly-owned sales company, a national agent).
        package var countsAsManufacturer: Bool
        package init(id: Int64, isManufacturer: Bool, isDistributor: Bool, countsAsManufacturer: Bool) {
            self.id = id
            self.isManufacturer = isManufacturer
            self.isDistributor = isDistributor
            self.countsAsManufacturer = countsAsManufacturer
        }
    }

    /// The supplier named in `field` (nil: no supplier by that code, 422).
    package static func supplier(_ found: Supplier?, code: String, field: String) throws(DomainError) -> Supplier {
        guard let found else { throw .invalid(field, "no supplier \(code)") }
        return found
    }

    /// A contract (配送合同) and an invoice name a distributor in `distributorCode`.
    package static func checkDistributor(_ supplier: Supplier, code: String) throws(DomainError) {
        guard supplier.isDistributor else { throw .invalid("distributorCode", "\(code) is not a distributor") }
    }

    /// A submitted member order as the consolidation finds it: an emergency purchase (应急采购) is flagged with the
    /// shortage it answers.
    package struct SubmittedOrder: Sendable, Equatable {
        package var id: Int64
        package var emergencyShortageID: Int64?
        package init(id: Int64, emergencyShortageID: Int64? = nil) {
            self.id = id
            self.emergencyShortageID = emergencyShortageID
        }
    }

    /// The submitted orders a consolidation (统一配送) takes, in the order given: every one but an emergency
    /// purchase, which skips the usual channel (its own supplier delivers it once submitted:
    /// `OrderRules.receivesDeliveries`), so the drug's contracted distributor never gets it.
    package static func consolidable(_ submitted: [SubmittedOrder]) -> [Int64] {
        submitted.filter { $0.emergencyShortageID == nil }.map(\.id)
    }

    /// Consolidation (统一配送) needs a contracted distributor for every drug ordered: the drugs without one stop it
    /// all, each named.
    package static func checkConsolidation(uncontractedDrugs: [String]) throws(DomainError) {
        guard uncontractedDrugs.isEmpty else {
            throw .unprocessable(
                "no distributor is contracted for " + uncontractedDrugs.joined(separator: ", "),
                uncontractedDrugs.map { FieldError(field: $0, reason: "no contracted distributor") })
        }
    }

    /// An invoice has at least one line.
    package static func checkInvoiceLines(count: Int) throws(DomainError) {
        guard count > 0 else { throw .invalid("lines", "an invoice has at least one line") }
    }

    /// 两票制: the upstream invoice comes from the manufacturer or one that counts as it (422 otherwise).
    package static func checkTwoInvoiceRule(upstream: Supplier, code: String) throws(DomainError) {
        if let error = ProcurementRules.twoInvoiceRuleError(
            upstreamIsManufacturer: upstream.isManufacturer, upstreamCountsAsManufacturer: upstream.countsAsManufacturer,
            upstreamCode: code)
        {
            throw .unprocessable(error.reason, [error])
        }
    }

    /// The member an invoice bills (nil: no member by that code, 422).
    package static func invoicedMember(_ id: Int64?, code: String) throws(DomainError) -> Int64 {
        guard let id else { throw .invalid("institutionCode", "no member \(code)") }
        return id
    }

    /// Invoice line `index` bills an order line of the member invoiced (nil: none, 422 naming the line).
    package static func invoicedOrderLine(
        _ found: InvoicedOrderLine?, index: Int, orderID: Int64, orderLineNo: Int, institutionCode: String
    ) throws(DomainError) -> InvoicedOrderLine {
        guard let found else {
            throw .invalid("lines[\(index)]", "order \(orderID) line \(orderLineNo) is not an order line of \(institutionCode)")
        }
        return found
    }

    /// Central payment (统一支付) of a payable invoice (matched, or its discrepancies resolved by finance), in parts
    /// never beyond what remains unpaid (`ProcurementRules.paymentProblem`).
    package static func checkPayment(
        invoiceNumber: String, payable: Bool, total: Money, paidSoFar: Money, amount: Money
    ) throws(DomainError) {
        guard payable else {
            throw .unprocessable("invoice \(invoiceNumber) has discrepancies; finance must resolve them before it is paid")
        }
        if let problem = ProcurementRules.paymentProblem(invoiceTotal: total, paidSoFar: paidSoFar, amount: amount) {
            throw .unprocessable(problem.reason, [problem])
        }
    }
}

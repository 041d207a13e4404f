import Foundation

/// Received and already billed units, of an order line or of one lot on it.
package struct ReceiptBalance: Sendable, Equatable {
    package var received: Decimal
    /// What earlier invoice lines claimed of these units (every claim counts, matched or not, but for a line the
    /// distributor could not bill: a claim of a wrong distributor).
    package var billed: Decimal

    package init(received: Decimal, billed: Decimal) {
        self.received = received
        self.billed = billed
    }

    package var unbilled: Decimal { received - billed }
}

/// The order line an invoice line bills, as the records have it.
package struct InvoicedOrderLine: Sendable, Equatable {
    package var orderID: Int64
    package var lineNo: Int
    /// The unified price on the order date.
    package var unifiedPrice: Money
    /// The distributor that invoices the line supplied it (`InvoiceLineRules.supplies`: the distributor it was
    /// consolidated to, 统一配送; an emergency purchase's own supplier).
    package var suppliedByInvoicingDistributor: Bool
    /// The whole order line.
    package var line: ReceiptBalance
    /// The lot the invoice line names; nil when it names none.
    package var lot: ReceiptBalance?
    /// The order is the emergency purchase (应急采购) of this shortage, off the usual distributor (issue 22).
    package var emergencyShortageID: Int64?

    package init(
        orderID: Int64, lineNo: Int, unifiedPrice: Money, suppliedByInvoicingDistributor: Bool, line: ReceiptBalance,
        lot: ReceiptBalance? = nil, emergencyShortageID: Int64? = nil
    ) {
        self.emergencyShortageID = emergencyShortageID
        self.orderID = orderID
        self.lineNo = lineNo
        self.unifiedPrice = unifiedPrice
        self.suppliedByInvoicingDistributor = suppliedByInvoicingDistributor
        self.line = line
        self.lot = lot
    }

    /// What may still be billed: received and not yet billed, of the lot and of the line alike.
    package var unbilled: Decimal { min(line.unbilled, lot?.unbilled ?? line.unbilled) }
}

/// What an invoice line disagrees with. The API's recorded invoices and `reconcile invoices` judge a line by the
/// same rule (`InvoiceLineRules.judge`); the file adds its own classifications (`ReconciliationClassification`).
package enum InvoiceLineDiscrepancy: String, Sendable, Codable, CaseIterable {
    /// No order line of the member for the drug with a receipt of the lot.
    case noMatchingOrderOrReceipt = "no_matching_order_or_receipt"
    /// The order line was consolidated to another distributor: this one did not supply it.
    case wrongDistributor = "wrong_distributor"
    /// The invoiced unit price is not the order line's unified price.
    case priceDiffers = "price_differs"
    /// The line bills fewer units than were received and not yet billed.
    case quantityDiffers = "quantity_differs"
    /// The line bills more than was received and not yet billed: goods billed twice, or never received.
    case billedBeyondReceived = "billed_beyond_received"
    /// The amount is not quantity × unit price to the fen.
    case amountMismatch = "amount_mismatch"
}

/// One discrepancy of an invoice line, with what the finance officer needs to see and the money at stake
/// (CNY to the fen; signed: negative when less was invoiced than due).
package struct InvoiceLineFinding: Sendable, Equatable {
    package var discrepancy: InvoiceLineDiscrepancy
    package var detail: [String: String]
    package var moneyAtStake: Money

    package init(_ discrepancy: InvoiceLineDiscrepancy, _ detail: [String: String], moneyAtStake: Money) {
        self.discrepancy = discrepancy
        self.detail = detail
        self.moneyAtStake = moneyAtStake
    }
}

/// The rules of an invoice line against the order line it bills (两票制 invoices, 统一支付 central payment).
package enum InvoiceLineRules {
    /// Whether the distributor `invoicing` supplied an order line, and so may bill it. A line consolidated (统一配送)
    /// was supplied by the distributor it was consolidated to, and only by it. A line of an emergency purchase
    /// (应急采购, issue 22), which skips the consolidation, was supplied by the order's emergency supplier. Any other
    /// line was supplied by no one yet. `reconcile invoices` asks the same in SQL
    /// (`InvoiceReconciliationStore.matchingQuery`: `coalesce(co.distributor_id = sd.id,
    /// po.emergency_supplier_id = sd.id, false)`).
    package static func supplies(invoicing: Int64, consolidatedTo: Int64?, emergencySupplier: Int64?) -> Bool {
        if let consolidatedTo { return consolidatedTo == invoicing }
        return emergencySupplier == invoicing
    }

    /// quantity × unit price, rounded half-up to the fen.
    package static func expectedAmount(quantity: Decimal, unitPrice: Money) -> Money {
        (unitPrice * quantity).rounded(2)
    }

    /// Judges one invoice line. Without an order line nothing can be compared but the amount; a distributor that
    /// did not supply the line has no units to bill, so neither price nor quantity is compared; otherwise the price
    /// is the unified price on the order date, and the quantity is at most what was received and not yet billed
    /// (an invoice line beyond it is `billedBeyondReceived`, never matched).
    package static func judge(quantity: Decimal, unitPrice: Money, amount: Money, against orderLine: InvoicedOrderLine?)
        -> [InvoiceLineFinding]
    {
        var found: [InvoiceLineFinding] = []
        func add(_ d: InvoiceLineDiscrepancy, _ detail: [String: String], _ money: Decimal) {
            found.append(InvoiceLineFinding(d, detail, moneyAtStake: Money(money).rounded(2)))
        }
        if let orderLine {
            // The details are written only for a discrepancy: most lines have none, and a file has a million.
            var ref: [String: String] { ["orderId": String(orderLine.orderID), "orderLineNo": String(orderLine.lineNo)] }
            if !orderLine.suppliedByInvoicingDistributor {
                add(.wrongDistributor, ref, amount.amount)
            } else {
                if orderLine.unifiedPrice.amount != unitPrice.amount {
                    add(
                        .priceDiffers,
                        ref.merging([
                            "invoicedPrice": unitPrice.description,
                            "unifiedPrice": orderLine.unifiedPrice.description,
                        ]) { a, _ in a },
                        (unitPrice.amount - orderLine.unifiedPrice.amount) * quantity)
                }
                let unbilled = max(orderLine.unbilled, 0)
                var quantities: [String: String] {
                    ref.merging([
                        "invoicedQuantity": DecimalText.format(quantity, places: 3),
                        "receivedQuantity": DecimalText.format(orderLine.lot?.received ?? orderLine.line.received, places: 3),
                        "alreadyBilled": DecimalText.format(orderLine.lot?.billed ?? orderLine.line.billed, places: 3),
                    ]) { a, _ in a }
                }
                if quantity > unbilled {
                    add(.billedBeyondReceived, quantities, (quantity - unbilled) * unitPrice.amount)
                } else if quantity < unbilled {
                    add(.quantityDiffers, quantities, (quantity - unbilled) * unitPrice.amount)
                }
            }
        } else {
            add(.noMatchingOrderOrReceipt, [:], amount.amount)
        }
        let expected = expectedAmount(quantity: quantity, unitPrice: unitPrice)
        if expected.amount != amount.amount {
            add(
                .amountMismatch, ["amount": amount.formatted(places: 2), "expected": expected.formatted(places: 2)],
                amount.amount - expected.amount)
        }
        return found
    }
}

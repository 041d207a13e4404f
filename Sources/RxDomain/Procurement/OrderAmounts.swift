import Foundation

/// The money of an order as its documents print it (采购单): each line at quantity × unified price to the fen, the
/// amount an invoice line for it must carry (`InvoiceLineRules.expectedAmount`), and the order's total as the sum of
/// its lines, so the printed lines add up to the printed total.
package enum OrderAmounts {
    package static func line(quantity: Decimal, unitPrice: Money) -> Money {
        InvoiceLineRules.expectedAmount(quantity: quantity, unitPrice: unitPrice)
    }

    package static func total(_ lines: [(quantity: Decimal, unitPrice: Money)]) -> Money {
        lines.reduce(Money(0)) { $0 + line(quantity: $1.quantity, unitPrice: $1.unitPrice) }.rounded(2)
    }
}

/// 对账单: what the consortium owes a distributor as of a day, invoice by invoice (the payables: accepted invoices,
/// each with what was paid), and the totals both sides sign: invoiced, paid, still owed, and of that what is overdue.
package struct DistributorStatementTotals: Sendable, Equatable {
    package var invoices: Int
    package var invoiced: Money
    package var paid: Money
    package var owed: Money
    package var overdue: Money

    /// `(amount, paid, overdue)` of each payable invoice of the distributor.
    package init(_ payables: [(amount: Money, paid: Money, overdue: Bool)]) {
        invoices = payables.count
        invoiced = payables.reduce(Money(0)) { $0 + $1.amount }.rounded(2)
        paid = payables.reduce(Money(0)) { $0 + $1.paid }.rounded(2)
        owed = payables.reduce(Money(0)) { $0 + ($1.amount - $1.paid).rounded(2) }.rounded(2)
        overdue = payables.filter(\.overdue).reduce(Money(0)) { $0 + ($1.amount - $1.paid).rounded(2) }.rounded(2)
    }
}

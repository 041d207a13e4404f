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

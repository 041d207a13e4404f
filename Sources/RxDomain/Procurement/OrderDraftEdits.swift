import Foundation

/// Correcting a draft order before it is submitted (issue 18, point 13): a line's quantity changed, a line added or
/// removed, each with the reason the audit trail keeps. Prices are never the client's: a line added takes the unified
/// price in effect on the order date, and a changed quantity keeps its line's price.
package enum OrderDraftEdit: Sendable, Equatable {
    case add(drugCode: String, quantity: Decimal)
    case changeQuantity(lineNo: Int, quantity: Decimal)
    case remove(lineNo: Int)

    /// The audit trail's action.
    package var action: String {
        switch self {
        case .add: return "add_line"
        case .changeQuantity: return "change_line"
        case .remove: return "remove_line"
        }
    }
}

extension ProcurementRules {
    /// An order's lines change only while it is a draft: after submission the supply centre may have consolidated
    /// them, so a change is 409 naming the state.
    package static func requireDraftForLineEdits(orderID: Int64, status: OrderStatus) throws(DomainError) {
        guard status == .draft else {
            throw .conflict("order \(orderID) is \(status.rawValue): its lines change only while it is a draft")
        }
    }

    /// Checks an edit against the draft's lines (line number and quantity); the order keeps at least one line.
    package static func checkDraftEdit(_ edit: OrderDraftEdit, lines: [(lineNo: Int, drugCode: String)]) throws(DomainError) {
        switch edit {
        case .add(let drugCode, let quantity):
            guard quantity > 0 else { throw .invalid("quantity", "must be positive") }
            if let line = lines.first(where: { $0.drugCode == drugCode }) {
                throw .invalid("drugCode", "\(drugCode) is on line \(line.lineNo) already: change its quantity instead")
            }
        case .changeQuantity(let lineNo, let quantity):
            guard lines.contains(where: { $0.lineNo == lineNo }) else { throw .notFound("the order has no line \(lineNo)") }
            guard quantity > 0 else {
                throw .invalid("quantity", "must be positive (remove the line to drop it)")
            }
        case .remove(let lineNo):
            guard lines.contains(where: { $0.lineNo == lineNo }) else { throw .notFound("the order has no line \(lineNo)") }
            guard lines.count > 1 else {
                throw .conflict("line \(lineNo) is the order's only line: cancel the order instead")
            }
        }
    }

    /// The number of a line added to a draft: after its last line (the others keep theirs).
    package static func nextLineNo(after lineNos: [Int]) -> Int {
        (lineNos.max() ?? 0) + 1
    }
}

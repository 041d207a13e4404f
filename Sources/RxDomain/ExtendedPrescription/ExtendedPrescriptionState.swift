import Foundation

/// Where an extended prescription (延伸处方) stands: requested by the prescriber at the patient's institution,
/// reviewed by a pharmacist of the dispensing institution (审方: approved or refused), dispatched from a named stock
/// by lot (集中配送), delivered to the collecting institution (or the patient's home), and collected; or not
/// collected by its deadline (the stock goes back), or cancelled with a reason until collected.
package enum ExtendedPrescriptionState: String, Sendable, Codable, CaseIterable {
    case requested
    /// 审方通过
    case approved
    /// 审方不通过: the reason is shown to the prescriber.
    case refused
    /// 已配送: out of the dispensing stock, on its way.
    case dispatched
    /// 已送达: at the collecting institution (or the patient's home).
    case delivered
    /// 已取药
    case collected
    /// 逾期未取: the stock goes back.
    case notCollected = "not_collected"
    case cancelled

    /// Nothing moves it any more.
    package var isFinal: Bool {
        switch self {
        case .refused, .collected, .notCollected, .cancelled: return true
        case .requested, .approved, .dispatched, .delivered: return false
        }
    }

    /// Stock has left the dispensing institution for this prescription and not reached the patient.
    package var holdsDispatchedStock: Bool { self == .dispatched || self == .delivered }
}

/// A move of an extended prescription, with what it carries.
package enum ExtendedPrescriptionAction: Sendable, Equatable {
    /// 审方通过
    case approve
    /// 审方不通过, with the reason shown to the prescriber.
    case refuse(reason: String)
    /// 配送: out of `stock` (the dispensing institution's store, by name), by lot (FEFO unless a lot was named),
    /// the lots summing to the prescription's `quantity`.
    case dispatch(stock: String, quantity: Quantity, lots: [StockRules.Allocation])
    /// 送达
    case deliver
    /// 取药
    case collect
    /// 逾期未取: only once `today` is past `collectBy`, the last day to collect.
    case markNotCollected(today: BusinessDate, collectBy: BusinessDate)
    /// 撤销, with a reason, until collected.
    case cancel(reason: String)

    /// The action's name in a refusal.
    package var name: String {
        switch self {
        case .approve: return "approved"
        case .refuse: return "refused"
        case .dispatch: return "dispatched"
        case .deliver: return "delivered"
        case .collect: return "collected"
        case .markNotCollected: return "marked not collected"
        case .cancel: return "cancelled"
        }
    }
}

/// A move's outcome: the new state, and whether dispatched stock goes back to the dispensing institution (not
/// collected, or cancelled after dispatch).
package struct ExtendedPrescriptionMove: Sendable, Equatable {
    package var to: ExtendedPrescriptionState
    package var stockBack: Bool

    package init(to: ExtendedPrescriptionState, stockBack: Bool = false) {
        self.to = to
        self.stockBack = stockBack
    }
}

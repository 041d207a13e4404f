import Foundation

/// Which way a movement takes stock: into the location or out of it.
package enum StockDirection: String, Sendable, Codable, CaseIterable {
    case `in`
    case out

    /// +1 for stock coming in, -1 for stock going out: a movement's signed quantity is its quantity times this.
    package var sign: Decimal { self == .in ? 1 : -1 }
}

/// Why stock changed (库存变更类型): the national insurance stock-change codes of the 进销存 interface 3502, plus
/// dispensing to patients and their returns, and opening balances. The codes are also seeded data (`stock_movement_reasons`); this enum
/// names the ones the rules post.
package enum StockMovementReason: String, Sendable, Codable, CaseIterable {
    /// 调拨入库
    case transferIn = "101"
    /// 调拨出库
    case transferOut = "102"
    /// 盘盈
    case countSurplus = "103"
    /// 盘损
    case countLoss = "104"
    /// 销毁
    case destruction = "105"
    /// 其他入库
    case otherIn = "106"
    /// 其他出库
    case otherOut = "107"
    /// 商品采购入库
    case purchaseReceipt = "108"
    /// 退货出库
    case returnToSupplier = "109"
    /// 赠药入库
    case donationIn = "110"
    /// 赠药退回出库
    case donationReturned = "111"
    /// 销售/发药: to a patient or a ward (reported through 3505, not 3502).
    case dispensing = "dispensing"
    /// 退药: a patient's return (reported through 3506).
    case patientReturn = "patient_return"
    /// 期初入库: an opening balance (`consortiumrx import stock`, migration 024). Not a 3502 change: the NHSA export
    /// reports the stock it opens through the 3501 count.
    case opening = "opening"

    package var direction: StockDirection {
        switch self {
        case .transferIn, .countSurplus, .otherIn, .purchaseReceipt, .donationIn, .patientReturn, .opening: return .in
        case .transferOut, .countLoss, .destruction, .otherOut, .returnToSupplier, .donationReturned, .dispensing:
            return .out
        }
    }

    /// What the movement does to consumption (the days-of-stock average): a dispensing adds to it, a patient's
    /// return takes back, nothing else is consumption. Seeded as `stock_movement_reasons.consumption` (sql/026),
    /// whose trigger keeps `stock_daily_consumption`.
    package var consumptionSign: Int {
        switch self {
        case .dispensing: return 1
        case .patientReturn: return -1
        default: return 0
        }
    }

    /// Whether the code is one of the national insurance 3502 stock-change codes.
    package var isNationalCode: Bool { Int(rawValue) != nil }

    /// The only ways stock that may not be issued (expired or blocked) leaves: destroyed, returned to the supplier,
    /// or written off by a count.
    package var disposesOfQuarantinedStock: Bool {
        self == .destruction || self == .returnToSupplier || self == .countLoss
    }
}

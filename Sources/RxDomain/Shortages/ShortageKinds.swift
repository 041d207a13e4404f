import Foundation

/// Why a drug is short (RULES.md Shortages: the causes seen in studies).
package enum ShortageCause: String, Sendable, Codable, CaseIterable {
    /// 原料药短缺
    case rawMaterials = "raw_materials"
    /// 停产 / GMP 问题
    case productionStopped = "production_stopped"
    /// 价格过低
    case priceTooLow = "price_too_low"
    /// 用量小
    case demandTooLow = "demand_too_low"
    /// 进口审批
    case importApproval = "import_approval"
    /// 配送不到位
    case distributionFailure = "distribution_failure"
    /// 需求激增
    case demandSurge = "demand_surge"
    case other
}

/// How wide a shortage is: one or some members, the consortium as a whole, or reported to the health authority.
package enum ShortageLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case member
    case consortium
    /// 上报: escalated to the health authority; stays so until the record closes.
    case escalated

    package static func < (a: ShortageLevel, b: ShortageLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What the service saw.
package enum ShortageSignalKind: String, Sendable, Codable, CaseIterable {
    /// 断货: none on hand of a drug used in the consumption window.
    case stockOut = "stock_out"
    /// 库存不足: days of stock below `shortage_low_stock_days`.
    case lowStock = "low_stock"
    /// 配送超时: an order line not delivered within `shortage_delivery_deadline_days` of its submission.
    case lateDelivery = "late_delivery"
    /// 延伸处方配送超时: an approved extended prescription not delivered to the collecting member by the deadline
    /// stamped at its approval (`extended_rx_delivery_deadline_hours`).
    case lateExtendedPrescription = "late_extended_prescription"
    /// 供应商报告: a distributor or manufacturer reports it cannot supply.
    case supplierReport = "supplier_report"
}

/// Whether a shortage record is open.
package enum ShortageStatus: String, Sendable, Codable, CaseIterable {
    case open
    case closed
}

/// How a shortage ended.
package enum ShortageOutcome: String, Sendable, Codable, CaseIterable {
    /// Stock back above the threshold everywhere (the scan closes it so).
    case recovered
    /// The members moved to a substitute for good.
    case substituted
    /// The drug left the catalogue.
    case delisted
    case other
}

/// What the supply centre did about a shortage.
package enum ShortageActionKind: String, Sendable, Codable, CaseIterable {
    /// 调剂: transfers from members with surplus.
    case redistribute
    /// 替代: an alternative, signed off by a pharmacist.
    case substitute
    /// 应急采购: an order off the usual channel, with a reason.
    case emergencyPurchase = "emergency_purchase"
    /// 上报: the direct-reporting form to the health authority.
    case escalate
}

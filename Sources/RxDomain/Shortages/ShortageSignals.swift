import Foundation

/// The settings the shortage rules read, each a `PolicySetting` the use case reads for the consortium and date.
package struct ShortageSettings: Sendable, Equatable {
    /// `shortage_low_stock_days`
    package var lowStockDays: Int
    /// `shortage_delivery_deadline_days`
    package var deliveryDeadlineDays: Int
    /// `stock_consumption_window_days`
    package var windowDays: Int
    /// `shortage_surplus_days`
    package var surplusDays: Int
    /// `shortage_reopen_window_days`
    package var reopenWindowDays: Int

    package init(lowStockDays: Int, deliveryDeadlineDays: Int, windowDays: Int, surplusDays: Int, reopenWindowDays: Int) {
        self.lowStockDays = lowStockDays
        self.deliveryDeadlineDays = deliveryDeadlineDays
        self.windowDays = windowDays
        self.surplusDays = surplusDays
        self.reopenWindowDays = reopenWindowDays
    }

    /// Settings that cannot work are the seeds' fault (503 naming the setting).
    package func check() throws(DomainError) {
        let named: [(String, Int, Int)] = [
            ("shortage_low_stock_days", lowStockDays, 1), ("shortage_delivery_deadline_days", deliveryDeadlineDays, 0),
            ("stock_consumption_window_days", windowDays, 1), ("shortage_surplus_days", surplusDays, 1),
            ("shortage_reopen_window_days", reopenWindowDays, 0),
        ]
        for (key, value, least) in named where value < least {
            throw .unavailable("the setting \(key) must be at least \(least), not \(value)")
        }
        if surplusDays <= lowStockDays {
            throw .unavailable(
                "the setting shortage_surplus_days (\(surplusDays)) must be more than shortage_low_stock_days (\(lowStockDays))")
        }
    }
}

/// An order line of a member not (fully) delivered yet, with the date its order was submitted.
package struct OpenOrderLine: Sendable, Hashable, Codable {
    package var orderID: Int64
    package var lineNo: Int
    package var submittedOn: BusinessDate
    package var outstanding: Quantity

    package init(orderID: Int64, lineNo: Int, submittedOn: BusinessDate, outstanding: Quantity) {
        self.orderID = orderID
        self.lineNo = lineNo
        self.submittedOn = submittedOn
        self.outstanding = outstanding
    }
}

/// An approved extended prescription waiting at the collecting member, not delivered yet, with the business date
/// of its delivery deadline (`delivery_due_at` in Asia/Shanghai).
package struct UndeliveredExtendedPrescription: Sendable, Hashable, Codable {
    package var prescriptionID: Int64
    package var dueOn: BusinessDate

    package init(prescriptionID: Int64, dueOn: BusinessDate) {
        self.prescriptionID = prescriptionID
        self.dueOn = dueOn
    }
}

/// A distributor's or manufacturer's notice that it cannot supply a drug, recorded by the supply centre; it stands
/// from `reportedOn` until `resumedOn` (nil: still standing).
package struct SupplierShortageReport: Sendable, Hashable, Codable {
    package var supplierCode: String
    package var reportedOn: BusinessDate
    package var resumedOn: BusinessDate?
    package var notice: String
    package var expectedRecovery: BusinessDate?

    package init(
        supplierCode: String, reportedOn: BusinessDate, resumedOn: BusinessDate? = nil, notice: String,
        expectedRecovery: BusinessDate? = nil
    ) {
        self.supplierCode = supplierCode
        self.reportedOn = reportedOn
        self.resumedOn = resumedOn
        self.notice = notice
        self.expectedRecovery = expectedRecovery
    }

    package func stands(on date: BusinessDate) -> Bool {
        reportedOn <= date && (resumedOn.map { date < $0 } ?? true)
    }
}

/// What the stores found for one member and one drug: stock on hand (issuable or not, as the ledger holds it),
/// consumption over the window, its open order lines, and the extended prescriptions it waits for as the collecting
/// member.
package struct MemberStockFacts: Sendable, Equatable {
    package var institutionCode: String
    package var onHand: Quantity
    package var consumed: Quantity
    package var openOrderLines: [OpenOrderLine]
    package var undeliveredPrescriptions: [UndeliveredExtendedPrescription]

    package init(
        institutionCode: String, onHand: Quantity, consumed: Quantity, openOrderLines: [OpenOrderLine] = [],
        undeliveredPrescriptions: [UndeliveredExtendedPrescription] = []
    ) {
        self.institutionCode = institutionCode
        self.onHand = onHand
        self.consumed = consumed
        self.openOrderLines = openOrderLines
        self.undeliveredPrescriptions = undeliveredPrescriptions
    }
}

/// A signal that holds: its kind, the member (nil for the consortium as a whole or a supplier's report), and what
/// shows it (days of stock, the late order line or extended prescription, the supplier).
package struct ShortageSignal: Sendable, Hashable, Codable {
    package var kind: ShortageSignalKind
    package var institutionCode: String?
    package var onHand: Quantity?
    package var daysOfStock: Decimal?
    package var orderID: Int64?
    package var lineNo: Int?
    package var extendedPrescriptionID: Int64?
    package var daysLate: Int?
    package var supplierCode: String?

    package init(
        kind: ShortageSignalKind, institutionCode: String? = nil, onHand: Quantity? = nil, daysOfStock: Decimal? = nil,
        orderID: Int64? = nil, lineNo: Int? = nil, extendedPrescriptionID: Int64? = nil, daysLate: Int? = nil,
        supplierCode: String? = nil
    ) {
        self.kind = kind
        self.institutionCode = institutionCode
        self.onHand = onHand
        self.daysOfStock = daysOfStock
        self.orderID = orderID
        self.lineNo = lineNo
        self.extendedPrescriptionID = extendedPrescriptionID
        self.daysLate = daysLate
        self.supplierCode = supplierCode
    }
}

extension ShortageSignal {
    /// The order signals are listed in: by kind, then member (the consortium's own after its members), then order
    /// line or extended prescription, then supplier.
    package static func precedes(_ a: ShortageSignal, _ b: ShortageSignal) -> Bool {
        let kinds = ShortageSignalKind.allCases
        /// An order line and an extended prescription are never in one kind: one slot holds either's id.
        func key(_ s: ShortageSignal) -> (Int, Int, String, Int64, Int, String) {
            (
                kinds.firstIndex(of: s.kind)!, s.institutionCode == nil ? 1 : 0, s.institutionCode ?? "",
                s.orderID ?? s.extendedPrescriptionID ?? 0, s.lineNo ?? 0, s.supplierCode ?? ""
            )
        }
        return key(a) < key(b)
    }
}

/// One member's stock position in a shortage: on hand and days of stock (nil: nothing consumed in the window).
package struct MemberStockPosition: Sendable, Hashable, Codable {
    package var institutionCode: String
    package var onHand: Quantity
    package var daysOfStock: Decimal?

    package init(institutionCode: String, onHand: Quantity, daysOfStock: Decimal?) {
        self.institutionCode = institutionCode
        self.onHand = onHand
        self.daysOfStock = daysOfStock
    }
}

/// The signals of one drug in a consortium on a date: each that holds, the members affected, the consortium's own
/// days of stock and whether it is low as a whole.
package struct ShortageAssessment: Sendable, Equatable {
    package var drugCode: String
    package var on: BusinessDate
    /// Sorted by kind, then member, then order line or extended prescription, then supplier.
    package var signals: [ShortageSignal]
    /// The members with a stock-out, low stock, a late delivery or a late extended prescription, by code.
    package var affected: [MemberStockPosition]
    package var consortiumOnHand: Quantity
    package var consortiumDaysOfStock: Decimal?
    /// The consortium's stock as a whole below the threshold (or none left while the drug is used).
    package var consortiumLow: Bool

    /// Whether any signal holds: a record opens (or stays open) while one does.
    package var isShort: Bool { !signals.isEmpty }

    /// The level the signals call for: the consortium when it is low as a whole or a supplier cannot supply, else
    /// the member (an escalation is the supply centre's act, never the scan's).
    package var level: ShortageLevel {
        consortiumLow || signals.contains { $0.kind == .supplierReport } ? .consortium : .member
    }
}

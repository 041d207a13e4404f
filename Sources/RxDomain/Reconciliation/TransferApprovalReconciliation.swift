import Foundation

/// What `consortiumrx reconcile transfers` finds for an approval of a hospital preparation's transfer (制剂调剂使用
/// 批准), or for a shipment against it.
package enum TransferClassification: String, RecordClassification {
    // An approval's standing on the as-of date (in line).
    /// Within its validity period, with quantity left.
    case active
    /// Its validity period has not begun.
    case notYetValid = "not_yet_valid"
    /// Its validity period has ended (有效期届满).
    case expired
    /// The approved quantity is all shipped.
    case usedUp = "used_up"
    // An approval out of line.
    /// The approval's running shipped total (kept with every shipment) is not the sum of its shipments.
    case shippedTotalDiffers = "shipped_total_differs"
    // A shipment outside its approval.
    /// Shipped before the approval's validity period.
    case shippedBeforeValidity = "shipped_before_validity"
    /// Shipped after the approval's validity period ended.
    case shippedAfterExpiry = "shipped_after_expiry"
    /// Takes the approval's shipped total over the approved quantity (in shipping order).
    case overApprovedQuantity = "over_approved_quantity"
    /// Shipped after the preparation's registration number (制剂批准文号) lapsed.
    case registrationLapsed = "registration_lapsed"
    /// Shipped on a day the producer held no valid preparation licence (医疗机构制剂许可证).
    case noValidLicence = "no_valid_licence"
    /// The receiver recorded less than was shipped.
    case receiptShort = "receipt_short"
    /// The receiver recorded more than was shipped.
    case receiptOver = "receipt_over"
    /// Recorded as received before the day it was shipped.
    case receivedBeforeShipped = "received_before_shipped"

    package var isDiscrepancy: Bool {
        switch self {
        case .active, .notYetValid, .expired, .usedUp: false
        default: true
        }
    }
}

package struct TransferApprovalFacts: Sendable, Equatable {
    package var approvalID: Int64
    /// `regulator_approval` or `standing_scope`.
    package var kind: String
    package var documentNumber: String?
    package var drugCode: String
    package var drugName: String
    package var supplierCode: String
    package var receiverCodes: [String]
    /// The preparation's unit (袋, 瓶 …): every quantity of the approval is in it.
    package var unit: String
    package var approved: Decimal
    /// `transfer_approvals.shipped_quantity`, kept with every shipment.
    package var runningShippedTotal: Decimal
    /// The sum of every shipment recorded, whatever its date.
    package var shipmentsTotal: Decimal
    /// Shipped up to as-of.
    package var shipped: Decimal
    /// Received up to as-of.
    package var received: Decimal
    /// Shipped up to as-of without a receipt by then.
    package var inTransit: Decimal
    package var shipments: Int
    package var validFrom: BusinessDate
    package var validTo: BusinessDate

    package init(
        approvalID: Int64, kind: String, documentNumber: String?, drugCode: String, drugName: String, supplierCode: String,
        receiverCodes: [String], unit: String, approved: Decimal, runningShippedTotal: Decimal, shipmentsTotal: Decimal,
        shipped: Decimal, received: Decimal, inTransit: Decimal, shipments: Int, validFrom: BusinessDate, validTo: BusinessDate
    ) {
        self.approvalID = approvalID
        self.kind = kind
        self.documentNumber = documentNumber
        self.drugCode = drugCode
        self.drugName = drugName
        self.supplierCode = supplierCode
        self.receiverCodes = receiverCodes
        self.unit = unit
        self.approved = approved
        self.runningShippedTotal = runningShippedTotal
        self.shipmentsTotal = shipmentsTotal
        self.shipped = shipped
        self.received = received
        self.inTransit = inTransit
        self.shipments = shipments
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

package struct TransferShipmentFacts: Sendable, Equatable {
    package var shipmentID: Int64
    package var approvalID: Int64
    package var drugCode: String
    package var receiverCode: String
    package var lotNumber: String
    package var unit: String
    package var quantity: Decimal
    package var shippedOn: BusinessDate
    package var validFrom: BusinessDate
    package var validTo: BusinessDate
    package var approved: Decimal
    /// The approval's shipments up to and including this one, in shipping order (day, then id).
    package var cumulativeShipped: Decimal
    /// The registration number's last valid day; nil for a filing number (备案号), which does not lapse.
    package var registrationValidTo: BusinessDate?
    /// The producer held a preparation licence valid on the shipping day.
    package var licensed: Bool
    package var receivedQuantity: Decimal?
    package var receivedOn: BusinessDate?

    package init(
        shipmentID: Int64, approvalID: Int64, drugCode: String, receiverCode: String, lotNumber: String, unit: String,
        quantity: Decimal, shippedOn: BusinessDate, validFrom: BusinessDate, validTo: BusinessDate, approved: Decimal,
        cumulativeShipped: Decimal, registrationValidTo: BusinessDate?, licensed: Bool, receivedQuantity: Decimal?,
        receivedOn: BusinessDate?
    ) {
        self.shipmentID = shipmentID
        self.approvalID = approvalID
        self.drugCode = drugCode
        self.receiverCode = receiverCode
        self.lotNumber = lotNumber
        self.unit = unit
        self.quantity = quantity
        self.shippedOn = shippedOn
        self.validFrom = validFrom
        self.validTo = validTo
        self.approved = approved
        self.cumulativeShipped = cumulativeShipped
        self.registrationValidTo = registrationValidTo
        self.licensed = licensed
        self.receivedQuantity = receivedQuantity
        self.receivedOn = receivedOn
    }
}

package enum TransferApprovalReconciliation {
    static func q(_ value: Decimal) -> String { Quantity(value).description }

    /// An approval's balance on `asOf`: approved, shipped, received, in transit, remaining, days left, and its standing.
    package static func classify(_ a: TransferApprovalFacts, asOf: BusinessDate) -> ReportEntry<TransferClassification> {
        let remaining = a.approved - a.shipped
        var found: [TransferClassification] = []
        if a.runningShippedTotal != a.shipmentsTotal { found.append(.shippedTotalDiffers) }
        if found.isEmpty {
            if remaining <= 0 {
                found = [.usedUp]
            } else if asOf < a.validFrom {
                found = [.notYetValid]
            } else if asOf > a.validTo {
                found = [.expired]
            } else {
                found = [.active]
            }
        }
        var fields = [
            ReportField("unit", a.unit),
            ReportField("approved", q(a.approved)),
            ReportField("shipped", q(a.shipped)),
            ReportField("received", q(a.received)),
            ReportField("inTransit", q(a.inTransit)),
            ReportField("remaining", q(remaining)),
            ReportField("shipments", String(a.shipments)),
            ReportField("validFrom", a.validFrom.description),
            ReportField("validTo", a.validTo.description),
            ReportField("daysLeft", String(max(asOf.days(to: a.validTo), -1) + 1)),
            ReportField("supplier", a.supplierCode),
            ReportField("receivers", a.receiverCodes.joined(separator: " ")),
        ]
        if found.contains(.shippedTotalDiffers) {
            fields.append(ReportField("runningShippedTotal", q(a.runningShippedTotal)))
            fields.append(ReportField("shipmentsTotal", q(a.shipmentsTotal)))
        }
        let document = a.documentNumber.map { " \($0)" } ?? (a.kind == "standing_scope" ? " standing scope" : "")
        return ReportEntry(
            subject: "approval \(a.approvalID)\(document) \(a.drugCode) \(a.drugName)", classifications: found, fields: fields)
    }

    /// Every way a shipment lies outside its approval; empty when it lies inside.
    package static func discrepancies(_ s: TransferShipmentFacts) -> [TransferClassification] {
        var found: [TransferClassification] = []
        if s.shippedOn < s.validFrom { found.append(.shippedBeforeValidity) }
        if s.shippedOn > s.validTo { found.append(.shippedAfterExpiry) }
        if s.cumulativeShipped > s.approved { found.append(.overApprovedQuantity) }
        if let lapsed = s.registrationValidTo, s.shippedOn > lapsed { found.append(.registrationLapsed) }
        if !s.licensed { found.append(.noValidLicence) }
        if let received = s.receivedQuantity {
            if received < s.quantity { found.append(.receiptShort) }
            if received > s.quantity { found.append(.receiptOver) }
        }
        if let on = s.receivedOn, on < s.shippedOn { found.append(.receivedBeforeShipped) }
        return found
    }

    /// The shipment as an entry of the report, or nil when it lies inside its approval.
    package static func classify(_ s: TransferShipmentFacts) -> ReportEntry<TransferClassification>? {
        let found = discrepancies(s)
        guard !found.isEmpty else { return nil }
        var fields = [
            ReportField("approvalId", String(s.approvalID)),
            ReportField("receiver", s.receiverCode),
            ReportField("lotNumber", s.lotNumber),
            ReportField("unit", s.unit),
            ReportField("quantity", q(s.quantity)),
            ReportField("shippedOn", s.shippedOn.description),
        ]
        if found.contains(.shippedBeforeValidity) || found.contains(.shippedAfterExpiry) {
            fields.append(ReportField("validity", "\(s.validFrom)..\(s.validTo)"))
        }
        if found.contains(.overApprovedQuantity) {
            fields.append(ReportField("overBy", q(min(s.quantity, s.cumulativeShipped - s.approved))))
            fields.append(ReportField("approved", q(s.approved)))
        }
        if found.contains(.registrationLapsed), let to = s.registrationValidTo {
            fields.append(ReportField("registrationValidTo", to.description))
        }
        if let received = s.receivedQuantity { fields.append(ReportField("received", q(received))) }
        if let on = s.receivedOn { fields.append(ReportField("receivedOn", on.description)) }
        return ReportEntry(
            subject: "shipment \(s.shipmentID) \(s.drugCode) to \(s.receiverCode)", classifications: found, fields: fields)
    }
}

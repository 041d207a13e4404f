import Foundation

/// What a price agreement is on a given day, as users read it. The database keeps whether an agreement has a
/// period (`in_effect` there means "has a period"); whether that period has begun or ended depends on the day asked.
package enum PriceAgreementStatus: String, Sendable, Codable, CaseIterable {
    /// Agreed, not yet reported to the provincial platform (网上价格维护): no period yet.
    case agreed
    /// Its period begins after the day asked.
    case scheduled
    /// The unified price on the day asked.
    case inEffect = "in_effect"
    /// Its period ended before the day asked.
    case ended
    /// A later price took its whole period before it began.
    case superseded
}

extension PriceTimeline {
    /// The status of an agreement on `day`: `agreed` or `superseded` when it has no period, else where `day` falls
    /// against its period `[from, to)` (`to` the day after the last day, nil while open).
    package static func status(from: BusinessDate?, to: BusinessDate?, superseded: Bool, on day: BusinessDate)
        -> PriceAgreementStatus
    {
        guard let from else { return superseded ? .superseded : .agreed }
        if day < from { return .scheduled }
        if let to, day >= to { return .ended }
        return .inEffect
    }

    /// Taking a period out of the timeline: the period that ended where it began now runs to where it ended,
    /// so no day loses its price (a period it followed directly, if any).
    package static func withdraw(existing: [Period], id: Int64) -> [(id: Int64, to: BusinessDate?)] {
        guard let removed = existing.first(where: { $0.id == id }) else { return [] }
        return existing.filter { $0.id != id && $0.to == removed.from }.map { ($0.id, removed.to) }
    }
}

/// Correcting the mistyped report date of a negotiated price (集中议定价格的网上报送日期), allowed while the price has not
/// taken effect: once members buy at it, the date it took effect is history.
package enum PriceReportCorrection {
    /// The earliest business date the service accepts.
    package static let earliestDate = BusinessDate(year: 2000, month: 1, day: 1)

    /// What the correction is asked to change.
    package struct Agreement: Sendable, Equatable {
        package var id: Int64
        package var negotiated: Bool
        package var status: PriceAgreementStatus
        package var requestedFrom: BusinessDate
        package var effectiveFrom: BusinessDate?
        package init(
            id: Int64, negotiated: Bool, status: PriceAgreementStatus, requestedFrom: BusinessDate, effectiveFrom: BusinessDate?
        ) {
            self.id = id
            self.negotiated = negotiated
            self.status = status
            self.requestedFrom = requestedFrom
            self.effectiveFrom = effectiveFrom
        }
    }

    /// The day the price takes effect with the corrected report date: the later of its requested date and the
    /// report, and never a day already past (prices members bought at stay as they were). 409 when the price is not a
    /// reported negotiated price still to take effect (`agreement.status` on `today`); 422 naming the field for a
    /// report date after today or before 2000-01-01, or no reason.
    package static func start(
        _ agreement: Agreement, reportedOn: BusinessDate, reason: String?, today: BusinessDate
    ) throws(DomainError) -> BusinessDate {
        guard agreement.negotiated else {
            throw .conflict("agreement \(agreement.id) is not a negotiated price; only a negotiated price has a report date")
        }
        switch agreement.status {
        case .agreed:
            throw .conflict("agreement \(agreement.id) has not been reported yet; record its report instead")
        case .superseded:
            throw .conflict("agreement \(agreement.id) was superseded by a later price before it began")
        case .inEffect, .ended:
            throw .conflict(
                "agreement \(agreement.id) has been in effect since \(agreement.effectiveFrom?.description ?? "?"); a price in effect keeps its dates (agree a new price instead)"
            )
        case .scheduled:
            break
        }
        guard let reason, !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalid("reason", "is required: say why the report date is corrected")
        }
        guard reportedOn >= earliestDate else {
            throw .invalid("reportedOn", "\(reportedOn) is before \(earliestDate)")
        }
        guard reportedOn <= today else {
            throw .invalid(
                "reportedOn", "\(reportedOn) is after today (\(today)): a price cannot have been reported on a day still to come")
        }
        return max(agreement.requestedFrom, reportedOn, today)
    }
}

import Foundation

/// The rules of shortage monitoring and response (短缺药品监测应对): which signals hold, a record's life, the moves
/// of its state, the actions. Pure: the stores gather stock, consumption, open orders and supplier reports; the
/// settings come in as `ShortageSettings`.
package enum ShortageRules {
    /// The signals of `drugCode` on `today` (RULES.md Shortages):
    /// - stock-out at a member holding none of a drug it consumed in the window;
    /// - low stock at a member whose days of stock (`StockRules.daysOfStock`) are below `lowStockDays` (on the
    ///   threshold is not low), and for the consortium as a whole (its stock over all members' consumption);
    /// - late delivery of an open order line with quantity outstanding more than `deliveryDeadlineDays` after its
    ///   submission (on the deadline day it is not late yet);
    /// - late delivery of an approved extended prescription (延伸处方) at its collecting member, not delivered after the
    ///   business date of its deadline (on that date it is not late yet, as an order line);
    /// - a supplier's report standing on `today`.
    package static func signals(
        drugCode: String, members: [MemberStockFacts], supplierReports: [SupplierShortageReport],
        settings: ShortageSettings, on today: BusinessDate
    ) throws(DomainError) -> ShortageAssessment {
        try settings.check()
        let threshold = Decimal(settings.lowStockDays)
        var signals: [ShortageSignal] = []
        var affected: [MemberStockPosition] = []
        for member in members.sorted(by: { $0.institutionCode < $1.institutionCode }) {
            let days = try StockRules.daysOfStock(
                onHand: member.onHand, consumed: member.consumed, windowDays: settings.windowDays)
            var hit = false
            if member.onHand <= .zero && member.consumed > .zero {
                signals.append(
                    ShortageSignal(kind: .stockOut, institutionCode: member.institutionCode, onHand: .zero, daysOfStock: 0))
                hit = true
            } else if let days, days < threshold {
                signals.append(
                    ShortageSignal(
                        kind: .lowStock, institutionCode: member.institutionCode, onHand: member.onHand, daysOfStock: days))
                hit = true
            }
            for line in member.openOrderLines.sorted(by: { ($0.orderID, $0.lineNo) < ($1.orderID, $1.lineNo) })
            where line.outstanding > .zero {
                let late = line.submittedOn.days(to: today) - settings.deliveryDeadlineDays
                guard late > 0 else { continue }
                signals.append(
                    ShortageSignal(
                        kind: .lateDelivery, institutionCode: member.institutionCode, orderID: line.orderID,
                        lineNo: line.lineNo, daysLate: late))
                hit = true
            }
            for waiting in member.undeliveredPrescriptions.sorted(by: { $0.prescriptionID < $1.prescriptionID }) {
                let late = waiting.dueOn.days(to: today)
                guard late > 0 else { continue }
                signals.append(
                    ShortageSignal(
                        kind: .lateExtendedPrescription, institutionCode: member.institutionCode,
                        extendedPrescriptionID: waiting.prescriptionID, daysLate: late))
                hit = true
            }
            if hit {
                affected.append(
                    MemberStockPosition(institutionCode: member.institutionCode, onHand: member.onHand, daysOfStock: days))
            }
        }
        let onHand = members.reduce(Quantity.zero) { $0 + $1.onHand }
        let consumed = members.reduce(Quantity.zero) { $0 + $1.consumed }
        let consortiumDays = try StockRules.daysOfStock(onHand: onHand, consumed: consumed, windowDays: settings.windowDays)
        let consortiumLow = consortiumDays.map { $0 < threshold } ?? false
        if consortiumLow {
            signals.append(
                ShortageSignal(
                    kind: onHand <= .zero ? .stockOut : .lowStock, onHand: onHand, daysOfStock: consortiumDays))
        }
        for report in supplierReports.sorted(by: { ($0.supplierCode, $0.reportedOn) < ($1.supplierCode, $1.reportedOn) })
        where report.stands(on: today) {
            signals.append(ShortageSignal(kind: .supplierReport, supplierCode: report.supplierCode))
        }
        signals.sort(by: ShortageSignal.precedes)
        return ShortageAssessment(
            drugCode: drugCode, on: today, signals: signals, affected: affected, consortiumOnHand: onHand,
            consortiumDaysOfStock: consortiumDays, consortiumLow: consortiumLow)
    }

    /// What a scan does to the drug's latest record (`latest`: its open record, else its most recently closed one,
    /// else nil). While signals hold: an open record is updated (members, signals, the level raised, never lowered
    /// from escalated), a record closed at most `reopenWindowDays` days ago reopens (the same record), else a new one
    /// opens. When none hold, an open record closes as recovered: stock back above the threshold everywhere.
    package static func reconcile(
        latest: ShortageRecord?, assessment: ShortageAssessment, settings: ShortageSettings
    ) -> ShortageRecordChange {
        let today = assessment.on
        guard assessment.isShort else {
            guard var record = latest, record.status == .open else { return .none }
            record.status = .closed
            record.closedOn = today
            record.outcome = .recovered
            record.signals = []
            record.affected = []
            return .close(record, durationDays: record.durationDays(on: today))
        }
        guard var record = latest else {
            return .open(
                ShortageRecord(
                    drugCode: assessment.drugCode, level: assessment.level, openedOn: today,
                    affected: assessment.affected, signals: assessment.signals))
        }
        if record.status == .closed {
            guard let closedOn = record.closedOn, closedOn.days(to: today) <= settings.reopenWindowDays else {
                return .open(
                    ShortageRecord(
                        drugCode: assessment.drugCode, level: assessment.level, openedOn: today,
                        affected: assessment.affected, signals: assessment.signals))
            }
            record.status = .open
            record.closedOn = nil
            record.outcome = nil
            record.reopenings += 1
            record.level = assessment.level
            record.affected = assessment.affected
            record.signals = assessment.signals
            return .reopen(record)
        }
        let before = Set(record.affected.map(\.institutionCode))
        let now = Set(assessment.affected.map(\.institutionCode))
        let level = max(record.level, assessment.level)
        guard record.affected != assessment.affected || record.signals != assessment.signals || record.level != level
        else { return .none }
        record.affected = assessment.affected
        record.signals = assessment.signals
        record.level = level
        return .update(record, added: now.subtracting(before).sorted(), removed: before.subtracting(now).sorted())
    }

    /// A new record for a drug that already has an open one is refused (409): one open record per consortium and
    /// drug. `openRecordID` is the open record the store found, if any.
    package static func checkOneOpen(drugCode: String, openRecordID: Int64?) throws(DomainError) {
        guard let openRecordID else { return }
        throw .conflict("a shortage of \(drugCode) is already open (\(openRecordID))")
    }

    /// The supply centre closes an open record with its outcome. As `recovered` only when no signal holds (422
    /// naming `outcome`); any other outcome needs a note saying why (422 naming `note`). A closed record is not
    /// closed again (409 naming the state).
    package static func close(
        _ record: ShortageRecord, outcome: ShortageOutcome, note: String?, assessment: ShortageAssessment
    ) throws(DomainError) -> ShortageRecord {
        try checkOpen(record, doing: "closed")
        var errors: [FieldError] = []
        if outcome == .recovered && assessment.isShort {
            let short = assessment.affected.isEmpty ? [assessment.drugCode] : assessment.affected.map(\.institutionCode)
            let list = short.joined(separator: ", ")
            errors.append(
                FieldError(field: "outcome", reason: "stock is not back above the threshold everywhere: \(list)"))
        }
        if outcome != .recovered && (note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "note", reason: "closing without recovery says why"))
        }
        try refuse(errors, "the shortage cannot be closed")
        var closed = record
        closed.status = .closed
        closed.closedOn = assessment.on
        closed.outcome = outcome
        return closed
    }

    /// The supply centre reopens a closed record by hand (the drug short again before a scan saw it): only a closed
    /// record (409 naming the state), and only within `reopenWindowDays` of its close (409: past the window a new
    /// record opens instead). The same record continues: its first opening kept, `reopenings` + 1.
    package static func reopen(_ record: ShortageRecord, on today: BusinessDate, settings: ShortageSettings) throws(DomainError)
        -> ShortageRecord
    {
        guard record.status == .closed, let closedOn = record.closedOn else {
            throw .conflict("a shortage that is \(record.status.rawValue) cannot be reopened")
        }
        let days = closedOn.days(to: today)
        guard days <= settings.reopenWindowDays else {
            throw .conflict(
                "the shortage closed \(days) days ago, more than the \(settings.reopenWindowDays) within which it reopens; a new one opens"
            )
        }
        var reopened = record
        reopened.status = .open
        reopened.closedOn = nil
        reopened.outcome = nil
        reopened.reopenings += 1
        return reopened
    }

    /// The cause the supply centre names (RULES.md's list); `other` needs a note (422 naming `note`).
    package static func checkCause(_ cause: ShortageCause, note: String?) throws(DomainError) {
        if cause == .other && (note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw .invalid("note", "the cause other needs a note saying what it is")
        }
    }

    /// A record that is not open takes no change of this kind (409 naming the state).
    static func checkOpen(_ record: ShortageRecord, doing: String) throws(DomainError) {
        guard record.status == .open else {
            throw .conflict("a shortage that is \(record.status.rawValue) cannot be \(doing)")
        }
    }

    /// Every broken rule at once (422 naming each field).
    package static func refuse(_ errors: [FieldError], _ what: String) throws(DomainError) {
        try TransferRules.refuse(errors, what)
    }
}

import Foundation

extension ShortageAssessment {
    /// An assessment from what a record holds (its signals that hold and its members affected), for the decisions
    /// taken on the record itself: closing it by hand judges recovery by the signals the last scan left holding.
    package init(record: ShortageRecord, on today: BusinessDate) {
        self.init(
            drugCode: record.drugCode, on: today, signals: record.signals, affected: record.affected,
            consortiumOnHand: record.affected.reduce(.zero) { $0 + $1.onHand }, consortiumDaysOfStock: nil,
            consortiumLow: record.signals.contains { $0.kind != .lateDelivery && $0.institutionCode == nil })
    }
}

extension ShortageRules {
    /// The supply centre member who follows a shortage (its owner): a token of the consortium admin or of a
    /// procurement officer (422 naming `ownerTokenId` otherwise, and for a token that is not the consortium's).
    package static func checkOwner(role: Role?) throws(DomainError) {
        guard let role else { throw .invalid("ownerTokenId", "no live token of the consortium by that id") }
        guard role == .consortiumAdmin || role == .procurementOfficer else {
            throw .invalid(
                "ownerTokenId", "a shortage is followed by the supply centre (consortium admin or procurement officer)")
        }
    }

    /// A redistribution proposal is decided once: accepted or rejected only while proposed (409 naming its state).
    package static func checkProposalOpen(status: String, id: Int64) throws(DomainError) {
        guard status == "proposed" else { throw .conflict("proposal \(id) is \(status), no longer proposed") }
    }

    /// A rejected proposal says why (422 naming `reason`).
    package static func checkRejection(reason: String?) throws(DomainError) {
        if (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw .invalid("reason", "a rejection says why")
        }
    }
}

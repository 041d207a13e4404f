import Foundation

/// What issuing and recording a long prescription (长处方) refuses on the facts the stores find.
extension LongPrescriptionRules {
    /// Late entry (补录): a check or an issue, long or extended, may carry the business date it happened on, up to
    /// `lateEntryDays` (setting `prescription_late_entry_days`) back, never in the future; none is today.
    package static func businessDate(
        _ date: BusinessDate?, today: BusinessDate, lateEntryDays: Int
    ) throws(DomainError) -> BusinessDate {
        guard let date else { return today }
        try date.requireNotBeforeEarliest(field: "businessDate")
        if date > today { throw .invalid("businessDate", "\(date) is after today (\(today)); it has not happened yet") }
        if date.days(to: today) > lateEntryDays {
            throw .invalid("businessDate", "\(date) is more than \(lateEntryDays) days before today (\(today))")
        }
        return date
    }

    /// A rule set may be stricter than the national rules, never looser (422 naming each looser limit).
    package static func checkRuleSet(_ rules: LongPrescriptionRuleSet, nationalMaxDays: Int) throws(DomainError) {
        let errors = rules.loosenessErrors(nationalMaxDays: nationalMaxDays)
        guard errors.isEmpty else {
            throw .unprocessable("the rule set is looser than the national rules allow", errors)
        }
    }

    /// A long prescription is issued by a member of the consortium (`institution` nil: none by that code).
    package static func issuingInstitution(_ institution: Institution?, code: String, consortiumID: Int64)
        throws(DomainError) -> Institution
    {
        guard let institution, institution.consortiumID == consortiumID else {
            throw .invalid("institutionCode", "no member \(code)")
        }
        return institution
    }

    /// An idempotency key used before answers the prescription it issued, and only for the same request
    /// (`stored` nil: nothing recorded under the key; `id` nil: its issue did not finish).
    package static func replayedPrescription(_ stored: (requestHash: Data, id: Int64?)?, requestHash: Data)
        throws(DomainError) -> Int64
    {
        guard let stored, stored.requestHash == requestHash, let id = stored.id else {
            throw .invalid("Idempotency-Key", "was used for a different prescription; use a new key")
        }
        return id
    }

    /// The prescriber is registered in the consortium (nil: no prescriber by that pseudonym).
    package static func registeredPrescriber(_ id: Int64?) throws(DomainError) -> Int64 {
        guard let id else { throw .invalid("prescriber", "unknown") }
        return id
    }
}

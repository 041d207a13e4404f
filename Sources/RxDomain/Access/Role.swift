import Foundation

/// What a token holder is to the consortium.
package enum Role: String, CaseIterable, Sendable, Codable {
    /// The lead hospital's pharmacy centre (药学中心): maintains the catalogue, prices and its members.
    case consortiumAdmin = "consortium_admin"
    /// A member institution's pharmacist: its own catalogue, endorsements, receipts.
    case institutionPharmacist = "institution_pharmacist"
    /// Runs purchases: orders, unified and joint procurement.
    case procurementOfficer = "procurement_officer"
    /// Checks and issues long prescriptions.
    case prescriber
    /// The drug regulator: records transfer approvals, reads everything of its consortia.
    case regulator
    /// Reads, including the audit trail; changes nothing.
    case auditor
    /// The consortium's finance (财务): central payment, payables and reconciliations, and the review of their
    /// discrepancies.
    case finance
    /// Keeps the national master data shared by every consortium (drugs, suppliers); bound to no consortium.
    case masterDataAdmin = "master_data_admin"
}

extension Role {
    /// A role whose tokens belong to no consortium: it reads and writes national master data only.
    package var isNational: Bool { self == .masterDataAdmin }

    /// A national role's token names no consortium and no institution; every other role's names its consortium.
    /// Only a prescriber token scoped to an institution names its prescriber (`prescriber`, a pseudonym).
    package func checkTokenScope(
        consortiumCode: String?, institutionCode: String?, prescriber: String? = nil
    ) throws(DomainError) {
        if let prescriber {
            guard self == .prescriber, institutionCode != nil else {
                throw .invalid("prescriber", "only a prescriber token scoped to an institution names its prescriber")
            }
            guard LongPrescriptionInput.isPseudonym(prescriber) else {
                throw .invalid("prescriber", "must be a pseudonym of 1 to 64 letters, digits, _ or -")
            }
        }
        if isNational {
            guard consortiumCode == nil else {
                throw .invalid(
                    "consortium", "a \(rawValue) token belongs to no consortium: national master data is shared by all")
            }
            guard institutionCode == nil else {
                throw .invalid("institution", "a \(rawValue) token belongs to no institution")
            }
        } else if consortiumCode == nil {
            throw .invalid("consortium", "a \(rawValue) token belongs to a consortium: name it")
        }
    }
}

/// How long a new API token may live: at least a day, at most ten years. A token that expires as it is printed,
/// or an expiry past what a date can hold, is a mistake, not a choice.
package enum TokenLifetime {
    package static let days: ClosedRange<Int> = 1...3650

    /// The expiry of a token created at `now` to live `days` days (nil: it never expires).
    package static func expiry(days: Int?, from now: Date) throws(DomainError) -> Date? {
        guard let days else { return nil }
        guard Self.days.contains(days) else {
            throw .invalid(
                "expiresInDays", "must be between \(Self.days.lowerBound) and \(Self.days.upperBound) days, not \(days)")
        }
        return now.addingTimeInterval(TimeInterval(days) * 86_400)
    }
}

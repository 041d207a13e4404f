/// What a token holder is to the consortium.
public enum Role: String, CaseIterable, Sendable, Codable {
    /// The lead hospital's pharmacy centre (药学中心): maintains the catalogue, prices and master data.
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
}

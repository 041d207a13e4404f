/// National master data (国家基础数据): drugs and suppliers, shared by every consortium. Only the national
/// `master_data_admin` changes them, and every consortium's audit trail shows every change to them, since each
/// one reaches every consortium's checks (a drug made `narcotic` is refused for long prescriptions everywhere).
package enum NationalMasterData {
    /// The audit trail's entity types of national master data: included in every consortium's audit query.
    package static let auditEntityTypes = ["drug", "supplier"]
}

import Foundation

/// What `consortiumrx reconcile catalogues` finds for a drug on a member's own list (成员单位用药目录) against the
/// consortium catalogue (基本用药目录) in effect. Only what is out of line is listed; the rest is counted.
package enum MemberCatalogueClassification: String, RecordClassification {
    /// Not in the consortium catalogue in effect (or none is in effect).
    case notInCatalogue = "not_in_catalogue"
    /// In it, but restricted to institution levels the member is not.
    case levelNotAllowed = "level_not_allowed"

    package var isDiscrepancy: Bool { true }
}

package struct MemberCatalogueItemFacts: Sendable, Equatable {
    package var institutionCode: String
    package var level: InstitutionLevel
    package var drugCode: String
    package var drugName: String
    /// The consortium catalogue version in effect; nil when none is.
    package var catalogueVersion: Int?
    /// The item of that version for the drug, if it has one.
    package var catalogueItem: CatalogueItem?

    package init(
        institutionCode: String, level: InstitutionLevel, drugCode: String, drugName: String, catalogueVersion: Int?,
        catalogueItem: CatalogueItem?
    ) {
        self.institutionCode = institutionCode
        self.level = level
        self.drugCode = drugCode
        self.drugName = drugName
        self.catalogueVersion = catalogueVersion
        self.catalogueItem = catalogueItem
    }
}

package enum MemberCatalogueReconciliation {
    /// The member's drug as an entry of the report, or nil when it is in line (the same rule as `CatalogueRules.outOfLine`).
    package static func classify(_ f: MemberCatalogueItemFacts) -> ReportEntry<MemberCatalogueClassification>? {
        let version = ReportField("catalogueVersion", f.catalogueVersion.map(String.init) ?? "none in effect")
        let subject = "\(f.institutionCode) \(f.drugCode) \(f.drugName)"
        guard let item = f.catalogueItem else {
            return ReportEntry(
                subject: subject, classifications: [.notInCatalogue],
                fields: [ReportField("institutionLevel", f.level.rawValue), version])
        }
        guard item.allows(f.level) else {
            return ReportEntry(
                subject: subject, classifications: [.levelNotAllowed],
                fields: [
                    ReportField("institutionLevel", f.level.rawValue),
                    ReportField("allowedLevels", item.levels.map(\.rawValue).joined(separator: " ")), version,
                ])
        }
        return nil
    }
}

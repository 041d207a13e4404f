import Foundation

/// What `consortiumrx reconcile catalogues` finds for a drug on a member's own list (成员单位用药目录) against the
/// consortium catalogue (基本用药目录) in effect. Only what is out of line is listed; the rest is counted.
public enum MemberCatalogueClassification: String, RecordClassification {
    /// Not in the consortium catalogue in effect (or none is in effect).
    case notInCatalogue = "not_in_catalogue"
    /// In it, but restricted to institution levels the member is not.
    case levelNotAllowed = "level_not_allowed"

    public var isDiscrepancy: Bool { true }
}

public struct MemberCatalogueItemFacts: Sendable, Equatable {
    public var institutionCode: String
    public var level: InstitutionLevel
    public var drugCode: String
    public var drugName: String
    /// The consortium catalogue version in effect; nil when none is.
    public var catalogueVersion: Int?
    /// The item of that version for the drug, if it has one.
    public var catalogueItem: CatalogueItem?

    public init(
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

public enum MemberCatalogueReconciliation {
    /// The member's drug as an entry of the report, or nil when it is in line (the same rule as `CatalogueRules.outOfLine`).
    public static func classify(_ f: MemberCatalogueItemFacts) -> ReportEntry<MemberCatalogueClassification>? {
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

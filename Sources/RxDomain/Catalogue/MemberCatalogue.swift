/// What a member's catalogue is made of on a date: the consortium catalogue in effect (by drug code) and the
/// member's own list, nil when it keeps none.
package struct MemberCatalogueFacts: Sendable {
    package var institution: Institution
    package var consortiumVersion: Int?
    package var catalogue: [String: CatalogueItem]
    /// The own list's revision, nil when the member keeps no list of its own.
    package var revision: Int?
    package var ownList: [String]?

    package init(
        institution: Institution, consortiumVersion: Int?, catalogue: [String: CatalogueItem], revision: Int?,
        ownList: [String]?
    ) {
        self.institution = institution
        self.consortiumVersion = consortiumVersion
        self.catalogue = catalogue
        self.revision = revision
        self.ownList = ownList
    }

    /// The drugs the member may use (`CatalogueRules.memberDrugs`).
    package var drugCodes: [String] {
        CatalogueRules.memberDrugs(ownList: ownList, level: institution.level, catalogue: catalogue)
    }
}

/// A member's list as the service answers for it.
package struct MemberCatalogue: Sendable {
    package var institution: Institution
    /// No list of its own: the member uses the consortium catalogue (what its level allows).
    package var usesConsortiumCatalogue: Bool
    package var revision: Int
    package var consortiumVersion: Int?
    package var drugs: [Drug]
    package var outOfLine: [FieldError]

    package var etag: String { "\"m\(revision)\"" }

    /// The list from its facts and its drugs' master data (`drugs`, those of `facts.drugCodes`).
    package init(_ facts: MemberCatalogueFacts, drugs: [Drug]) {
        self.institution = facts.institution
        self.usesConsortiumCatalogue = facts.revision == nil
        self.revision = facts.revision ?? 0
        self.consortiumVersion = facts.consortiumVersion
        self.drugs = drugs
        self.outOfLine = CatalogueRules.outOfLine(
            memberDrugs: facts.ownList ?? [], level: facts.institution.level, catalogue: facts.catalogue)
    }
}

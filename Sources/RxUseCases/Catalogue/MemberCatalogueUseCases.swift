import RxDomain
import RxStore

/// Members' own lists inside the consortium catalogue, and what reads across them.
package struct MemberCatalogueUseCases: Sendable {
    let database: Database
    let memberCatalogues: MemberCatalogueStore
    let drugs: DrugStore

    package init(database: Database) {
        self.database = database
        self.memberCatalogues = MemberCatalogueStore(database: database)
        self.drugs = DrugStore(database: database)
    }

    package func get(institution: Institution, on date: BusinessDate) async throws -> MemberCatalogue {
        try await database.read { try await get(institution: institution, on: date, connection: $0) }
    }

    /// A member's list in effect on `date`: the consortium catalogue as its level allows, or its own list.
    func get(institution: Institution, on date: BusinessDate, connection: StoreConnection) async throws -> MemberCatalogue {
        let facts = try await memberCatalogues.facts(institution: institution, on: date, connection: connection)
        return MemberCatalogue(facts, drugs: try await drugs.find(codes: facts.drugCodes, on: connection))
    }

    package func outOfLine(consortiumID: Int64, on date: BusinessDate) async throws -> [OutOfLineEntry] {
        try await memberCatalogues.outOfLine(consortiumID: consortiumID, on: date)
    }

    package func report(consortiumID: Int64, on date: BusinessDate) async throws -> MemberCatalogueStore.Report {
        try await memberCatalogues.report(consortiumID: consortiumID, on: date)
    }

    /// Replaces a member's own list. It must lie inside the consortium catalogue in effect and respect its level
    /// restrictions; otherwise 422 naming every offending drug, and nothing changes.
    package func put(
        institution: Institution, drugCodes: [String], today: BusinessDate, ifMatch: String?, by principal: Principal
    ) async throws -> MemberCatalogue {
        try principal.require(.editMemberCatalogue(consortiumID: institution.consortiumID, institutionID: institution.id))
        let codes = Array(Set(drugCodes)).sorted()
        return try await database.transaction { transaction in
            // Two pharmacists saving at once serialise on the institution's row, then the ETag decides.
            try await memberCatalogues.lockInstitution(institution.id, on: transaction)
            let facts = try await memberCatalogues.facts(institution: institution, on: today, connection: transaction)
            let before = MemberCatalogue(facts, drugs: [])
            try ETag.check(ifMatch, current: before.etag)
            try CatalogueRules.checkMemberList(
                codes, level: institution.level, catalogue: facts.consortiumVersion == nil ? nil : facts.catalogue)
            try await memberCatalogues.replaceOwnList(of: institution, with: codes, on: transaction)
            let after = try await get(institution: institution, on: today, connection: transaction)
            struct Record: Encodable { var usesConsortiumCatalogue: Bool; var drugCodes: [String] }
            try await database.audit.record(
                on: transaction, consortiumID: institution.consortiumID, actor: Actor(principal), action: "replace",
                entityType: "member_catalogue", entityKey: institution.code,
                before: Record(
                    usesConsortiumCatalogue: before.usesConsortiumCatalogue,
                    drugCodes: (facts.ownList ?? []).sorted()),
                after: Record(usesConsortiumCatalogue: false, drugCodes: codes))
            return after
        }
    }

    package struct ContinuityAnswer: Sendable {
        package var drugCode: String
        package var known: Bool
        package var heldByReceiver: Bool
        package var alternatives: [Drug]
    }

    /// For a down-referred patient: which drugs the receiving institution's catalogue holds, and for the others
    /// the alternatives it does hold.
    package func medicationCheck(receiving: Institution, drugCodes: [String], on date: BusinessDate) async throws
        -> [ContinuityAnswer]
    {
        let list = try await get(institution: receiving, on: date)
        let held = Set(list.drugs.map(\.code))
        let asked = try await database.read { try await drugs.find(codes: drugCodes, on: $0) }
        let byCode = Dictionary(asked.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        return drugCodes.map { code in
            guard let drug = byCode[code] else {
                return ContinuityAnswer(drugCode: code, known: false, heldByReceiver: false, alternatives: [])
            }
            if held.contains(code) {
                return ContinuityAnswer(drugCode: code, known: true, heldByReceiver: true, alternatives: [])
            }
            return ContinuityAnswer(
                drugCode: code, known: true, heldByReceiver: false,
                alternatives: CatalogueRules.alternatives(for: drug, among: list.drugs))
        }
    }
}

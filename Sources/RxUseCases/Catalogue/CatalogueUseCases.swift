import RxDomain
import RxStore

/// The consortium essential drug catalogue (基本用药目录): versions, items, endorsements and publication.
package struct CatalogueUseCases: Sendable {
    let database: Database
    let catalogue: CatalogueStore
    let drugs: DrugStore
    let settings: Settings

    package init(database: Database) {
        self.database = database
        self.catalogue = CatalogueStore(database: database)
        self.drugs = DrugStore(database: database)
        self.settings = Settings(logger: database.logger)
    }

    /// The version, or 404.
    static func found(_ version: CatalogueVersion?, _ number: Int) throws -> CatalogueVersion {
        guard let version else { throw DomainError.notFound("no catalogue version \(number)") }
        return version
    }

    /// The draft a change is made to, read locked: it exists (404), the caller read it as it is (`If-Match`), and
    /// it is still a draft.
    static func draft(_ version: CatalogueVersion?, _ number: Int, ifMatch: String?) throws -> CatalogueVersion {
        let current = try found(version, number)
        try ETag.check(ifMatch, current: current.etag)
        try CatalogueRules.checkDraftChange(status: current.status, number: number)
        return current
    }

    // MARK: Reading

    package func versions(consortiumID: Int64) async throws -> [CatalogueVersion] {
        try await catalogue.versions(consortiumID: consortiumID)
    }

    package func version(_ number: Int, consortiumID: Int64) async throws -> CatalogueVersion {
        try Self.found(try await catalogue.version(number, consortiumID: consortiumID), number)
    }

    package func inEffect(consortiumID: Int64, on date: BusinessDate) async throws -> (CatalogueVersion, [CatalogueEntry])? {
        try await catalogue.inEffect(consortiumID: consortiumID, on: date)
    }

    /// `CatalogueStore.inEffect(consortiumID:on:kept:make:)`: for a reader that keeps what it wrote.
    package func inEffect<Answer: Sendable>(
        consortiumID: Int64, on date: BusinessDate, kept: (CatalogueInEffectStamp) -> Answer?,
        make: (CatalogueInEffectStamp, CatalogueVersion, [CatalogueEntry]) throws -> Answer
    ) async throws -> Answer? {
        try await catalogue.inEffect(consortiumID: consortiumID, on: date, kept: kept, make: make)
    }

    package func entries(_ number: Int, consortiumID: Int64) async throws -> [CatalogueEntry] {
        try await catalogue.entries(number, consortiumID: consortiumID)
    }

    /// A page of a version's entries that a query finds, with how many it finds in all and how many come before the
    /// page. A key past either end (a page kept from an earlier version) answers the first page.
    package func entries(_ number: Int, consortiumID: Int64, matching query: CatalogueStore.EntryQuery) async throws
        -> (total: Int, position: Int, entries: [CatalogueEntry])
    {
        try await database.read { connection in
            let found = try await catalogue.entries(number, consortiumID: consortiumID, matching: query, on: connection)
            guard found.entries.isEmpty, query.after != nil || query.before != nil else { return found }
            var first = query
            (first.after, first.before) = (nil, nil)
            return try await catalogue.entries(number, consortiumID: consortiumID, matching: first, on: connection)
        }
    }

    /// The published version in effect on a date, if any.
    package func versionInEffect(consortiumID: Int64, on date: BusinessDate) async throws -> CatalogueVersion? {
        try await database.read { connection in
            guard let number = try await catalogue.numberInEffect(consortiumID: consortiumID, on: date, connection: connection)
            else { return nil }
            return try await catalogue.version(number, consortiumID: consortiumID, on: connection)
        }
    }

    package func endorsements(_ number: Int, consortiumID: Int64) async throws -> [EndorsementRecord] {
        try await catalogue.endorsements(number, consortiumID: consortiumID)
    }

    package func removalReasons(_ number: Int, consortiumID: Int64) async throws -> [String: String] {
        try await catalogue.removalReasons(number, consortiumID: consortiumID)
    }

    /// The consortium's institutions (the lead among them) whose latest decision on a version put to the members is
    /// not an endorsement, by institution code.
    package func pendingEndorsements(
        _ number: Int, consortium: Consortium, status: PendingEndorsementStatus?, by principal: Principal, page: PageRequest
    ) async throws -> Page<PendingEndorsement> {
        try principal.require(.readCatalogueEndorsements(consortiumID: consortium.id))
        return try await database.read { connection in
            let current = try Self.found(try await catalogue.version(number, consortiumID: consortium.id, on: connection), number)
            try CatalogueRules.requirePutToMembers(current.status, number: number)
            return try await catalogue.pendingEndorsements(
                number, consortium: consortium, status: status, page: page, on: connection)
        }
    }

    /// What one version adds, removes and changes against another (目录调整对照), each item beside its drug, and why
    /// each removed item went.
    package struct VersionDiff: Sendable {
        package var version: CatalogueVersion
        package var against: CatalogueVersion
        package var added: [CatalogueEntry]
        package var removed: [CatalogueEntry]
        package var changed: [(before: CatalogueEntry, after: CatalogueEntry)]
        package var removalReasons: [String: String]
    }

    package func diff(_ number: Int, against base: Int, consortiumID: Int64) async throws -> VersionDiff {
        try await database.read { connection in
            let version = try Self.found(try await catalogue.version(number, consortiumID: consortiumID, on: connection), number)
            let against = try Self.found(try await catalogue.version(base, consortiumID: consortiumID, on: connection), base)
            // The items alone, then the drugs of those that differ: a version's few changes, not its 500 drugs.
            let difference = CatalogueRules.difference(
                try await catalogue.items(number, consortiumID: consortiumID, on: connection),
                against: try await catalogue.items(base, consortiumID: consortiumID, on: connection))
            let codes = Set(
                (difference.added + difference.removed + difference.changed.flatMap { [$0.before, $0.after] }).map(\.drugCode))
            let drugs = Dictionary(
                try await self.drugs.find(codes: codes.sorted(), on: connection).map { ($0.code, $0) },
                uniquingKeysWith: { a, _ in a })
            func entry(_ item: CatalogueItem) throws -> CatalogueEntry {
                guard let drug = drugs[item.drugCode] else { throw DomainError.notFound("no drug \(item.drugCode)") }
                return CatalogueEntry(item: item, drug: drug)
            }
            let removedCodes = Set(difference.removed.map(\.drugCode))
            let reasons = try await catalogue.removalReasons(number, consortiumID: consortiumID, on: connection)
                .filter { removedCodes.contains($0.key) }
            return VersionDiff(
                version: version, against: against, added: try difference.added.map(entry),
                removed: try difference.removed.map(entry),
                changed: try difference.changed.map { (try entry($0.before), try entry($0.after)) }, removalReasons: reasons)
        }
    }

    /// Where a version put to the members stands against publication: the lead's endorsement, the quorum of
    /// members (a setting) and the objections left open, as `publish` will check them today.
    package struct Standing: Sendable {
        package var check: CatalogueRules.PublicationCheck
        /// The consortium's institutions, the lead among them, each with its latest decision if any.
        package var decisions: [(institutionCode: String, record: EndorsementRecord?)]
        package var lead: String?
        package var quorum: Quorum

        package init(
            check: CatalogueRules.PublicationCheck, decisions: [(institutionCode: String, record: EndorsementRecord?)],
            lead: String?, quorum: Quorum
        ) {
            self.check = check
            self.decisions = decisions
            self.lead = lead
            self.quorum = quorum
        }
    }

    package func standing(_ number: Int, consortium: Consortium, today: BusinessDate) async throws -> Standing {
        try await database.read { connection in
            try await standing(number, consortium: consortium, today: today, on: connection)
        }
    }

    func standing(_ number: Int, consortium: Consortium, today: BusinessDate, on connection: StoreConnection)
        async throws -> Standing
    {
        let members = try await catalogue.memberCodes(consortiumID: consortium.id, on: connection)
        let records = try await catalogue.endorsements(number, consortiumID: consortium.id, on: connection)
        let byCode = Dictionary(records.map { ($0.institutionCode, $0) }, uniquingKeysWith: { a, _ in a })
        let quorum = try await settings.required(
            .catalogueQuorum, consortiumID: consortium.id, on: today, connection: connection)
        let lead = consortium.leadInstitutionCode
        let check = CatalogueRules.publicationCheck(
            decisions: byCode.mapValues(\.decision), lead: lead ?? "", members: members, quorum: quorum)
        return Standing(
            check: check, decisions: members.map { ($0, byCode[$0]) }, lead: lead, quorum: quorum)
    }

    // MARK: Drafting

    /// Opens a draft: a copy of the latest published version, or empty for the first.
    package func openDraft(consortium: Consortium, by principal: Principal) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortium.id))
        return try await database.transaction { transaction in
            try await catalogue.lockConsortium(consortium.id, on: transaction)
            try CatalogueRules.checkNoOpenVersion(
                try await catalogue.openVersionNumber(consortiumID: consortium.id, on: transaction))
            let base = try await catalogue.latestPublished(consortiumID: consortium.id, on: transaction)
            guard let number = try await catalogue.insertDraft(consortiumID: consortium.id, basedOn: base, on: transaction)
            else { throw DomainError.conflict("the draft was not created") }
            let created = try Self.found(
                try await catalogue.version(number, consortiumID: consortium.id, on: transaction), number)
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "open_draft",
                entityType: "catalogue_version", entityKey: String(number), before: CatalogueVersion?.none, after: created)
            return created
        }
    }

    /// Adds or changes an item of a draft.
    package func putItem(
        _ item: CatalogueItem, version number: Int, consortiumID: Int64, ifMatch: String?, by principal: Principal
    ) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortiumID))
        return try await database.transaction { transaction in
            _ = try Self.draft(
                try await catalogue.version(number, consortiumID: consortiumID, on: transaction, lock: true), number,
                ifMatch: ifMatch)
            try CatalogueRules.checkItem(item, drug: try await drugs.find(code: item.drugCode, on: transaction))
            let before = try await catalogue.item(
                drugCode: item.drugCode, version: number, consortiumID: consortiumID, on: transaction)
            try await catalogue.putItem(item, version: number, consortiumID: consortiumID, on: transaction)
            try await catalogue.bumpRevision(number, consortiumID: consortiumID, on: transaction)
            let after = try Self.found(try await catalogue.version(number, consortiumID: consortiumID, on: transaction), number)
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal),
                action: before == nil ? "add_item" : "change_item",
                entityType: "catalogue_item", entityKey: "\(number)/\(item.drugCode)", before: before, after: item)
            return after
        }
    }

    /// Removes an item from a draft, keeping why (`catalogue_item_removals`, and the audit trail).
    package func removeItem(
        drugCode: String, version number: Int, consortiumID: Int64, reason: String?, ifMatch: String?,
        by principal: Principal
    ) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortiumID))
        let reason = try CorrectionReason.require(reason)
        return try await database.transaction { transaction in
            _ = try Self.draft(
                try await catalogue.version(number, consortiumID: consortiumID, on: transaction, lock: true), number,
                ifMatch: ifMatch)
            guard
                let before = try await catalogue.removeItem(
                    drugCode: drugCode, version: number, consortiumID: consortiumID, reason: reason,
                    removedBy: principal.tokenID, on: transaction)
            else { throw DomainError.notFound("version \(number) has no item \(drugCode)") }
            try await catalogue.bumpRevision(number, consortiumID: consortiumID, on: transaction)
            let after = try Self.found(try await catalogue.version(number, consortiumID: consortiumID, on: transaction), number)
            struct Removal: Encodable { var removed: Bool; var reason: String }
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "remove_item",
                entityType: "catalogue_item", entityKey: "\(number)/\(drugCode)", before: before,
                after: Removal(removed: true, reason: reason))
            return after
        }
    }

    // MARK: Agreement and publication

    /// Moves a draft to the members (draft → proposed), or back to drafting (proposed → draft, clearing the
    /// endorsements, which were given to other content).
    package func move(
        version number: Int, to status: CatalogueStatus, consortiumID: Int64, ifMatch: String?, by principal: Principal
    ) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortiumID))
        return try await database.transaction { transaction in
            let current = try Self.found(
                try await catalogue.version(number, consortiumID: consortiumID, on: transaction, lock: true), number)
            try ETag.check(ifMatch, current: current.etag)
            let move = try CatalogueRules.move(from: current.status, to: status, number: number, itemCount: current.itemCount)
            try await catalogue.apply(move, version: number, consortiumID: consortiumID, on: transaction)
            let after = try Self.found(try await catalogue.version(number, consortiumID: consortiumID, on: transaction), number)
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal),
                action: status == .proposed ? "propose" : "reopen", entityType: "catalogue_version",
                entityKey: String(number), before: current, after: after)
            return after
        }
    }

    /// Records a member institution's endorsement or objection to a proposed version.
    package func endorse(
        version number: Int, consortiumID: Int64, decision: EndorsementDecision, comment: String?, by principal: Principal
    ) async throws -> EndorsementRecord {
        let institution = try CatalogueRules.endorsingInstitution(principal)
        try principal.require(.endorseCatalogue(consortiumID: consortiumID, institutionID: institution.id))
        try CatalogueRules.checkEndorsement(decision, comment: comment)
        return try await database.transaction { transaction in
            let current = try Self.found(
                try await catalogue.version(number, consortiumID: consortiumID, on: transaction, lock: true), number)
            try CatalogueRules.checkEndorsable(status: current.status, number: number)
            let before = try await catalogue.endorsements(number, consortiumID: consortiumID, on: transaction)
                .first { $0.institutionCode == institution.code }
            try await catalogue.putEndorsement(
                version: number, consortiumID: consortiumID, institutionID: institution.id, decision: decision,
                comment: comment, recordedBy: principal.tokenID, on: transaction)
            guard
                let after = try await catalogue.endorsements(number, consortiumID: consortiumID, on: transaction)
                    .first(where: { $0.institutionCode == institution.code })
            else { throw DomainError.notFound(institution.code) }
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: decision.rawValue,
                entityType: "catalogue_endorsement", entityKey: "\(number)/\(institution.code)", before: before,
                after: after)
            return after
        }
    }

    /// Publishes a proposed version from a date, once the lead and a quorum of members endorsed it and no
    /// objection is open. The previous version stops the day before.
    package func publish(
        version number: Int, consortium: Consortium, effectiveFrom: BusinessDate, today: BusinessDate,
        ifMatch: String?, by principal: Principal
    ) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortium.id))
        try CatalogueRules.checkEffectiveFrom(effectiveFrom, today: today)
        return try await database.transaction { transaction in
            let current = try Self.found(
                try await catalogue.version(number, consortiumID: consortium.id, on: transaction, lock: true), number)
            try ETag.check(ifMatch, current: current.etag)
            _ = try CatalogueRules.checkPublishable(
                status: current.status, number: number, effectiveFrom: effectiveFrom,
                latestEffective: try await catalogue.latestEffectiveFrom(consortiumID: consortium.id, on: transaction),
                lead: consortium.leadInstitutionCode)
            let standing = try await standing(number, consortium: consortium, today: today, on: transaction)
            try CatalogueRules.checkPublication(standing.check, number: number)
            try await catalogue.publish(
                version: number, consortiumID: consortium.id, effectiveFrom: effectiveFrom, on: transaction)
            let after = try Self.found(try await catalogue.version(number, consortiumID: consortium.id, on: transaction), number)
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "publish",
                entityType: "catalogue_version", entityKey: String(number), before: current, after: after)
            return after
        }
    }
}

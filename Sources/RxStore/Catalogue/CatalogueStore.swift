import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A catalogue version as stored.
package struct CatalogueVersion: Sendable, Equatable, Encodable {
    package var number: Int
    package var status: CatalogueStatus
    package var basedOn: Int?
    package var revision: Int
    package var effectiveFrom: BusinessDate?
    package var itemCount: Int

    /// The ETag a change to this version must present.
    package var etag: String { "\"\(number).\(revision)\"" }
}

/// A catalogue item with the drug facts a reader needs beside it.
package struct CatalogueEntry: Sendable, Equatable {
    package var item: CatalogueItem
    package var drug: Drug

    package init(item: CatalogueItem, drug: Drug) {
        self.item = item
        self.drug = drug
    }
}

package struct EndorsementRecord: Sendable, Equatable, Encodable {
    package var institutionCode: String
    package var decision: EndorsementDecision
    package var comment: String?
    package var recordedAt: Date
}

/// The consortium essential drug catalogue: versions, items, endorsements and publication.
package struct CatalogueStore: SQLStore {
    let database: Database
    let settings: Settings

    package init(database: Database) {
        self.database = database
        self.settings = Settings(logger: database.logger)
    }

    // MARK: Reading

    typealias VersionRow = (Int, String, Int?, Int, String?, Int)

    static func version(_ r: VersionRow) throws -> CatalogueVersion {
        CatalogueVersion(
            number: r.0, status: try decodeEnum(r.1), basedOn: r.2, revision: r.3,
            effectiveFrom: r.4.flatMap(BusinessDate.init), itemCount: r.5)
    }

    package func versions(consortiumID: Int64) async throws -> [CatalogueVersion] {
        try await database.rows(
            """
            SELECT v.number, v.status, v.based_on, v.revision, v.effective_from::text,
                   (SELECT count(*)::int FROM catalogue_items i WHERE i.consortium_id = v.consortium_id AND i.version_number = v.number)
            FROM catalogue_versions v WHERE v.consortium_id = \(consortiumID) ORDER BY v.number
            """, as: VersionRow.self
        ).map(Self.version)
    }

    func version(_ number: Int, consortiumID: Int64, on connection: PostgresConnection, lock: Bool = false) async throws
        -> CatalogueVersion
    {
        let query: PostgresQuery =
            lock
            ? """
            SELECT v.number, v.status, v.based_on, v.revision, v.effective_from::text,
                   (SELECT count(*)::int FROM catalogue_items i WHERE i.consortium_id = v.consortium_id AND i.version_number = v.number)
            FROM catalogue_versions v WHERE v.consortium_id = \(consortiumID) AND v.number = \(number) FOR UPDATE
            """
            : """
            SELECT v.number, v.status, v.based_on, v.revision, v.effective_from::text,
                   (SELECT count(*)::int FROM catalogue_items i WHERE i.consortium_id = v.consortium_id AND i.version_number = v.number)
            FROM catalogue_versions v WHERE v.consortium_id = \(consortiumID) AND v.number = \(number)
            """
        guard let row = try await connection.row(query, as: VersionRow.self, logger: logger) else {
            throw DomainError.notFound("no catalogue version \(number)")
        }
        return try Self.version(row)
    }

    package func version(_ number: Int, consortiumID: Int64) async throws -> CatalogueVersion {
        try await database.read { try await version(number, consortiumID: consortiumID, on: $0) }
    }

    /// The number of the published version in effect on a date, if any.
    func numberInEffect(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws -> Int? {
        try await connection.row(
            """
            SELECT number FROM catalogue_versions
            WHERE consortium_id = \(consortiumID) AND status = 'published' AND effective_from <= \(date.description)::date
            ORDER BY effective_from DESC LIMIT 1
            """, as: Int.self, logger: logger)
    }

    package func inEffect(consortiumID: Int64, on date: BusinessDate) async throws -> (CatalogueVersion, [CatalogueEntry])? {
        try await database.read { connection in
            guard let number = try await numberInEffect(consortiumID: consortiumID, on: date, connection: connection) else {
                return nil
            }
            return (
                try await version(number, consortiumID: consortiumID, on: connection),
                try await entries(number, consortiumID: consortiumID, on: connection)
            )
        }
    }

    package func entries(_ number: Int, consortiumID: Int64) async throws -> [CatalogueEntry] {
        try await database.read { try await entries(number, consortiumID: consortiumID, on: $0) }
    }

    func entries(_ number: Int, consortiumID: Int64, on connection: PostgresConnection) async throws -> [CatalogueEntry] {
        let rows = try await connection.rows(
            """
            SELECT i.levels, i.note, i.justification,
                   d.code, d.generic_name, d.name_en, d.dosage_form, d.strength, d.package_size, d.package_unit,
                   d.unit, d.manufacturer, d.atc_code, d.category, d.insurance_class, d.control_class,
                   d.antimicrobial, d.cold_chain, d.herb_name, d.processing, d.grade,
                   ARRAY(SELECT e.edition FROM drug_essential_editions e WHERE e.drug_code = d.code ORDER BY e.edition)
            FROM catalogue_items i JOIN drugs d ON d.code = i.drug_code
            WHERE i.consortium_id = \(consortiumID) AND i.version_number = \(number)
            ORDER BY d.code
            """,
            as: (
                [String], String?, String?, String, String, String?, String, String?, Int, String, String, String?,
                String?, String, String, String, Bool, Bool, String?, String?, String?, [String]
            ).self,
            logger: logger)
        return try rows.map { r in
            let drug = try DrugStore.drug(
                (
                    r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14, r.15, r.16,
                    r.17, r.18, r.19, r.20, r.21
                ))
            let item = CatalogueItem(
                drugCode: r.3, levels: try r.0.map { try decodeEnum($0) }, note: r.1, justification: r.2)
            return CatalogueEntry(item: item, drug: drug)
        }
    }

    package func endorsements(_ number: Int, consortiumID: Int64) async throws -> [EndorsementRecord] {
        try await database.read { try await endorsements(number, consortiumID: consortiumID, on: $0) }
    }

    func endorsements(_ number: Int, consortiumID: Int64, on connection: PostgresConnection) async throws -> [EndorsementRecord] {
        try await connection.rows(
            """
            SELECT i.code, e.decision, e.comment, e.recorded_at
            FROM catalogue_endorsements e JOIN institutions i ON i.id = e.institution_id
            WHERE e.consortium_id = \(consortiumID) AND e.version_number = \(number) ORDER BY i.code
            """, as: (String, String, String?, Date).self, logger: logger
        ).map { EndorsementRecord(institutionCode: $0.0, decision: try decodeEnum($0.1), comment: $0.2, recordedAt: $0.3) }
    }

    // MARK: Drafting

    /// Opens a draft: a copy of the latest published version, or empty for the first.
    package func openDraft(consortium: Consortium, by principal: Principal) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortium.id))
        return try await database.transaction { connection in
            // Serialises drafts of one consortium; the partial unique index keeps the rule regardless.
            _ = try await connection.row(
                "SELECT id FROM consortia WHERE id = \(consortium.id) FOR UPDATE", as: Int64.self, logger: logger)
            try CatalogueRules.checkNoOpenVersion(
                try await connection.row(
                    "SELECT number FROM catalogue_versions WHERE consortium_id = \(consortium.id) AND status IN ('draft', 'proposed')",
                    as: Int.self, logger: logger))
            let base = try await connection.row(
                """
                SELECT number FROM catalogue_versions WHERE consortium_id = \(consortium.id) AND status = 'published'
                ORDER BY effective_from DESC LIMIT 1
                """, as: Int.self, logger: logger)
            guard
                let number = try await connection.row(
                    """
                    INSERT INTO catalogue_versions (consortium_id, number, based_on)
                    SELECT \(consortium.id), COALESCE(max(number), 0) + 1, \(base) FROM catalogue_versions
                    WHERE consortium_id = \(consortium.id)
                    RETURNING number
                    """, as: Int.self, logger: logger)
            else { throw DomainError.conflict("the draft was not created") }
            if let base {
                try await connection.run(
                    """
                    INSERT INTO catalogue_items (consortium_id, version_number, drug_code, levels, note, justification)
                    SELECT consortium_id, \(number), drug_code, levels, note, justification FROM catalogue_items
                    WHERE consortium_id = \(consortium.id) AND version_number = \(base)
                    """, logger: logger)
            }
            let created = try await version(number, consortiumID: consortium.id, on: connection)
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "open_draft",
                entityType: "catalogue_version", entityKey: String(number), before: CatalogueVersion?.none, after: created)
            return created
        }
    }

    /// Locks a draft for a change, checking the caller's ETag.
    private func lockDraft(
        _ number: Int, consortiumID: Int64, ifMatch: String?, connection: PostgresConnection
    ) async throws -> CatalogueVersion {
        let current = try await version(number, consortiumID: consortiumID, on: connection, lock: true)
        try ETag.check(ifMatch, current: current.etag)
        try CatalogueRules.checkDraftChange(status: current.status, number: number)
        return current
    }

    private func bumpRevision(_ number: Int, consortiumID: Int64, connection: PostgresConnection) async throws -> CatalogueVersion
    {
        try await connection.run(
            "UPDATE catalogue_versions SET revision = revision + 1 WHERE consortium_id = \(consortiumID) AND number = \(number)",
            logger: logger)
        return try await version(number, consortiumID: consortiumID, on: connection)
    }

    /// Adds or changes an item of a draft.
    package func putItem(
        _ item: CatalogueItem, version number: Int, consortiumID: Int64, ifMatch: String?, by principal: Principal
    ) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortiumID))
        return try await database.transaction { connection in
            _ = try await lockDraft(number, consortiumID: consortiumID, ifMatch: ifMatch, connection: connection)
            try CatalogueRules.checkItem(
                item, drug: try await DrugStore(database: database).find(code: item.drugCode, on: connection))
            let before = try await connection.row(
                """
                SELECT levels, note, justification FROM catalogue_items
                WHERE consortium_id = \(consortiumID) AND version_number = \(number) AND drug_code = \(item.drugCode)
                """, as: ([String], String?, String?).self, logger: logger
            ).map {
                CatalogueItem(
                    drugCode: item.drugCode, levels: try $0.0.map { try decodeEnum($0) }, note: $0.1, justification: $0.2)
            }
            try await connection.run(
                """
                INSERT INTO catalogue_items (consortium_id, version_number, drug_code, levels, note, justification)
                VALUES (\(consortiumID), \(number), \(item.drugCode), \(item.levels.map(\.rawValue)), \(item.note), \(item.justification))
                ON CONFLICT (consortium_id, version_number, drug_code) DO UPDATE
                SET levels = EXCLUDED.levels, note = EXCLUDED.note, justification = EXCLUDED.justification
                """, logger: logger)
            let after = try await bumpRevision(number, consortiumID: consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal),
                action: before == nil ? "add_item" : "change_item",
                entityType: "catalogue_item", entityKey: "\(number)/\(item.drugCode)", before: before, after: item)
            return after
        }
    }

    /// Why drugs were removed from a version while it was a draft: the latest reason per drug.
    package func removalReasons(_ number: Int, consortiumID: Int64) async throws -> [String: String] {
        let rows = try await database.rows(
            """
            SELECT DISTINCT ON (drug_code) drug_code, reason FROM catalogue_item_removals
            WHERE consortium_id = \(consortiumID) AND version_number = \(number)
            ORDER BY drug_code, id DESC
            """, as: (String, String).self)
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    /// Removes an item from a draft, keeping why (`catalogue_item_removals`, and the audit trail).
    package func removeItem(
        drugCode: String, version number: Int, consortiumID: Int64, reason: String?, ifMatch: String?,
        by principal: Principal
    ) async throws -> CatalogueVersion {
        try principal.require(.manageCatalogue(consortiumID: consortiumID))
        let reason = try CorrectionReason.require(reason)
        return try await database.transaction { connection in
            _ = try await lockDraft(number, consortiumID: consortiumID, ifMatch: ifMatch, connection: connection)
            guard
                let removed = try await connection.row(
                    """
                    DELETE FROM catalogue_items
                    WHERE consortium_id = \(consortiumID) AND version_number = \(number) AND drug_code = \(drugCode)
                    RETURNING levels, note, justification
                    """, as: ([String], String?, String?).self, logger: logger)
            else { throw DomainError.notFound("version \(number) has no item \(drugCode)") }
            let before = CatalogueItem(
                drugCode: drugCode, levels: try removed.0.map { try decodeEnum($0) }, note: removed.1, justification: removed.2)
            try await connection.run(
                """
                INSERT INTO catalogue_item_removals (consortium_id, version_number, drug_code, reason, removed_by)
                VALUES (\(consortiumID), \(number), \(drugCode), \(reason), \(principal.tokenID))
                """, logger: logger)
            let after = try await bumpRevision(number, consortiumID: consortiumID, connection: connection)
            struct Removal: Encodable { var removed: Bool; var reason: String }
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "remove_item",
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
        return try await database.transaction { connection in
            let current = try await version(number, consortiumID: consortiumID, on: connection, lock: true)
            try ETag.check(ifMatch, current: current.etag)
            switch try CatalogueRules.move(from: current.status, to: status, number: number, itemCount: current.itemCount) {
            case .propose:
                try await connection.run(
                    """
                    UPDATE catalogue_versions SET status = 'proposed', proposed_at = now(), revision = revision + 1
                    WHERE consortium_id = \(consortiumID) AND number = \(number)
                    """, logger: logger)
            case .reopen:
                try await connection.run(
                    "DELETE FROM catalogue_endorsements WHERE consortium_id = \(consortiumID) AND version_number = \(number)",
                    logger: logger)
                try await connection.run(
                    """
                    UPDATE catalogue_versions SET status = 'draft', proposed_at = NULL, revision = revision + 1
                    WHERE consortium_id = \(consortiumID) AND number = \(number)
                    """, logger: logger)
            }
            let after = try await version(number, consortiumID: consortiumID, on: connection)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal),
                action: status == .proposed ? "propose" : "reopen", entityType: "catalogue_version",
                entityKey: String(number), before: current, after: after)
            return after
        }
    }

    /// Records a member institution's endorsement or objection to a proposed version.
    package func endorse(
        version number: Int, consortiumID: Int64, decision: EndorsementDecision, comment: String?, by principal: Principal
    ) async throws -> EndorsementRecord {
        guard let institutionID = principal.institutionID, let institutionCode = principal.institutionCode else {
            throw DomainError.forbidden("an endorsement is recorded with a token scoped to the member institution")
        }
        try principal.require(.endorseCatalogue(consortiumID: consortiumID, institutionID: institutionID))
        try CatalogueRules.checkEndorsement(decision, comment: comment)
        return try await database.transaction { connection in
            let current = try await version(number, consortiumID: consortiumID, on: connection, lock: true)
            try CatalogueRules.checkEndorsable(status: current.status, number: number)
            let before = try await endorsements(number, consortiumID: consortiumID, on: connection)
                .first { $0.institutionCode == institutionCode }
            try await connection.run(
                """
                INSERT INTO catalogue_endorsements (consortium_id, version_number, institution_id, decision, comment, recorded_by)
                VALUES (\(consortiumID), \(number), \(institutionID), \(decision.rawValue), \(comment), \(principal.tokenID))
                ON CONFLICT (consortium_id, version_number, institution_id) DO UPDATE
                SET decision = EXCLUDED.decision, comment = EXCLUDED.comment, recorded_by = EXCLUDED.recorded_by,
                    recorded_at = now()
                """, logger: logger)
            guard
                let after = try await endorsements(number, consortiumID: consortiumID, on: connection)
                    .first(where: { $0.institutionCode == institutionCode })
            else { throw DomainError.notFound(institutionCode) }
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: decision.rawValue,
                entityType: "catalogue_endorsement", entityKey: "\(number)/\(institutionCode)", before: before, after: after)
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
        return try await database.transaction { connection in
            let current = try await version(number, consortiumID: consortium.id, on: connection, lock: true)
            try ETag.check(ifMatch, current: current.etag)
            let latest = try await connection.row(
                """
                SELECT effective_from::text FROM catalogue_versions
                WHERE consortium_id = \(consortium.id) AND status = 'published' ORDER BY effective_from DESC LIMIT 1
                """, as: String.self, logger: logger)
            let lead = try CatalogueRules.checkPublishable(
                status: current.status, number: number, effectiveFrom: effectiveFrom,
                latestEffective: latest.flatMap(BusinessDate.init), lead: consortium.leadInstitutionCode)
            let members = try await connection.rows(
                "SELECT code FROM institutions WHERE consortium_id = \(consortium.id)", as: String.self, logger: logger)
            let decisions = Dictionary(
                try await endorsements(number, consortiumID: consortium.id, on: connection).map {
                    ($0.institutionCode, $0.decision)
                },
                uniquingKeysWith: { a, _ in a })
            let quorum = try await settings.required(
                .catalogueQuorum, consortiumID: consortium.id, on: today, connection: connection)
            let check = CatalogueRules.publicationCheck(decisions: decisions, lead: lead, members: members, quorum: quorum)
            try CatalogueRules.checkPublication(check, number: number)
            try await connection.run(
                """
                UPDATE catalogue_versions SET status = 'published', effective_from = \(effectiveFrom.description)::date,
                    published_at = now(), revision = revision + 1
                WHERE consortium_id = \(consortium.id) AND number = \(number)
                """, logger: logger)
            let after = try await version(number, consortiumID: consortium.id, on: connection)
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "publish",
                entityType: "catalogue_version", entityKey: String(number), before: current, after: after)
            return after
        }
    }
}

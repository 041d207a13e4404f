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

/// What the catalogue in effect on a day is made of: the published version in effect (its items never change) and the
/// revision of the drug master data it shows (`drug_master_revision`, moved by every write to drugs). Two reads with
/// the same stamp answer the same.
package struct CatalogueInEffectStamp: Sendable, Hashable {
    package var number: Int
    package var drugRevision: Int64
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

    package init(institutionCode: String, decision: EndorsementDecision, comment: String?, recordedAt: Date) {
        self.institutionCode = institutionCode
        self.decision = decision
        self.comment = comment
        self.recordedAt = recordedAt
    }
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

    package func version(_ number: Int, consortiumID: Int64, on connection: PostgresConnection, lock: Bool = false)
        async throws -> CatalogueVersion?
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
        return try await connection.row(query, as: VersionRow.self, logger: logger).map(Self.version)
    }

    package func version(_ number: Int, consortiumID: Int64) async throws -> CatalogueVersion? {
        try await database.read { try await version(number, consortiumID: consortiumID, on: $0) }
    }

    /// The number of the published version in effect on a date, if any (`catalogue_version_in_effect`).
    package func numberInEffect(consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection) async throws -> Int? {
        try await connection.row(
            "SELECT catalogue_version_in_effect(\(consortiumID), \(date.description)::date)", as: Int?.self, logger: logger
        ) ?? nil
    }

    /// The version in effect on a date with its entries, if any is.
    package func inEffect(consortiumID: Int64, on date: BusinessDate) async throws -> (CatalogueVersion, [CatalogueEntry])? {
        try await database.read { connection in
            guard let number = try await numberInEffect(consortiumID: consortiumID, on: date, connection: connection),
                let version = try await version(number, consortiumID: consortiumID, on: connection)
            else { return nil }
            return (version, try await entries(number, consortiumID: consortiumID, on: connection))
        }
    }

    /// The catalogue in effect on a day as `make` builds it from the version and its entries, or as `kept` has it
    /// for the stamp read first (`CatalogueInEffectStamp`): then nothing more is read. Nil when no version is in
    /// effect. The stamp is read before the entries, so what `make` is given is never older than its stamp.
    package func inEffect<Answer: Sendable>(
        consortiumID: Int64, on date: BusinessDate, kept: (CatalogueInEffectStamp) -> Answer?,
        make: (CatalogueInEffectStamp, CatalogueVersion, [CatalogueEntry]) throws -> Answer
    ) async throws -> Answer? {
        try await database.read { connection in
            guard
                let (number, revision) = try await connection.row(
                    """
                    SELECT catalogue_version_in_effect(\(consortiumID), \(date.description)::date),
                           (SELECT revision FROM drug_master_revision)
                    """, as: (Int?, Int64).self, logger: logger),
                let number
            else { return nil }
            let stamp = CatalogueInEffectStamp(number: number, drugRevision: revision)
            if let answer = kept(stamp) { return answer }
            guard let version = try await version(number, consortiumID: consortiumID, on: connection) else { return nil }
            return try make(stamp, version, try await entries(number, consortiumID: consortiumID, on: connection))
        }
    }

    package func entries(_ number: Int, consortiumID: Int64) async throws -> [CatalogueEntry] {
        try await database.read { try await entries(number, consortiumID: consortiumID, on: $0) }
    }

    package func entries(_ number: Int, consortiumID: Int64, on connection: PostgresConnection) async throws -> [CatalogueEntry] {
        try await connection.rows(
            """
            SELECT \(unescaped: Self.entryColumns)
            FROM catalogue_items i JOIN drugs d ON d.code = i.drug_code
            WHERE i.consortium_id = \(consortiumID) AND i.version_number = \(number)
            ORDER BY d.code
            """, logger: logger, reading: Self.entry(reading:))
    }

    /// What a page of a version's items asks for: the items whose drug's code starts with `text` (in any case) or
    /// whose generic name contains it, of a category, essential or not, of an insurance class, that an institution
    /// of `level` may use (`catalogue_item_allows`); by code, `limit` of them after the code `after`, or the `limit`
    /// just before the code `before` (keyset paging: no offset). Nil asks nothing of that field.
    package struct EntryQuery: Sendable, Equatable {
        package var text: String?
        package var category: DrugCategory?
        package var level: InstitutionLevel?
        package var essential: Bool?
        package var insurance: InsuranceClass?
        package var limit: Int
        package var after: String?
        package var before: String?

        package init(
            text: String? = nil, category: DrugCategory? = nil, level: InstitutionLevel? = nil, essential: Bool? = nil,
            insurance: InsuranceClass? = nil, limit: Int, after: String? = nil, before: String? = nil
        ) {
            self.text = text
            self.category = category
            self.level = level
            self.essential = essential
            self.insurance = insurance
            self.limit = limit
            self.after = after
            self.before = before
        }
    }

    /// The entries of a version that a query finds, a page of them by drug code, with how many it finds in all and
    /// how many come before the page (both 0 when the page is empty). Only the page's rows are read in full.
    package func entries(_ number: Int, consortiumID: Int64, matching query: EntryQuery, on connection: PostgresConnection)
        async throws -> (total: Int, position: Int, entries: [CatalogueEntry])
    {
        let rows = try await connection.rows(
            """
            WITH found AS (
                SELECT i.drug_code
                FROM catalogue_items i JOIN drugs d ON d.code = i.drug_code
                WHERE i.consortium_id = \(consortiumID) AND i.version_number = \(number)
                  AND (\(query.text)::text IS NULL OR starts_with(lower(d.code), lower(\(query.text)::text))
                       OR strpos(d.generic_name, \(query.text)::text) > 0)
                  AND (\(query.category?.rawValue)::text IS NULL OR d.category = \(query.category?.rawValue)::text)
                  AND (\(query.level?.rawValue)::text IS NULL OR catalogue_item_allows(i.levels, \(query.level?.rawValue)::text))
                  AND (\(query.essential)::boolean IS NULL
                       OR EXISTS (SELECT 1 FROM drug_essential_editions e WHERE e.drug_code = d.code) = \(query.essential)::boolean)
                  AND (\(query.insurance?.rawValue)::text IS NULL OR d.insurance_class = \(query.insurance?.rawValue)::text)
            ), page AS (
                -- Before a code, the nearest `limit` codes below it: read downwards, shown upwards.
                SELECT drug_code FROM found
                WHERE (\(query.after)::text IS NULL OR drug_code > \(query.after)::text)
                  AND (\(query.before)::text IS NULL OR drug_code < \(query.before)::text)
                ORDER BY CASE WHEN \(query.before)::text IS NULL THEN drug_code END, drug_code DESC
                LIMIT \(query.limit)
            )
            SELECT (SELECT count(*) FROM found)::int,
                   (SELECT count(*) FROM found WHERE drug_code < (SELECT min(drug_code) FROM page))::int,
                   \(unescaped: Self.entryColumns)
            FROM page JOIN catalogue_items i
              ON i.consortium_id = \(consortiumID) AND i.version_number = \(number) AND i.drug_code = page.drug_code
            JOIN drugs d ON d.code = i.drug_code
            ORDER BY d.code
            """, logger: logger
        ) { r in
            (total: try r.next(Int.self), position: try r.next(Int.self), entry: try Self.entry(reading: &r))
        }
        return (rows.first?.total ?? 0, rows.first?.position ?? 0, rows.map(\.entry))
    }

    /// A catalogue entry's columns, items `i` joined to drugs `d` (read by `entry(reading:)`).
    static let entryColumns = """
        i.levels, i.note, i.justification,
        d.code, d.generic_name, d.name_en, d.dosage_form, d.strength, d.package_size, d.package_unit,
        d.unit, d.manufacturer, d.atc_code, d.category, d.insurance_class, d.control_class,
        d.antimicrobial, d.cold_chain, d.herb_name, d.processing, d.grade,
        ARRAY(SELECT e.edition FROM drug_essential_editions e WHERE e.drug_code = d.code ORDER BY e.edition)
        """

    /// An entry read from `entryColumns`, in their order (`RowReader`).
    static func entry(reading r: inout RowReader) throws -> CatalogueEntry {
        let (levels, note, justification): ([String], String?, String?) = (try r.next(), try r.next(), try r.next())
        let drug = try DrugStore.drug(reading: &r)
        let item = CatalogueItem(
            drugCode: drug.code, levels: try levels.map { try decodeEnum($0) }, note: note, justification: justification)
        return CatalogueEntry(item: item, drug: drug)
    }

    /// A version's items alone (no drugs), by code.
    package func items(_ number: Int, consortiumID: Int64, on connection: PostgresConnection) async throws -> [CatalogueItem] {
        try await connection.rows(
            """
            SELECT drug_code, levels, note, justification FROM catalogue_items
            WHERE consortium_id = \(consortiumID) AND version_number = \(number) ORDER BY drug_code
            """, as: (String, [String], String?, String?).self, logger: logger
        ).map { r in
            CatalogueItem(drugCode: r.0, levels: try r.1.map { try decodeEnum($0) }, note: r.2, justification: r.3)
        }
    }

    package func endorsements(_ number: Int, consortiumID: Int64) async throws -> [EndorsementRecord] {
        try await database.read { try await endorsements(number, consortiumID: consortiumID, on: $0) }
    }

    package func endorsements(_ number: Int, consortiumID: Int64, on connection: PostgresConnection) async throws
        -> [EndorsementRecord]
    {
        try await connection.rows(
            """
            SELECT i.code, e.decision, e.comment, e.recorded_at
            FROM catalogue_endorsements e
            JOIN institutions i ON i.consortium_id = e.consortium_id AND i.id = e.institution_id
            WHERE e.consortium_id = \(consortiumID) AND e.version_number = \(number) ORDER BY i.code
            """, as: (String, String, String?, Date).self, logger: logger
        ).map { EndorsementRecord(institutionCode: $0.0, decision: try decodeEnum($0.1), comment: $0.2, recordedAt: $0.3) }
    }

    // MARK: Drafting

    /// Locks the consortium's row: serialises the drafts of one consortium (the partial unique index keeps the
    /// rule regardless).
    package func lockConsortium(_ consortiumID: Int64, on connection: PostgresConnection) async throws {
        _ = try await connection.row(
            "SELECT id FROM consortia WHERE id = \(consortiumID) FOR UPDATE", as: Int64.self, logger: logger)
    }

    /// The number of the consortium's open (draft or proposed) version, if any.
    package func openVersionNumber(consortiumID: Int64, on connection: PostgresConnection) async throws -> Int? {
        try await connection.row(
            "SELECT number FROM catalogue_versions WHERE consortium_id = \(consortiumID) AND status IN ('draft', 'proposed')",
            as: Int.self, logger: logger)
    }

    /// The latest published version, whenever it takes effect: the version in effect at the end of time.
    package func latestPublished(consortiumID: Int64, on connection: PostgresConnection) async throws -> Int? {
        try await connection.row(
            "SELECT catalogue_version_in_effect(\(consortiumID), 'infinity'::date)", as: Int?.self, logger: logger) ?? nil
    }

    /// The date the latest published version takes effect, if one is published.
    package func latestEffectiveFrom(consortiumID: Int64, on connection: PostgresConnection) async throws -> BusinessDate? {
        try await connection.row(
            """
            SELECT effective_from::text FROM catalogue_versions
            WHERE consortium_id = \(consortiumID) AND number = catalogue_version_in_effect(\(consortiumID), 'infinity'::date)
            """, as: String.self, logger: logger
        ).flatMap(BusinessDate.init)
    }

    /// Inserts the next version as a draft based on `base`, with a copy of its items; the new number.
    package func insertDraft(consortiumID: Int64, basedOn base: Int?, on connection: PostgresConnection) async throws -> Int? {
        guard
            let number = try await connection.row(
                """
                INSERT INTO catalogue_versions (consortium_id, number, based_on)
                SELECT \(consortiumID), COALESCE(max(number), 0) + 1, \(base) FROM catalogue_versions
                WHERE consortium_id = \(consortiumID)
                RETURNING number
                """, as: Int.self, logger: logger)
        else { return nil }
        if let base {
            try await connection.run(
                """
                INSERT INTO catalogue_items (consortium_id, version_number, drug_code, levels, note, justification)
                SELECT consortium_id, \(number), drug_code, levels, note, justification FROM catalogue_items
                WHERE consortium_id = \(consortiumID) AND version_number = \(base)
                """, logger: logger)
        }
        return number
    }

    /// Counts a change to a version (its ETag moves on).
    package func bumpRevision(_ number: Int, consortiumID: Int64, on connection: PostgresConnection) async throws {
        try await connection.run(
            "UPDATE catalogue_versions SET revision = revision + 1 WHERE consortium_id = \(consortiumID) AND number = \(number)",
            logger: logger)
    }

    /// A version's item for a drug, if it has one.
    package func item(drugCode: String, version number: Int, consortiumID: Int64, on connection: PostgresConnection)
        async throws -> CatalogueItem?
    {
        try await connection.row(
            """
            SELECT levels, note, justification FROM catalogue_items
            WHERE consortium_id = \(consortiumID) AND version_number = \(number) AND drug_code = \(drugCode)
            """, as: ([String], String?, String?).self, logger: logger
        ).map {
            CatalogueItem(drugCode: drugCode, levels: try $0.0.map { try decodeEnum($0) }, note: $0.1, justification: $0.2)
        }
    }

    /// Adds or replaces a version's item for the drug.
    package func putItem(_ item: CatalogueItem, version number: Int, consortiumID: Int64, on connection: PostgresConnection)
        async throws
    {
        try await connection.run(
            """
            INSERT INTO catalogue_items (consortium_id, version_number, drug_code, levels, note, justification)
            VALUES (\(consortiumID), \(number), \(item.drugCode), \(item.levels.map(\.rawValue)), \(item.note), \(item.justification))
            ON CONFLICT (consortium_id, version_number, drug_code) DO UPDATE
            SET levels = EXCLUDED.levels, note = EXCLUDED.note, justification = EXCLUDED.justification
            """, logger: logger)
    }

    /// Why drugs were removed from a version while it was a draft: the latest reason per drug.
    package func removalReasons(_ number: Int, consortiumID: Int64) async throws -> [String: String] {
        try await database.read { try await removalReasons(number, consortiumID: consortiumID, on: $0) }
    }

    package func removalReasons(_ number: Int, consortiumID: Int64, on connection: PostgresConnection) async throws
        -> [String: String]
    {
        let rows = try await connection.rows(
            """
            SELECT DISTINCT ON (drug_code) drug_code, reason FROM catalogue_item_removals
            WHERE consortium_id = \(consortiumID) AND version_number = \(number)
            ORDER BY drug_code, id DESC
            """, as: (String, String).self, logger: logger)
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    /// Deletes a version's item for the drug, keeping why (`catalogue_item_removals`); the item removed, nil when
    /// the version has none for it.
    package func removeItem(
        drugCode: String, version number: Int, consortiumID: Int64, reason: String, removedBy tokenID: Int64?,
        on connection: PostgresConnection
    ) async throws -> CatalogueItem? {
        guard
            let removed = try await connection.row(
                """
                DELETE FROM catalogue_items
                WHERE consortium_id = \(consortiumID) AND version_number = \(number) AND drug_code = \(drugCode)
                RETURNING levels, note, justification
                """, as: ([String], String?, String?).self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            INSERT INTO catalogue_item_removals (consortium_id, version_number, drug_code, reason, removed_by)
            VALUES (\(consortiumID), \(number), \(drugCode), \(reason), \(tokenID))
            """, logger: logger)
        return CatalogueItem(
            drugCode: drugCode, levels: try removed.0.map { try decodeEnum($0) }, note: removed.1, justification: removed.2)
    }

    // MARK: Agreement and publication

    /// Applies a move the rules allowed: puts a draft to the members, or takes a proposed version back to
    /// drafting, clearing the endorsements given to its old content.
    package func apply(_ move: CatalogueRules.Move, version number: Int, consortiumID: Int64, on connection: PostgresConnection)
        async throws
    {
        switch move {
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
    }

    /// Records (or replaces) a member's decision on a version.
    package func putEndorsement(
        version number: Int, consortiumID: Int64, institutionID: Int64, decision: EndorsementDecision, comment: String?,
        recordedBy tokenID: Int64?, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO catalogue_endorsements (consortium_id, version_number, institution_id, decision, comment, recorded_by)
            VALUES (\(consortiumID), \(number), \(institutionID), \(decision.rawValue), \(comment), \(tokenID))
            ON CONFLICT (consortium_id, version_number, institution_id) DO UPDATE
            SET decision = EXCLUDED.decision, comment = EXCLUDED.comment, recorded_by = EXCLUDED.recorded_by,
                recorded_at = now()
            """, logger: logger)
    }

    /// The codes of the consortium's institutions.
    package func memberCodes(consortiumID: Int64, on connection: PostgresConnection) async throws -> [String] {
        try await connection.rows(
            "SELECT code FROM institutions WHERE consortium_id = \(consortiumID)", as: String.self, logger: logger)
    }

    package func publish(
        version number: Int, consortiumID: Int64, effectiveFrom: BusinessDate, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE catalogue_versions SET status = 'published', effective_from = \(effectiveFrom.description)::date,
                published_at = now(), revision = revision + 1
            WHERE consortium_id = \(consortiumID) AND number = \(number)
            """, logger: logger)
    }
}

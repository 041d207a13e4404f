import Foundation
import Logging
import PostgresNIO
import RxDomain

/// Unified prices: provincial ceilings, price agreements, and the one price in effect on each date.
package struct PriceStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    typealias Row = (Int64, String, Decimal, String, String, String, String, String, String?, String?, String?, String?)

    static let columns = """
        a.id, a.drug_code, a.unit_price, a.price_unit, a.source, a.reference, a.requested_from::text, a.status,
        a.reported_on::text, a.platform_reference, a.effective_from::text, a.effective_to::text
        """

    static func agreement(_ r: Row) throws -> PriceAgreement {
        PriceAgreement(
            id: r.0, drugCode: r.1, unitPrice: Money(r.2), priceUnit: try decodeEnum(r.3), source: try decodeEnum(r.4),
            reference: r.5, requestedFrom: BusinessDate(r.6)!, status: try decodeEnum(r.7),
            reportedOn: r.8.flatMap(BusinessDate.init), platformReference: r.9,
            effectiveFrom: r.10.flatMap(BusinessDate.init), effectiveTo: r.11.flatMap(BusinessDate.init))
    }

    // MARK: Reading

    /// The unified price of a drug on a date, and the ceiling then.
    package func inEffect(consortiumID: Int64, drugCode: String, on date: BusinessDate) async throws -> (
        PriceAgreement, BidCeiling?
    )? {
        try await database.read { connection in
            guard
                let agreement = try await inEffect(
                    consortiumID: consortiumID, drugCode: drugCode, on: date, connection: connection)
            else {
                return nil
            }
            return (
                agreement, try await ceiling(consortiumID: consortiumID, drugCode: drugCode, on: date, connection: connection)
            )
        }
    }

    package func inEffect(consortiumID: Int64, drugCode: String, on date: BusinessDate, connection: PostgresConnection)
        async throws
        -> PriceAgreement?
    {
        try await connection.row(
            """
            SELECT \(unescaped: Self.columns) FROM price_agreements a
            WHERE a.consortium_id = \(consortiumID) AND a.drug_code = \(drugCode) AND a.status = 'in_effect'
              AND daterange(a.effective_from, a.effective_to) @> \(date.description)::date
            """, as: Row.self, logger: logger
        ).map(Self.agreement)
    }

    package func ceiling(consortiumID: Int64, drugCode: String, on date: BusinessDate, connection: PostgresConnection)
        async throws
        -> BidCeiling?
    {
        try await connection.row(
            """
            SELECT unit_price, price_unit, bid_reference FROM provincial_bid_prices
            WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode)
              AND daterange(effective_from, effective_to) @> \(date.description)::date
            """, as: (Decimal, String, String).self, logger: logger
        ).map { BidCeiling(unitPrice: Money($0.0), priceUnit: try decodeEnum($0.1), bidReference: $0.2) }
    }

    /// Every period a price was in effect, oldest first.
    package func history(consortiumID: Int64, drugCode: String) async throws -> [PriceAgreement] {
        try await database.rows(
            """
            SELECT \(unescaped: Self.columns) FROM price_agreements a
            WHERE a.consortium_id = \(consortiumID) AND a.drug_code = \(drugCode) AND a.status = 'in_effect'
            ORDER BY a.effective_from
            """, as: Row.self
        ).map(Self.agreement)
    }

    /// Agreements oldest first, optionally only those of a drug or with a status on `day` (the SQL form of
    /// `PriceTimeline.status`, so a page holds only what was asked for).
    package func list(
        consortiumID: Int64, drugCode: String?, status: PriceAgreementStatus?, on day: BusinessDate, page: PageRequest
    ) async throws -> Page<PriceAgreement> {
        let after = page.afterID
        let rows = try await database.rows(
            """
            SELECT \(unescaped: Self.columns) FROM price_agreements a
            WHERE a.consortium_id = \(consortiumID) AND a.id > \(after)
              AND (\(drugCode)::text IS NULL OR a.drug_code = \(drugCode))
              AND CASE \(status?.rawValue)::text
                    WHEN 'agreed' THEN a.status = 'agreed'
                    WHEN 'superseded' THEN a.status = 'superseded'
                    WHEN 'scheduled' THEN a.status = 'in_effect' AND a.effective_from > \(day.description)::date
                    WHEN 'in_effect' THEN a.status = 'in_effect'
                                          AND daterange(a.effective_from, a.effective_to) @> \(day.description)::date
                    WHEN 'ended' THEN a.status = 'in_effect' AND a.effective_to <= \(day.description)::date
                    ELSE true
                  END
            ORDER BY a.id LIMIT \(page.limit + 1)
            """, as: Row.self)
        return Page(rows: try rows.map(Self.agreement), limit: page.limit, key: { String($0.id) })
    }

    package func agreement(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> PriceAgreement
    {
        let query: PostgresQuery =
            lock
            ? "SELECT \(unescaped: Self.columns) FROM price_agreements a WHERE a.consortium_id = \(consortiumID) AND a.id = \(id) FOR UPDATE"
            : "SELECT \(unescaped: Self.columns) FROM price_agreements a WHERE a.consortium_id = \(consortiumID) AND a.id = \(id)"
        guard let row = try await connection.row(query, as: Row.self, logger: logger) else {
            throw DomainError.notFound("no price agreement \(id)")
        }
        return try Self.agreement(row)
    }

    // MARK: Agreeing

    package func drugExists(_ drugCode: String, on connection: PostgresConnection) async throws -> Bool {
        try await connection.row("SELECT 1 FROM drugs WHERE code = \(drugCode)", as: Int.self, logger: logger) != nil
    }

    /// What a negotiated price is checked against on a date: whether the catalogue in effect then holds the drug,
    /// and the provincial ceiling then.
    package func negotiationFacts(
        _ drugCode: String, on date: BusinessDate, consortiumID: Int64, connection: PostgresConnection
    ) async throws -> (inCatalogue: Bool, ceiling: BidCeiling?) {
        let inCatalogue =
            try await connection.row(
                """
                SELECT 1 FROM catalogue_items WHERE consortium_id = \(consortiumID)
                  AND version_number = catalogue_version_in_effect(\(consortiumID), \(date.description)::date)
                  AND drug_code = \(drugCode)
                """, as: Int.self, logger: logger) != nil
        return (inCatalogue, try await ceiling(consortiumID: consortiumID, drugCode: drugCode, on: date, connection: connection))
    }

    /// Records an agreement as agreed (not yet in effect); its id.
    package func insert(_ draft: PriceAgreementDraft, consortiumID: Int64, connection: PostgresConnection) async throws
        -> Int64?
    {
        try await connection.row(
            """
            INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from, status)
            VALUES (\(consortiumID), \(draft.drugCode), \(draft.unitPrice.amount), \(draft.priceUnit.rawValue), \(draft.source.rawValue),
                    \(draft.reference), \(draft.effectiveFrom.description)::date, 'agreed')
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// Serialises price changes of one drug in one consortium; the exclusion constraint is the backstop. The
    /// consortium's prices lock is taken shared first: an import holds it exclusively while it applies a file.
    /// A lock not granted within the connection's `lock_timeout` (a server setting) is a 503 naming the drug.
    package func lockDrug(consortiumID: Int64, drugCode: String, connection: PostgresConnection) async throws {
        do {
            // Read to its end: a lock not granted fails the statement after its columns were described.
            _ = try await connection.row(
                """
                SELECT 1 FROM (
                    SELECT pg_advisory_xact_lock_shared(hashtextextended(\(Self.pricesLock(consortiumID: consortiumID)), 0)),
                           pg_advisory_xact_lock(hashtextextended(\("price:\(consortiumID):\(drugCode)"), 0))
                ) AS locked
                """, as: Int.self, logger: logger)
        } catch let error where DatabaseErrors.isLockTimeout(error) {
            throw DomainError.unavailable(
                "the prices of \(drugCode) are being changed by another transaction (an import of prices?); retry in a moment")
        }
    }

    /// The advisory lock of all the prices of a consortium (`ProvincialPriceImport` takes it exclusively).
    static func pricesLock(consortiumID: Int64) -> String { "prices:\(consortiumID)" }

    /// Puts an agreement in effect from `start` as `plan` (`PriceTimeline.plan`) places it: the periods it closes
    /// end the day before, those starting the same day are superseded, and it runs to `plan.newTo`.
    package func takeEffect(
        agreementID: Int64, from start: BusinessDate, plan: PriceTimeline.Plan, consortiumID: Int64,
        connection: PostgresConnection
    ) async throws {
        for id in plan.supersede {
            try await connection.run(
                """
                UPDATE price_agreements SET status = 'superseded', effective_from = NULL, effective_to = NULL
                WHERE consortium_id = \(consortiumID) AND id = \(id)
                """, logger: logger)
        }
        for (id, to) in plan.close {
            try await connection.run(
                "UPDATE price_agreements SET effective_to = \(to.description)::date WHERE consortium_id = \(consortiumID) AND id = \(id)",
                logger: logger)
        }
        try await connection.run(
            """
            UPDATE price_agreements SET status = 'in_effect', effective_from = \(start.description)::date,
                effective_to = \(plan.newTo?.description)::date
            WHERE consortium_id = \(consortiumID) AND id = \(agreementID)
            """, logger: logger)
    }

    /// The periods of a drug's provincial winning-bid prices (the ceilings).
    package func ceilingPeriods(consortiumID: Int64, drugCode: String, connection: PostgresConnection) async throws
        -> [PriceTimeline.Period]
    {
        try await connection.rows(
            """
            SELECT id, effective_from::text, effective_to::text FROM provincial_bid_prices
            WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode)
            """, as: (Int64, String, String?).self, logger: logger
        ).map { PriceTimeline.Period(id: $0.0, from: BusinessDate($0.1)!, to: $0.2.flatMap(BusinessDate.init)) }
    }

    /// Records a provincial price as the ceiling from its date as `plan` places it among the ceilings.
    package func insertCeiling(
        _ draft: PriceAgreementDraft, plan: PriceTimeline.Plan, consortiumID: Int64, connection: PostgresConnection
    ) async throws {
        for id in plan.supersede {
            try await connection.run(
                "DELETE FROM provincial_bid_prices WHERE consortium_id = \(consortiumID) AND id = \(id)", logger: logger)
        }
        for (id, to) in plan.close {
            try await connection.run(
                "UPDATE provincial_bid_prices SET effective_to = \(to.description)::date WHERE consortium_id = \(consortiumID) AND id = \(id)",
                logger: logger)
        }
        try await connection.run(
            """
            INSERT INTO provincial_bid_prices (consortium_id, drug_code, unit_price, price_unit, bid_reference, effective_from, effective_to)
            VALUES (\(consortiumID), \(draft.drugCode), \(draft.unitPrice.amount), \(draft.priceUnit.rawValue), \(draft.reference),
                    \(draft.effectiveFrom.description)::date, \(plan.newTo?.description)::date)
            """, logger: logger)
    }

    /// Records the report of a negotiated price to the provincial platform (网上价格维护).
    package func setReported(
        id: Int64, consortiumID: Int64, platformReference: String, reportedOn: BusinessDate, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE price_agreements SET reported_on = \(reportedOn.description)::date, platform_reference = \(platformReference)
            WHERE consortium_id = \(consortiumID) AND id = \(id)
            """, logger: logger)
    }

    /// The periods in effect of a drug's prices.
    package func periodsInEffect(consortiumID: Int64, drugCode: String, connection: PostgresConnection) async throws
        -> [PriceTimeline.Period]
    {
        try await connection.rows(
            """
            SELECT id, effective_from::text, effective_to::text FROM price_agreements
            WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode) AND status = 'in_effect'
            """, as: (Int64, String, String?).self, logger: logger
        ).map { PriceTimeline.Period(id: $0.0, from: BusinessDate($0.1)!, to: $0.2.flatMap(BusinessDate.init)) }
    }

    /// Takes an agreement out of the timeline (agreed again, with the corrected report date) and sets the ends
    /// of the periods around it as `ends` says.
    package func withdraw(
        id: Int64, consortiumID: Int64, reportedOn: BusinessDate, ends: [(id: Int64, to: BusinessDate?)],
        connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE price_agreements SET status = 'agreed', effective_from = NULL, effective_to = NULL,
                reported_on = \(reportedOn.description)::date
            WHERE consortium_id = \(consortiumID) AND id = \(id)
            """, logger: logger)
        for (other, to) in ends {
            try await connection.run(
                "UPDATE price_agreements SET effective_to = \(to?.description)::date WHERE consortium_id = \(consortiumID) AND id = \(other)",
                logger: logger)
        }
    }
}

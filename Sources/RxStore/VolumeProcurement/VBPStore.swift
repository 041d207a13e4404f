import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A listed agreement: its id, batch and agreement year.
package struct VBPAgreementSummary: Sendable, Equatable {
    package var id: Int64
    package var batch: String
    package var periodStart: BusinessDate
    package var periodEnd: BusinessDate
}

/// What a member took in of a drug over some days (purchase receipts, 采购入库 108), or used (dispensed less returned).
package struct MemberDrugQuantity: Sendable, Equatable {
    package var institutionID: Int64
    package var institutionCode: String
    package var drugCode: String
    package var quantity: Decimal
}

/// National and provincial VBP agreements (`vbp_agreements` and their generics, winning products, agreed volumes,
/// assessments and settlements, sql/033), and the facts their completion and retained savings read.
package struct VBPStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    // MARK: Agreements

    /// The named drugs' generic names, by code (the unknown ones absent).
    package func genericNames(of codes: [String], connection: StoreConnection) async throws -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: try await connection.rows(
                "SELECT code, generic_name FROM drugs WHERE code = ANY(\(codes)::text[])", as: (String, String).self,
                logger: logger))
    }

    /// A new agreement with its generic names and winning products; its id, nil when the consortium has one of that
    /// batch from that day (`UNIQUE (consortium_id, batch, period_start)`).
    package func insert(
        batch: String, periodStart: BusinessDate, periodEnd: BusinessDate, generics: [VBPGeneric], by tokenID: Int64?,
        consortiumID: Int64, connection: StoreConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                """
                INSERT INTO vbp_agreements (consortium_id, batch, period_start, period_end, created_by)
                VALUES (\(consortiumID), \(batch), \(periodStart.description)::date, \(periodEnd.description)::date, \(tokenID))
                ON CONFLICT (consortium_id, batch, period_start) DO NOTHING RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            INSERT INTO vbp_agreement_generics (consortium_id, agreement_id, generic_name, pre_procurement_average_price)
            SELECT \(consortiumID), \(id), g, p FROM unnest(\(generics.map(\.genericName))::text[],
                                                          \(generics.map { "\($0.preProcurementAveragePrice.amount)" })::numeric[]) AS x (g, p)
            """, logger: logger)
        let products = generics.flatMap { g in g.products.map { (g.genericName, $0) } }
        try await connection.run(
            """
            INSERT INTO vbp_winning_products (consortium_id, agreement_id, generic_name, drug_code, winning_price)
            SELECT \(consortiumID), \(id), g, d, p FROM unnest(\(products.map(\.0))::text[], \(products.map(\.1.drugCode))::text[],
                                                             \(products.map { "\($0.1.winningPrice.amount)" })::numeric[]) AS x (g, d, p)
            """, logger: logger)
        return id
    }

    /// The consortium an agreement belongs to (for the console, which names an agreement by its id alone).
    package func consortiumID(ofAgreement id: Int64, connection: StoreConnection) async throws -> Int64? {
        try await connection.row("SELECT consortium_id FROM vbp_agreements WHERE id = \(id)", as: Int64.self, logger: logger)
    }

    /// The consortium's agreements, the latest year first.
    package func list(consortiumID: Int64, connection: StoreConnection) async throws -> [VBPAgreementSummary] {
        try await connection.rows(
            """
            SELECT id, batch, period_start::text, period_end::text FROM vbp_agreements
            WHERE consortium_id = \(consortiumID) ORDER BY period_start DESC, id DESC
            """, as: (Int64, String, String, String).self, logger: logger
        ).map {
            VBPAgreementSummary(id: $0.0, batch: $0.1, periodStart: try Self.day($0.2), periodEnd: try Self.day($0.3))
        }
    }

    /// One agreement with its generic names, winning products and agreed volumes (of one member when
    /// `institutionID` is given); with `lock`, the agreement's row is locked until the transaction ends.
    package func agreement(
        id: Int64, consortiumID: Int64, institutionID: Int64? = nil, lock: Bool = false, connection: StoreConnection
    ) async throws -> VBPAgreement? {
        let head: PostgresQuery =
            lock
            ? """
            SELECT batch, period_start::text, period_end::text FROM vbp_agreements
            WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE
            """
            : """
            SELECT batch, period_start::text, period_end::text FROM vbp_agreements
            WHERE consortium_id = \(consortiumID) AND id = \(id)
            """
        guard let h = try await connection.row(head, as: (String, String, String).self, logger: logger) else { return nil }
        let products = try await connection.rows(
            """
            SELECT generic_name, drug_code, winning_price FROM vbp_winning_products
            WHERE consortium_id = \(consortiumID) AND agreement_id = \(id) ORDER BY generic_name, drug_code
            """, as: (String, String, Decimal).self, logger: logger)
        let generics = try await connection.rows(
            """
            SELECT generic_name, pre_procurement_average_price FROM vbp_agreement_generics
            WHERE consortium_id = \(consortiumID) AND agreement_id = \(id) ORDER BY generic_name
            """, as: (String, Decimal).self, logger: logger
        ).map { g in
            VBPGeneric(
                genericName: g.0, preProcurementAveragePrice: Money(g.1),
                products: products.filter { $0.0 == g.0 }.map { VBPWinningProduct(drugCode: $0.1, winningPrice: Money($0.2)) })
        }
        let volumes = try await connection.rows(
            """
            SELECT i.code, v.generic_name, v.volume, v.proposed FROM vbp_agreed_volumes v
            JOIN institutions i ON i.consortium_id = v.consortium_id AND i.id = v.institution_id
            WHERE v.consortium_id = \(consortiumID) AND v.agreement_id = \(id)
              AND (\(institutionID)::bigint IS NULL OR v.institution_id = \(institutionID))
            ORDER BY i.code, v.generic_name
            """, as: (String, String, Decimal, Decimal?).self, logger: logger
        ).map { VBPAgreedVolume(institutionCode: $0.0, genericName: $0.1, volume: $0.2, proposed: $0.3) }
        return VBPAgreement(
            id: id, batch: h.0, periodStart: try Self.day(h.1), periodEnd: try Self.day(h.2), generics: generics,
            volumes: volumes)
    }

    // MARK: Volumes and assessments

    /// Sets members' agreed volumes (a volume already set is replaced).
    package func setVolumes(
        agreementID: Int64, rows: [(institutionID: Int64, genericName: String, volume: Decimal, proposed: Decimal?)],
        by tokenID: Int64?, consortiumID: Int64, connection: StoreConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO vbp_agreed_volumes (consortium_id, agreement_id, institution_id, generic_name, volume, proposed, set_by)
            SELECT \(consortiumID), \(agreementID), i, g, v::numeric, nullif(p, '')::numeric, \(tokenID)::bigint
            FROM unnest(\(rows.map(\.institutionID))::bigint[], \(rows.map(\.genericName))::text[],
                        \(rows.map { "\($0.volume)" })::text[], \(rows.map { $0.proposed.map { "\($0)" } ?? "" })::text[])
                 AS x (i, g, v, p)
            ON CONFLICT (consortium_id, agreement_id, institution_id, generic_name)
            DO UPDATE SET volume = excluded.volume, proposed = excluded.proposed, set_by = excluded.set_by,
                          set_at = clock_timestamp()
            """, logger: logger)
    }

    /// A member's score for the agreement year (replaced when set again); the score before, if any.
    package func setScore(
        agreementID: Int64, institutionID: Int64, score: Decimal, by tokenID: Int64?, consortiumID: Int64,
        connection: StoreConnection
    ) async throws -> Decimal? {
        let before = try await connection.row(
            """
            SELECT score FROM vbp_assessments
            WHERE consortium_id = \(consortiumID) AND agreement_id = \(agreementID) AND institution_id = \(institutionID)
            FOR UPDATE
            """, as: Decimal.self, logger: logger)
        try await connection.run(
            """
            INSERT INTO vbp_assessments (consortium_id, agreement_id, institution_id, score, assessed_by)
            VALUES (\(consortiumID), \(agreementID), \(institutionID), \(score), \(tokenID))
            ON CONFLICT (consortium_id, agreement_id, institution_id)
            DO UPDATE SET score = excluded.score, assessed_by = excluded.assessed_by, assessed_at = clock_timestamp()
            """, logger: logger)
        return before
    }

    /// The members' scores for the agreement year, by member code.
    package func scores(agreementID: Int64, consortiumID: Int64, connection: StoreConnection) async throws
        -> [String: Decimal]
    {
        Dictionary(
            uniqueKeysWithValues: try await connection.rows(
                """
                SELECT i.code, a.score FROM vbp_assessments a
                JOIN institutions i ON i.consortium_id = a.consortium_id AND i.id = a.institution_id
                WHERE a.consortium_id = \(consortiumID) AND a.agreement_id = \(agreementID)
                """, as: (String, Decimal).self, logger: logger))
    }

    // MARK: Facts

    /// Purchase receipts (采购入库, reason 108) of the drugs at each member (or one) from `from` to `to`, both included.
    package func receipts(
        drugCodes: [String], from: BusinessDate, to: BusinessDate, institutionID: Int64? = nil, consortiumID: Int64,
        connection: StoreConnection
    ) async throws -> [MemberDrugQuantity] {
        try await connection.rows(
            """
            SELECT m.institution_id, i.code, m.drug_code, sum(m.quantity)
            FROM stock_movements m JOIN institutions i ON i.consortium_id = m.consortium_id AND i.id = m.institution_id
            WHERE m.consortium_id = \(consortiumID) AND m.reason_code = '108' AND m.drug_code = ANY(\(drugCodes)::text[])
              AND m.business_date BETWEEN \(from.description)::date AND \(to.description)::date
              AND (\(institutionID)::bigint IS NULL OR m.institution_id = \(institutionID))
            GROUP BY m.institution_id, i.code, m.drug_code ORDER BY i.code, m.drug_code
            """, as: (Int64, String, String, Decimal).self, logger: logger
        ).map { MemberDrugQuantity(institutionID: $0.0, institutionCode: $0.1, drugCode: $0.2, quantity: $0.3) }
    }

    /// Each member's usage (dispensed less returned) of every drug of the generic names from `from` to `to`, both
    /// included, summed per generic name: (member id, member code, generic name, usage).
    package func usage(
        genericNames: [String], from: BusinessDate, to: BusinessDate, consortiumID: Int64, connection: StoreConnection
    ) async throws -> [(institutionID: Int64, institutionCode: String, genericName: String, usage: Decimal)] {
        try await connection.rows(
            """
            SELECT c.institution_id, i.code, d.generic_name, sum(c.quantity)
            FROM stock_daily_consumption c JOIN drugs d ON d.code = c.drug_code
            JOIN institutions i ON i.consortium_id = c.consortium_id AND i.id = c.institution_id
            WHERE c.consortium_id = \(consortiumID) AND d.generic_name = ANY(\(genericNames)::text[])
              AND c.business_date BETWEEN \(from.description)::date AND \(to.description)::date
            GROUP BY c.institution_id, i.code, d.generic_name HAVING sum(c.quantity) > 0
            ORDER BY i.code, d.generic_name
            """, as: (Int64, String, String, Decimal).self, logger: logger
        ).map { (institutionID: $0.0, institutionCode: $0.1, genericName: $0.2, usage: $0.3) }
    }

    /// The drugs of the generic names, with theirs (to find a generic name's products that did not win).
    package func drugs(ofGenericNames names: [String], connection: StoreConnection) async throws -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: try await connection.rows(
                "SELECT code, generic_name FROM drugs WHERE generic_name = ANY(\(names)::text[])", as: (String, String).self,
                logger: logger))
    }

    // MARK: Settlements

    /// A settlement of the agreement's retained savings with its lines (every input beside the result); its id.
    package func insertSettlement(
        agreementID: Int64, on day: BusinessDate, lines: [(institutionID: Int64, savings: RetainedSavings)],
        by tokenID: Int64?, consortiumID: Int64, connection: StoreConnection
    ) async throws -> Int64 {
        guard
            let id = try await connection.row(
                """
                INSERT INTO vbp_settlements (consortium_id, agreement_id, settled_on, settled_by)
                VALUES (\(consortiumID), \(agreementID), \(day.description)::date, \(tokenID)) RETURNING id
                """, as: Int64.self, logger: logger)
        else { throw UnknownDatabaseValue(type: "vbp_settlements", value: "no id returned") }
        let s = lines.map(\.savings)
        let settings = try s.map { String(decoding: try JSONEncoder().encode($0.settings), as: UTF8.self) }
        try await connection.run(
            """
            INSERT INTO vbp_settlement_lines (
                consortium_id, settlement_id, institution_id, generic_name, agreed_volume, purchased_volume, counted_volume,
                pre_procurement_average_price, winning_price, score, settings, budget, actual, savings_base, grade,
                retained_percent, retained)
            SELECT \(consortiumID), \(id), i, g, a::numeric, p::numeric, c::numeric, pre::numeric, w::numeric,
                   nullif(sc, '')::numeric, st::jsonb, b::numeric, ac::numeric, base::numeric, nullif(gr, ''),
                   nullif(rp, '')::numeric, nullif(r, '')::numeric
            FROM unnest(\(lines.map(\.institutionID))::bigint[], \(s.map(\.genericName))::text[],
                        \(s.map { "\($0.agreedVolume)" })::text[], \(s.map { "\($0.purchasedVolume)" })::text[],
                        \(s.map { "\($0.countedVolume)" })::text[],
                        \(s.map { "\($0.preProcurementAveragePrice.amount)" })::text[],
                        \(s.map { "\($0.winningPrice.amount)" })::text[], \(s.map { $0.score.map { "\($0)" } ?? "" })::text[],
                        \(settings)::text[], \(s.map { "\($0.budget.amount)" })::text[],
                        \(s.map { "\($0.actual.amount)" })::text[], \(s.map { "\($0.savingsBase.amount)" })::text[],
                        \(s.map { $0.grade?.rawValue ?? "" })::text[],
                        \(s.map { $0.retainedPercent.map { "\($0)" } ?? "" })::text[],
                        \(s.map { $0.retained.map { "\($0.amount)" } ?? "" })::text[])
                 AS x (i, g, a, p, c, pre, w, sc, st, b, ac, base, gr, rp, r)
            """, logger: logger)
        return id
    }

    /// The latest settlement of an agreement: its id, day, and lines as settled (with the settings they used).
    package func latestSettlement(agreementID: Int64, consortiumID: Int64, connection: StoreConnection) async throws
        -> (id: Int64, settledOn: BusinessDate, lines: [RetainedSavings])?
    {
        guard
            let head = try await connection.row(
                """
                SELECT id, settled_on::text FROM vbp_settlements
                WHERE consortium_id = \(consortiumID) AND agreement_id = \(agreementID) ORDER BY id DESC LIMIT 1
                """, as: (Int64, String).self, logger: logger)
        else { return nil }
        let lines = try await connection.rows(
            """
            SELECT i.code, l.generic_name, l.agreed_volume, l.purchased_volume, l.counted_volume,
                   l.pre_procurement_average_price, l.winning_price, l.score, l.settings::text, l.budget, l.actual,
                   l.savings_base, l.grade, l.retained_percent, l.retained
            FROM vbp_settlement_lines l
            JOIN institutions i ON i.consortium_id = l.consortium_id AND i.id = l.institution_id
            WHERE l.consortium_id = \(consortiumID) AND l.settlement_id = \(head.0) ORDER BY i.code, l.generic_name
            """,
            as: (
                String, String, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal?, String, Decimal, Decimal, Decimal,
                String?, Decimal?, Decimal?
            ).self, logger: logger
        ).map {
            RetainedSavings(
                institutionCode: $0.0, genericName: $0.1, agreedVolume: $0.2, purchasedVolume: $0.3,
                preProcurementAveragePrice: Money($0.5), winningPrice: Money($0.6), score: $0.7,
                settings: try JSONDecoder().decode(RetainedSavingsSettings.self, from: Data($0.8.utf8)), countedVolume: $0.4,
                budget: Money($0.9), actual: Money($0.10), savingsBase: Money($0.11), grade: try $0.12.map { try decodeEnum($0) },
                retainedPercent: $0.13, retained: $0.14.map(Money.init))
        }
        return (head.0, try Self.day(head.1), lines)
    }

    static func day(_ text: String) throws -> BusinessDate {
        guard let date = BusinessDate(text) else { throw UnknownDatabaseValue(type: "date", value: text) }
        return date
    }
}

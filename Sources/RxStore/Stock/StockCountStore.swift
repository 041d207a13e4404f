import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A stock count sheet (盘点单) with its lines.
package struct StockCount: Sendable, Equatable, Encodable {
    package var id: Int64
    package var consortiumID: Int64
    package var institutionID: Int64
    package var institutionCode: String
    package var locationID: Int64?
    package var locationCode: String?
    package var status: StockCountStatus
    package var countDate: BusinessDate
    package var openedBy: Int64?
    package var countedBy: Int64?
    package var approvedBy: Int64?
    package var approvedAt: String?
    package var lines: [StockCountRules.Line]
}

/// Count sheets: the snapshot of the ledger when opened, the counts entered, and the differences posted on approval.
package struct StockCountStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// Opens a sheet with the ledger's quantities of every lot on hand at the institution and location (nil: no
    /// location) as expected.
    package func open(
        consortiumID: Int64, institutionID: Int64, locationID: Int64?, countDate: BusinessDate, tokenID: Int64?,
        connection: StoreConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                """
                INSERT INTO stock_counts (consortium_id, institution_id, location_id, count_date, opened_by)
                VALUES (\(consortiumID), \(institutionID), \(locationID), \(countDate.description)::date, \(tokenID))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            INSERT INTO stock_count_lines (consortium_id, count_id, drug_code, lot_number, expiry_date, expected)
            SELECT h.consortium_id, \(id), h.drug_code, h.lot_number, h.expiry_date, h.quantity
            FROM stock_on_hand h
            WHERE h.consortium_id = \(consortiumID) AND h.institution_id = \(institutionID)
              AND h.location_id IS NOT DISTINCT FROM \(locationID) AND h.in_stock
            """, logger: logger)
        return id
    }

    typealias CountRow = (Int64, Int64, Int64, String, Int64?, String?, String, String, Int64?, Int64?, Int64?, String?)

    static let columns = """
        c.id, c.consortium_id, c.institution_id, i.code, c.location_id, l.code, c.status, c.count_date::text,
        c.opened_by, c.counted_by, c.approved_by, c.approved_at::text
        """
    static let from = """
        stock_counts c JOIN institutions i ON i.consortium_id = c.consortium_id AND i.id = c.institution_id
        LEFT JOIN stock_locations l ON l.consortium_id = c.consortium_id AND l.id = c.location_id
        """

    static func count(_ r: CountRow, lines: [StockCountRules.Line]) throws -> StockCount {
        guard let date = BusinessDate(r.7) else { throw DomainError.unavailable("a count date cannot be read") }
        return StockCount(
            id: r.0, consortiumID: r.1, institutionID: r.2, institutionCode: r.3, locationID: r.4, locationCode: r.5,
            status: try decodeEnum(r.6), countDate: date, openedBy: r.8, countedBy: r.9, approvedBy: r.10,
            approvedAt: r.11, lines: lines)
    }

    /// One sheet with its lines (by drug, expiry, lot); `lock` holds the sheet until the transaction ends.
    package func count(id: Int64, consortiumID: Int64, connection: StoreConnection, lock: Bool = false) async throws
        -> StockCount?
    {
        if lock {
            try await connection.run(
                "SELECT 1 FROM stock_counts WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE", logger: logger)
        }
        guard
            let row = try await connection.row(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
                WHERE c.consortium_id = \(consortiumID) AND c.id = \(id)
                """, as: CountRow.self, logger: logger)
        else { return nil }
        let lines = try await connection.rows(
            """
            SELECT drug_code, lot_number, expiry_date::text, expected, counted FROM stock_count_lines
            WHERE consortium_id = \(consortiumID) AND count_id = \(id)
            ORDER BY drug_code, expiry_date, lot_key
            """, as: (String, String, String, Decimal, Decimal?).self, logger: logger)
        return try Self.count(
            row,
            lines: try lines.map { l in
                guard let expiry = BusinessDate(l.2) else { throw DomainError.unavailable("a lot's expiry date cannot be read") }
                return StockCountRules.Line(
                    lot: StockLot(drugCode: l.0, lotNumber: l.1, expiry: expiry), expected: Quantity(l.3),
                    counted: l.4.map(Quantity.init))
            })
    }

    /// An institution's sheets, newest first (without their lines).
    package func list(consortiumID: Int64, institutionID: Int64, page: PageRequest) async throws -> Page<StockCount> {
        let before = page.after.flatMap(Int64.init) ?? Int64.max
        let rows = try await database.rows(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE c.consortium_id = \(consortiumID) AND c.institution_id = \(institutionID) AND c.id < \(before)
            ORDER BY c.id DESC LIMIT \(page.limit + 1)
            """, as: CountRow.self)
        return Page(rows: try rows.map { try Self.count($0, lines: []) }, limit: page.limit) { String($0.id) }
    }

    /// Enters counted quantities for lots of the sheet, and who counted.
    package func enter(
        _ entries: [(lot: StockLot, counted: Quantity)], countID: Int64, consortiumID: Int64, tokenID: Int64?,
        connection: StoreConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE stock_count_lines c SET counted = e.counted::numeric
            FROM unnest(\(entries.map(\.lot.drugCode))::text[], \(entries.map(\.lot.lotNumber))::text[],
                        \(entries.map(\.counted.description))::text[]) AS e(drug_code, lot_number, counted)
            WHERE c.consortium_id = \(consortiumID) AND c.count_id = \(countID)
              AND c.drug_code = e.drug_code AND c.lot_key = lot_key(e.lot_number)
            """, logger: logger)
        try await connection.run(
            "UPDATE stock_counts SET counted_by = \(tokenID) WHERE consortium_id = \(consortiumID) AND id = \(countID)",
            logger: logger)
    }

    /// Marks the sheet approved and posts the differences (103 in, 104 out) at its institution and location. False
    /// when the sheet was no longer open.
    package func approve(
        _ count: StockCount, differences: [StockCountRules.Difference], on date: BusinessDate, tokenID: Int64?,
        connection: StoreConnection
    ) async throws -> Bool {
        guard
            try await connection.row(
                """
                UPDATE stock_counts SET status = 'approved', approved_by = \(tokenID), approved_at = now()
                WHERE consortium_id = \(count.consortiumID) AND id = \(count.id) AND status = 'open' RETURNING id
                """, as: Int64.self, logger: logger) != nil
        else { return false }
        guard !differences.isEmpty else { return true }
        try await connection.run(
            """
            INSERT INTO stock_movements (consortium_id, institution_id, location_id, drug_code, lot_number, expiry_date,
                                         reason_code, direction, quantity, document_type, document_id, actor_token_id,
                                         business_date)
            SELECT \(count.consortiumID), \(count.institutionID), \(count.locationID), d.drug_code, d.lot_number,
                   d.expiry::date, d.reason, d.direction, d.quantity::numeric, 'count', \(count.id), \(tokenID),
                   \(date.description)::date
            FROM unnest(\(differences.map(\.lot.drugCode))::text[], \(differences.map(\.lot.lotNumber))::text[],
                        \(differences.map(\.lot.expiry.description))::text[], \(differences.map(\.reason.rawValue))::text[],
                        \(differences.map(\.reason.direction.rawValue))::text[],
                        \(differences.map(\.quantity.description))::text[])
                 AS d(drug_code, lot_number, expiry, reason, direction, quantity)
            """, logger: logger)
        return true
    }

    /// Cancels an open sheet; false when another request moved it first.
    package func cancel(_ count: StockCount, connection: StoreConnection) async throws -> Bool {
        try await connection.row(
            """
            UPDATE stock_counts SET status = 'cancelled', cancelled_at = now()
            WHERE consortium_id = \(count.consortiumID) AND id = \(count.id) AND status = 'open' RETURNING id
            """, as: Int64.self, logger: logger) != nil
    }
}

import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A block on a lot at every member of a consortium: a recall or an inspection rejection, standing until released.
package struct LotBlock: Sendable, Equatable, Encodable {
    package var id: Int64
    package var drugCode: String
    package var lotNumber: String
    package var kind: LotBlockKind
    package var noticeNumber: String?
    package var herbInspectionID: Int64?
    package var reason: String
    package var blockedAt: Date
    package var releasedAt: Date?
    package var releaseReason: String?
}

/// Lot blocks (`lot_blocks`): insert, release, the standing ones. The trigger on `stock_movements` reads them.
package struct LotBlockStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    static let columns = """
        id, drug_code, lot_number, kind, notice_number, herb_inspection_id, reason, blocked_at, released_at, release_reason
        """
    typealias Row = (Int64, String, String, String, String?, Int64?, String, Date, Date?, String?)

    static func block(_ r: Row) throws -> LotBlock {
        LotBlock(
            id: r.0, drugCode: r.1, lotNumber: r.2, kind: try decodeEnum(r.3), noticeNumber: r.4, herbInspectionID: r.5,
            reason: r.6, blockedAt: r.7, releasedAt: r.8, releaseReason: r.9)
    }

    /// Inserts a standing block; nil when the lot already has a standing block of that kind (nothing inserted).
    package func insert(
        consortiumID: Int64, drugCode: String, lotNumber: String, kind: LotBlockKind, noticeNumber: String?,
        herbInspectionID: Int64?, reason: String, by tokenID: Int64?, on connection: StoreConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO lot_blocks (consortium_id, drug_code, lot_number, kind, notice_number, herb_inspection_id, reason,
                                    blocked_by)
            VALUES (\(consortiumID), \(drugCode), \(lotNumber), \(kind.rawValue), \(noticeNumber), \(herbInspectionID),
                    \(reason), \(tokenID))
            ON CONFLICT (consortium_id, drug_code, lot_key, kind) WHERE released_at IS NULL DO NOTHING
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// One block, locked for a change when asked.
    package func block(id: Int64, consortiumID: Int64, lock: Bool = false, on connection: StoreConnection) async throws
        -> LotBlock?
    {
        if lock {
            try await connection.run(
                "SELECT 1 FROM lot_blocks WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE", logger: logger)
        }
        return try await connection.row(
            """
            SELECT \(unescaped: Self.columns) FROM lot_blocks WHERE consortium_id = \(consortiumID) AND id = \(id)
            """, as: Row.self, logger: logger
        ).map(Self.block)
    }

    /// Ends a standing block.
    package func release(id: Int64, consortiumID: Int64, reason: String, by tokenID: Int64?, on connection: StoreConnection)
        async throws
    {
        try await connection.run(
            """
            UPDATE lot_blocks SET released_at = clock_timestamp(), released_by = \(tokenID), release_reason = \(reason)
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND released_at IS NULL
            """, logger: logger)
    }

    /// The standing blocks of a lot.
    package func standing(consortiumID: Int64, drugCode: String, lotNumber: String, on connection: StoreConnection)
        async throws -> [LotBlock]
    {
        try await connection.rows(
            """
            SELECT \(unescaped: Self.columns) FROM lot_blocks
            WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode) AND lot_key = lot_key(\(lotNumber))
              AND released_at IS NULL
            ORDER BY id
            """, as: Row.self, logger: logger
        ).map(Self.block)
    }
}

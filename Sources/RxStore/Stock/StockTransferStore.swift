import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A lot a transfer line sent (FEFO or named), and what the receiver found of it.
package struct StockTransferLot: Sendable, Equatable, Encodable {
    package var lotNumber: String
    package var expiry: BusinessDate
    package var dispatched: Quantity
    /// nil until received.
    package var received: Quantity?
    package var damaged: Quantity
    package var discrepancyReason: String?
}

package struct StockTransferLine: Sendable, Equatable, Encodable {
    package var lineNo: Int
    package var drugCode: String
    package var quantity: Quantity
    /// The lot the line asked for, if any.
    package var lotNumber: String?
    package var lots: [StockTransferLot]
}

/// A transfer of stock between members (调拨).
package struct StockTransfer: Sendable, Equatable, Encodable {
    package var id: Int64
    package var consortiumID: Int64
    package var senderInstitutionID: Int64
    package var senderInstitutionCode: String
    package var senderLocationID: Int64?
    package var senderLocationCode: String?
    package var receiverInstitutionID: Int64
    package var receiverInstitutionCode: String
    package var receiverLocationID: Int64?
    package var receiverLocationCode: String?
    package var status: StockTransferStatus
    package var note: String?
    package var createdAt: String
    package var dispatchedAt: String?
    package var receivedAt: String?
    package var cancelledAt: String?
    package var lines: [StockTransferLine]
}

/// An institution of a consortium, by code.
package struct StockParty: Sendable, Equatable {
    package var id: Int64
    package var code: String
}

/// Transfers between members: their documents, the sender's lots, and the movements they post (set-based, from
/// the document's own rows; the trigger of sql/020 keeps on hand and refuses negatives).
package struct StockTransferStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    package func institution(code: String, consortiumID: Int64, connection: StoreConnection) async throws -> StockParty? {
        try await connection.row(
            "SELECT id, code FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)",
            as: (Int64, String).self, logger: logger
        ).map { StockParty(id: $0.0, code: $0.1) }
    }

    package func locationID(code: String, institutionID: Int64, consortiumID: Int64, connection: StoreConnection)
        async throws -> Int64?
    {
        try await connection.row(
            """
            SELECT id FROM stock_locations
            WHERE consortium_id = \(consortiumID) AND institution_id = \(institutionID) AND code = \(code)
            """, as: Int64.self, logger: logger)
    }

    /// Which of `drugCodes` are in the member's catalogue in effect on `date` (`member_catalogue_in_effect`, sql/019).
    package func inCatalogue(
        drugCodes: [String], institutionID: Int64, consortiumID: Int64, on date: BusinessDate, connection: StoreConnection
    ) async throws -> Set<String> {
        Set(
            try await connection.rows(
                """
                SELECT DISTINCT drug_code FROM member_catalogue_in_effect(\(consortiumID), \(date.description)::date)
                WHERE institution_id = \(institutionID) AND drug_code = ANY(\(drugCodes)::text[])
                """, as: String.self, logger: logger))
    }

    package struct NewLine: Sendable {
        package var drugCode: String
        package var quantity: Quantity
        package var lotNumber: String?

        package init(drugCode: String, quantity: Quantity, lotNumber: String?) {
            self.drugCode = drugCode
            self.quantity = quantity
            self.lotNumber = lotNumber
        }
    }

    package func insert(
        consortiumID: Int64, sender: StockParty, senderLocationID: Int64?, receiver: StockParty, receiverLocationID: Int64?,
        note: String?, lines: [NewLine], tokenID: Int64?, connection: StoreConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                """
                INSERT INTO stock_transfers (consortium_id, sender_institution_id, sender_location_id,
                                             receiver_institution_id, receiver_location_id, note, created_by)
                VALUES (\(consortiumID), \(sender.id), \(senderLocationID), \(receiver.id), \(receiverLocationID), \(note),
                        \(tokenID))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            INSERT INTO stock_transfer_lines (consortium_id, transfer_id, line_no, drug_code, quantity, lot_number)
            SELECT \(consortiumID), \(id), l.ord::int, l.drug_code, l.quantity::numeric, NULLIF(l.lot_number, '')
            FROM unnest(\(lines.map(\.drugCode))::text[], \(lines.map(\.quantity.description))::text[],
                        \(lines.map { $0.lotNumber ?? "" })::text[]) WITH ORDINALITY AS l(drug_code, quantity, lot_number, ord)
            """, logger: logger)
        return id
    }

    typealias TransferRow = (
        Int64, Int64, Int64, String, Int64?, String?, Int64, String, Int64?, String?, String, String?, String, String?,
        String?, String?
    )

    static let columns = """
        t.id, t.consortium_id, t.sender_institution_id, s.code, t.sender_location_id, sl.code,
        t.receiver_institution_id, r.code, t.receiver_location_id, rl.code, t.status, t.note, t.created_at::text,
        t.dispatched_at::text, t.received_at::text, t.cancelled_at::text
        """
    static let from = """
        stock_transfers t
        JOIN institutions s ON s.consortium_id = t.consortium_id AND s.id = t.sender_institution_id
        JOIN institutions r ON r.consortium_id = t.consortium_id AND r.id = t.receiver_institution_id
        LEFT JOIN stock_locations sl ON sl.consortium_id = t.consortium_id AND sl.id = t.sender_location_id
        LEFT JOIN stock_locations rl ON rl.consortium_id = t.consortium_id AND rl.id = t.receiver_location_id
        """

    static func transfer(_ r: TransferRow, lines: [StockTransferLine]) throws -> StockTransfer {
        StockTransfer(
            id: r.0, consortiumID: r.1, senderInstitutionID: r.2, senderInstitutionCode: r.3, senderLocationID: r.4,
            senderLocationCode: r.5, receiverInstitutionID: r.6, receiverInstitutionCode: r.7, receiverLocationID: r.8,
            receiverLocationCode: r.9, status: try decodeEnum(r.10), note: r.11, createdAt: r.12, dispatchedAt: r.13,
            receivedAt: r.14, cancelledAt: r.15, lines: lines)
    }

    /// One transfer with its lines and lots; `lock` holds its row until the transaction ends (one step at a time).
    package func transfer(id: Int64, consortiumID: Int64, connection: StoreConnection, lock: Bool = false) async throws
        -> StockTransfer?
    {
        if lock {
            try await connection.run(
                "SELECT 1 FROM stock_transfers WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE",
                logger: logger)
        }
        guard
            let row = try await connection.row(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
                WHERE t.consortium_id = \(consortiumID) AND t.id = \(id)
                """, as: TransferRow.self, logger: logger)
        else { return nil }
        let byTransfer = try await lines(transferIDs: [id], consortiumID: consortiumID, connection: connection)
        return try Self.transfer(row, lines: byTransfer[id] ?? [])
    }

    func lines(transferIDs: [Int64], consortiumID: Int64, connection: StoreConnection) async throws
        -> [Int64: [StockTransferLine]]
    {
        let rows = try await connection.rows(
            """
            SELECT l.transfer_id, l.line_no, l.drug_code, l.quantity, l.lot_number, t.lot_number, t.expiry_date::text,
                   t.dispatched_quantity, t.received_quantity, t.damaged_quantity, t.discrepancy_reason
            FROM stock_transfer_lines l
            LEFT JOIN stock_transfer_lots t ON t.consortium_id = l.consortium_id AND t.transfer_id = l.transfer_id
                                           AND t.line_no = l.line_no
            WHERE l.consortium_id = \(consortiumID) AND l.transfer_id = ANY(\(transferIDs)::bigint[])
            ORDER BY l.transfer_id, l.line_no, t.expiry_date, t.lot_key
            """,
            as: (Int64, Int, String, Decimal, String?, String?, String?, Decimal?, Decimal?, Decimal?, String?).self,
            logger: logger)
        var result: [Int64: [StockTransferLine]] = [:]
        for r in rows {
            var lines = result[r.0] ?? []
            if lines.last?.lineNo != r.1 {
                lines.append(
                    StockTransferLine(lineNo: r.1, drugCode: r.2, quantity: Quantity(r.3), lotNumber: r.4, lots: []))
            }
            if let lot = r.5, let expiry = r.6.flatMap(BusinessDate.init), let dispatched = r.7 {
                lines[lines.count - 1].lots.append(
                    StockTransferLot(
                        lotNumber: lot, expiry: expiry, dispatched: Quantity(dispatched), received: r.8.map(Quantity.init),
                        damaged: Quantity(r.9 ?? 0), discrepancyReason: r.10))
            }
            result[r.0] = lines
        }
        return result
    }

    /// A consortium's transfers, newest first; with `institutionID` those it sends or receives, with `status` only
    /// those in that state (`dispatched`: in transit).
    package func list(
        consortiumID: Int64, institutionID: Int64?, status: StockTransferStatus?, page: PageRequest
    ) async throws -> Page<StockTransfer> {
        let before = page.after.flatMap(Int64.init) ?? Int64.max
        return try await database.read { connection in
            let rows = try await connection.rows(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
                WHERE t.consortium_id = \(consortiumID) AND t.id < \(before)
                  AND (\(institutionID)::bigint IS NULL OR \(institutionID) IN (t.sender_institution_id, t.receiver_institution_id))
                  AND (\(status?.rawValue)::text IS NULL OR t.status = \(status?.rawValue))
                ORDER BY t.id DESC LIMIT \(page.limit + 1)
                """, as: TransferRow.self, logger: logger)
            let byTransfer = try await self.lines(
                transferIDs: rows.map(\.0), consortiumID: consortiumID, connection: connection)
            return Page(rows: try rows.map { try Self.transfer($0, lines: byTransfer[$0.0] ?? []) }, limit: page.limit) {
                String($0.id)
            }
        }
    }

    /// The sender's lots of these drugs at the location (nil: no location), with their standing blocks, locked
    /// until the transaction ends so the allocation and the movements see the same stock.
    package func lotsOnHand(
        drugCodes: [String], institutionID: Int64, locationID: Int64?, consortiumID: Int64, connection: StoreConnection
    ) async throws -> [(drugCode: String, lot: StockRules.LotOnHand)] {
        let rows = try await connection.rows(
            """
            SELECT h.drug_code, h.lot_number, h.expiry_date::text, h.quantity,
                   (SELECT b.kind FROM lot_blocks b
                    WHERE b.consortium_id = h.consortium_id AND b.drug_code = h.drug_code AND b.lot_key = h.lot_key
                      AND b.released_at IS NULL ORDER BY b.kind DESC LIMIT 1)
            FROM stock_on_hand h
            WHERE h.consortium_id = \(consortiumID) AND h.institution_id = \(institutionID)
              AND h.location_id IS NOT DISTINCT FROM \(locationID) AND h.drug_code = ANY(\(drugCodes)::text[])
              AND h.in_stock
            ORDER BY h.id
            FOR UPDATE OF h
            """, as: (String, String, String, Decimal, String?).self, logger: logger)
        return try rows.map { r in
            guard let expiry = BusinessDate(r.2) else { throw DomainError.unavailable("a lot's expiry date cannot be read") }
            return (
                r.0,
                StockRules.LotOnHand(
                    lot: StockLot(drugCode: r.0, lotNumber: r.1, expiry: expiry), quantity: Quantity(r.3),
                    block: try r.4.map { try decodeEnum($0) })
            )
        }
    }

    package struct DispatchedLot: Sendable {
        package var lineNo: Int
        package var allocation: StockRules.Allocation

        package init(lineNo: Int, allocation: StockRules.Allocation) {
            self.lineNo = lineNo
            self.allocation = allocation
        }
    }

    /// Records the lots dispatched, posts them out of the sender (102, one movement per lot) and marks the transfer
    /// dispatched. Returns false when it was no longer a draft (nothing written by this call then stays: the caller
    /// rolls back).
    package func dispatch(
        _ transfer: StockTransfer, lots: [DispatchedLot], on date: BusinessDate, tokenID: Int64?, connection: StoreConnection
    ) async throws -> Bool {
        guard
            try await connection.row(
                """
                UPDATE stock_transfers SET status = 'dispatched', dispatched_by = \(tokenID), dispatched_at = now()
                WHERE consortium_id = \(transfer.consortiumID) AND id = \(transfer.id) AND status = 'draft' RETURNING id
                """, as: Int64.self, logger: logger) != nil
        else { return false }
        try await connection.run(
            """
            INSERT INTO stock_transfer_lots (consortium_id, transfer_id, line_no, lot_number, expiry_date, dispatched_quantity)
            SELECT \(transfer.consortiumID), \(transfer.id), d.line_no, d.lot_number, d.expiry::date, d.quantity::numeric
            FROM unnest(\(lots.map(\.lineNo))::int[], \(lots.map(\.allocation.lot.lotNumber))::text[],
                        \(lots.map(\.allocation.lot.expiry.description))::text[],
                        \(lots.map(\.allocation.quantity.description))::text[]) AS d(line_no, lot_number, expiry, quantity)
            """, logger: logger)
        try await postMovements(
            transfer, reason: .transferOut, institutionID: transfer.senderInstitutionID,
            locationID: transfer.senderLocationID, quantity: "dispatched_quantity", on: date, tokenID: tokenID,
            connection: connection)
        return true
    }

    /// Records what arrived of each lot, posts what arrived in good order into the receiver (101, one movement per
    /// lot) and marks the transfer received. Returns false when it was no longer in transit.
    package func receive(
        _ transfer: StockTransfer, lots: [StockDocumentRules.ReceiptEntry], on date: BusinessDate, tokenID: Int64?,
        connection: StoreConnection
    ) async throws -> Bool {
        guard
            try await connection.row(
                """
                UPDATE stock_transfers SET status = 'received', received_by = \(tokenID), received_at = now()
                WHERE consortium_id = \(transfer.consortiumID) AND id = \(transfer.id) AND status = 'dispatched'
                RETURNING id
                """, as: Int64.self, logger: logger) != nil
        else { return false }
        try await connection.run(
            """
            UPDATE stock_transfer_lots t
            SET received_quantity = r.received::numeric, damaged_quantity = r.damaged::numeric,
                discrepancy_reason = NULLIF(btrim(r.reason), '')
            FROM unnest(\(lots.map(\.lineNo))::int[], \(lots.map(\.lotNumber))::text[],
                        \(lots.map(\.received.description))::text[], \(lots.map(\.damaged.description))::text[],
                        \(lots.map { $0.reason ?? "" })::text[]) AS r(line_no, lot_number, received, damaged, reason)
            WHERE t.consortium_id = \(transfer.consortiumID) AND t.transfer_id = \(transfer.id)
              AND t.line_no = r.line_no AND t.lot_key = lot_key(r.lot_number)
            """, logger: logger)
        try await postMovements(
            transfer, reason: .transferIn, institutionID: transfer.receiverInstitutionID,
            locationID: transfer.receiverLocationID, quantity: "received_quantity", on: date, tokenID: tokenID,
            connection: connection)
        return true
    }

    /// Cancels a draft; false when it was no longer one.
    package func cancel(_ transfer: StockTransfer, tokenID: Int64?, connection: StoreConnection) async throws -> Bool {
        try await connection.row(
            """
            UPDATE stock_transfers SET status = 'cancelled', cancelled_by = \(tokenID), cancelled_at = now()
            WHERE consortium_id = \(transfer.consortiumID) AND id = \(transfer.id) AND status = 'draft' RETURNING id
            """, as: Int64.self, logger: logger) != nil
    }

    /// Posts one movement per drug and lot of the transfer's lots, of the quantity in `column` (what was dispatched,
    /// or what was received in good order), at one member: set-based from the document's own rows.
    private func postMovements(
        _ transfer: StockTransfer, reason: StockMovementReason, institutionID: Int64, locationID: Int64?,
        quantity column: String, on date: BusinessDate, tokenID: Int64?, connection: StoreConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO stock_movements (consortium_id, institution_id, location_id, drug_code, lot_number, expiry_date,
                                         reason_code, direction, quantity, document_type, document_id, actor_token_id,
                                         business_date)
            SELECT \(transfer.consortiumID), \(institutionID), \(locationID), l.drug_code,
                   min(t.lot_number), t.expiry_date, \(reason.rawValue), \(reason.direction.rawValue),
                   sum(t.\(unescaped: column)), 'stock_transfer', \(transfer.id), \(tokenID), \(date.description)::date
            FROM stock_transfer_lots t
            JOIN stock_transfer_lines l ON l.consortium_id = t.consortium_id AND l.transfer_id = t.transfer_id
                                       AND l.line_no = t.line_no
            WHERE t.consortium_id = \(transfer.consortiumID) AND t.transfer_id = \(transfer.id)
            GROUP BY l.drug_code, t.lot_key, t.expiry_date
            HAVING sum(t.\(unescaped: column)) > 0
            ORDER BY l.drug_code, t.lot_key
            """, logger: logger)
    }
}

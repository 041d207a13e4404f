import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A proposed redistribution (调剂) as stored: from, to, how much, its lots FEFO, and its decision.
package struct ShortageProposal: Sendable, Equatable, Encodable {
    package enum Status: String, Sendable, Codable, CaseIterable {
        case proposed, accepted, rejected, superseded
    }

    package struct Lot: Sendable, Equatable, Encodable {
        package var lotNumber: String
        package var expiry: BusinessDate
        package var quantity: Quantity
    }

    package var id: Int64
    package var shortageID: Int64
    package var drugCode: String
    package var fromInstitutionID: Int64
    package var fromInstitutionCode: String
    package var toInstitutionID: Int64
    package var toInstitutionCode: String
    package var quantity: Quantity
    package var status: Status
    package var proposedOn: BusinessDate
    package var decidedBy: Int64?
    package var stockTransferID: Int64?
    package var actionID: Int64?
    package var rejectReason: String?
    package var lots: [Lot]
}

/// The SQL of redistribution proposals: a new set supersedes the record's open ones; one is read (and locked) to
/// be accepted with its transfer and action, or rejected with a reason.
package struct ShortageProposalStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// The ids of the members that have `drugCode` in their catalogue in effect on `date`.
    package func holdersOfDrug(drugCode: String, consortiumID: Int64, on date: BusinessDate, connection: StoreConnection)
        async throws -> Set<Int64>
    {
        Set(
            try await connection.rows(
                """
                SELECT DISTINCT institution_id FROM member_catalogue_in_effect(\(consortiumID), \(date.description)::date)
                WHERE drug_code = \(drugCode)
                """, as: Int64.self, logger: logger))
    }

    /// Marks the record's open proposals superseded (a new plan replaces them).
    package func supersede(shortageID: Int64, consortiumID: Int64, tokenID: Int64?, connection: StoreConnection)
        async throws
    {
        try await connection.run(
            """
            UPDATE shortage_proposals SET status = 'superseded', decided_by = \(tokenID), decided_at = now()
            WHERE consortium_id = \(consortiumID) AND shortage_id = \(shortageID) AND status = 'proposed'
            """, logger: logger)
    }

    /// Inserts a proposal and its lots; returns its id (nil when no row was written).
    package func insert(
        consortiumID: Int64, shortageID: Int64, drugCode: String, fromInstitutionID: Int64, toInstitutionID: Int64,
        quantity: Quantity, lots: [StockRules.Allocation], on date: BusinessDate, connection: StoreConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                """
                INSERT INTO shortage_proposals (consortium_id, shortage_id, drug_code, from_institution_id,
                                                to_institution_id, quantity, proposed_on)
                VALUES (\(consortiumID), \(shortageID), \(drugCode), \(fromInstitutionID), \(toInstitutionID),
                        \(quantity.value), \(date.description)::date)
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        for lot in lots {
            try await connection.run(
                """
                INSERT INTO shortage_proposal_lots (consortium_id, proposal_id, lot_number, expiry_date, quantity)
                VALUES (\(consortiumID), \(id), \(lot.lot.lotNumber), \(lot.lot.expiry.description)::date,
                        \(lot.quantity.value))
                """, logger: logger)
        }
        return id
    }

    /// The record's proposals in one state (or all), by id.
    package func proposals(
        shortageID: Int64, status: ShortageProposal.Status?, consortiumID: Int64, connection: StoreConnection
    ) async throws -> [ShortageProposal] {
        try await read(
            """
            WHERE p.consortium_id = \(consortiumID) AND p.shortage_id = \(shortageID)
              AND (\(status?.rawValue)::text IS NULL OR p.status = \(status?.rawValue))
            ORDER BY p.id
            """, consortiumID: consortiumID, connection: connection)
    }

    /// One proposal; `lock`: its row locked for the decision.
    package func proposal(id: Int64, consortiumID: Int64, lock: Bool = false, connection: StoreConnection) async throws
        -> ShortageProposal?
    {
        let filter: PostgresQuery =
            lock
            ? "WHERE p.consortium_id = \(consortiumID) AND p.id = \(id) FOR UPDATE OF p"
            : "WHERE p.consortium_id = \(consortiumID) AND p.id = \(id)"
        return try await read(filter, consortiumID: consortiumID, connection: connection).first
    }

    private func read(_ filter: PostgresQuery, consortiumID: Int64, connection: StoreConnection) async throws
        -> [ShortageProposal]
    {
        var query: PostgresQuery = """
            SELECT p.id, p.shortage_id, p.drug_code, p.from_institution_id, f.code, p.to_institution_id, t.code,
                   p.quantity, p.status, p.proposed_on::text, p.decided_by, p.stock_transfer_id, p.action_id,
                   p.reject_reason
            FROM shortage_proposals p
            JOIN institutions f ON f.consortium_id = p.consortium_id AND f.id = p.from_institution_id
            JOIN institutions t ON t.consortium_id = p.consortium_id AND t.id = p.to_institution_id

            """
        query.sql += filter.sql
        query.binds = filter.binds
        var found = try await connection.rows(
            query,
            as: (Int64, Int64, String, Int64, String, Int64, String, Decimal, String, String, Int64?, Int64?, Int64?, String?)
                .self, logger: logger
        ).map {
            ShortageProposal(
                id: $0.0, shortageID: $0.1, drugCode: $0.2, fromInstitutionID: $0.3, fromInstitutionCode: $0.4,
                toInstitutionID: $0.5, toInstitutionCode: $0.6, quantity: Quantity($0.7), status: try decodeEnum($0.8),
                proposedOn: try ShortageActionStore.day($0.9), decidedBy: $0.10, stockTransferID: $0.11, actionID: $0.12,
                rejectReason: $0.13, lots: [])
        }
        guard !found.isEmpty else { return [] }
        let lots = try await connection.rows(
            """
            SELECT proposal_id, lot_number, expiry_date::text, quantity FROM shortage_proposal_lots
            WHERE consortium_id = \(consortiumID) AND proposal_id = ANY(\(found.map(\.id))::bigint[])
            ORDER BY proposal_id, expiry_date, lot_key
            """, as: (Int64, String, String, Decimal).self, logger: logger)
        for i in found.indices {
            found[i].lots = try lots.filter { $0.0 == found[i].id }.map {
                ShortageProposal.Lot(lotNumber: $0.1, expiry: try ShortageActionStore.day($0.2), quantity: Quantity($0.3))
            }
        }
        return found
    }

    /// Accepts a proposal with its transfer and its action; false when it was no longer proposed.
    package func accept(
        id: Int64, transferID: Int64, actionID: Int64, tokenID: Int64?, consortiumID: Int64, connection: StoreConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            UPDATE shortage_proposals SET status = 'accepted', decided_by = \(tokenID), decided_at = now(),
                   stock_transfer_id = \(transferID), action_id = \(actionID)
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND status = 'proposed'
            RETURNING id
            """, as: Int64.self, logger: logger) != nil
    }

    /// Rejects a proposal with the reason; false when it was no longer proposed.
    package func reject(id: Int64, reason: String, tokenID: Int64?, consortiumID: Int64, connection: StoreConnection)
        async throws -> Bool
    {
        try await connection.row(
            """
            UPDATE shortage_proposals SET status = 'rejected', decided_by = \(tokenID), decided_at = now(),
                   reject_reason = \(reason)
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND status = 'proposed'
            RETURNING id
            """, as: Int64.self, logger: logger) != nil
    }
}

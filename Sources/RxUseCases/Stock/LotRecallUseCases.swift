import Foundation
import RxDomain
import RxStore

/// Where a lot is: every member and location holding it, in transit, where it was dispensed, and its standing blocks.
package struct LotWhereabouts: Sendable, Equatable, Encodable {
    package var drugCode: String
    package var lotNumber: String
    package var holdings: [LotHolding]
    package var inTransit: [LotInTransit]
    package var dispensings: [LotDispensing]
    package var blocks: [LotBlock]
}

/// A destruction (105) or a return to the supplier (109), as asked.
package struct DisposalRequest: Sendable, Equatable {
    package var kind: StockDisposalKind
    package var documentReference: String
    package var drugCode: String
    package var lotNumber: String
    package var quantity: Quantity
    package var locationCode: String?
    package var reason: String?

    package init(
        kind: StockDisposalKind, documentReference: String, drugCode: String, lotNumber: String, quantity: Quantity,
        locationCode: String? = nil, reason: String? = nil
    ) {
        self.kind = kind
        self.documentReference = documentReference
        self.drugCode = drugCode
        self.lotNumber = lotNumber
        self.quantity = quantity
        self.locationCode = locationCode
        self.reason = reason
    }
}

/// Recalls and blocks of lots (at every member at once), their release, where a lot is, and the disposal of
/// quarantined stock (destruction) or its return to the supplier, each with its audit row.
package struct LotRecallUseCases: Sendable {
    let database: Database
    let blocks: LotBlockStore
    let stock: StockStore
    let movements: StockMovementStore

    package init(database: Database) {
        self.database = database
        self.blocks = LotBlockStore(database: database)
        self.stock = StockStore(database: database)
        self.movements = StockMovementStore(database: database)
    }

    /// The consortium admin recalls a lot on the regulator's notice: blocked at every member at once (nothing
    /// issues it, `StockRules.issueability` and the ledger's trigger). Answers the block and where the lot is.
    package func recall(
        drugCode: String, lotNumber: String, noticeNumber: String?, reason: String, consortium: Consortium,
        by principal: Principal
    ) async throws -> (LotBlock, LotWhereabouts) {
        try principal.require(.recallLot(consortiumID: consortium.id))
        try StockRules.checkBlock(kind: .recall, noticeNumber: noticeNumber, reason: reason)
        guard !LotKey(lotNumber).isEmpty else { throw DomainError.invalid("lotNumber", "must not be blank") }
        return try await database.transaction { transaction in
            guard try await stock.drugFacts(code: drugCode, on: transaction) != nil else {
                throw DomainError.invalid("drugCode", "no drug \(drugCode)")
            }
            guard
                let id = try await blocks.insert(
                    consortiumID: consortium.id, drugCode: drugCode, lotNumber: lotNumber, kind: .recall,
                    noticeNumber: noticeNumber, herbInspectionID: nil, reason: reason, by: principal.tokenID, on: transaction)
            else { throw DomainError.conflict("lot \(lotNumber) of \(drugCode) is already recalled") }
            let block = try await blocks.block(id: id, consortiumID: consortium.id, on: transaction)
                .orNotFound("no lot block \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "recall",
                entityType: "lot_block", entityKey: String(id), before: LotBlock?.none, after: block)
            let whereabouts = try await find(
                drugCode: drugCode, lotNumber: lotNumber, consortiumID: consortium.id, on: transaction)
            return (block, whereabouts)
        }
    }

    /// Ends a standing block (a recall lifted, an inspection overturned): the consortium admin, with a reason.
    package func release(blockID: Int64, reason: String, consortium: Consortium, by principal: Principal) async throws
        -> LotBlock
    {
        try principal.require(.recallLot(consortiumID: consortium.id))
        return try await database.transaction { transaction in
            let before = try await blocks.block(id: blockID, consortiumID: consortium.id, lock: true, on: transaction)
                .orNotFound("no lot block \(blockID)")
            try DispensingRules.checkRelease(blockID: blockID, released: before.releasedAt != nil, reason: reason)
            try await blocks.release(
                id: blockID, consortiumID: consortium.id, reason: reason, by: principal.tokenID, on: transaction)
            let after = try await blocks.block(id: blockID, consortiumID: consortium.id, on: transaction)
                .orNotFound("no lot block \(blockID)")
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "release",
                entityType: "lot_block", entityKey: String(blockID), before: before, after: after)
            return after
        }
    }

    /// "Where is lot X": every member and location holding it, in transit, its dispensings, its standing blocks.
    package func whereabouts(drugCode: String, lotNumber: String, consortium: Consortium, by principal: Principal)
        async throws -> LotWhereabouts
    {
        try principal.require(
            .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.read { connection in
            try await find(drugCode: drugCode, lotNumber: lotNumber, consortiumID: consortium.id, on: connection)
        }
    }

    /// Where a traceability code has been in the consortium: its receipt and its dispensings (422 naming
    /// `traceabilityCode` when it is not 20 digits).
    package func codeHistory(_ text: String, consortium: Consortium, by principal: Principal) async throws
        -> (code: TraceabilityCode, events: [TraceabilityCodeEvent])
    {
        try principal.require(
            .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let code = try TraceabilityCode(parsing: text, field: "traceabilityCode")
        return (code, try await stock.codeHistory(code.value, consortiumID: consortium.id))
    }

    func find(drugCode: String, lotNumber: String, consortiumID: Int64, on connection: StoreConnection) async throws
        -> LotWhereabouts
    {
        let found = try await stock.whereabouts(
            consortiumID: consortiumID, drugCode: drugCode, lotNumber: lotNumber, on: connection)
        let standing = try await blocks.standing(
            consortiumID: consortiumID, drugCode: drugCode, lotNumber: lotNumber, on: connection)
        return LotWhereabouts(
            drugCode: drugCode, lotNumber: lotNumber, holdings: found.holdings, inTransit: found.inTransit,
            dispensings: found.dispensings, blocks: standing)
    }

    /// Destroys quarantined stock (105) or returns stock to the supplier (109) under a document: the lot locked,
    /// the domain's checks (`DispensingRules.checkDisposal`), the disposal, its movement and the audit row.
    package func dispose(
        _ request: DisposalRequest, institution: Institution, consortium: Consortium, today: BusinessDate,
        by principal: Principal
    ) async throws -> StockDisposal {
        try principal.require(
            .manageStock(
                consortiumID: consortium.id, institutionID: institution.id,
                leadInstitutionCode: consortium.leadInstitutionCode))
        guard !LotKey(request.lotNumber).isEmpty else { throw DomainError.invalid("lotNumber", "must not be blank") }
        return try await database.transaction { transaction in
            guard try await stock.drugFacts(code: request.drugCode, on: transaction) != nil else {
                throw DomainError.invalid("drugCode", "no drug \(request.drugCode)")
            }
            let locationID = try await DispensingUseCases(database: database).location(
                request.locationCode, institution: institution, on: transaction)
            let held = try await stock.lotForDisposal(
                consortiumID: consortium.id, institutionID: institution.id, locationID: locationID,
                drugCode: request.drugCode, lotNumber: request.lotNumber, on: transaction)
            let state =
                held.map {
                    StockRules.issueability(expiry: $0.lot.expiry, block: $0.block, on: today, minimumShelfLifeDays: 0)
                } ?? .issuable
            try DispensingRules.checkDisposal(
                kind: request.kind, documentReference: request.documentReference, quantity: request.quantity,
                held: held.map(\.quantity), state: state, lot: request.lotNumber)
            guard let held else { throw DomainError.invalid("lotNumber", "no stock of lot \(request.lotNumber) here") }
            guard
                let id = try await stock.insertDisposal(
                    consortiumID: consortium.id, institutionID: institution.id, locationID: locationID, kind: request.kind,
                    documentReference: request.documentReference, lot: held.lot, quantity: request.quantity,
                    reason: request.reason, businessDate: today, by: principal.tokenID, on: transaction)
            else { throw DomainError.conflict("the disposal was not recorded") }
            let movementIDs = try await movements.post(
                [
                    NewStockMovement(
                        institutionID: institution.id, locationID: locationID, lot: held.lot, reason: request.kind.reason,
                        quantity: request.quantity,
                        documentType: request.kind == .destruction ? .destruction : .supplierReturn, documentID: id,
                        businessDate: today)
                ], consortiumID: consortium.id, actorTokenID: principal.tokenID, on: transaction)
            let disposal = StockDisposal(
                id: id, institutionCode: institution.code, locationCode: request.locationCode, kind: request.kind,
                documentReference: request.documentReference, drugCode: request.drugCode, lotNumber: held.lot.lotNumber,
                expiry: held.lot.expiry, quantity: request.quantity, reason: request.reason, businessDate: today,
                movementID: movementIDs[0])
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: request.kind.rawValue,
                entityType: "stock_disposal", entityKey: String(id), before: StockDisposal?.none, after: disposal)
            return disposal
        }
    }
}

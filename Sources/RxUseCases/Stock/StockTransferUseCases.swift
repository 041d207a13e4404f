import Foundation
import RxDomain
import RxStore

/// A transfer as asked for: sender, receiver (and their locations), lines of drug and quantity, optionally a lot.
package struct StockTransferDraft: Sendable {
    package typealias Line = StockTransferStore.NewLine

    package var senderInstitutionCode: String
    package var senderLocationCode: String?
    package var receiverInstitutionCode: String
    package var receiverLocationCode: String?
    package var note: String?
    package var lines: [Line]

    package init(
        senderInstitutionCode: String, senderLocationCode: String?, receiverInstitutionCode: String,
        receiverLocationCode: String?, note: String?, lines: [Line]
    ) {
        self.senderInstitutionCode = senderInstitutionCode
        self.senderLocationCode = senderLocationCode
        self.receiverInstitutionCode = receiverInstitutionCode
        self.receiverLocationCode = receiverLocationCode
        self.note = note
        self.lines = lines
    }
}

/// Transfers of stock between members (调拨): create, dispatch (out of the sender, FEFO), receive (into the
/// receiver, discrepancies with their reasons), cancel before dispatch. Each step one transaction with its audit row.
package struct StockTransferUseCases: Sendable {
    let database: Database
    let transfers: StockTransferStore

    package init(database: Database) {
        self.database = database
        self.transfers = StockTransferStore(database: database)
    }

    /// The consortium's transfers: all of them for the supply centre, auditors and regulators; a member's pharmacist
    /// those its institution sends or receives. `status` `dispatched` is the in-transit list.
    package func list(
        consortium: Consortium, institutionCode: String?, status: StockTransferStatus?, page: PageRequest, by principal: Principal
    ) async throws -> Page<StockTransfer> {
        var institutionID: Int64?
        if let institutionCode {
            guard
                let party = try await database.read({ c in
                    try await transfers.institution(code: institutionCode, consortiumID: consortium.id, connection: c)
                })
            else { throw DomainError.invalid("institutionCode", "no institution \(institutionCode) in \(consortium.code)") }
            institutionID = party.id
        } else if !principal.may(
            .readStockDocuments(
                consortiumID: consortium.id, institutionID: nil, leadInstitutionCode: consortium.leadInstitutionCode))
        {
            // A member's pharmacist sees its own institution's transfers.
            institutionID = principal.institutionID
        }
        try principal.require(
            .readStockDocuments(
                consortiumID: consortium.id, institutionID: institutionID, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await transfers.list(consortiumID: consortium.id, institutionID: institutionID, status: status, page: page)
    }

    /// One transfer, seen by either party, the supply centre, auditors and regulators; 404 to anyone else.
    package func detail(id: Int64, consortium: Consortium, by principal: Principal) async throws -> StockTransfer {
        let transfer = try await database.read { c in
            try await transfers.transfer(id: id, consortiumID: consortium.id, connection: c)
        }
        guard let transfer, mayRead(transfer, consortium: consortium, principal) else {
            throw DomainError.notFound("no stock transfer \(id)")
        }
        return transfer
    }

    func mayRead(_ t: StockTransfer, consortium: Consortium, _ principal: Principal) -> Bool {
        [t.senderInstitutionID, t.receiverInstitutionID].contains {
            principal.may(
                .readStockDocuments(
                    consortiumID: consortium.id, institutionID: $0, leadInstitutionCode: consortium.leadInstitutionCode))
        }
    }

    /// A draft: the sender's pharmacist (or the supply centre); only drugs in the receiver's catalogue in effect.
    package func create(_ draft: StockTransferDraft, consortium: Consortium, today: BusinessDate, by principal: Principal)
        async throws -> StockTransfer
    {
        try await database.transaction { c in
            try await create(draft, consortium: consortium, today: today, by: principal, connection: c)
        }
    }

    /// The create path inside the caller's transaction, with its checks and its audit row (a shortage's accepted
    /// redistribution proposal creates its transfer through it, `ShortageActionUseCases.accept`).
    package func create(
        _ draft: StockTransferDraft, consortium: Consortium, today: BusinessDate, by principal: Principal,
        connection c: StoreConnection
    ) async throws -> StockTransfer {
        guard
            let sender = try await transfers.institution(
                code: draft.senderInstitutionCode, consortiumID: consortium.id, connection: c)
        else {
            throw DomainError.invalid(
                "senderInstitutionCode", "no institution \(draft.senderInstitutionCode) in \(consortium.code)")
        }
        try principal.require(
            .moveStockDocument(
                consortiumID: consortium.id, institutionID: sender.id, leadInstitutionCode: consortium.leadInstitutionCode))
        guard
            let receiver = try await transfers.institution(
                code: draft.receiverInstitutionCode, consortiumID: consortium.id, connection: c)
        else {
            throw DomainError.invalid(
                "receiverInstitutionCode", "no institution \(draft.receiverInstitutionCode) in \(consortium.code)")
        }
        let senderLocation = try await location(
            draft.senderLocationCode, of: sender, field: "senderLocationCode", consortiumID: consortium.id, connection: c)
        let receiverLocation = try await location(
            draft.receiverLocationCode, of: receiver, field: "receiverLocationCode", consortiumID: consortium.id,
            connection: c)
        let inCatalogue = try await transfers.inCatalogue(
            drugCodes: draft.lines.map(\.drugCode), institutionID: receiver.id, consortiumID: consortium.id, on: today,
            connection: c)
        try StockTransferRules.checkDraft(
            senderInstitutionID: sender.id, receiverInstitutionID: receiver.id, receiverCode: receiver.code,
            lines: draft.lines.map {
                .init(drugCode: $0.drugCode, quantity: $0.quantity, inReceiverCatalogue: inCatalogue.contains($0.drugCode))
            })
        guard
            let id = try await transfers.insert(
                consortiumID: consortium.id, sender: sender, senderLocationID: senderLocation, receiver: receiver,
                receiverLocationID: receiverLocation, note: draft.note,
                lines: draft.lines.map { .init(drugCode: $0.drugCode, quantity: $0.quantity, lotNumber: $0.lotNumber) },
                tokenID: principal.tokenID, connection: c)
        else { throw DomainError.conflict("the transfer was not recorded") }
        let created = try await transfers.transfer(id: id, consortiumID: consortium.id, connection: c)
            .orNotFound("no stock transfer \(id)")
        try await database.audit.record(
            on: c, consortiumID: consortium.id, actor: Actor(principal), action: "create", entityType: "stock_transfer",
            entityKey: String(id), before: StockTransfer?.none, after: created)
        return created
    }

    func location(_ code: String?, of party: StockParty, field: String, consortiumID: Int64, connection: StoreConnection)
        async throws -> Int64?
    {
        guard let code else { return nil }
        guard
            let id = try await transfers.locationID(
                code: code, institutionID: party.id, consortiumID: consortiumID, connection: connection)
        else { throw DomainError.invalid(field, "no location \(code) at \(party.code)") }
        return id
    }

    /// Out of the sender (the sender's pharmacist or the supply centre): each line from the lot it names or FEFO
    /// over the sender's lots, locked; expired, blocked and under-shelf-life lots never leave. The stock is then in
    /// transit: off the sender's shelf, not yet on the receiver's.
    package func dispatch(id: Int64, consortium: Consortium, today: BusinessDate, by principal: Principal) async throws
        -> StockTransfer
    {
        try await database.transaction { c in
            let before = try await begin(
                .dispatch, id: id, by: \.senderInstitutionID,
                refusal: "the transfer is dispatched by its sender's pharmacist or the supply centre", consortium: consortium,
                principal,
                connection: c)
            let minimumShelfLife = try await Settings(logger: database.logger).required(
                .stockMinimumShelfLifeForIssueDays, consortiumID: consortium.id, on: today, connection: c)
            let onHand = try await transfers.lotsOnHand(
                drugCodes: before.lines.map(\.drugCode), institutionID: before.senderInstitutionID,
                locationID: before.senderLocationID, consortiumID: consortium.id, connection: c)
            let allocations = try StockDocumentRules.allocateDispatch(
                before.lines.map { line in
                    .init(
                        drugCode: line.drugCode, quantity: line.quantity, lotNumber: line.lotNumber,
                        lots: onHand.filter { $0.drugCode == line.drugCode }.map { $0.lot })
                }, on: today, minimumShelfLifeDays: minimumShelfLife)
            let lots = zip(before.lines, allocations).flatMap { line, taken in
                taken.map { StockTransferStore.DispatchedLot(lineNo: line.lineNo, allocation: $0) }
            }
            guard try await transfers.dispatch(before, lots: lots, on: today, tokenID: principal.tokenID, connection: c) else {
                throw DomainError.conflict("stock transfer \(id) was moved by another request; reload it")
            }
            return try await audited("dispatch", before: before, consortium: consortium, principal, connection: c)
        }
    }

    /// Into the receiver (the receiver's pharmacist or the supply centre): per dispatched lot what arrived in good
    /// order, what arrived damaged, and the reason for any shortfall or damage (`StockTransferRules.discrepancies`).
    /// Only what arrived in good order is posted in (101). A lot not reported is taken as arrived in full.
    package func receive(
        id: Int64, _ receipt: [StockDocumentRules.ReceiptEntry], consortium: Consortium, today: BusinessDate,
        by principal: Principal
    ) async throws -> StockTransfer {
        try await database.transaction { c in
            let before = try await begin(
                .receive, id: id, by: \.receiverInstitutionID,
                refusal: "the transfer is received by its receiver's pharmacist or the supply centre", consortium: consortium,
                principal,
                connection: c)
            let lots = try StockDocumentRules.receive(
                before.lines.flatMap { line in
                    line.lots.map { .init(lineNo: line.lineNo, lotNumber: $0.lotNumber, dispatched: $0.dispatched) }
                }, entries: receipt)
            guard try await transfers.receive(before, lots: lots, on: today, tokenID: principal.tokenID, connection: c) else {
                throw DomainError.conflict("stock transfer \(id) was moved by another request; reload it")
            }
            return try await audited("receive", before: before, consortium: consortium, principal, connection: c)
        }
    }

    /// Cancels a draft (its sender's pharmacist or the supply centre); a dispatched transfer is not cancelled.
    package func cancel(id: Int64, consortium: Consortium, by principal: Principal) async throws -> StockTransfer {
        try await database.transaction { c in
            let before = try await begin(
                .cancel, id: id, by: \.senderInstitutionID,
                refusal: "the transfer is cancelled by its sender's pharmacist or the supply centre", consortium: consortium,
                principal,
                connection: c)
            guard try await transfers.cancel(before, tokenID: principal.tokenID, connection: c) else {
                throw DomainError.conflict("stock transfer \(id) was moved by another request; reload it")
            }
            return try await audited("cancel", before: before, consortium: consortium, principal, connection: c)
        }
    }

    /// Locks the transfer for a step: `principal` must move documents of the member `party` names (its sender or
    /// its receiver), and `action` must be a move from the transfer's status.
    func begin(
        _ action: StockTransferAction, id: Int64, by party: any KeyPath<StockTransfer, Int64> & Sendable, refusal: String,
        consortium: Consortium, _ principal: Principal, connection: StoreConnection
    ) async throws -> StockTransfer {
        let before = try await locked(id, consortium: consortium, principal, connection: connection)
        try principal.require(
            .moveStockDocument(
                consortiumID: consortium.id, institutionID: before[keyPath: party],
                leadInstitutionCode: consortium.leadInstitutionCode),
            refusal: refusal)
        _ = try StockTransferRules.next(before.status, action)
        return before
    }

    func locked(_ id: Int64, consortium: Consortium, _ principal: Principal, connection: StoreConnection) async throws
        -> StockTransfer
    {
        guard
            let transfer = try await transfers.transfer(id: id, consortiumID: consortium.id, connection: connection, lock: true),
            mayRead(transfer, consortium: consortium, principal)
        else { throw DomainError.notFound("no stock transfer \(id)") }
        return transfer
    }

    func audited(
        _ action: String, before: StockTransfer, consortium: Consortium, _ principal: Principal, connection: StoreConnection
    ) async throws -> StockTransfer {
        let after = try await transfers.transfer(id: before.id, consortiumID: consortium.id, connection: connection)
            .orNotFound("no stock transfer \(before.id)")
        try await database.audit.record(
            on: connection, consortiumID: consortium.id, actor: Actor(principal), action: action,
            entityType: "stock_transfer", entityKey: String(before.id), before: before, after: after)
        return after
    }
}

extension StockTransfer {
    /// In transit (在途): dispatched and not yet received; on neither member's shelf (`StockTransferRules.inTransit`).
    package var inTransit: Quantity {
        lines.flatMap(\.lots).reduce(Quantity.zero) {
            $0 + StockTransferRules.inTransit(status: status, dispatched: $1.dispatched)
        }
    }
}

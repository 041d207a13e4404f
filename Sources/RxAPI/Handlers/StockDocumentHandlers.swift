internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.StockTransfer {
    init(_ t: StockTransfer) throws {
        self.init(
            id: t.id, senderInstitutionCode: t.senderInstitutionCode, senderLocationCode: t.senderLocationCode,
            receiverInstitutionCode: t.receiverInstitutionCode, receiverLocationCode: t.receiverLocationCode,
            status: try convert(t.status), note: t.note, inTransitQuantity: t.inTransit.description, createdAt: t.createdAt,
            dispatchedAt: t.dispatchedAt, receivedAt: t.receivedAt, cancelledAt: t.cancelledAt,
            lines: t.lines.map { line in
                .init(
                    lineNo: line.lineNo, drugCode: line.drugCode, quantity: line.quantity.description,
                    lotNumber: line.lotNumber,
                    lots: line.lots.map { lot in
                        Components.Schemas.StockTransferLot(
                            lotNumber: lot.lotNumber, expiryDate: lot.expiry.description,
                            dispatchedQuantity: lot.dispatched.description, receivedQuantity: lot.received?.description,
                            damagedQuantity: lot.damaged.description,
                            shortfallQuantity: lot.received.map { (lot.dispatched - $0 - lot.damaged).description },
                            discrepancyReason: lot.discrepancyReason)
                    })
            })
    }
}

extension Components.Schemas.StockCount {
    init(_ c: StockCount) throws {
        self.init(
            id: c.id, institutionCode: c.institutionCode, locationCode: c.locationCode, status: try convert(c.status),
            countDate: c.countDate.description, approvedAt: c.approvedAt,
            lines: c.lines.map { line in
                .init(
                    drugCode: line.lot.drugCode, lotNumber: line.lot.lotNumber, expiryDate: line.lot.expiry.description,
                    expectedQuantity: line.expected.description, countedQuantity: line.counted?.description,
                    difference: line.counted.map { counted in
                        counted < line.expected
                            ? "-" + (line.expected - counted).description : (counted - line.expected).description
                    })
            })
    }
}

extension APIHandler {
    var stockTransfers: StockTransferUseCases { StockTransferUseCases(database: database) }
    var stockCounts: StockCountUseCases { StockCountUseCases(database: database) }

    /// The caller's own consortium, for the operations addressed by a document's id.
    func ownConsortium(_ principal: Principal, orNotFound what: String) async throws -> Consortium {
        guard let code = principal.consortiumCode else { throw DomainError.notFound(what) }
        return try await visibleConsortium(code, for: principal)
    }

    func listStockTransfers(_ input: Operations.ListStockTransfers.Input) async throws
        -> Operations.ListStockTransfers.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await stockTransfers.list(
            consortium: consortium, institutionCode: input.query.institutionCode, status: try convert(input.query.status),
            page: page, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(items: try result.items.map(Components.Schemas.StockTransfer.init), nextCursor: result.nextCursor))))
    }

    func createStockTransfer(_ input: Operations.CreateStockTransfer.Input) async throws
        -> Operations.CreateStockTransfer.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let lines = try body.lines.enumerated().map { i, line in
            StockTransferDraft.Line(
                drugCode: line.drugCode, quantity: try Quantity.parse(line.quantity, field: "lines[\(i)].quantity"),
                lotNumber: line.lotNumber)
        }
        let created = try await stockTransfers.create(
            StockTransferDraft(
                senderInstitutionCode: body.senderInstitutionCode, senderLocationCode: body.senderLocationCode,
                receiverInstitutionCode: body.receiverInstitutionCode, receiverLocationCode: body.receiverLocationCode,
                note: body.note, lines: lines),
            consortium: consortium, today: today, by: principal)
        return .created(.init(body: .json(try .init(created))))
    }

    func getStockTransfer(_ input: Operations.GetStockTransfer.Input) async throws -> Operations.GetStockTransfer.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock transfer \(input.path.id)")
        let transfer = try await stockTransfers.detail(id: input.path.id, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(transfer))))
    }

    func dispatchStockTransfer(_ input: Operations.DispatchStockTransfer.Input) async throws
        -> Operations.DispatchStockTransfer.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock transfer \(input.path.id)")
        let transfer = try await stockTransfers.dispatch(id: input.path.id, consortium: consortium, today: today, by: principal)
        return .ok(.init(body: .json(try .init(transfer))))
    }

    func receiveStockTransfer(_ input: Operations.ReceiveStockTransfer.Input) async throws
        -> Operations.ReceiveStockTransfer.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock transfer \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let receipt = try body.lines.enumerated().map { i, line in
            StockDocumentRules.ReceiptEntry(
                lineNo: line.lineNo, lotNumber: line.lotNumber,
                received: try Quantity.parse(line.receivedQuantity, field: "lines[\(i)].receivedQuantity", allowZero: true),
                damaged: try line.damagedQuantity.map {
                    try Quantity.parse($0, field: "lines[\(i)].damagedQuantity", allowZero: true)
                } ?? .zero,
                reason: line.reason)
        }
        let transfer = try await stockTransfers.receive(
            id: input.path.id, receipt, consortium: consortium, today: today, by: principal)
        return .ok(.init(body: .json(try .init(transfer))))
    }

    func cancelStockTransfer(_ input: Operations.CancelStockTransfer.Input) async throws
        -> Operations.CancelStockTransfer.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock transfer \(input.path.id)")
        let transfer = try await stockTransfers.cancel(id: input.path.id, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(transfer))))
    }

    func listStockCounts(_ input: Operations.ListStockCounts.Input) async throws -> Operations.ListStockCounts.Output {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let institution = try await visibleInstitution(input.path.code, for: principal)
        let consortium = try await visibleConsortium(institution.consortiumCode, for: principal)
        let result = try await stockCounts.list(institution: institution, consortium: consortium, page: page, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(items: try result.items.map(Components.Schemas.StockCount.init), nextCursor: result.nextCursor))))
    }

    func openStockCount(_ input: Operations.OpenStockCount.Input) async throws -> Operations.OpenStockCount.Output {
        let principal = try RequestPrincipal.require()
        let institution = try await visibleInstitution(input.path.code, for: principal)
        let consortium = try await visibleConsortium(institution.consortiumCode, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let count = try await stockCounts.open(
            institution: institution, locationCode: body.locationCode, consortium: consortium, today: today, by: principal)
        return .created(.init(body: .json(try .init(count))))
    }

    func getStockCount(_ input: Operations.GetStockCount.Input) async throws -> Operations.GetStockCount.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock count \(input.path.id)")
        let count = try await stockCounts.detail(id: input.path.id, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(count))))
    }

    func enterStockCounts(_ input: Operations.EnterStockCounts.Input) async throws -> Operations.EnterStockCounts.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock count \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let entries = try body.lines.enumerated().map { i, line in
            StockDocumentRules.CountEntry(
                drugCode: line.drugCode, lotNumber: line.lotNumber,
                counted: try Quantity.parse(line.countedQuantity, field: "lines[\(i)].countedQuantity", allowZero: true))
        }
        let count = try await stockCounts.enter(id: input.path.id, entries, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(count))))
    }

    func approveStockCount(_ input: Operations.ApproveStockCount.Input) async throws -> Operations.ApproveStockCount.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock count \(input.path.id)")
        let count = try await stockCounts.approve(id: input.path.id, consortium: consortium, today: today, by: principal)
        return .ok(.init(body: .json(try .init(count))))
    }

    func cancelStockCount(_ input: Operations.CancelStockCount.Input) async throws -> Operations.CancelStockCount.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no stock count \(input.path.id)")
        let count = try await stockCounts.cancel(id: input.path.id, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(count))))
    }
}

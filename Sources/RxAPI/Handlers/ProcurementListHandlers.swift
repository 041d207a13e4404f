internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.DeliveredLot {
    init(_ l: DeliveredLot) {
        self.init(
            deliveryId: l.deliveryID, lineNo: l.lineNo, drugCode: l.drugCode, lotNumber: l.lotNumber,
            expiryDate: l.expiryDate.description, quantity: quantityText(l.quantity), receivedOn: l.receivedOn.description,
            exceptionReason: l.exceptionReason)
    }
}

extension Components.Schemas.DistributorContract {
    init(_ c: DistributorContract) {
        self.init(
            drugCode: c.drugCode, drugName: c.drugName, distributorCode: c.distributorCode,
            distributorName: c.distributorName, contractedAt: c.contractedAt)
    }
}

extension Components.Schemas.ConsolidatedOrderSummary {
    init(_ c: ConsolidatedOrderSummary) {
        self.init(
            id: c.id, distributorCode: c.distributorCode, distributorName: c.distributorName, createdAt: c.createdAt,
            members: c.members, orders: c.orders, lines: c.lines, amount: c.amount.formatted(places: 2))
    }
}

/// The supply centre's lists (issue 19.12): every member's orders, the lots received on one, the distributor
/// contracts and the consolidated orders.
extension APIHandler {
    func listConsortiumOrders(_ input: Operations.ListConsortiumOrders.Input) async throws
        -> Operations.ListConsortiumOrders.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await orders.list(
            consortium: consortium, institutionCode: input.query.institutionCode, status: try convert(input.query.status),
            by: principal, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(items: try result.items.map(Components.Schemas.PurchaseOrder.init), nextCursor: result.nextCursor))))
    }

    func listOrderLots(_ input: Operations.ListOrderLots.Input) async throws -> Operations.ListOrderLots.Output {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await orders.lots(
            orderID: input.path.id, lineNo: input.query.lineNo, lotNumber: input.query.lotNumber, consortium: consortium,
            by: principal, page: page)
        return .ok(
            .init(
                body: .json(.init(items: result.items.map(Components.Schemas.DeliveredLot.init), nextCursor: result.nextCursor))))
    }

    func listDistributorContracts(_ input: Operations.ListDistributorContracts.Input) async throws
        -> Operations.ListDistributorContracts.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await supplyCentre.contracts(
            consortium: consortium, distributorCode: input.query.distributorCode, drugCode: input.query.drugCode, by: principal,
            page: page)
        return .ok(
            .init(
                body: .json(
                    .init(items: result.items.map(Components.Schemas.DistributorContract.init), nextCursor: result.nextCursor))))
    }

    func listConsolidatedOrders(_ input: Operations.ListConsolidatedOrders.Input) async throws
        -> Operations.ListConsolidatedOrders.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await supplyCentre.consolidatedOrders(
            consortium: consortium, distributorCode: input.query.distributorCode, by: principal, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: result.items.map(Components.Schemas.ConsolidatedOrderSummary.init), nextCursor: result.nextCursor))
            ))
    }
}

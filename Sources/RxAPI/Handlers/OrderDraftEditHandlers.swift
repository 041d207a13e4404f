import RxDomain
import RxStore
import RxUseCases

/// Corrections of a draft order's lines, each with its reason (issue 18, point 13).
extension APIHandler {
    func addOrderLine(_ input: Operations.AddOrderLine.Input) async throws -> Operations.AddOrderLine.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let order = try await orders.edit(
            orderID: input.path.id, .add(drugCode: body.drugCode, quantity: try quantity(body.quantity, field: "quantity")),
            reason: body.reason, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(order))))
    }

    func changeOrderLine(_ input: Operations.ChangeOrderLine.Input) async throws -> Operations.ChangeOrderLine.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let order = try await orders.edit(
            orderID: input.path.id,
            .changeQuantity(lineNo: input.path.lineNo, quantity: try quantity(body.quantity, field: "quantity")),
            reason: body.reason, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(order))))
    }

    func removeOrderLine(_ input: Operations.RemoveOrderLine.Input) async throws -> Operations.RemoveOrderLine.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let order = try await orders.edit(
            orderID: input.path.id, .remove(lineNo: input.path.lineNo), reason: input.query.reason,
            consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(order))))
    }
}

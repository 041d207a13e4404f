internal import Foundation
import NIOCore
import RxDomain
import RxStore
import RxUseCases

/// A quantity as the contract writes it: a positive decimal string with at most three decimals.
func quantity(_ text: String, field: String) throws -> Decimal {
    guard let value = Money(text, maxDecimals: 3)?.amount, value > 0 else {
        throw DomainError.invalid(field, "'\(text)' is not a positive quantity with at most three decimals")
    }
    return value
}

/// A quantity as the contract writes it: `Decimal`'s own text ("12.5", "100"), by `DecimalText.plain`, which writes
/// it faster.
func quantityText(_ value: Decimal) -> String { DecimalText.plain(value) }

extension Components.Schemas.PurchaseOrder {
    init(_ o: PurchaseOrder) throws {
        self.init(
            id: o.id, institutionCode: o.institutionCode, status: try convert(o.status), orderDate: o.orderDate.description,
            lines: try o.lines.map {
                .init(
                    lineNo: $0.lineNo, drugCode: $0.drugCode, quantity: quantityText($0.quantity),
                    quantityUnit: try convert($0.quantityUnit), unitPrice: $0.unitPrice.description,
                    consolidatedOrderId: $0.consolidatedOrderID, receivedQuantity: quantityText($0.receivedQuantity))
            }, emergencyShortageId: o.emergencyShortageID, emergencySupplierCode: o.emergencySupplierCode)
    }
}

extension Components.Schemas.ConsolidatedOrder {
    init(_ c: ConsolidatedOrder) throws {
        self.init(
            id: c.id, distributorCode: c.distributorCode,
            lines: try c.lines.map {
                .init(
                    institutionCode: $0.institutionCode, orderId: $0.orderID, lineNo: $0.lineNo, drugCode: $0.drugCode,
                    quantity: quantityText($0.quantity), quantityUnit: try convert($0.quantityUnit),
                    unitPrice: $0.unitPrice.description)
            })
    }
}

extension Components.Schemas.Payable {
    init(_ p: Payable) throws {
        self.init(
            invoiceId: p.invoiceID, invoiceNumber: p.invoiceNumber, distributorCode: p.distributorCode,
            institutionCode: p.institutionCode, amount: p.amount.formatted(places: 2), acceptedOn: p.acceptedOn.description,
            dueOn: p.dueOn.description, status: try convert(p.status), paid: p.paid.formatted(places: 2),
            remaining: p.remaining.formatted(places: 2), paidOn: p.paidOn?.description)
    }
}

extension Components.Schemas.Invoice {
    init(_ invoice: RecordedInvoice) throws {
        self.init(
            id: invoice.id, distributorCode: invoice.distributorCode, invoiceNumber: invoice.invoiceNumber,
            institutionCode: invoice.institutionCode, matched: invoice.matched, review: try convert(invoice.review),
            reviewNote: invoice.reviewNote,
            lines: try invoice.lines.map {
                .init(
                    lineNo: $0.lineNo, orderId: $0.orderID, orderLineNo: $0.orderLineNo, lotNumber: $0.lotNumber,
                    quantity: quantityText($0.quantity), unitPrice: $0.unitPrice.description,
                    amount: $0.amount.formatted(places: 2),
                    discrepancies: try $0.discrepancies.map { try convert($0) })
            })
    }
}

extension APIHandler {
    var orders: OrderUseCases { OrderUseCases(database: database) }
    var supplyCentre: SupplyCentreUseCases { SupplyCentreUseCases(database: database) }

    func listOrders(_ input: Operations.ListOrders.Input) async throws -> Operations.ListOrders.Output {
        .ok(
            .init(
                body: .json(
                    try await memberOrders(
                        code: input.path.code, status: try convert(input.query.status), limit: input.query.limit,
                        cursor: input.query.cursor))))
    }

    /// A page of a member's orders, for the generated route.
    func memberOrders(code: String, status: OrderStatus?, limit: Int?, cursor: String?) async throws
        -> Operations.ListOrders.Output.Ok.Body.JsonPayload
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(limit, cursor)
        let (institution, consortium) = try await memberScope(code, for: principal)
        return try .init(
            try await orders.list(institution: institution, consortium: consortium, status: status, by: principal, page: page))
    }

    /// A page of a member's orders in every state as compact JSON (`DirectGetRoute.memberOrders`), kept at the
    /// member's orders' stamp (`keptOrderPages`) and shared by the same page's reads under load (`orderPages`).
    func memberOrdersJSON(code: String, limit: Int?, cursor: String?) async throws -> ByteBuffer {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(limit, cursor)
        return try await orders.memberPage(
            code: code, by: principal, page: page,
            visible: {
                let institution = try visible($0, code: code, for: principal)
                return (institution, try visible($1, code: institution.consortiumCode, for: principal))
            }, kept: keptOrderPages, sharing: orderPages
        ) { try Operations.ListOrders.Output.Ok.Body.JsonPayload($0).json }
    }

    func createOrder(_ input: Operations.CreateOrder.Input) async throws -> Operations.CreateOrder.Output {
        let principal = try RequestPrincipal.require()
        let institution = try await visibleInstitution(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let lines = try body.lines.enumerated().map { i, line in
            OrderLineRequest(drugCode: line.drugCode, quantity: try quantity(line.quantity, field: "lines[\(i)].quantity"))
        }
        let (order, _) = try await orders.create(
            institution: institution, lines: lines, idempotencyKey: input.headers.idempotencyKey, today: today, by: principal)
        return .created(.init(body: .json(try .init(order))))
    }

    func getOrder(_ input: Operations.GetOrder.Input) async throws -> Operations.GetOrder.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        return .ok(
            .init(body: .json(try .init(try await orders.order(id: input.path.id, consortium: consortium, by: principal)))))
    }

    func moveOrder(_ input: Operations.MoveOrder.Input) async throws -> Operations.MoveOrder.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let moved = try await orders.move(
            id: input.path.id, action: try convert(input.path.action), consortium: consortium, today: today,
            by: principal)
        return .ok(.init(body: .json(try .init(moved))))
    }

    func recordDelivery(_ input: Operations.RecordDelivery.Input) async throws -> Operations.RecordDelivery.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let expiry = try BusinessDate.parse(body.expiryDate, field: "expiryDate") else {
            throw DomainError.invalid("expiryDate", "is required")
        }
        let order = try await orders.receive(
            orderID: input.path.id,
            .init(
                lineNo: body.lineNo, lotNumber: body.lotNumber, expiryDate: expiry,
                quantity: try quantity(body.quantity, field: "quantity"),
                receivedOn: try BusinessDate.parse(body.receivedOn, field: "receivedOn") ?? today,
                exceptionReason: body.exceptionReason, traceabilityCodes: body.traceabilityCodes ?? []),
            consortium: consortium, by: principal)
        return .created(.init(body: .json(try .init(order))))
    }

    func contractDistributor(_ input: Operations.ContractDistributor.Input) async throws -> Operations.ContractDistributor.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        try await supplyCentre.contract(
            drugCode: input.path.drugCode, distributorCode: body.distributorCode, consortium: consortium, by: principal)
        return .ok(.init(body: .json(.init(drugCode: input.path.drugCode, distributorCode: body.distributorCode))))
    }

    func consolidateOrders(_ input: Operations.ConsolidateOrders.Input) async throws -> Operations.ConsolidateOrders.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await supplyCentre.consolidate(consortium: consortium, by: principal)
        return .ok(.init(body: .json(.init(items: try result.map(Components.Schemas.ConsolidatedOrder.init)))))
    }

    func getConsolidatedOrder(_ input: Operations.GetConsolidatedOrder.Input) async throws
        -> Operations.GetConsolidatedOrder.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        return .ok(
            .init(
                body: .json(
                    try .init(try await supplyCentre.consolidatedOrder(id: input.path.id, consortium: consortium, by: principal)))
            ))
    }

    func recordInvoice(_ input: Operations.RecordInvoice.Input) async throws -> Operations.RecordInvoice.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let date = try BusinessDate.parse(body.invoiceDate, field: "invoiceDate") else {
            throw DomainError.invalid("invoiceDate", "is required")
        }
        let request = InvoiceRequest(
            distributorCode: body.distributorCode, invoiceNumber: body.invoiceNumber, invoiceDate: date,
            institutionCode: body.institutionCode, upstreamSupplierCode: body.upstreamSupplierCode,
            upstreamInvoiceNumber: body.upstreamInvoiceNumber,
            lines: try body.lines.enumerated().map { i, l in
                .init(
                    orderID: l.orderId, orderLineNo: l.orderLineNo, lotNumber: l.lotNumber,
                    quantity: try quantity(l.quantity, field: "lines[\(i)].quantity"),
                    unitPrice: try Money.parse(l.unitPrice, field: "lines[\(i)].unitPrice"),
                    amount: try Money.parse(l.amount, field: "lines[\(i)].amount"))
            })
        let invoice = try await supplyCentre.recordInvoice(request, consortium: consortium, by: principal)
        return .created(.init(body: .json(try .init(invoice))))
    }

    func reviewInvoice(_ input: Operations.ReviewInvoice.Input) async throws -> Operations.ReviewInvoice.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        if body.classification != nil { throw DomainError.invalid("classification", "an invoice is reviewed as a whole") }
        let invoice = try await supplyCentre.review(
            invoiceID: input.path.id, as: try convert(body.status), note: body.note, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(invoice))))
    }

    func payInvoice(_ input: Operations.PayInvoice.Input) async throws -> Operations.PayInvoice.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let paidOn = try BusinessDate.parse(body.paidOn, field: "paidOn") else {
            throw DomainError.invalid("paidOn", "is required")
        }
        try await supplyCentre.pay(
            invoiceID: input.path.id, paidOn: paidOn, amount: try Money.parse(body.amount, field: "amount"),
            reference: body.reference, consortium: consortium, by: principal)
        guard
            let payable = try await supplyCentre.payables(
                consortium: consortium, status: nil, today: today, invoiceID: input.path.id, by: principal
            ).first
        else { throw DomainError.notFound("no payable invoice \(input.path.id)") }
        return .created(.init(body: .json(try .init(payable))))
    }

    func listPayables(_ input: Operations.ListPayables.Input) async throws -> Operations.ListPayables.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let page = try await supplyCentre.payables(
            consortium: consortium, status: try convert(input.query.status), institutionCode: input.query.institutionCode,
            today: today, page: try PageRequest(input.query.limit, input.query.cursor), by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(items: try page.items.map(Components.Schemas.Payable.init), nextCursor: page.nextCursor))))
    }

    func getSpendReport(_ input: Operations.GetSpendReport.Input) async throws -> Operations.GetSpendReport.Output {
        .ok(.init(body: .json(try await spendReport(code: input.path.code, from: input.query.from, to: input.query.to))))
    }

    /// Spend per member, drug and month, for the generated route and `DirectGetRoute.spendReport`.
    func spendReport(code: String, from: String?, to: String?) async throws -> Components.Schemas.SpendReport {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(code, for: principal)
        guard let from = try BusinessDate.parse(from, field: "from"), let to = try BusinessDate.parse(to, field: "to") else {
            throw DomainError.badRequest("from and to are required")
        }
        let report = try await supplyCentre.spend(consortium: consortium, from: from, to: to, by: principal)
        let share = report.share
        return .init(
            from: from.description, to: to.description, total: report.total.formatted,
            essentialShare: share(report.essential), insuredShare: share(report.insured), tcmShare: share(report.tcm),
            rows: report.rows.map {
                .init(
                    institutionCode: $0.institutionCode, drugCode: $0.drugCode, month: $0.month,
                    amount: $0.amount.formatted)
            })
    }
}

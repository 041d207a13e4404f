internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.StockLine {
    init(_ l: StockLine) throws {
        let h = l.holding
        self.init(
            institutionCode: h.institutionCode, locationCode: h.locationCode, drugCode: h.drugCode,
            genericName: h.genericName, unit: h.unit, lotNumber: h.lotNumber, expiryDate: h.expiry.description,
            quantity: h.quantity.description, expiryClass: try convert(l.expiryClass),
            issueability: try convert(IssueabilityName(rawValue: l.issueability) ?? .issuable), block: try convert(h.block))
    }
}

/// The contract's names of `LotIssueability`.
enum IssueabilityName: String {
    case issuable, expired, blocked
    case shortShelfLife = "short_shelf_life"
}

extension Components.Schemas.LotBlock {
    init(_ b: LotBlock) throws {
        self.init(
            id: b.id, drugCode: b.drugCode, lotNumber: b.lotNumber, kind: try convert(b.kind), noticeNumber: b.noticeNumber,
            herbInspectionId: b.herbInspectionID, reason: b.reason, blockedAt: b.blockedAt, releasedAt: b.releasedAt,
            releaseReason: b.releaseReason)
    }
}

extension Components.Schemas.LotWhereabouts {
    init(_ w: LotWhereabouts) throws {
        self.init(
            drugCode: w.drugCode, lotNumber: w.lotNumber,
            holdings: w.holdings.map {
                .init(
                    institutionCode: $0.institutionCode, locationCode: $0.locationCode, expiryDate: $0.expiry.description,
                    quantity: $0.quantity.description)
            },
            inTransit: w.inTransit.map {
                .init(
                    transferId: $0.transferID, senderInstitutionCode: $0.senderInstitutionCode,
                    receiverInstitutionCode: $0.receiverInstitutionCode, quantity: $0.quantity.description)
            },
            dispensings: w.dispensings.map {
                .init(
                    dispensingId: $0.dispensingID, institutionCode: $0.institutionCode,
                    businessDate: $0.businessDate.description, quantity: $0.quantity.description, patientRef: $0.patientRef,
                    ward: $0.ward)
            },
            blocks: try w.blocks.map(Components.Schemas.LotBlock.init))
    }
}

extension Components.Schemas.Dispensing {
    init(_ o: DispensingOutcome) throws {
        let d = o.dispensing
        self.init(
            id: d.id, institutionCode: d.institutionCode, locationCode: d.locationCode, drugCode: d.drugCode,
            quantity: d.quantity.description, patientRef: d.patientRef, ward: d.ward, requestedLot: d.requestedLot,
            businessDate: d.businessDate.description,
            lots: d.lines.map {
                .init(
                    movementId: $0.movementID, lotNumber: $0.lotNumber, expiryDate: $0.expiry.description,
                    quantity: $0.quantity.description)
            },
            traceabilityCodes: d.traceabilityCodes.map { .init(code: $0.code, reflow: $0.reflow) },
            traceabilityExemption: try convert(o.exemption), replayed: o.replayed)
    }
}

extension Components.Schemas.StockDisposal {
    init(_ d: StockDisposal) throws {
        self.init(
            id: d.id, institutionCode: d.institutionCode, locationCode: d.locationCode, kind: try convert(d.kind),
            documentReference: d.documentReference, drugCode: d.drugCode, lotNumber: d.lotNumber,
            expiryDate: d.expiry.description, quantity: d.quantity.description, reason: d.reason,
            businessDate: d.businessDate.description, movementId: d.movementID)
    }
}

extension Components.Schemas.DaysOfStock {
    init(_ p: DaysOfStock, genericName: String? = nil, unit: String? = nil) {
        self.init(
            institutionCode: p.institutionCode, drugCode: p.drugCode, genericName: genericName, unit: unit,
            onHand: p.onHand.description, issuable: p.issuable.description, consumed: signed(p.consumed),
            averageDailyConsumption: signed(Quantity(p.averageDailyConsumption)),
            daysOfStock: p.days.map(DecimalText.plain))
    }

    init(_ l: DaysOfStockLine) { self.init(l.position, genericName: l.genericName, unit: l.unit) }
}

extension Components.Schemas.ConsumptionWindow {
    init(_ w: ConsumptionWindow) { self.init(from: w.from.description, to: w.to.description, days: w.days) }
}

/// A signed quantity as the contract writes it ("-2.5").
func signed(_ q: Quantity) -> String {
    q.value < 0 ? "-" + Quantity(-q.value).description : q.description
}

extension APIHandler {
    var stock: StockUseCases { StockUseCases(database: database) }
    var dispensings: DispensingUseCases { DispensingUseCases(database: database) }
    var lotRecalls: LotRecallUseCases { LotRecallUseCases(database: database) }

    func listInstitutionStock(_ input: Operations.ListInstitutionStock.Input) async throws
        -> Operations.ListInstitutionStock.Output
    {
        let query = input.query
        if query.drugCode == nil, query.lot == nil, query.locationCode == nil, query.expiry == nil, query.blocked == nil {
            return .ok(.init(body: .json(try await memberStock(code: input.path.code, limit: query.limit, cursor: query.cursor))))
        }
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let (institution, consortium) = try await memberScope(input.path.code, for: principal)
        let today = self.today
        let result = try await stock.onHand(
            institution: institution, consortium: consortium, drugCode: input.query.drugCode, lotNumber: input.query.lot,
            locationCode: input.query.locationCode, expiry: try convert(input.query.expiry), blocked: input.query.blocked,
            today: today, page: page, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        asOf: today.description, items: try result.items.map(Components.Schemas.StockLine.init),
                        nextCursor: result.nextCursor))))
    }

    /// A page of a member's stock with no filter (`StockUseCases.memberPage`), for the generated route and
    /// `DirectGetRoute.memberStock`.
    func memberStock(code: String, limit: Int?, cursor: String?) async throws
        -> Operations.ListInstitutionStock.Output.Ok.Body.JsonPayload
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(limit, cursor)
        let today = self.today
        let result = try await stock.memberPage(code: code, today: today, page: page, by: principal) {
            let institution = try visible($0, code: code, for: principal)
            return (institution, try visible($1, code: institution.consortiumCode, for: principal))
        }
        return .init(
            asOf: today.description, items: try result.items.map(Components.Schemas.StockLine.init),
            nextCursor: result.nextCursor)
    }

    func getStockCard(_ input: Operations.GetStockCard.Input) async throws -> Operations.GetStockCard.Output {
        let principal = try RequestPrincipal.require()
        let (institution, consortium) = try await memberScope(input.path.code, for: principal)
        let card = try await stock.card(
            institution: institution, consortium: consortium, drugCode: input.query.drugCode, lotNumber: input.query.lot,
            locationCode: input.query.locationCode, from: try day(input.query.from, field: "from"),
            to: try day(input.query.to, field: "to"), by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        institutionCode: card.institutionCode, drugCode: card.drugCode, lotNumber: card.lotNumber,
                        from: card.from.description, to: card.to.description, opening: signed(card.opening),
                        closing: signed(card.closing),
                        lines: card.lines.map {
                            .init(
                                movementId: $0.movementID, businessDate: $0.businessDate.description,
                                reasonCode: $0.reasonCode, reasonName: $0.reasonName, locationCode: $0.locationCode,
                                quantity: signed($0.quantity), documentType: $0.documentType, documentId: $0.documentID)
                        }))))
    }

    func createDispensing(_ input: Operations.CreateDispensing.Input) async throws -> Operations.CreateDispensing.Output {
        let principal = try RequestPrincipal.require()
        let institution = try await visibleInstitution(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let outcome = try await dispensings.dispense(
            DispensingRequest(
                drugCode: body.drugCode, quantity: try Quantity.parse(body.quantity, field: "quantity"),
                lotNumber: body.lotNumber, locationCode: body.locationCode, patientRef: body.patientRef, ward: body.ward,
                traceabilityCodes: body.traceabilityCodes ?? [], splitPackage: body.splitPackage ?? false),
            institution: institution, idempotencyKey: input.headers.idempotencyKey, today: today, by: principal)
        return .created(.init(body: .json(try .init(outcome))))
    }

    func createStockDisposal(_ input: Operations.CreateStockDisposal.Input) async throws
        -> Operations.CreateStockDisposal.Output
    {
        let principal = try RequestPrincipal.require()
        let (institution, consortium) = try await memberScope(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let disposal = try await lotRecalls.dispose(
            DisposalRequest(
                kind: try convert(body.kind), documentReference: body.documentReference, drugCode: body.drugCode,
                lotNumber: body.lotNumber, quantity: try Quantity.parse(body.quantity, field: "quantity"),
                locationCode: body.locationCode, reason: body.reason),
            institution: institution, consortium: consortium, today: today, by: principal)
        return .created(.init(body: .json(try .init(disposal))))
    }

    func getDrugStockAcrossConsortium(_ input: Operations.GetDrugStockAcrossConsortium.Input) async throws
        -> Operations.GetDrugStockAcrossConsortium.Output
    {
        .ok(.init(body: .json(try await drugStock(consortiumCode: input.path.code, drugCode: input.path.drugCode))))
    }

    /// A drug's stock at every member, with each member's total (`StockUseCases.acrossConsortium`), for the
    /// generated route and `DirectGetRoute.drugStock`.
    func drugStock(consortiumCode code: String, drugCode: String) async throws -> Components.Schemas.DrugStock {
        let principal = try RequestPrincipal.require()
        let today = self.today
        let lines = try await stock.acrossConsortium(drugCode: drugCode, consortiumCode: code, today: today, by: principal) {
            try visible($0, code: code, for: principal)
        }
        var totals: [(String, Quantity)] = []
        for line in lines {
            if let last = totals.last, last.0 == line.holding.institutionCode {
                totals[totals.count - 1].1 = last.1 + line.holding.quantity
            } else {
                totals.append((line.holding.institutionCode, line.holding.quantity))
            }
        }
        let total = lines.reduce(Quantity.zero) { $0 + $1.holding.quantity }
        return .init(
            drugCode: drugCode, asOf: today.description, total: total.description,
            members: totals.map { .init(institutionCode: $0.0, quantity: $0.1.description) },
            lots: try lines.map(Components.Schemas.StockLine.init))
    }

    func listInstitutionDaysOfStock(_ input: Operations.ListInstitutionDaysOfStock.Input) async throws
        -> Operations.ListInstitutionDaysOfStock.Output
    {
        let principal = try RequestPrincipal.require()
        let (institution, consortium) = try await memberScope(input.path.code, for: principal)
        let today = self.today
        let (window, lines) = try await stock.daysOfStock(
            institution: institution, consortium: consortium, drugCode: input.query.drugCode, today: today,
            by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        asOf: today.description, window: .init(window),
                        items: lines.map(Components.Schemas.DaysOfStock.init)))))
    }

    func getDrugDaysOfStock(_ input: Operations.GetDrugDaysOfStock.Input) async throws
        -> Operations.GetDrugDaysOfStock.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let today = self.today
        let found = try await stock.drugDaysOfStock(
            drugCode: input.path.drugCode, consortium: consortium, today: today, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        drugCode: input.path.drugCode, asOf: today.description, window: .init(found.window),
                        consortium: .init(found.consortium),
                        members: found.members.map(Components.Schemas.DaysOfStock.init)))))
    }

    func createLotRecall(_ input: Operations.CreateLotRecall.Input) async throws -> Operations.CreateLotRecall.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let (block, whereabouts) = try await lotRecalls.recall(
            drugCode: body.drugCode, lotNumber: body.lotNumber, noticeNumber: body.noticeNumber, reason: body.reason,
            consortium: consortium, by: principal)
        return .created(.init(body: .json(.init(block: try .init(block), whereabouts: try .init(whereabouts)))))
    }

    func releaseLotBlock(_ input: Operations.ReleaseLotBlock.Input) async throws -> Operations.ReleaseLotBlock.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let block = try await lotRecalls.release(
            blockID: input.path.id, reason: body.reason, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(block))))
    }

    func getTraceabilityCodeHistory(_ input: Operations.GetTraceabilityCodeHistory.Input) async throws
        -> Operations.GetTraceabilityCodeHistory.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let (code, events) = try await lotRecalls.codeHistory(
            input.path.traceabilityCode, consortium: consortium, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        traceabilityCode: code.value,
                        events: try events.map {
                            .init(
                                event: try convert($0.event), institutionCode: $0.institutionCode, drugCode: $0.drugCode,
                                lotNumber: $0.lotNumber, expiryDate: $0.expiry.description,
                                businessDate: $0.businessDate.description, documentType: $0.documentType,
                                documentId: $0.documentID, reflow: $0.reflow, at: $0.at)
                        }))))
    }

    func getLotWhereabouts(_ input: Operations.GetLotWhereabouts.Input) async throws -> Operations.GetLotWhereabouts.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let whereabouts = try await lotRecalls.whereabouts(
            drugCode: input.path.drugCode, lotNumber: input.path.lot, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(whereabouts))))
    }
}

internal import Foundation
internal import OpenAPIRuntime
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.ShortageRecordState {
    init(_ s: ShortageState) throws {
        let r = s.record
        self.init(
            id: s.id, drugCode: r.drugCode, status: try convert(r.status), level: try convert(r.level),
            cause: try convert(r.cause), causeNote: s.causeNote, ownerTokenId: s.ownerTokenID,
            openedOn: r.openedOn.description, closedOn: r.closedOn?.description, outcome: try convert(r.outcome),
            closeNote: s.closeNote, reopenings: r.reopenings, expectedRecovery: s.expectedRecovery?.description,
            affected: r.affected.map {
                .init(
                    institutionCode: $0.institutionCode, onHand: $0.onHand.description,
                    daysOfStock: $0.daysOfStock.map(DecimalText.plain))
            },
            signals: try r.signals.map {
                .init(
                    kind: try convert($0.kind), institutionCode: $0.institutionCode, onHand: $0.onHand?.description,
                    daysOfStock: $0.daysOfStock.map(DecimalText.plain), orderId: $0.orderID, lineNo: $0.lineNo,
                    extendedPrescriptionId: $0.extendedPrescriptionID, daysLate: $0.daysLate, supplierCode: $0.supplierCode)
            })
    }
}

extension Components.Schemas.ShortageMention {
    init(_ m: OpenShortageMention) throws {
        self.init(id: m.id, level: try convert(m.level), substituteDrugCode: m.substituteDrugCode)
    }
}

extension Components.Schemas.ShortageProposal {
    init(_ p: ShortageProposal) throws {
        self.init(
            id: p.id, shortageId: p.shortageID, drugCode: p.drugCode, fromInstitutionCode: p.fromInstitutionCode,
            toInstitutionCode: p.toInstitutionCode, quantity: p.quantity.description, status: try convert(p.status),
            proposedOn: p.proposedOn.description, stockTransferId: p.stockTransferID, actionId: p.actionID,
            rejectReason: p.rejectReason,
            lots: p.lots.map {
                .init(lotNumber: $0.lotNumber, expiryDate: $0.expiry.description, quantity: $0.quantity.description)
            })
    }
}

extension Components.Schemas.ShortageAction {
    init(_ a: ShortageActionEntry) throws {
        self.init(
            id: a.id, shortageId: a.shortageID, kind: try convert(a.kind), actorTokenId: a.actorTokenID, actedAt: a.actedAt,
            businessDate: a.businessDate.description, reason: a.reason, substituteDrugCode: a.substituteDrugCode,
            signedOffBy: a.signedOffBy, supplierCode: a.supplierCode, quantity: a.quantity?.description,
            purchaseOrderId: a.purchaseOrderID, expectedRecovery: a.expectedRecovery?.description,
            report: try a.report.map {
                .init(additionalProperties: try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data($0.utf8)))
            })
    }
}

extension Components.Schemas.ShortageActionResult {
    init(_ o: ShortageActionOutcome) throws {
        self.init(
            action: try .init(o.action), shortage: try .init(o.shortage), transferIds: o.transfers.map(\.id),
            purchaseOrder: try o.order.map(Components.Schemas.PurchaseOrder.init))
    }
}

/// The response to a shortage (issue 22): proposals and their decisions, substitutes, actions, the report, and the
/// record's close, reopening, cause and owner. Thin: `ShortageActionUseCases` decides.
extension APIHandler {
    var shortageActions: ShortageActionUseCases { ShortageActionUseCases(database: database) }

    func proposeShortageRedistribution(_ input: Operations.ProposeShortageRedistribution.Input) async throws
        -> Operations.ProposeShortageRedistribution.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        let plan = try await shortageActions.propose(id: input.path.id, consortium: consortium, today: today, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try plan.proposals.map(Components.Schemas.ShortageProposal.init),
                        unmet: plan.unmet.sorted { $0.key < $1.key }.map {
                            .init(institutionCode: $0.key, quantity: $0.value.description)
                        }))))
    }

    func acceptShortageProposal(_ input: Operations.AcceptShortageProposal.Input) async throws
        -> Operations.AcceptShortageProposal.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage proposal \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let outcome = try await shortageActions.accept(
            proposalID: input.path.id, reason: body.reason, consortium: consortium, today: today, by: principal)
        return .ok(.init(body: .json(try .init(outcome))))
    }

    func rejectShortageProposal(_ input: Operations.RejectShortageProposal.Input) async throws
        -> Operations.RejectShortageProposal.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage proposal \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let proposal = try await shortageActions.reject(
            proposalID: input.path.id, reason: body.reason, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(proposal))))
    }

    func listShortageSubstitutes(_ input: Operations.ListShortageSubstitutes.Input) async throws
        -> Operations.ListShortageSubstitutes.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        let ranked = try await shortageActions.substitutes(
            id: input.path.id, consortium: consortium, today: today, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try ranked.map {
                            .init(
                                drugCode: $0.drug.code, genericName: $0.drug.genericName, dosageForm: $0.drug.dosageForm,
                                strength: $0.drug.strength, atcCode: $0.drug.atcCode, onHand: $0.drug.onHand.description,
                                match: try convert($0.match))
                        }))))
    }

    func listShortageActions(_ input: Operations.ListShortageActions.Input) async throws
        -> Operations.ListShortageActions.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        let found = try await shortageActions.shortage(id: input.path.id, consortium: consortium, by: principal)
        return .ok(.init(body: .json(.init(items: try found.actions.map(Components.Schemas.ShortageAction.init)))))
    }

    func actOnShortage(_ input: Operations.ActOnShortage.Input) async throws -> Operations.ActOnShortage.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let action = ShortageActionInput(
            kind: try convert(body.kind), reason: body.reason, proposalIDs: body.proposalIds ?? [],
            substituteDrugCode: body.substituteDrugCode, supplierCode: body.supplierCode,
            quantity: try body.quantity.map { try Quantity.parse($0, field: "quantity") },
            institutionCode: body.institutionCode,
            expectedRecovery: try BusinessDate.parse(body.expectedRecovery, field: "expectedRecovery"))
        let outcome = try await shortageActions.act(
            id: input.path.id, action, consortium: consortium, today: today, by: principal)
        return .created(.init(body: .json(try .init(outcome))))
    }

    func getShortageReport(_ input: Operations.GetShortageReport.Input) async throws
        -> Operations.GetShortageReport.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        let report = try await shortageActions.report(id: input.path.id, consortium: consortium, today: today, by: principal)
        switch input.query.format ?? .json {
        case .json:
            let object = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(report.json.utf8))
            return .ok(.init(body: .json(.init(additionalProperties: object))))
        case .csv:
            // For Excel on Chinese Windows, as every list downloaded: Chinese headers and words, a byte-order mark.
            let language = ConsoleLanguage.chinese
            return .ok(
                .init(
                    body: .csv(
                        HTTPBody(
                            report.csv(
                                header: ShortageEscalationReport.csvHeader.map { language.word("csv_shortage_" + $0) },
                                word: { language.word("shortage_word_" + $0) }, forExcel: true)))))
        }
    }

    func closeShortage(_ input: Operations.CloseShortage.Input) async throws -> Operations.CloseShortage.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let state = try await shortageActions.close(
            id: input.path.id, outcome: try convert(body.outcome), note: body.note, consortium: consortium, today: today,
            by: principal)
        return .ok(.init(body: .json(try .init(state))))
    }

    func reopenShortage(_ input: Operations.ReopenShortage.Input) async throws -> Operations.ReopenShortage.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        let state = try await shortageActions.reopen(id: input.path.id, consortium: consortium, today: today, by: principal)
        return .ok(.init(body: .json(try .init(state))))
    }

    func setShortageCause(_ input: Operations.SetShortageCause.Input) async throws -> Operations.SetShortageCause.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let state = try await shortageActions.setCause(
            id: input.path.id, cause: try convert(body.cause), note: body.note, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(state))))
    }

    func setShortageOwner(_ input: Operations.SetShortageOwner.Input) async throws -> Operations.SetShortageOwner.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no shortage \(input.path.id)")
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let state = try await shortageActions.setOwner(
            id: input.path.id, ownerTokenID: body.ownerTokenId, consortium: consortium, by: principal)
        return .ok(.init(body: .json(try .init(state))))
    }
}

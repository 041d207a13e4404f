internal import Foundation
internal import OpenAPIRuntime
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.ExtendedPrescription {
    init(_ p: StoredExtendedPrescription) throws {
        self.init(
            id: p.id, institutionCode: p.institutionCode, prescriber: p.prescriber, patientRef: p.patientRef,
            dispensingInstitutionCode: p.dispensingInstitutionCode, collectingInstitutionCode: p.collectingInstitutionCode,
            delivery: try convert(ExtendedDelivery(rawValue: p.delivery) ?? .institution), homeAddressRef: p.homeAddressRef,
            chronic: p.chronic, businessDate: p.businessDate.description, state: try convert(p.state),
            issuedAt: p.issuedAt, reviewedAt: p.reviewedAt, refusalReason: p.refusalReason, deliveryDueAt: p.deliveryDueAt,
            cancelledAt: p.cancelledAt, cancelReason: p.cancelReason, rxTraceCode: p.rxTraceCode,
            validityDays: p.validityDays, drugCode: p.drugCode, quantity: "\(p.quantity)", unit: p.unit, days: p.days,
            dispatchLocationCode: p.dispatchLocationCode, dispatchedAt: p.dispatchedAt, deliveredAt: p.deliveredAt,
            collectBy: p.collectBy?.description, collectedAt: p.collectedAt, notCollectedAt: p.notCollectedAt,
            lots: p.lots.isEmpty
                ? nil
                : p.lots.map {
                    .init(lotNumber: $0.lot.lotNumber, expiry: $0.lot.expiry.description, quantity: "\($0.quantity.value)")
                }, voidedAt: p.voidedAt, voidReason: p.voidReason)
    }
}

enum ExtendedDelivery: String { case institution, home }

extension APIHandler {
    func issueExtendedPrescription(_ input: Operations.IssueExtendedPrescription.Input) async throws
        -> Operations.IssueExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        try LongPrescriptionInput.validate(
            prescriber: body.prescriber, patientRef: body.patient.ref,
            items: [.init(field: "item", dailyDose: body.item.dailyDose, days: body.item.days)])
        let request = LongPrescriptionRequest(
            institutionCode: body.institutionCode, prescriberPseudonym: body.prescriber, patientRef: body.patient.ref,
            patient: try patient(body.patient), items: [try item(body.item, field: "item")])
        let issued = try await extendedPrescriptions.issue(
            .init(
                request: request, dispensingInstitutionCode: body.dispensingInstitutionCode,
                collectingInstitutionCode: body.collectingInstitutionCode, homeAddressRef: body.homeAddressRef,
                chronic: body.chronic, businessDate: try BusinessDate.parse(body.businessDate, field: "businessDate"),
                validityDays: body.validityDays ?? 3),
            idempotencyKey: input.headers.idempotencyKey,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no consortium"), today: today, by: principal)
        return .created(.init(body: .json(try .init(issued))))
    }

    func getExtendedPrescription(_ input: Operations.GetExtendedPrescription.Input) async throws
        -> Operations.GetExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        let found = try await extendedPrescriptions.prescription(
            id: input.path.id,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"))
        return .ok(.init(body: .json(try .init(found))))
    }

    func getExtendedPrescriptionRecord(_ input: Operations.GetExtendedPrescriptionRecord.Input) async throws
        -> Operations.GetExtendedPrescriptionRecord.Output
    {
        let principal = try RequestPrincipal.require()
        let json = try await extendedPrescriptions.record(
            id: input.path.id,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            today: today)
        let object = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(json.utf8))
        return .ok(.init(body: .json(.init(additionalProperties: object))))
    }

    func reviewExtendedPrescription(_ input: Operations.ReviewExtendedPrescription.Input) async throws
        -> Operations.ReviewExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let reviewed = try await extendedPrescriptions.review(
            id: input.path.id, approve: body.decision == .approve, reason: body.reason,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            today: today, by: principal)
        return .ok(.init(body: .json(try .init(reviewed))))
    }

    func cancelExtendedPrescription(_ input: Operations.CancelExtendedPrescription.Input) async throws
        -> Operations.CancelExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let cancelled = try await extendedPrescriptions.cancel(
            id: input.path.id, reason: body.reason,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            today: today, by: principal)
        return .ok(.init(body: .json(try .init(cancelled))))
    }

    func voidExtendedPrescription(_ input: Operations.VoidExtendedPrescription.Input) async throws
        -> Operations.VoidExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let voided = try await extendedPrescriptions.void(
            id: input.path.id, reason: body.reason,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            by: principal)
        return .ok(.init(body: .json(try .init(voided))))
    }

    func dispatchExtendedPrescription(_ input: Operations.DispatchExtendedPrescription.Input) async throws
        -> Operations.DispatchExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let dispatched = try await extendedPrescriptions.dispatch(
            id: input.path.id, locationCode: body.locationCode, lotNumber: body.lotNumber,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            today: today, by: principal)
        return .ok(.init(body: .json(try .init(dispatched))))
    }

    func deliverExtendedPrescription(_ input: Operations.DeliverExtendedPrescription.Input) async throws
        -> Operations.DeliverExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        let delivered = try await extendedPrescriptions.deliver(
            id: input.path.id,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            today: today, by: principal)
        return .ok(.init(body: .json(try .init(delivered))))
    }

    func collectExtendedPrescription(_ input: Operations.CollectExtendedPrescription.Input) async throws
        -> Operations.CollectExtendedPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        let collected = try await extendedPrescriptions.handOver(
            id: input.path.id, collected: true,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            today: today, by: principal)
        return .ok(.init(body: .json(try .init(collected))))
    }

    func markExtendedPrescriptionNotCollected(_ input: Operations.MarkExtendedPrescriptionNotCollected.Input) async throws
        -> Operations.MarkExtendedPrescriptionNotCollected.Output
    {
        let principal = try RequestPrincipal.require()
        let marked = try await extendedPrescriptions.handOver(
            id: input.path.id, collected: false,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no extended prescription \(input.path.id)"),
            today: today, by: principal)
        return .ok(.init(body: .json(try .init(marked))))
    }

    func listExtendedPrescriptions(_ input: Operations.ListExtendedPrescriptions.Input) async throws
        -> Operations.ListExtendedPrescriptions.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let found = try await extendedPrescriptions.list(
            consortiumID: consortium.id, state: try convert(input.query.state), side: input.query.side?.rawValue,
            page: page, by: principal)
        return .ok(.init(body: .json(.init(items: try found.items.map { try .init($0) }, nextCursor: found.nextCursor))))
    }

    func listLateExtendedPrescriptions(_ input: Operations.ListLateExtendedPrescriptions.Input) async throws
        -> Operations.ListLateExtendedPrescriptions.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let late = try await extendedPrescriptions.late(consortiumID: consortium.id, now: clock.instant(), by: principal)
        return .ok(.init(body: .json(.init(items: try late.map { try .init($0) }))))
    }

    func getExtendedPrescriptionFulfilment(_ input: Operations.GetExtendedPrescriptionFulfilment.Input) async throws
        -> Operations.GetExtendedPrescriptionFulfilment.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let report = try await extendedPrescriptions.fulfilment(
            consortiumID: consortium.id, from: try BusinessDate.parse(input.query.from, field: "from"),
            to: try BusinessDate.parse(input.query.to, field: "to"), today: today, by: principal)
        func row(_ f: ExtendedFulfilment) -> Components.Schemas.ExtendedFulfilment {
            .init(
                key: f.key, collected: f.collected, notCollected: f.notCollected,
                rate: f.rate.map { DecimalText.format($0, places: 4) },
                medianHoursToCollection: f.medianSecondsToCollection.map { DecimalText.format($0 / 3_600, places: 2) })
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        from: report.from.description, to: report.to.description, byMember: report.byMember.map(row),
                        byDrug: report.byDrug.map(row)))))
    }

    func getPatientSupply(_ input: Operations.GetPatientSupply.Input) async throws -> Operations.GetPatientSupply.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        // Asked after the consortium, so a token of another learns nothing from the 400 (as the spend report does).
        guard let institutionCode = input.query.institutionCode, let memberPseudonym = input.query.memberPseudonym else {
            let missing = input.query.institutionCode == nil ? "institutionCode" : "memberPseudonym"
            throw DomainError.badRequest("\(missing): is required", [FieldError(field: missing, reason: "is required")])
        }
        let renewals = try await longPrescriptions.patientRenewals(
            consortiumID: consortium.id, institutionCode: institutionCode, memberPseudonym: memberPseudonym, today: today,
            by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: renewals.map { r in
                            .init(
                                drugCode: r.drugCode, lastDay: r.lastDay.description,
                                earliestRenewal: r.earliestRenewal.description,
                                prescriptions: r.prescriptions.map {
                                    .init(
                                        kind: $0.extended ? .extended : .long, id: $0.prescriptionID,
                                        lastDay: $0.lastDay.description)
                                })
                        }))))
    }
}

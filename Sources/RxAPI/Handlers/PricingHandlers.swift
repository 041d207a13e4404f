internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.PriceAgreement {
    /// The agreement with its status on `day` (scheduled, in effect or ended for one with a period).
    init(_ a: PriceAgreement, on day: BusinessDate) throws {
        self.init(
            id: a.id, drugCode: a.drugCode, unitPrice: a.unitPrice.description, priceUnit: try convert(a.priceUnit),
            source: try convert(a.source), reference: a.reference, requestedFrom: a.requestedFrom.description,
            status: try convert(a.status(on: day)), statusOn: day.description, reportedOn: a.reportedOn?.description,
            platformReference: a.platformReference,
            effectiveFrom: a.effectiveFrom?.description, effectiveTo: a.effectiveTo?.adding(days: -1).description)
    }
}

extension APIHandler {
    var prices: PriceUseCases { PriceUseCases(database: database) }

    func getUnifiedPrice(_ input: Operations.GetUnifiedPrice.Input) async throws -> Operations.GetUnifiedPrice.Output {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard
            let (agreement, ceiling) = try await prices.inEffect(
                consortiumID: consortium.id, drugCode: input.path.drugCode, on: on)
        else {
            throw DomainError.notFound("no unified price of \(input.path.drugCode) is in effect on \(on)")
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        consortiumCode: consortium.code, drugCode: agreement.drugCode, on: on.description,
                        unitPrice: agreement.unitPrice.description, priceUnit: try convert(agreement.priceUnit),
                        ceiling: ceiling?.unitPrice.description, agreement: try .init(agreement, on: on)))))
    }

    func getUnifiedPriceHistory(_ input: Operations.GetUnifiedPriceHistory.Input) async throws
        -> Operations.GetUnifiedPriceHistory.Output
    {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let history = try await prices.history(consortiumID: consortium.id, drugCode: input.path.drugCode)
        return .ok(.init(body: .json(.init(items: try history.map { try .init($0, on: on) }))))
    }

    func listPriceAgreements(_ input: Operations.ListPriceAgreements.Input) async throws -> Operations.ListPriceAgreements.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let on = try date(input.query.on)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await prices.list(
            consortiumID: consortium.id, drugCode: input.query.drugCode, status: try convert(input.query.status), on: on,
            page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map { try .init($0, on: on) }, nextCursor: result.nextCursor))))
    }

    func createPriceAgreement(_ input: Operations.CreatePriceAgreement.Input) async throws
        -> Operations.CreatePriceAgreement.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let from = try BusinessDate.parse(body.effectiveFrom, field: "effectiveFrom") else {
            throw DomainError.invalid("effectiveFrom", "is required")
        }
        let created = try await prices.create(
            PriceAgreementDraft(
                drugCode: body.drugCode, unitPrice: try Money.parse(body.unitPrice, field: "unitPrice"),
                priceUnit: try convert(body.priceUnit), source: try convert(body.source), reference: body.reference,
                effectiveFrom: from),
            consortium: consortium, by: principal)
        return .created(.init(body: .json(try .init(created, on: today))))
    }

    func reportPriceAgreement(_ input: Operations.ReportPriceAgreement.Input) async throws
        -> Operations.ReportPriceAgreement.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let reportedOn = try BusinessDate.parse(body.reportedOn, field: "reportedOn") else {
            throw DomainError.invalid("reportedOn", "is required")
        }
        let reported = try await prices.report(
            id: input.path.id, consortiumID: consortium.id, platformReference: body.platformReference,
            reportedOn: reportedOn, by: principal)
        return .ok(.init(body: .json(try .init(reported, on: today))))
    }

    func correctPriceReportDate(_ input: Operations.CorrectPriceReportDate.Input) async throws
        -> Operations.CorrectPriceReportDate.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let reportedOn = try BusinessDate.parse(body.reportedOn, field: "reportedOn") else {
            throw DomainError.invalid("reportedOn", "is required")
        }
        let corrected = try await prices.correctReportDate(
            id: input.path.id, consortiumID: consortium.id, reportedOn: reportedOn, reason: body.reason, by: principal)
        return .ok(.init(body: .json(try .init(corrected, on: today))))
    }

    func getPatientPrice(_ input: Operations.GetPatientPrice.Input) async throws -> Operations.GetPatientPrice.Output {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let institution = try await visibleInstitution(input.path.code, for: principal)
        guard let drug = try await drugs.find(code: input.path.drugCode) else {
            throw DomainError.notFound("no drug \(input.path.drugCode)")
        }
        guard let (agreement, answer) = try await prices.patientPrice(consortiumID: institution.consortiumID, drug: drug, on: on)
        else {
            throw DomainError.notFound("no unified price of \(drug.code) is in effect on \(on)")
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        institutionCode: institution.code, drugCode: drug.code, on: on.description,
                        unitPrice: agreement.unitPrice.description, priceUnit: try convert(agreement.priceUnit),
                        markupPercent: "\(answer.markupPercent)", patientPrice: answer.patientPrice.description, rule: answer.rule
                    ))))
    }
}

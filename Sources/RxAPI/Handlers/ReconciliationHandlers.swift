internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.ReconciliationRun {
    init(_ r: ReconciliationRun) {
        self.init(
            id: r.id, kind: r.kind, fileName: r.fileName, inputChecksum: r.inputChecksum,
            codeType: .init(rawValue: r.codeType) ?? .auto,
            asOf: r.asOf.description,
            startedAt: r.startedAt, finishedAt: r.finishedAt, createdBy: r.createdBy, lines: r.lines,
            counts: .init(additionalProperties: r.counts), moneyAtStake: r.moneyAtStake.formatted(places: 2),
            discrepancies: r.discrepancies?.map {
                .init($0)
            })
    }
}

extension Components.Schemas.ReconciliationDiscrepancy {
    init(_ d: RecordedDiscrepancy) {
        self.init(
            lineNumber: d.lineNumber, classification: d.classification, detail: .init(additionalProperties: d.detail),
            moneyAtStake: d.moneyAtStake.formatted(places: 2), review: d.review.flatMap { .init(rawValue: $0.rawValue) },
            reviewNote: d.reviewNote, reviewedBy: d.reviewedBy, reviewedAt: d.reviewedAt)
    }
}

extension APIHandler {
    var reconciliations: ReconciliationUseCases { ReconciliationUseCases(database: database) }

    func listReconciliations(_ input: Operations.ListReconciliations.Input) async throws -> Operations.ListReconciliations.Output
    {
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await reconciliations.list(consortium: consortium, page: page, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(items: result.items.map(Components.Schemas.ReconciliationRun.init), nextCursor: result.nextCursor))))
    }

    func getReconciliation(_ input: Operations.GetReconciliation.Input) async throws -> Operations.GetReconciliation.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        return .ok(
            .init(body: .json(.init(try await reconciliations.get(consortium: consortium, id: input.path.id, by: principal)))))
    }

    func reviewReconciliationLine(_ input: Operations.ReviewReconciliationLine.Input) async throws
        -> Operations.ReviewReconciliationLine.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let reviewed = try await reconciliations.review(
            runID: input.path.id, lineNumber: input.path.lineNumber, classification: body.classification,
            as: try convert(body.status),
            note: body.note, consortiumID: consortium.id, by: principal)
        return .ok(.init(body: .json(.init(items: reviewed.map(Components.Schemas.ReconciliationDiscrepancy.init)))))
    }
}

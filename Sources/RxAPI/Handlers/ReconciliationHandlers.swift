internal import Foundation
import RxDomain
import RxStore

extension Components.Schemas.ReconciliationRun {
    init(_ r: ReconciliationRun) {
        self.init(
            id: r.id, kind: r.kind, fileName: r.fileName, inputChecksum: r.inputChecksum, asOf: r.asOf.description,
            startedAt: r.startedAt, finishedAt: r.finishedAt, createdBy: r.createdBy, lines: r.lines,
            counts: .init(additionalProperties: r.counts), moneyAtStake: r.moneyAtStake.formatted(places: 2),
            discrepancies: r.discrepancies?.map {
                .init(lineNumber: $0.lineNumber, classification: $0.classification,
                      detail: .init(additionalProperties: $0.detail), moneyAtStake: $0.moneyAtStake.formatted(places: 2))
            })
    }
}

extension APIHandler {
    var reconciliations: ReconciliationStore { ReconciliationStore(database: database) }

    /// Reconciliations are the supply centre's, and open to auditors and regulators.
    func reconciliationConsortium(_ code: String) async throws -> Consortium {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(code, for: principal)
        guard principal.may(.runSupplyCentre(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
            || principal.role == .auditor || principal.role == .regulator
        else { throw DomainError.forbidden("reconciliations are the supply centre's") }
        return consortium
    }

    func listReconciliations(_ input: Operations.ListReconciliations.Input) async throws -> Operations.ListReconciliations.Output {
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await reconciliationConsortium(input.path.code)
        let result = try await reconciliations.list(consortiumID: consortium.id, page: page)
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.ReconciliationRun.init), nextCursor: result.nextCursor))))
    }

    func getReconciliation(_ input: Operations.GetReconciliation.Input) async throws -> Operations.GetReconciliation.Output {
        let consortium = try await reconciliationConsortium(input.path.code)
        return .ok(.init(body: .json(.init(try await reconciliations.get(consortiumID: consortium.id, id: input.path.id)))))
    }
}

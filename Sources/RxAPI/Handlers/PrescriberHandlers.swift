internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension APIHandler {
    /// Registered prescribers: pseudonym, institution and title only (issue 19.12).
    func listPrescribers(_ input: Operations.ListPrescribers.Input) async throws -> Operations.ListPrescribers.Output {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await longPrescriptions.prescribers(
            consortium: consortium, institutionCode: input.query.institutionCode, title: try convert(input.query.title),
            by: principal, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map {
                            .init(pseudonym: $0.pseudonym, institutionCode: $0.institutionCode, title: try convert($0.title))
                        },
                        nextCursor: result.nextCursor))))
    }
}

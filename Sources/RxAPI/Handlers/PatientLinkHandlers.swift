internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.PatientLink {
    init(_ stored: PatientLinkStore.Stored) throws {
        self.init(
            institutionCode: stored.institutionCode, memberPseudonym: stored.link.member.pseudonym,
            consortiumPseudonym: stored.link.consortiumPseudonym, basis: try convert(stored.link.basis),
            linkedAt: stored.linkedAt)
    }
}

extension APIHandler {
    /// One patient across the consortium (患者主索引): a member links its pseudonym to a consortium pseudonym.
    func linkPatient(_ input: Operations.LinkPatient.Input) async throws -> Operations.LinkPatient.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let institution = try await visibleInstitution(body.institutionCode, for: principal)
        guard institution.consortiumID == consortium.id else {
            throw DomainError.notFound("no institution \(body.institutionCode)")
        }
        let linked = try await patientLinks.link(
            institution: institution, memberPseudonym: body.memberPseudonym,
            consortiumPseudonym: body.consortiumPseudonym, basis: body.basis.rawValue, by: principal)
        let link = try Components.Schemas.PatientLink(linked.link)
        return linked.created ? .created(.init(body: .json(link))) : .ok(.init(body: .json(link)))
    }

    /// A patient's links, named by the consortium pseudonym or by a member's code and pseudonym.
    func listPatientLinks(_ input: Operations.ListPatientLinks.Input) async throws -> Operations.ListPatientLinks.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let query = try PatientLinkRules.query(
            consortiumPseudonym: input.query.consortiumPseudonym, institutionCode: input.query.institutionCode,
            memberPseudonym: input.query.memberPseudonym)
        let links: [PatientLinkStore.Stored]
        switch query {
        case .consortium(let pseudonym):
            links = try await patientLinks.links(consortiumID: consortium.id, consortiumPseudonym: pseudonym, by: principal)
        case .member(let code, let pseudonym):
            let institution = try await visibleInstitution(code, for: principal)
            guard institution.consortiumID == consortium.id else { throw DomainError.notFound("no institution \(code)") }
            links = try await patientLinks.links(institution: institution, memberPseudonym: pseudonym, by: principal)
        }
        return .ok(
            .init(
                body: .json(
                    .init(consortiumPseudonym: links.first?.link.consortiumPseudonym, items: try links.map { try .init($0) }))))
    }
}

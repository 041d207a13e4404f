internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.CrosswalkMapping {
    init(_ m: CrosswalkMapping, consortiumCode: String) throws {
        let parts = m.code.insuranceParts
        self.init(
            id: m.id ?? 0, consortiumCode: m.consortiumID == nil ? nil : consortiumCode,
            codeType: try convert(m.code.type), code: m.code.value, specification: m.specification,
            drugCode: m.drugCode, packageFactor: m.packageFactor.description, validFrom: m.validFrom.description,
            validTo: m.lastDay?.description, source: m.source,
            insuranceCodeParts: parts.map {
                .init(
                    category: $0.category, classification: $0.classification, genericName: $0.genericName,
                    dosageForm: $0.dosageForm, specification: $0.specification, package: $0.package,
                    enterprise: $0.enterprise)
            })
    }
}

extension APIHandler {
    var crosswalk: CrosswalkUseCases { CrosswalkUseCases(database: database) }

    func listCrosswalkMappings(_ input: Operations.ListCrosswalkMappings.Input) async throws
        -> Operations.ListCrosswalkMappings.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let on = try BusinessDate.parse(input.query.on, field: "on")
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await crosswalk.list(
            consortiumID: consortium.id, codeType: input.query.codeType?.rawValue, code: input.query.code,
            drugCode: input.query.drugCode, on: on, page: page, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map { try .init($0, consortiumCode: consortium.code) },
                        nextCursor: result.nextCursor))))
    }

    func createCrosswalkMapping(_ input: Operations.CreateCrosswalkMapping.Input) async throws
        -> Operations.CreateCrosswalkMapping.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let created = try await crosswalk.create(
            CrosswalkMappingInput(
                codeType: body.codeType.rawValue, code: body.code, specification: body.specification,
                drugCode: body.drugCode, packageFactor: body.packageFactor, validFrom: body.validFrom,
                validTo: body.validTo, source: body.source),
            consortiumID: consortium.id, by: principal)
        return .created(.init(body: .json(try .init(created, consortiumCode: consortium.code))))
    }

    func endCrosswalkMapping(_ input: Operations.EndCrosswalkMapping.Input) async throws
        -> Operations.EndCrosswalkMapping.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let lastDay = try BusinessDate.parse(body.validTo, field: "validTo") else {
            throw DomainError.invalid("validTo", "is required")
        }
        let ended = try await crosswalk.end(
            id: input.path.id, consortiumID: consortium.id, lastDay: lastDay, by: principal)
        return .ok(.init(body: .json(try .init(ended, consortiumCode: consortium.code))))
    }
}

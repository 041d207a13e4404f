internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension APIHandler {
    func listConsortia(_ input: Operations.ListConsortia.Input) async throws -> Operations.ListConsortia.Output {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        // A token sees its own consortium only (a national token, none).
        var items: [Consortium] = []
        if let code = principal.consortiumCode, page.after.map({ code > $0 }) ?? true,
            let own = try await consortia.find(code: code)
        {
            items = [own]
        }
        return .ok(.init(body: .json(.init(items: try items.map(Components.Schemas.Consortium.init)))))
    }

    func getConsortium(_ input: Operations.GetConsortium.Input) async throws -> Operations.GetConsortium.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        return .ok(.init(body: .json(try .init(consortium))))
    }

    func updateConsortium(_ input: Operations.UpdateConsortium.Input) async throws -> Operations.UpdateConsortium.Output {
        let principal = try RequestPrincipal.require()
        _ = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let updated = try await consortia.update(
            code: input.path.code,
            with: ConsortiumUpdate(name: body.name, kind: try convert(body.kind), leadInstitutionCode: body.leadInstitutionCode),
            by: principal)
        return .ok(.init(body: .json(try .init(updated))))
    }

    func listInstitutions(_ input: Operations.ListInstitutions.Input) async throws -> Operations.ListInstitutions.Output {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await institutions.list(consortiumID: consortium.id, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map(Components.Schemas.Institution.init), nextCursor: result.nextCursor))))
    }

    func createInstitution(_ input: Operations.CreateInstitution.Input) async throws -> Operations.CreateInstitution.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let created = try await institutions.create(
            InstitutionDraft(
                code: body.code, name: body.name, level: try convert(body.level), type: try convert(body._type),
                hasTestingLab: body.hasTestingLab ?? false),
            in: consortium, by: principal)
        return .created(.init(body: .json(try .init(created))))
    }

    func getInstitution(_ input: Operations.GetInstitution.Input) async throws -> Operations.GetInstitution.Output {
        let principal = try RequestPrincipal.require()
        guard let institution = try await institutions.find(code: input.path.code, for: principal),
            principal.may(.readConsortium(consortiumID: institution.consortiumID))
        else { throw DomainError.notFound("no institution \(input.path.code)") }
        return .ok(.init(body: .json(try .init(institution))))
    }

    func updateInstitution(_ input: Operations.UpdateInstitution.Input) async throws -> Operations.UpdateInstitution.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let updated = try await institutions.update(
            code: input.path.code,
            with: InstitutionUpdate(
                name: body.name, level: try convert(body.level), type: try convert(body._type),
                hasTestingLab: body.hasTestingLab),
            by: principal)
        return .ok(.init(body: .json(try .init(updated))))
    }

    func listSuppliers(_ input: Operations.ListSuppliers.Input) async throws -> Operations.ListSuppliers.Output {
        _ = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let result = try await suppliers.list(role: try convert(input.query.role), name: input.query.name, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: result.items.map(Components.Schemas.Supplier.init), nextCursor: result.nextCursor))))
    }

    func createSupplier(_ input: Operations.CreateSupplier.Input) async throws -> Operations.CreateSupplier.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let created = try await suppliers.create(body.domain, by: principal)
        return .created(.init(body: .json(.init(created))))
    }

    func listDrugs(_ input: Operations.ListDrugs.Input) async throws -> Operations.ListDrugs.Output {
        _ = try RequestPrincipal.require()
        let q = input.query
        let result = try await drugs.search(
            DrugSearch(
                codePrefix: q.code.flatMap { $0.isEmpty ? nil : $0 }, text: q.q.flatMap { $0.isEmpty ? nil : $0 },
                category: try convert(q.category), page: try PageRequest(q.limit, q.cursor)))
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map(Components.Schemas.Drug.init), nextCursor: result.nextCursor))))
    }

    func createDrug(_ input: Operations.CreateDrug.Input) async throws -> Operations.CreateDrug.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let created = try await drugs.create(try body.domain(), by: principal)
        return .created(.init(body: .json(try .init(created))))
    }

    func getDrug(_ input: Operations.GetDrug.Input) async throws -> Operations.GetDrug.Output {
        .ok(.init(body: .json(try await drug(code: input.path.code))))
    }

    /// One drug by code, for the generated route and for `DrugLookupRoute`.
    func drug(code: String) async throws -> Components.Schemas.Drug {
        _ = try RequestPrincipal.require()
        guard let drug = try await drugs.find(code: code) else { throw DomainError.notFound("no drug \(code)") }
        return try .init(drug)
    }

    func updateDrug(_ input: Operations.UpdateDrug.Input) async throws -> Operations.UpdateDrug.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        var change = DrugUpdate()
        change.genericName = body.genericName
        change.nameEn = body.nameEn
        change.manufacturer = body.manufacturer
        change.atcCode = body.atcCode
        change.essentialEditions = body.essentialEditions
        change.insuranceClass = try convert(body.insuranceClass)
        change.controlClass = try convert(body.controlClass)
        change.antimicrobial = body.antimicrobial
        change.coldChain = body.coldChain
        let updated = try await drugs.update(code: input.path.code, with: change, by: principal)
        return .ok(.init(body: .json(try .init(updated))))
    }

    func listAudit(_ input: Operations.ListAudit.Input) async throws -> Operations.ListAudit.Output {
        let principal = try RequestPrincipal.require()
        try principal.require(.readAudit)
        let q = input.query
        let page = try await audit.list(
            AuditQuery(
                consortiumID: principal.consortiumID, entityType: q.entityType, entityKey: q.entityKey,
                from: try QueryInstant.parse(q.from, field: "from", as: .start),
                to: try QueryInstant.parse(q.to, field: "to", as: .end), page: try PageRequest(q.limit, q.cursor)),
            database: database)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try page.items.map(Components.Schemas.AuditEntry.init), nextCursor: page.nextCursor))))
    }
}

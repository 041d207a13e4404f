import RxDomain
import RxStore

/// Member institutions: the lead hospital, member hospitals, community and township centres, village clinics.
package struct InstitutionUseCases: Sendable {
    let database: Database
    let institutions: InstitutionStore

    package init(database: Database) {
        self.database = database
        self.institutions = InstitutionStore(database: database)
    }

    /// The member with `code` in the consortium (codes are unique within a consortium only).
    package func find(code: String, consortiumID: Int64) async throws -> Institution? {
        try await institutions.find(code: code, consortiumID: consortiumID)
    }

    /// The member a principal names by code: in the principal's consortium, and nil for a principal of none.
    package func find(code: String, for principal: Principal) async throws -> Institution? {
        guard let consortiumID = principal.consortiumID else { return nil }
        return try await institutions.find(code: code, consortiumID: consortiumID)
    }

    /// The member a principal names, with its consortium, in one query (the stock reads' scope); nil for a
    /// principal of no consortium.
    package func findWithConsortium(code: String, for principal: Principal) async throws
        -> (institution: Institution, consortium: Consortium)?
    {
        guard let consortiumID = principal.consortiumID else { return nil }
        return try await institutions.findWithConsortium(code: code, consortiumID: consortiumID)
    }

    package func list(consortiumID: Int64, page: PageRequest) async throws -> Page<Institution> {
        try await institutions.list(consortiumID: consortiumID, page: page)
    }

    package func create(_ draft: InstitutionDraft, in consortium: Consortium, by principal: Principal) async throws -> Institution
    {
        try principal.require(.createInstitution(consortiumID: consortium.id))
        try ConsortiumRules.checkNewInstitutionCode(draft.code)
        return try await database.transaction { transaction in
            try await institutions.insert(draft, consortiumID: consortium.id, on: transaction)
            let created = try await institutions.find(code: draft.code, consortiumID: consortium.id, on: transaction).orNotFound(
                draft.code)
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "institution", entityKey: draft.code, before: Institution?.none, after: created)
            return created
        }
    }

    package func update(code: String, with change: InstitutionUpdate, by principal: Principal) async throws -> Institution {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no institution \(code)")
            guard let before = try await institutions.findForUpdate(code: code, consortiumID: consortiumID, on: transaction)
            else { throw DomainError.notFound("no institution \(code)") }
            try principal.require(.updateInstitution(consortiumID: before.consortiumID, institutionID: before.id))
            try await institutions.update(id: before.id, with: change, on: transaction)
            let after = try await institutions.find(code: code, consortiumID: consortiumID, on: transaction).orNotFound(code)
            try await database.audit.record(
                on: transaction, consortiumID: before.consortiumID, actor: Actor(principal), action: "update",
                entityType: "institution", entityKey: code, before: before, after: after)
            return after
        }
    }
}

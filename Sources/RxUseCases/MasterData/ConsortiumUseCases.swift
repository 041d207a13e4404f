import RxDomain
import RxStore

/// Consortia (医联体) and their lead institutions.
package struct ConsortiumUseCases: Sendable {
    let database: Database
    let consortia: ConsortiumStore

    package init(database: Database) {
        self.database = database
        self.consortia = ConsortiumStore(database: database)
    }

    package func find(code: String) async throws -> Consortium? {
        try await consortia.find(code: code)
    }

    package func update(code: String, with change: ConsortiumUpdate, by principal: Principal) async throws -> Consortium {
        try await database.transaction { transaction in
            let before = try await consortia.find(code: code, on: transaction, forUpdate: true).orNotFound(
                "no consortium \(code)")
            try principal.require(.updateConsortium(consortiumID: before.id))
            var lead: ConsortiumRules.LeadCandidate?
            if let leadCode = change.leadInstitutionCode {
                lead = try await consortia.leadCandidate(code: leadCode, consortiumID: before.id, on: transaction)
            }
            let leadID = try ConsortiumRules.leadInstitutionID(lead, code: change.leadInstitutionCode, of: before)
            try await consortia.update(id: before.id, with: change, leadInstitutionID: leadID, on: transaction)
            let after = try await consortia.find(code: code, on: transaction).orNotFound(code)
            try await database.audit.record(
                on: transaction, consortiumID: before.id, actor: Actor(principal), action: "update",
                entityType: "consortium", entityKey: code, before: before, after: after)
            return after
        }
    }
}

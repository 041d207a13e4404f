import RxDomain
import RxStore

/// Drug master data: national codes, classification, essential-list editions, decoction-piece attributes.
package struct DrugUseCases: Sendable {
    let database: Database
    let drugs: DrugStore

    /// `sharedLookups`: see `DrugStore.init(database:sharedLookups:)` (the one long-lived instance the API keeps).
    package init(database: Database, sharedLookups: Bool = false) {
        self.database = database
        self.drugs = DrugStore(database: database, sharedLookups: sharedLookups)
    }

    /// The hot lookup: a pass-through to the store's shared one.
    package func find(code: String) async throws -> Drug? {
        try await drugs.find(code: code)
    }

    /// The drugs of these codes that exist, in one query.
    package func find(codes: [String]) async throws -> [Drug] {
        try await database.read { try await drugs.find(codes: codes, on: $0) }
    }

    package func search(_ search: DrugSearch) async throws -> Page<Drug> {
        try await drugs.search(search)
    }

    /// National master data: audited with no consortium, so every consortium's trail shows it.
    package func create(_ drug: Drug, by principal: Principal) async throws -> Drug {
        try principal.require(.manageDrugs)
        try DrugRules.checkNew(drug)
        return try await database.transaction { transaction in
            try await drugs.insert(drug, on: transaction)
            let known = try await drugs.knownEditions(drug.essentialEditions, on: transaction)
            try DrugRules.checkEditions(drug.essentialEditions, known: known)
            try await drugs.setEditions(drug.code, drug.essentialEditions, on: transaction)
            let created = try await drugs.find(code: drug.code, on: transaction).orNotFound(drug.code)
            try await database.audit.record(
                on: transaction, consortiumID: nil, actor: Actor(principal), action: "create",
                entityType: "drug", entityKey: drug.code, before: Drug?.none, after: created)
            return created
        }
    }

    /// National master data: audited with no consortium, so every consortium's trail shows it.
    package func update(code: String, with change: DrugUpdate, by principal: Principal) async throws -> Drug {
        try principal.require(.manageDrugs)
        try DrugRules.checkChange(change)
        return try await database.transaction { transaction in
            let before = try await drugs.find(code: code, on: transaction, forUpdate: true).orNotFound("no drug \(code)")
            try await drugs.update(code: code, with: change, on: transaction)
            if let editions = change.essentialEditions {
                try DrugRules.checkEditions(editions, known: try await drugs.knownEditions(editions, on: transaction))
                try await drugs.setEditions(code, editions, on: transaction)
            }
            let after = try await drugs.find(code: code, on: transaction).orNotFound(code)
            try await database.audit.record(
                on: transaction, consortiumID: nil, actor: Actor(principal), action: "update",
                entityType: "drug", entityKey: code, before: before, after: after)
            return after
        }
    }
}

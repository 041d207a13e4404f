import RxDomain
import RxStore

/// Manufacturers and distributors (配送企业), shared by every consortium.
package struct SupplierUseCases: Sendable {
    let database: Database
    let suppliers: SupplierStore

    package init(database: Database) {
        self.database = database
        self.suppliers = SupplierStore(database: database)
    }

    package func list(role: SupplierRole?, name: String? = nil, page: PageRequest) async throws -> Page<Supplier> {
        try await suppliers.list(role: role, name: name, page: page)
    }

    /// A supplier by code; nil when there is none.
    package func find(code: String) async throws -> Supplier? {
        try await database.read { try await suppliers.find(code: code, on: $0) }
    }

    /// Registers a supplier. National master data: audited with no consortium, so every consortium's trail shows it.
    package func create(_ supplier: Supplier, by principal: Principal) async throws -> Supplier {
        try principal.require(.manageSuppliers)
        try SupplierRules.checkNew(supplier)
        return try await database.transaction { transaction in
            var countsAs: SupplierRules.CountsAsCandidate?
            if let code = supplier.countsAsManufacturerCode {
                countsAs = try await suppliers.countsAsCandidate(code: code, on: transaction)
            }
            let countsAsID = try SupplierRules.countsAsManufacturerID(countsAs, code: supplier.countsAsManufacturerCode)
            try await suppliers.insert(supplier, countsAsManufacturerID: countsAsID, on: transaction)
            let created = try await suppliers.find(code: supplier.code, on: transaction).orNotFound(supplier.code)
            try await database.audit.record(
                on: transaction, consortiumID: nil, actor: Actor(principal), action: "create",
                entityType: "supplier", entityKey: supplier.code, before: Supplier?.none, after: created)
            return created
        }
    }
}

import Foundation
import RxDomain
import RxStore

/// Stock counts (盘点): open a sheet that snapshots the ledger, enter counted quantities, approve by a second person
/// (the differences post as 103/104). Each step one transaction with its audit row.
package struct StockCountUseCases: Sendable {
    let database: Database
    let counts: StockCountStore
    let transfers: StockTransferStore

    package init(database: Database) {
        self.database = database
        self.counts = StockCountStore(database: database)
        self.transfers = StockTransferStore(database: database)
    }

    func permission(_ institutionID: Int64, _ consortium: Consortium) -> Permission {
        .moveStockDocument(
            consortiumID: consortium.id, institutionID: institutionID, leadInstitutionCode: consortium.leadInstitutionCode)
    }

    func readPermission(_ institutionID: Int64, _ consortium: Consortium) -> Permission {
        .readStockDocuments(
            consortiumID: consortium.id, institutionID: institutionID, leadInstitutionCode: consortium.leadInstitutionCode)
    }

    /// Who a principal is for the second-person rule: its token, or at the console its account.
    static func person(_ principal: Principal) -> String {
        principal.tokenID.map { "token:\($0)" } ?? "console:\(principal.name)"
    }

    static func person(_ tokenID: Int64?) -> String { tokenID.map { "token:\($0)" } ?? "nobody" }

    /// Opens a sheet for the institution (and location): every lot on hand there, its ledger quantity as expected.
    package func open(
        institution: Institution, locationCode: String?, consortium: Consortium, today: BusinessDate, by principal: Principal
    ) async throws -> StockCount {
        try principal.require(permission(institution.id, consortium))
        return try await database.transaction { c in
            var locationID: Int64?
            if let locationCode {
                guard
                    let id = try await transfers.locationID(
                        code: locationCode, institutionID: institution.id, consortiumID: consortium.id, connection: c)
                else { throw DomainError.invalid("locationCode", "no location \(locationCode) at \(institution.code)") }
                locationID = id
            }
            guard
                let id = try await counts.open(
                    consortiumID: consortium.id, institutionID: institution.id, locationID: locationID, countDate: today,
                    tokenID: principal.tokenID, connection: c)
            else { throw DomainError.conflict("the count sheet was not recorded") }
            let created = try await counts.count(id: id, consortiumID: consortium.id, connection: c)
                .orNotFound("no stock count \(id)")
            try await database.audit.record(
                on: c, consortiumID: consortium.id, actor: Actor(principal), action: "create", entityType: "stock_count",
                entityKey: String(id), before: StockCount?.none, after: created)
            return created
        }
    }

    package func list(institution: Institution, consortium: Consortium, page: PageRequest, by principal: Principal)
        async throws -> Page<StockCount>
    {
        try principal.require(readPermission(institution.id, consortium))
        return try await counts.list(consortiumID: consortium.id, institutionID: institution.id, page: page)
    }

    /// One sheet with its lines; 404 to whoever may not read the institution's stock documents.
    package func detail(id: Int64, consortium: Consortium, by principal: Principal) async throws -> StockCount {
        let count = try await database.read { c in try await counts.count(id: id, consortiumID: consortium.id, connection: c) }
        guard let count, principal.may(readPermission(count.institutionID, consortium)) else {
            throw DomainError.notFound("no stock count \(id)")
        }
        return count
    }

    /// Enters counted quantities for lots of an open sheet (`StockDocumentRules.checkEntries`).
    package func enter(
        id: Int64, _ entries: [StockDocumentRules.CountEntry], consortium: Consortium, by principal: Principal
    ) async throws -> StockCount {
        try await database.transaction { c in
            let before = try await locked(id, consortium: consortium, principal, connection: c)
            try principal.require(permission(before.institutionID, consortium))
            let indices = try StockDocumentRules.checkEntries(status: before.status, sheet: before.lines, entries: entries)
            try await counts.enter(
                zip(indices, entries).map { (lot: before.lines[$0].lot, counted: $1.counted) }, countID: id,
                consortiumID: consortium.id,
                tokenID: principal.tokenID, connection: c)
            return try await audited("count", before: before, consortium: consortium, principal, connection: c)
        }
    }

    /// Approves a sheet: a second person, neither its opener nor its counter (`StockDocumentRules.approveCount`);
    /// every line counted; the differences post as count surplus (103) or count loss (104). A sheet is approved once:
    /// the sheet's row is locked, its state moved only from open, and the ledger takes one count movement per lot
    /// (a unique index, sql/025).
    package func approve(id: Int64, consortium: Consortium, today: BusinessDate, by principal: Principal) async throws
        -> StockCount
    {
        try await database.transaction { c in
            let before = try await locked(id, consortium: consortium, principal, connection: c)
            try principal.require(permission(before.institutionID, consortium))
            let differences = try StockDocumentRules.approveCount(
                status: before.status, openerToken: Self.person(before.openedBy),
                counterToken: Self.person(before.countedBy), approverToken: Self.person(principal), lines: before.lines)
            guard
                try await counts.approve(
                    before, differences: differences, on: today, tokenID: principal.tokenID, connection: c)
            else { throw DomainError.conflict("stock count \(id) was moved by another request; reload it") }
            return try await audited("approve", before: before, consortium: consortium, principal, connection: c)
        }
    }

    /// Why this person may not approve the sheet as it stands, by `StockDocumentRules.approveCount` itself: its
    /// opener or counter (403), or a sheet still being counted (422); nil when they may. For a page deciding what
    /// to offer.
    package func approvalRefusal(_ count: StockCount, by principal: Principal) -> DomainError? {
        do {
            _ = try StockDocumentRules.approveCount(
                status: count.status, openerToken: Self.person(count.openedBy), counterToken: Self.person(count.countedBy),
                approverToken: Self.person(principal), lines: count.lines)
            return nil
        } catch { return error }
    }

    /// Cancels an open sheet (`StockCountRules.checkCancel`): a count abandoned posts nothing.
    package func cancel(id: Int64, consortium: Consortium, by principal: Principal) async throws -> StockCount {
        try await database.transaction { c in
            let before = try await locked(id, consortium: consortium, principal, connection: c)
            try principal.require(permission(before.institutionID, consortium))
            try StockCountRules.checkCancel(status: before.status)
            guard try await counts.cancel(before, connection: c) else {
                throw DomainError.conflict("stock count \(id) was moved by another request; reload it")
            }
            return try await audited("cancel", before: before, consortium: consortium, principal, connection: c)
        }
    }

    func locked(_ id: Int64, consortium: Consortium, _ principal: Principal, connection: StoreConnection) async throws
        -> StockCount
    {
        guard let count = try await counts.count(id: id, consortiumID: consortium.id, connection: connection, lock: true),
            principal.may(readPermission(count.institutionID, consortium))
        else { throw DomainError.notFound("no stock count \(id)") }
        return count
    }

    func audited(
        _ action: String, before: StockCount, consortium: Consortium, _ principal: Principal, connection: StoreConnection
    ) async throws -> StockCount {
        let after = try await counts.count(id: before.id, consortiumID: consortium.id, connection: connection)
            .orNotFound("no stock count \(before.id)")
        try await database.audit.record(
            on: connection, consortiumID: consortium.id, actor: Actor(principal), action: action, entityType: "stock_count",
            entityKey: String(before.id), before: before, after: after)
        return after
    }
}

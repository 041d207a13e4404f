import Foundation
import RxDomain
import RxStore

/// A distributor's or manufacturer's notice that it cannot supply a drug (a shortage signal while it stands), recorded
/// by the supply centre, and its resumption. Each marks the drug for the server's next rescan.
package struct ShortageSupplierReportUseCases: Sendable {
    let database: Database
    let shortages: ShortageStore

    package init(database: Database) {
        self.database = database
        self.shortages = ShortageStore(database: database)
    }

    package func record(
        drugCode: String, supplierCode: String, reportedOn: BusinessDate?, notice: String, expectedRecovery: BusinessDate?,
        consortium: Consortium, today: BusinessDate, by principal: Principal
    ) async throws -> StoredSupplierReport {
        try principal.require(
            .recordSupplierReport(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let report = SupplierShortageReport(
            supplierCode: supplierCode, reportedOn: reportedOn ?? today, notice: notice, expectedRecovery: expectedRecovery)
        return try await database.transaction { connection in
            var errors: [FieldError] = []
            if !(try await shortages.drugExists(code: drugCode, on: connection)) {
                errors.append(FieldError(field: "drugCode", reason: "no drug \(drugCode)"))
            }
            let supplierID = try await shortages.supplierID(code: supplierCode, on: connection)
            if supplierID == nil { errors.append(FieldError(field: "supplierCode", reason: "no supplier \(supplierCode)")) }
            try ShortageRules.refuse(errors, "the supplier report is refused")
            guard let supplierID else { throw DomainError.invalid("supplierCode", "no supplier \(supplierCode)") }
            let standing = try await shortages.hasStandingReport(
                consortiumID: consortium.id, drugCode: drugCode, supplierID: supplierID, on: connection)
            try ShortageRules.checkSupplierReport(report, standing: standing, on: today)
            let id = try await shortages.insertSupplierReport(
                consortiumID: consortium.id, drugCode: drugCode, supplierID: supplierID, report: report,
                recordedBy: principal.tokenID, on: connection)
            try await shortages.markDirty(consortiumID: consortium.id, drugCode: drugCode, on: connection)
            let stored = StoredSupplierReport(id: id, drugCode: drugCode, report: report)
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "shortage_supplier_report", entityKey: String(id), before: StoredSupplierReport?.none,
                after: stored)
            return stored
        }
    }

    /// Supply resumes (on `resumedOn`, default today): the report stops standing.
    package func resume(
        id: Int64, resumedOn: BusinessDate?, consortium: Consortium, today: BusinessDate, by principal: Principal
    ) async throws -> StoredSupplierReport {
        try principal.require(
            .recordSupplierReport(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.transaction { connection in
            guard
                let before = try await shortages.supplierReports(
                    consortiumID: consortium.id, id: id, lock: true, on: connection
                ).first
            else { throw DomainError.notFound("no supplier report \(id)") }
            var after = before
            after.report = try ShortageRules.resume(before.report, on: resumedOn ?? today, today: today)
            try await shortages.setResumed(
                consortiumID: consortium.id, id: id, on: after.report.resumedOn ?? today, connection: connection)
            try await shortages.markDirty(consortiumID: consortium.id, drugCode: before.drugCode, on: connection)
            try await database.audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "resume",
                entityType: "shortage_supplier_report", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    /// The consortium's reports, or those standing on a day.
    package func list(consortium: Consortium, standingOn: BusinessDate?, by principal: Principal) async throws
        -> [StoredSupplierReport]
    {
        try principal.require(
            .readAllShortages(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        return try await database.read { connection in
            try await shortages.supplierReports(consortiumID: consortium.id, standingOn: standingOn, on: connection)
        }
    }
}

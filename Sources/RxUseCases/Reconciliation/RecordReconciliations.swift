import Crypto
import Foundation
import RxDomain
import RxStore

/// What a report of records against records (`consortiumrx reconcile herbs|transfers|catalogues`) gives back: the
/// report, or bad input (an unknown round or consortium); RxCLI maps it to an exit status.
package struct RecordReconciliationOutcome<Classification: RecordClassification>: Sendable {
    /// The report rendered in the format asked for (empty on bad input).
    package var output: String
    /// What to show on standard error.
    package var errors: String
    /// The report; nil on bad input.
    package var report: RecordReconciliationReport<Classification>?

    static func badInput(_ message: String) -> Self {
        Self(output: "", errors: message + "\n", report: nil)
    }

    static func done(_ report: RecordReconciliationReport<Classification>, format: ReconciliationReport.Format) -> Self {
        Self(output: report.render(format), errors: "", report: report)
    }
}

/// Records a report's run in `reconciliation_runs` and its discrepancies in `reconciliation_discrepancies`, in the
/// caller's transaction. A report is a snapshot: each run is a new run (sql/010). Its checksum is the SHA-256 of
/// its parameters, so runs of the same report can be found together.
enum RecordReconciliationRun {
    static func checksum(kind: String, parameters: String, asOf: BusinessDate) -> String {
        SHA256.hash(data: Data("\(kind)\n\(parameters)\n\(asOf)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Numbers the entries, records the run and returns the report with its id.
    static func record<C: RecordClassification>(
        kind: String, consortiumID: Int64, subject: String, parameters: String, asOf: BusinessDate, startedAt: Date,
        lines: Int? = nil, entries: [ReportEntry<C>], hasMoney: Bool, createdBy: String, database: Database,
        connection: StoreConnection
    ) async throws -> RecordReconciliationReport<C> {
        let runs = ReconciliationStore(database: database)
        var report = RecordReconciliationReport(
            kind: kind, runID: 0, subject: subject, asOf: asOf, lines: lines,
            entries: RecordReconciliationReport<C>.numbered(entries), hasMoney: hasMoney)
        var counts: [String: Any] = report.counts
        counts["money_at_stake"] = report.moneyAtStake.formatted(places: 2)
        let countsJSON = String(
            decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]), as: UTF8.self)
        guard
            let runID = try await runs.insertRun(
                consortiumID: consortiumID, kind: kind, fileName: String(subject.prefix(1000)),
                checksum: checksum(kind: kind, parameters: parameters, asOf: asOf), asOf: asOf, startedAt: startedAt,
                counts: countsJSON, createdBy: createdBy, on: connection)
        else { throw DomainError.conflict("the run was not recorded") }
        report.runID = runID

        var rows: [ReconciliationStore.DiscrepancyRow] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for e in report.entries where !e.isInLine {
            let detail = String(decoding: try encoder.encode(e.detail), as: UTF8.self)
            for c in e.discrepancies {
                rows.append(
                    ReconciliationStore.DiscrepancyRow(
                        lineNumber: e.row, classification: c.rawValue, detail: detail,
                        moneyAtStake: (e.moneyAtStake ?? Money(0)).formatted(places: 2)))
            }
        }
        try await runs.insertDiscrepancies(rows, runID: runID, consortiumID: consortiumID, on: connection)
        return report
    }

    /// Runs `body` in one transaction; an unknown round or consortium (not found) is bad input.
    static func outcome<C: RecordClassification>(
        database: Database, format: ReconciliationReport.Format,
        _ body: @escaping @Sendable (StoreConnection) async throws -> RecordReconciliationReport<C>
    ) async throws -> RecordReconciliationOutcome<C> {
        do {
            let report = try await database.transaction { connection in try await body(connection) }
            return .done(report, format: format)
        } catch let error as DomainError {
            if case .notFound = error { return .badInput(error.message) }
            throw error
        }
    }

    /// `outcome` of a report over a consortium named by its code (an unknown code is bad input); `body` gets the
    /// consortium's id.
    static func outcome<C: RecordClassification>(
        consortiumCode: String, database: Database, format: ReconciliationReport.Format,
        _ body:
            @escaping @Sendable (RecordReconciliationStore, Int64, StoreConnection) async throws
            -> RecordReconciliationReport<C>
    ) async throws -> RecordReconciliationOutcome<C> {
        let store = RecordReconciliationStore(database: database)
        return try await outcome(database: database, format: format) { connection in
            let consortiumID = try await store.consortiumID(code: consortiumCode, on: connection)
                .orNotFound("no consortium \(consortiumCode)")
            return try await body(store, consortiumID, connection)
        }
    }
}

/// The reports of records against records (`consortiumrx reconcile herbs|transfers|catalogues`): each loads its
/// facts with set-based queries, classifies them by RxDomain's rules and records its run in the same transaction.
package struct RecordReconciliations: Sendable {
    let database: Database

    package init(database: Database) { self.database = database }

    /// `consortiumrx reconcile herbs --round ID`: per member and item of a volume-based round of decoction pieces,
    /// committed against bought (the progress endpoint's figures, as of a date), and every lot the lead's lab rejected
    /// that a member nevertheless received. Two set-based queries; the run is recorded in the same transaction.
    package func herbs(
        roundID: Int64, asOf: BusinessDate, format: ReconciliationReport.Format = .table,
        createdBy: String
    ) async throws -> RecordReconciliationOutcome<HerbCommitmentClassification> {
        let startedAt = Date()
        let store = RecordReconciliationStore(database: database)
        return try await RecordReconciliationRun.outcome(database: database, format: format) { connection in
            let round = try await store.herbRound(id: roundID, on: connection).orNotFound("no herb round \(roundID)")
            let members = try await store.herbCommitmentFacts(
                roundID: roundID, consortiumID: round.consortiumID, asOf: asOf, on: connection)
            let rejected = try await store.rejectedBatchFacts(
                roundID: roundID, consortiumID: round.consortiumID, asOf: asOf, on: connection)
            let entries =
                members.map {
                    HerbCommitmentReconciliation.classify($0, periodStart: round.start, periodEnd: round.end, asOf: asOf)
                } + rejected.map { HerbCommitmentReconciliation.classify($0) }
            return try await RecordReconciliationRun.record(
                kind: "herbs", consortiumID: round.consortiumID,
                subject: "round \(roundID) (\(round.name)), period \(round.start)..\(round.end)",
                parameters: "round=\(roundID)", asOf: asOf, startedAt: startedAt, entries: entries, hasMoney: true,
                createdBy: createdBy, database: database, connection: connection)
        }
    }

    /// `consortiumrx reconcile transfers --consortium CODE`: per approval of a hospital preparation's transfer, approved,
    /// shipped, received, in transit and remaining as of a date; then every shipment outside its approval. The schema
    /// already guarantees a shipment's receiver is named on its approval (foreign key), that it ships the approval's
    /// preparation (it has no drug of its own), that a receipt has its shipment and that a lot is not expired when
    /// shipped (checks); what it cannot guarantee, or what the API refuses but data loaded around it might hold, is
    /// checked here. Two set-based queries; the run is recorded in the same transaction.
    package func transfers(
        consortiumCode: String, asOf: BusinessDate, format: ReconciliationReport.Format = .table,
        createdBy: String
    ) async throws -> RecordReconciliationOutcome<TransferClassification> {
        let startedAt = Date()
        return try await RecordReconciliationRun.outcome(consortiumCode: consortiumCode, database: database, format: format) {
            store, consortiumID, connection in
            let approvals = try await store.transferApprovalFacts(consortiumID: consortiumID, asOf: asOf, on: connection)
            let shipments = try await store.transferShipmentFacts(consortiumID: consortiumID, asOf: asOf, on: connection)
            var shipmentEntries: [Int64: [ReportEntry<TransferClassification>]] = [:]
            for facts in shipments.facts {
                if let entry = TransferApprovalReconciliation.classify(facts) {
                    shipmentEntries[facts.approvalID, default: []].append(entry)
                }
            }
            // Each approval, then the shipments against it that lie outside it.
            var entries: [ReportEntry<TransferClassification>] = []
            for facts in approvals.facts {
                entries.append(TransferApprovalReconciliation.classify(facts, asOf: asOf))
                entries += shipmentEntries[facts.approvalID] ?? []
            }
            return try await RecordReconciliationRun.record(
                kind: "transfers", consortiumID: consortiumID, subject: "consortium \(consortiumCode), transfer approvals",
                parameters: "consortium=\(consortiumCode)", asOf: asOf, startedAt: startedAt,
                lines: approvals.rows + shipments.rows, entries: entries, hasMoney: false,
                createdBy: createdBy, database: database, connection: connection)
        }
    }

    /// `consortiumrx reconcile catalogues --consortium CODE`: every drug on a member's own list against the consortium
    /// catalogue in effect on a date (the published version with the latest effective date on or before it): not in
    /// it, or restricted to levels the member is not. Members without a list of their own use the consortium catalogue
    /// and are in line by construction. One set-based query; the run is recorded in the same transaction.
    package func catalogues(
        consortiumCode: String, asOf: BusinessDate, format: ReconciliationReport.Format = .table,
        createdBy: String
    ) async throws -> RecordReconciliationOutcome<MemberCatalogueClassification> {
        let startedAt = Date()
        return try await RecordReconciliationRun.outcome(consortiumCode: consortiumCode, database: database, format: format) {
            store, consortiumID, connection in
            let version = try await store.catalogueVersionInEffect(consortiumID: consortiumID, on: asOf, connection: connection)
            let listed = try await store.memberListItemCount(consortiumID: consortiumID, on: connection)
            let entries = try await store.memberListItemsOutOfLine(consortiumID: consortiumID, version: version, on: connection)
                .compactMap(MemberCatalogueReconciliation.classify)
            return try await RecordReconciliationRun.record(
                kind: "catalogues", consortiumID: consortiumID,
                subject:
                    "consortium \(consortiumCode), members' lists against catalogue version \(version.map(String.init) ?? "none")",
                parameters: "consortium=\(consortiumCode)", asOf: asOf, startedAt: startedAt, lines: listed,
                entries: entries, hasMoney: false, createdBy: createdBy, database: database, connection: connection)
        }
    }
}

import Foundation
import RxDomain
import RxStore

/// The runs `consortiumrx reconcile` recorded, and finance's review of their discrepancies.
package struct ReconciliationUseCases: Sendable {
    let database: Database
    let reconciliations: ReconciliationStore

    package init(database: Database) {
        self.database = database
        self.reconciliations = ReconciliationStore(database: database)
    }

    /// Reconciliations are the supply centre's and finance's, and open to auditors and regulators.
    func requireReader(_ consortium: Consortium, _ principal: Principal) throws {
        try principal.require(.readFinance(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
    }

    /// Newest first.
    package func list(consortium: Consortium, page: PageRequest, by principal: Principal) async throws
        -> Page<ReconciliationRun>
    {
        try requireReader(consortium, principal)
        return try await reconciliations.list(consortiumID: consortium.id, page: page)
    }

    /// A run with every discrepancy.
    package func get(consortium: Consortium, id: Int64, by principal: Principal) async throws -> ReconciliationRun {
        try requireReader(consortium, principal)
        return try await reconciliations.get(consortiumID: consortium.id, id: id).orNotFound("no reconciliation run \(id)")
    }

    /// A run as its page shows it: the run, how many of its discrepancies are open, disputed and resolved, and one
    /// page of the discrepancies the filter keeps.
    package func page(
        consortium: Consortium, id: Int64, filter: ReconciliationStore.DiscrepancyFilter, page: PageRequest,
        by principal: Principal
    ) async throws -> (run: ReconciliationRun, reviews: [DiscrepancyReview?: Int], discrepancies: Page<RecordedDiscrepancy>) {
        try requireReader(consortium, principal)
        let run = try await reconciliations.header(consortiumID: consortium.id, id: id).orNotFound(
            "no reconciliation run \(id)")
        let reviews = try await reconciliations.reviewCounts(consortiumID: consortium.id, runID: id)
        let discrepancies = try await reconciliations.discrepancyPage(
            consortiumID: consortium.id, runID: id, filter: filter, page: page)
        return (run, reviews, discrepancies)
    }

    /// Finance marks the discrepancies of one line of a run (or only the classification named) resolved or
    /// disputed, with a note; the line's discrepancies as they now stand.
    package func review(
        runID: Int64, lineNumber: Int, classification: String?, as review: DiscrepancyReview, note: String,
        consortiumID: Int64, by principal: Principal
    ) async throws -> [RecordedDiscrepancy] {
        try principal.require(.reviewDiscrepancies(consortiumID: consortiumID))
        return try await database.transaction { connection in
            let before = try await reconciliations.lockDiscrepancies(
                runID: runID, lineNumber: lineNumber, classification: classification, consortiumID: consortiumID,
                on: connection)
            guard !before.isEmpty else {
                throw DomainError.notFound(
                    "run \(runID) has no discrepancy on line \(lineNumber)" + (classification.map { " classified \($0)" } ?? ""))
            }
            for row in before {
                _ = try DiscrepancyReview.next(from: row.review, to: review, note: note)
            }
            let classifications = before.map(\.classification)
            try await reconciliations.setReview(
                review, note: note, reviewer: principal.name, runID: runID, lineNumber: lineNumber,
                classifications: classifications, consortiumID: consortiumID, on: connection)
            struct Record: Encodable { var line: Int; var classifications: [String]; var review: String?; var note: String? }
            try await database.audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "review",
                entityType: "reconciliation_discrepancy", entityKey: "\(runID):\(lineNumber)",
                before: Record(
                    line: lineNumber, classifications: classifications, review: before.first?.review?.rawValue, note: nil),
                after: Record(line: lineNumber, classifications: classifications, review: review.rawValue, note: note))
            return try await reconciliations.discrepancies(
                consortiumID: consortiumID, runID: runID, lineNumber: lineNumber, connection: connection)
        }
    }
}

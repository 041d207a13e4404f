import Foundation
import Testing

/// `bench/reconcile_floor.sql` measures the database's floor for `reconcile invoices` by running the same join as
/// `InvoiceReconciliationStore.matchingQuery`: if the two drift apart, the bench compares ours with another query.
@Suite("bench/reconcile_floor.sql runs InvoiceReconciliationStore.matchingQuery")
struct ReconcileFloorTests {
    static var root: URL { SourceMessages.sources.deletingLastPathComponent() }

    /// The non-empty lines, trimmed, after the first line containing `start` (and, with `opener`, after the next line
    /// that is `opener`) until the next line that is `end`.
    static func block(of text: String, after start: String, opener: String? = nil, until end: String) -> [String] {
        var lines: [String] = []
        var state = 0  // 0: looking for start, 1: for the opener, 2: inside
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            switch state {
            case 0: if line.contains(start) { state = opener == nil ? 2 : 1 }
            case 1: if trimmed == opener { state = 2 }
            default:
                if trimmed == end { return lines }
                if !trimmed.isEmpty { lines.append(trimmed) }
            }
        }
        return lines
    }

    @Test("the floor's statement is the matching query, with psql variables for its bound values")
    func sameQuery() throws {
        let swift = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/RxStore/Reconciliation/InvoiceReconciliationStore.swift"),
            encoding: .utf8)
        let floor = try String(contentsOf: Self.root.appendingPathComponent("bench/reconcile_floor.sql"), encoding: .utf8)
        // The Swift query: the string literal after `static func matchingQuery(`.
        let query = Self.block(of: swift, after: "static func matchingQuery(", opener: "\"\"\"", until: "\"\"\"").map {
            $0.replacingOccurrences(of: "\\(consortiumID)", with: ":consortium_id")
                .replacingOccurrences(of: "\\(asOf)", with: ":'as_of'")
                .replacingOccurrences(of: "reconcile_invoice_lines", with: "bench_floor_lines")
        }
        let bench = Self.block(of: floor, after: "COPY (", until: ") TO STDOUT;")
        #expect(query.count > 50, "the matching query was not found in InvoiceReconciliationStore.swift")
        #expect(Array(query) == bench, "bench/reconcile_floor.sql no longer runs InvoiceReconciliationStore.matchingQuery")
    }
}

import Foundation
import RxDomain
import RxStore

/// Loads shortage list memberships (CSV: drug_code, list_kind, region, valid_from, valid_until, source), from
/// `seeds/reference/shortage_lists.csv` in the seed or a file (`consortiumrx import shortage-lists`): all or nothing,
/// every bad line named with its number and Chinese reason (`Rejected`). The rules are `ShortageListMembership.parse`.
package struct ShortageListImportUseCases: Sendable {
    package typealias Rejected = ProvincialPriceImport.Rejected
    package static let columns = ["drug_code", "list_kind", "region", "valid_from", "valid_until", "source"]

    let database: Database
    let store: ShortageListStore

    package init(database: Database) {
        self.database = database
        self.store = ShortageListStore(database: database)
    }

    /// The file's memberships with their line numbers, or every bad line (`Rejected`).
    package static func parse(_ text: String, file: String) throws -> [(line: Int, membership: ShortageListMembership)] {
        let table: CSVTable
        do {
            table = try CSVTable(text: text, requiredColumns: columns, file: file)
        } catch let error as CSVStreamParser.Malformed {
            throw Rejected(errors: [.init(line: error.line, reason: error.reason)])
        }
        var found: [(Int, ShortageListMembership)] = []
        var errors: [ProvincialPriceImport.LineError] = []
        for row in table.rows {
            var problems: [FieldError] = []
            let drug = table.value(row, "drug_code") ?? ""
            if drug.isEmpty { problems.append(FieldError(field: "drug_code", reason: "is required")) }
            if let damage = SpreadsheetCell.codeDamage(drug) { problems.append(FieldError(field: "drug_code", reason: damage)) }
            let kind = ShortageListKind(rawValue: table.value(row, "list_kind") ?? "")
            if kind == nil {
                problems.append(
                    FieldError(field: "list_kind", reason: "must be national_shortage, key_monitoring or provincial"))
            }
            let from = table.value(row, "valid_from").flatMap(SpreadsheetCell.date)
            if from == nil { problems.append(FieldError(field: "valid_from", reason: "not a date YYYY-MM-DD")) }
            let untilText = table.value(row, "valid_until") ?? ""
            let until = untilText.isEmpty ? nil : SpreadsheetCell.date(untilText)
            if !untilText.isEmpty && until == nil {
                problems.append(FieldError(field: "valid_until", reason: "not a date YYYY-MM-DD"))
            }
            if problems.isEmpty, let kind, let from {
                do {
                    found.append(
                        (
                            row.line,
                            try ShortageListMembership.parse(
                                drugCode: drug, list: kind, region: table.value(row, "region"), from: from, until: until,
                                source: table.value(row, "source") ?? "")
                        ))
                } catch {
                    problems = error.fieldErrors.isEmpty ? [FieldError(field: "line", reason: error.message)] : error.fieldErrors
                }
            }
            if !problems.isEmpty { errors.append(.init(line: row.line, reason: StockOpeningRules.chinese(problems))) }
        }
        guard errors.isEmpty else { throw Rejected(errors: errors) }
        return found
    }

    /// Writes the memberships in the caller's transaction. With `skipUnknownDrugs` (the seed's reference file, whose
    /// drugs exist only with the demo) lines of drugs not in the master data are left out; otherwise each is a bad
    /// line.
    package func load(
        _ lines: [(line: Int, membership: ShortageListMembership)], skipUnknownDrugs: Bool, on connection: StoreConnection
    ) async throws -> Int {
        let known = try await store.knownDrugs(Array(Set(lines.map(\.membership.drugCode))), on: connection)
        let unknown = lines.filter { !known.contains($0.membership.drugCode) }
        if !skipUnknownDrugs && !unknown.isEmpty {
            throw Rejected(
                errors: unknown.map {
                    .init(
                        line: $0.line,
                        reason: StockOpeningRules.chinese([
                            FieldError(field: "drug_code", reason: "no drug \($0.membership.drugCode)")
                        ]))
                })
        }
        return try await store.upsert(
            lines.map(\.membership).filter { known.contains($0.drugCode) }, on: connection)
    }

    /// `consortiumrx import shortage-lists FILE.csv`: the whole file in one transaction, one audit row.
    package func run(text: String, file: String, actor: Actor) async throws -> (lines: Int, changed: Int) {
        let lines = try Self.parse(text, file: file)
        return try await database.transaction { connection in
            let changed = try await load(lines, skipUnknownDrugs: false, on: connection)
            if changed > 0 {
                struct Record: Encodable { var file: String; var lines: Int; var changed: Int }
                try await database.audit.record(
                    on: connection, consortiumID: nil, actor: actor, action: "import", entityType: "shortage_list",
                    entityKey: file, before: Record?.none, after: Record(file: file, lines: lines.count, changed: changed))
            }
            return (lines.count, changed)
        }
    }
}

import Foundation
import RxDomain
import RxStore

/// The drug code crosswalk (药品编码对照, issue 24): list, add and end mappings through the API, load a file of them
/// at the console. Every change writes its audit row in its transaction.
package struct CrosswalkUseCases: Sendable {
    let database: Database
    let store: CrosswalkStore

    package init(database: Database) {
        self.database = database
        self.store = CrosswalkStore(database: database)
    }

    // MARK: Reading

    /// The drug codes an invoice run could not map (`unmapped_code`), by code and reason, with the consortium's
    /// code; nil when there is no such invoice run.
    package func unmapped(runID: Int64) async throws -> (consortiumCode: String, codes: [UnmappedCode])? {
        let runs = ReconciliationStore(database: database)
        guard let run = try await runs.invoiceRunConsortium(runID: runID) else { return nil }
        let codes = try await runs.unmappedCodes(
            runID: runID, consortiumID: run.consortiumID, linesShown: UnmappedCode.linesShown)
        return (run.code, codes)
    }

    /// The consortium's mappings and the national ones, oldest first.
    package func list(
        consortiumID: Int64, codeType: String?, code: String?, drugCode: String?, on day: BusinessDate?,
        page: PageRequest, by principal: Principal
    ) async throws -> Page<CrosswalkMapping> {
        try principal.require(.readCrosswalk(consortiumID: consortiumID))
        var type: DrugCodeType?
        if let codeType {
            guard let parsed = DrugCodeType(name: codeType) else {
                throw DomainError.badRequest(
                    "codeType: must be one of \(DrugCodeType.names)",
                    [FieldError(field: "codeType", reason: "must be one of \(DrugCodeType.names)")])
            }
            type = parsed
        }
        // A code is looked up as kept (trimmed, upper-cased for the letter codes) when its type is known.
        let kept = code.map { text in type.flatMap { try? DrugCode(text, type: $0, field: "code").value } ?? text }
        return try await store.list(
            consortiumID: consortiumID, codeType: type, code: kept, drugCode: drugCode, on: day, page: page)
    }

    // MARK: Changing

    /// Adds a mapping of the consortium (422 naming each bad field; 409 when the code is already mapped on some of
    /// these dates).
    package func create(_ input: CrosswalkMappingInput, consortiumID: Int64, by principal: Principal) async throws
        -> CrosswalkMapping
    {
        try principal.require(.manageCrosswalk(consortiumID: consortiumID))
        return try await database.transaction { transaction in
            let drug = input.drugCode.trimmingCharacters(in: .whitespaces)
            let known = try await store.knownDrugs([drug], connection: transaction)
            var mapping = try CrosswalkRules.validate(input, consortiumID: consortiumID, drugExists: known.contains(drug))
            if let clash = try await store.overlapping([mapping], consortiumID: consortiumID, connection: transaction).first {
                let refusal = CrosswalkRules.overlapRefusal(existing: clash.existing)
                throw DomainError.conflict("\(refusal.field): \(refusal.reason)")
            }
            mapping.id = try await store.insert([mapping], connection: transaction).first
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "create",
                entityType: "drug_code_crosswalk", entityKey: String(mapping.id ?? 0), before: CrosswalkMapping?.none,
                after: mapping)
            return mapping
        }
    }

    /// Ends a mapping of the consortium after `lastDay`. A national mapping is master data, ended at the console:
    /// a consortium's token may not end it (403); another consortium's mapping is not found.
    package func end(id: Int64, consortiumID: Int64, lastDay: BusinessDate, by principal: Principal) async throws
        -> CrosswalkMapping
    {
        try principal.require(.manageCrosswalk(consortiumID: consortiumID))
        return try await end(id: id, lastDay: lastDay, actor: Actor(principal)) { before in
            guard before.consortiumID == nil || before.consortiumID == consortiumID else {
                throw DomainError.notFound("no crosswalk mapping \(id)")
            }
            if before.consortiumID == nil {
                throw DomainError.forbidden(
                    "a national mapping is master data: it is changed at the console, not by a consortium")
            }
        }
    }

    /// Ends any mapping, national or a consortium's, at the console (`consortiumrx crosswalk end`): whoever runs it
    /// holds the database, as for `crosswalk load --national`.
    package func endAtConsole(id: Int64, lastDay: BusinessDate, actor: Actor) async throws -> CrosswalkMapping {
        try await end(id: id, lastDay: lastDay, actor: actor) { _ in }
    }

    /// Locks the mapping, lets `allow` refuse, ends it (`CrosswalkRules.end`) and audits the change.
    private func end(
        id: Int64, lastDay: BusinessDate, actor: Actor, allow: (CrosswalkMapping) throws -> Void
    ) async throws -> CrosswalkMapping {
        try await database.transaction { transaction in
            guard let before = try await store.mapping(id: id, connection: transaction, lock: true) else {
                throw DomainError.notFound("no crosswalk mapping \(id)")
            }
            try allow(before)
            let after = try CrosswalkRules.end(before, lastDay: lastDay)
            try await store.setValidTo(id: id, validTo: after.validTo!, connection: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: before.consortiumID, actor: actor, action: "end",
                entityType: "drug_code_crosswalk", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    // MARK: Files

    /// The columns of a crosswalk file; `specification`, `valid_to` and `source` may be left out.
    package static let requiredColumns = ["code_type", "code", "drug_code", "package_factor", "valid_from"]

    /// What a load came to: the mappings added, or every bad line (and then nothing was written).
    package enum Outcome: Sendable, Equatable {
        case loaded(count: Int)
        case rejected([CrosswalkLineRefusal])
    }

    /// Loads a crosswalk file (UTF-8 or GBK) at the console: into the consortium `consortiumCode`, or the national
    /// rows when it is nil. A line without a source takes `defaultSource` (the file's name). Every line is checked
    /// (its shape, the drug, no overlap with another line or a kept mapping) before anything is written; one bad
    /// line refuses the file and each is named.
    package func load(
        _ input: FileInput, encoding: FileEncoding, consortiumCode: String?, defaultSource: String, actor: Actor
    ) async throws -> Outcome {
        let table: CSVTable
        do {
            table = try CrosswalkStore.readFile(input, encoding: encoding, requiredColumns: Self.requiredColumns)
        } catch let malformed as CSVStreamParser.Malformed {
            return .rejected([CrosswalkLineRefusal(line: malformed.line, field: "file", reason: malformed.reason)])
        }
        let lines = Self.lines(of: table, defaultSource: defaultSource)
        let ragged = table.ragged.map { CrosswalkLineRefusal(line: $0.line, field: "line", reason: $0.reason) }
        do {
            return try await database.transaction { transaction in
                var consortiumID: Int64?
                if let consortiumCode {
                    consortiumID = try await store.consortiumID(code: consortiumCode, connection: transaction)
                        .orNotFound("no consortium \(consortiumCode)")
                }
                let known = try await store.knownDrugs(
                    Array(Set(lines.map { $0.input.drugCode.trimmingCharacters(in: .whitespaces) })), connection: transaction)
                let checked = CrosswalkRules.checkFile(lines, consortiumID: consortiumID, knownDrugs: known)
                var refusals = ragged + checked.refusals
                let clashes = try await store.overlapping(
                    checked.mappings.map(\.mapping), consortiumID: consortiumID, connection: transaction)
                refusals += clashes.map { clash in
                    let refusal = CrosswalkRules.overlapRefusal(existing: clash.existing)
                    return CrosswalkLineRefusal(
                        line: checked.mappings[clash.index].line, field: refusal.field, reason: refusal.reason)
                }
                guard refusals.isEmpty else { throw Rejected(refusals: refusals.sorted { $0.line < $1.line }) }
                var mappings = checked.mappings.map(\.mapping)
                let ids = try await store.insert(mappings, connection: transaction)
                for i in mappings.indices { mappings[i].id = ids[i] }
                try await store.auditLoaded(mappings, consortiumID: consortiumID, actor: actor, connection: transaction)
                return .loaded(count: mappings.count)
            }
        } catch let rejected as Rejected {
            return .rejected(rejected.refusals)
        }
    }

    /// The lines of a crosswalk file as written, with a spreadsheet's dates and numbers read back (`SpreadsheetCell`).
    static func lines(of table: CSVTable, defaultSource: String) -> [(line: Int, input: CrosswalkMappingInput)] {
        func date(_ text: String?) -> String? { text.map { SpreadsheetCell.date($0)?.description ?? $0 } }
        return table.rows.map { row in
            (
                line: row.line,
                input: CrosswalkMappingInput(
                    codeType: table.value(row, "code_type") ?? "", code: table.value(row, "code") ?? "",
                    specification: table.value(row, "specification"), drugCode: table.value(row, "drug_code") ?? "",
                    packageFactor: table.value(row, "package_factor").map { SpreadsheetCell.number($0) ?? $0 } ?? "",
                    validFrom: date(table.value(row, "valid_from")) ?? "", validTo: date(table.value(row, "valid_to")),
                    source: table.value(row, "source") ?? defaultSource)
            )
        }
    }

    /// The demo's crosswalk (`seeds/demo/drug_code_crosswalk.csv`) into the demo consortium, in the seed's
    /// transaction: checked as a loaded file is (the first bad line is thrown), then only the mappings no kept mapping
    /// of the code overlaps are written (a second seed writes nothing), each with its audit row. The number written.
    package func seed(_ data: Data, consortiumCode: String, actor: Actor, on connection: StoreConnection) async throws
        -> Int
    {
        let table: CSVTable
        do {
            table = try CrosswalkStore.readFile(.data(data), encoding: .utf8, requiredColumns: Self.requiredColumns)
        } catch let malformed as CSVStreamParser.Malformed {
            throw Rejected(refusals: [CrosswalkLineRefusal(line: malformed.line, field: "file", reason: malformed.reason)])
        }
        let consortiumID = try await store.consortiumID(code: consortiumCode, connection: connection)
            .orNotFound("no consortium \(consortiumCode)")
        let lines = Self.lines(of: table, defaultSource: "demo")
        let known = try await store.knownDrugs(
            Array(Set(lines.map { $0.input.drugCode.trimmingCharacters(in: .whitespaces) })), connection: connection)
        let checked = CrosswalkRules.checkFile(lines, consortiumID: consortiumID, knownDrugs: known)
        let refusals =
            table.ragged.map { CrosswalkLineRefusal(line: $0.line, field: "line", reason: $0.reason) }
            + checked.refusals
        guard refusals.isEmpty else { throw Rejected(refusals: refusals) }
        let written = try await store.insertNew(checked.mappings.map(\.mapping), connection: connection)
        try await store.auditLoaded(written, consortiumID: consortiumID, actor: actor, connection: connection)
        return written.count
    }

    package struct Rejected: Error { package var refusals: [CrosswalkLineRefusal] }
}

import Foundation
import Logging
import RxDomain
import RxStore

/// Loads `seeds/`: reference data (essential-list editions, policy defaults) and, with `demo`, the demo
/// consortium, its suppliers and drugs. One transaction; a second load changes nothing.
package struct SeedLoader: Sendable {
    package struct Summary: Sendable, Equatable, CustomStringConvertible {
        package var changes: [String: Int] = [:]
        package var total: Int { changes.values.reduce(0, +) }
        package var description: String {
            total == 0
                ? "nothing to change"
                : changes.sorted(by: { $0.key < $1.key }).filter { $0.value > 0 }.map { "\($0.key): \($0.value)" }
                    .joined(separator: ", ")
        }
    }

    package struct Invalid: Error, CustomStringConvertible {
        package var file: String
        package var line: Int
        package var reason: String
        package var description: String { "\(file), line \(line): \(reason)" }
    }

    let database: Database
    let directory: URL
    let store: SeedStore
    /// The demo stock's expiry dates are set from its today.
    let clock: BusinessClock

    package init(database: Database, directory: URL, clock: BusinessClock = .system) {
        self.database = database
        self.directory = directory
        self.store = SeedStore(database: database)
        self.clock = clock
    }

    var logger: Logger { database.logger }

    package func load(demo: Bool) async throws -> Summary {
        let editions = try self.editions()
        let defaults = try policyDefaults()
        let demoData = demo ? try DemoData(loader: self) : nil
        let shortageLists = try self.shortageLists()
        var summary = try await database.transaction { connection in
            var summary = Summary()
            summary.changes["essential list editions"] = try await store.upsertEditions(editions, on: connection)
            summary.changes["policy defaults"] = try await store.upsertDefaults(defaults, on: connection)
            if let demoData {
                let code = demoData.consortium.code
                summary.changes["suppliers"] = try await store.upsertSuppliers(demoData.suppliers, on: connection)
                summary.changes["drugs"] = try await store.upsertDrugs(demoData.drugs, on: connection)
                summary.changes["consortia and institutions"] = try await store.upsertConsortium(
                    demoData.consortium, on: connection)
                var catalogues = 0
                if let catalogue = demoData.consortium.catalogue {
                    catalogues = try await store.publishFirstCatalogue(
                        consortiumCode: code, effectiveFrom: catalogue.effectiveFrom, items: demoData.catalogueItems,
                        on: connection)
                }
                summary.changes["catalogue versions"] = catalogues
                summary.changes["long-prescription rules and prescribers"] = try await seedLongPrescriptions(
                    demoData, on: connection)
                do {
                    summary.changes["provincial prices"] = try await PriceImportUseCases(database: database)
                        .load(
                            .data(demoData.prices), encoding: .utf8, consortiumCode: code, actor: .console("seed"),
                            on: connection
                        )
                        .imported
                } catch let rejected as ProvincialPriceImport.Rejected {
                    throw Invalid(
                        file: "demo/provincial_bid_prices.csv", line: rejected.errors[0].line, reason: rejected.errors[0].reason)
                }
                summary.changes["hospital preparations and licences"] = try await store.upsertPreparations(
                    consortiumCode: code, preparations: demoData.preparations, licences: demoData.licences, on: connection)
                summary.changes["herb quality limits"] = try await store.upsertQualityLimits(
                    demoData.qualityLimits, on: connection)
                summary.changes["traceability code prefixes"] = try await store.upsertTraceabilityPrefixes(
                    demoData.traceabilityPrefixes, on: connection)
                do {
                    summary.changes["drug code crosswalk"] = try await CrosswalkUseCases(database: database).seed(
                        demoData.crosswalk, consortiumCode: code, actor: .console("seed"), on: connection)
                } catch let rejected as CrosswalkUseCases.Rejected {
                    let first = rejected.refusals[0]
                    throw Invalid(
                        file: "demo/drug_code_crosswalk.csv", line: first.line, reason: "\(first.field): \(first.reason)")
                }
                do {
                    let usage = try await HerbUsageImportUseCases(database: database)
                        .load(
                            .data(demoData.herbUsage), encoding: .utf8, consortiumCode: code, year: nil,
                            actor: .console("seed"), on: connection)
                    summary.changes["herb usage"] = usage.imported + usage.updated
                } catch let rejected as HerbUsageImport.Rejected {
                    throw Invalid(
                        file: "demo/herb_usage_2025.csv", line: rejected.errors[0].line, reason: rejected.errors[0].reason)
                }
                summary.changes["demo stock movements, locations and recalls"] = try await seedStock(
                    consortiumCode: code, on: connection)
            }
            // After the demo's drugs: the reference file names drugs that exist only with the demo.
            summary.changes["shortage list memberships"] = try await ShortageListImportUseCases(database: database)
                .load(shortageLists, skipUnknownDrugs: true, on: connection)
            if summary.total > 0 {
                struct Record: Encodable { var demo: Bool; var changes: [String: Int] }
                try await database.audit.record(
                    on: connection, consortiumID: nil, actor: .console("seed"), action: "seed", entityType: "seed",
                    entityKey: demo ? "demo" : "reference", before: Record?.none,
                    after: Record(demo: demo, changes: summary.changes))
            }
            return summary
        }
        if summary.total > 0 { try await store.analyze() }
        if let demoData {
            // The demo's extended prescriptions go through the use cases, each move its own transaction.
            let moves = try await seedExtendedPrescriptions(consortiumCode: demoData.consortium.code)
            if moves > 0 { summary.changes["extended prescriptions' moves"] = moves }
            let vbp = try await seedVBPAgreement(consortiumCode: demoData.consortium.code)
            if vbp > 0 { summary.changes["VBP agreement records"] = vbp }
            // The demo's own scan, after the seed committed (the scan reads stock through other connections): the
            // shortages `make run` shows. Nothing changes on a second seed of the same day.
            _ = try await ShortageScanUseCases(database: database).scan(
                consortiumCode: demoData.consortium.code, today: clock.today(), actor: .console("seed"))
        }
        return summary
    }

    func table(_ path: String, _ columns: [String]) throws -> CSVTable {
        let url = directory.appendingPathComponent(path)
        let text = try String(contentsOf: url, encoding: .utf8)
        do {
            return try CSVTable(text: text, requiredColumns: columns, file: path)
        } catch let error as CSVStreamParser.Malformed {
            throw Invalid(file: path, line: error.line, reason: error.reason)
        }
    }

    /// seeds/reference/essential_list_editions.csv.
    func editions() throws -> [SeedRecords.Edition] {
        let t = try table("reference/essential_list_editions.csv", ["edition", "effective_from", "item_count", "note"])
        return try t.rows.map { row in
            guard let edition = t.value(row, "edition"), let from = t.value(row, "effective_from") else {
                throw Invalid(
                    file: "essential_list_editions.csv", line: row.line, reason: "edition and effective_from are required")
            }
            return SeedRecords.Edition(
                edition: edition, effectiveFrom: from, itemCount: t.value(row, "item_count").flatMap { Int($0) },
                note: t.value(row, "note"))
        }
    }

    /// seeds/reference/shortage_lists.csv (`ShortageListImportUseCases.parse`).
    func shortageLists() throws -> [(line: Int, membership: ShortageListMembership)] {
        let path = "reference/shortage_lists.csv"
        let text = try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
        do {
            return try ShortageListImportUseCases.parse(text, file: path)
        } catch let rejected as ShortageListImportUseCases.Rejected {
            throw Invalid(file: "shortage_lists.csv", line: rejected.errors[0].line, reason: rejected.errors[0].reason)
        }
    }

    /// seeds/reference/policy_defaults.csv.
    func policyDefaults() throws -> [SeedRecords.PolicyDefault] {
        let t = try table("reference/policy_defaults.csv", ["key", "value", "effective_from", "source"])
        return try t.rows.map { row in
            guard let key = t.value(row, "key"), let value = t.value(row, "value"),
                let from = t.value(row, "effective_from"), let source = t.value(row, "source")
            else { throw Invalid(file: "policy_defaults.csv", line: row.line, reason: "every column is required") }
            return SeedRecords.PolicyDefault(key: key, value: value, effectiveFrom: from, source: source)
        }
    }

    /// The demo consortium's first long-prescription rule set, when it has none (never looser than the national
    /// rules: `LongPrescriptionRules.checkRuleSet`), and its prescribers.
    private func seedLongPrescriptions(_ demo: DemoData, on connection: StoreConnection) async throws -> Int {
        guard let consortiumID = try await store.consortiumID(code: demo.consortium.code, on: connection) else { return 0 }
        var changed = 0
        if let rules = demo.longPrescriptionRules,
            !(try await store.hasLongPrescriptionRules(consortiumID: consortiumID, on: connection))
        {
            let longPrescriptions = LongPrescriptionStore(database: database)
            let national = try await longPrescriptions.national(
                consortiumID: consortiumID, on: rules.effectiveFrom, field: "effectiveFrom", connection: connection)
            try LongPrescriptionRules.checkRuleSet(rules, nationalMaxDays: national.maxDays)
            guard try await longPrescriptions.insertRuleSet(rules, consortiumID: consortiumID, connection: connection) != nil
            else { throw DomainError.conflict("the rule set was not recorded") }
            changed += 1
        }
        return changed + (try await store.upsertPrescribers(demo.prescribers, consortiumID: consortiumID, on: connection))
    }
}

import Foundation
import RxDomain
import RxStore

/// What one scan did: the records it opened, reopened, updated and closed (as they are after the scan).
package struct ShortageScanResult: Sendable, Equatable {
    package var on: BusinessDate
    package var drugsScanned: Int
    package var opened: [ShortageRecord] = []
    package var reopened: [ShortageRecord] = []
    package var updated: [ShortageRecord] = []
    package var closed: [ShortageRecord] = []
}

/// The shortage scan (短缺监测): for every drug a consortium holds, uses, waits for or has a record of, the signals
/// (`ShortageRules.signals`) and their effect on the drug's latest record (`ShortageRules.reconcile`), written in one
/// transaction with an audit row per record changed. Scans of one consortium are serialized.
package struct ShortageScanUseCases: Sendable {
    let database: Database
    let shortages: ShortageStore

    package init(database: Database) {
        self.database = database
        self.shortages = ShortageStore(database: database)
    }

    /// The settings the rules read on `today`.
    func settings(consortiumID: Int64, today: BusinessDate, connection: StoreConnection) async throws -> ShortageSettings {
        let settings = Settings(logger: database.logger)
        func read(_ key: PolicySetting<Int>) async throws -> Int {
            try await settings.required(key, consortiumID: consortiumID, on: today, connection: connection)
        }
        let found = ShortageSettings(
            lowStockDays: try await read(.shortageLowStockDays),
            deliveryDeadlineDays: try await read(.shortageDeliveryDeadlineDays),
            windowDays: try await read(.stockConsumptionWindowDays), surplusDays: try await read(.shortageSurplusDays),
            reopenWindowDays: try await read(.shortageReopenWindowDays))
        try found.check()
        return found
    }

    /// The consortia the server's task scans now (`ShortageScanSchedule`): those not yet scanned today and those
    /// whose drugs were marked since their last scan (`shortage_scan_dirty`).
    package func dueConsortia(today: BusinessDate) async throws -> [Int64] {
        ShortageScanSchedule.due(try await shortages.scanStates(), today: today)
    }

    /// Scans a consortium found by code, for the console (cron) or the server's task.
    package func scan(consortiumCode: String, today: BusinessDate, actor: Actor) async throws -> ShortageScanResult {
        let consortium = try await ConsortiumUseCases(database: database).find(code: consortiumCode)
            .orNotFound("no consortium \(consortiumCode)")
        return try await scan(consortiumID: consortium.id, today: today, actor: actor)
    }

    /// Scans every drug of the consortium on `today`.
    package func scan(consortiumID: Int64, today: BusinessDate, actor: Actor) async throws -> ShortageScanResult {
        // The marks are taken in a short transaction of their own, before the facts are read. Taken inside the scan's
        // transaction, a mark deleted but not yet committed would hold every dispensing of its drug (its insert of
        // the mark waits on the deleted row) until the scan commits. A movement committed after this point marks its
        // drug again for the next scan; if this scan fails, the marks it took are put back.
        let taken = try await database.transaction { connection in
            try await shortages.takeDirty(consortiumID: consortiumID, on: connection)
        }
        do {
            return try await scanTaken(consortiumID: consortiumID, today: today, actor: actor)
        } catch {
            if !taken.isEmpty {
                try? await database.transaction { connection in
                    try await shortages.markDirty(consortiumID: consortiumID, drugCodes: taken, on: connection)
                }
            }
            throw error
        }
    }

    func scanTaken(consortiumID: Int64, today: BusinessDate, actor: Actor) async throws -> ShortageScanResult {
        let (window, shelfLife) = try await StockUseCases(database: database).window(
            consortiumID: consortiumID, today: today)
        // Stock and consumption through the days-of-stock reads (other connections of the pool); scans racing each
        // other read the same facts, and the lock below makes the second see the first's records.
        let positions = try await StockUseCases(database: database).positions(
            consortiumID: consortiumID, institutionID: nil, drugCode: nil, window: window, today: today,
            minimumShelfLife: shelfLife)
        return try await database.transaction { connection in
            try await shortages.lockScan(consortiumID: consortiumID, on: connection)
            let settings = try await settings(consortiumID: consortiumID, today: today, connection: connection)
            let lines = try await shortages.openOrderLines(consortiumID: consortiumID, on: connection)
            let undelivered = try await shortages.undeliveredExtendedPrescriptions(
                consortiumID: consortiumID, on: connection)
            let reports = try await shortages.standingReports(consortiumID: consortiumID, on: today, connection: connection)
            let latest = try await shortages.latestRecords(consortiumID: consortiumID, on: connection)

            var facts: [String: [String: MemberStockFacts]] = [:]
            for p in positions.map(\.position) {
                guard let member = p.institutionCode else { continue }
                facts[p.drugCode, default: [:]][member] = MemberStockFacts(
                    institutionCode: member, onHand: p.issuable, consumed: p.consumed)
            }
            for l in lines {
                facts[l.drugCode, default: [:]][
                    l.institutionCode,
                    default: MemberStockFacts(
                        institutionCode: l.institutionCode, onHand: .zero, consumed: .zero)
                ].openOrderLines.append(l.line)
            }
            for u in undelivered {
                facts[u.drugCode, default: [:]][
                    u.institutionCode,
                    default: MemberStockFacts(institutionCode: u.institutionCode, onHand: .zero, consumed: .zero)
                ].undeliveredPrescriptions.append(u.prescription)
            }
            let reportsByDrug = Dictionary(grouping: reports, by: \.drugCode)
            var drugs = Set(facts.keys).union(reportsByDrug.keys)
            drugs.formUnion(latest.values.filter { $0.record.status == .open }.map(\.record.drugCode))

            var result = ShortageScanResult(on: today, drugsScanned: drugs.count)
            for drug in drugs.sorted() {
                let assessment = try ShortageRules.signals(
                    drugCode: drug, members: Array((facts[drug] ?? [:]).values),
                    supplierReports: (reportsByDrug[drug] ?? []).map(\.report), settings: settings, on: today)
                // When another session opened the drug's record first (`shortages_one_open`), the record is read
                // again and the assessment applied to it.
                var record = latest[drug]?.record
                for attempt in 0..<2 {
                    if try await apply(
                        assessment, latest: record, reports: reportsByDrug[drug] ?? [], settings: settings,
                        consortiumID: consortiumID, actor: actor, result: &result, connection: connection)
                    {
                        break
                    }
                    guard attempt == 0 else {
                        throw DomainError.conflict("the shortage of \(drug) changed during the scan; scan again")
                    }
                    record = try await shortages.latestRecords(consortiumID: consortiumID, drugCode: drug, on: connection)[
                        drug]?.record
                }
            }
            try await shortages.markSeen(consortiumID: consortiumID, on: today, connection: connection)
            try await shortages.recordScan(consortiumID: consortiumID, on: today, connection: connection)
            return result
        }
    }

    /// Writes one drug's change; false when another session opened the drug's record first (nothing written).
    func apply(
        _ assessment: ShortageAssessment, latest: ShortageRecord?, reports: [StandingSupplierReport],
        settings: ShortageSettings, consortiumID: Int64, actor: Actor, result: inout ShortageScanResult,
        connection: StoreConnection
    ) async throws -> Bool {
        let today = assessment.on
        let change = ShortageRules.reconcile(latest: latest, assessment: assessment, settings: settings)
        var written: ShortageRecord
        let action: String
        switch change {
        case .none:
            return true
        case .open(let record):
            guard let id = try await shortages.insertOpen(consortiumID: consortiumID, record: record, on: connection)
            else { return false }
            written = record
            written.id = id
            action = "open"
        case .reopen(let record):
            guard try await shortages.updateHead(consortiumID: consortiumID, record: record, on: connection)
            else { return false }
            written = record
            action = "reopen"
        case .update(let record, _, _):
            _ = try await shortages.updateHead(consortiumID: consortiumID, record: record, on: connection)
            written = record
            action = "update"
        case .close(let record, _):
            _ = try await shortages.updateHead(consortiumID: consortiumID, record: record, on: connection)
            written = record
            action = "close"
        }
        guard let id = written.id else { return true }
        try await shortages.syncMembers(
            consortiumID: consortiumID, shortageID: id, affected: written.affected, on: today, connection: connection)
        try await shortages.syncSignals(
            consortiumID: consortiumID, shortageID: id, signals: Self.rows(written.signals, reports: reports), on: today,
            connection: connection)
        try await database.audit.record(
            on: connection, consortiumID: consortiumID, actor: actor, action: action, entityType: "shortage",
            entityKey: String(id), before: action == "open" ? nil : latest, after: written)
        switch change {
        case .open: result.opened.append(written)
        case .reopen: result.reopened.append(written)
        case .update: result.updated.append(written)
        case .close: result.closed.append(written)
        case .none: break
        }
        return true
    }

    /// The signals as rows: a supplier's signal points at its earliest standing report of the drug; a signal is
    /// written once.
    static func rows(_ signals: [ShortageSignal], reports: [StandingSupplierReport]) -> [SignalRow] {
        var seen = Set<ShortageSignal>()
        return signals.compactMap { signal in
            guard seen.insert(signal).inserted else { return nil }
            let report = signal.supplierCode.flatMap { code in reports.first { $0.report.supplierCode == code }?.id }
            return SignalRow(signal: signal, supplierReportID: report)
        }
    }
}

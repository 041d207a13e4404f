import Crypto
import Foundation
import Logging
import NIOCore
import RxDomain
import RxStore

/// `consortiumrx reconcile invoices`: a distributor's invoice file against the consortium's orders, receipts,
/// member catalogues and the two-invoice rule, in memory that grows with the consortium's received lots, not with
/// the file.
///
/// The file is hashed (SHA-256); under an advisory lock on that checksum a file already reconciled with the same
/// code type is reported from its earlier run. Otherwise the file is read twice in 1 MiB chunks. The first pass
/// checks every line (a bad line anywhere: bad input, every bad line named, nothing recorded) and keeps only the
/// drug codes, the members invoiced and the hashes of the duplicate keys; then the records of those members are
/// read into memory (`InvoiceReconciliationStore.matchingRecords`). The codes are read through the crosswalk
/// (`--code-type`, `InvoiceCodeReading`); a file whose codes read as an earlier run's did is reported from it. The
/// second pass reads each line through the crosswalk (`InvoiceLineReading`), finds its facts in the records
/// (`InvoiceFileMatching`) and judges it (`ReconciliationRules.classify`); the discrepancies are stored with one
/// INSERT and written to the output a batch at a time, and only counters and money totals are kept. The run is
/// recorded in the same transaction. RxCLI maps the outcome to an exit status.
///
/// The staging table and the matching query (`copy`, `readBothWays`) are the database path the streamed one is
/// held equal to (`InvoiceMatchingTieTests`).
package struct ReconcileInvoices: Sendable {
    package struct Outcome: Sendable {
        /// The report, when it was kept in memory (`run(data:…)`); a streamed report went to its output.
        package var output: String
        /// What to show on standard error.
        package var errors: String
        /// The run and its summary (nil on bad input); its discrepancies only when the output kept them.
        package var report: ReconciliationReport?
        /// The file's bad lines, when it was refused for them (nothing was recorded).
        package var rejected: InvoiceFile.Rejected?
    }

    /// Where the file comes from.
    package typealias Input = FileInput

    /// Lines fetched from the matching cursor at a time.
    package static var batchSize: Int { InvoiceReconciliationStore.batchSize }

    let database: Database
    let store: InvoiceReconciliationStore
    var logger: Logger { database.logger }

    package init(database: Database) {
        self.database = database
        self.store = InvoiceReconciliationStore(database: database)
    }

    package static func checksum(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of the input, read in chunks.
    static func checksum(_ input: Input) throws -> String {
        switch input {
        case .data(let data): return checksum(data)
        case .file:
            var hasher = SHA256()
            var source = try ChunkSource(input)
            while let chunk = try source.next() { hasher.update(data: chunk) }
            return hex(hasher.finalize())
        }
    }

    /// The report in memory (tests and small files): `output` and `report.discrepancies` are filled.
    package func run(
        data: Data, fileName: String, consortiumCode: String, encoding: InvoiceFile.Encoding = .utf8,
        codeType: FileCodeType = .auto, format: ReconciliationReport.Format = .table, asOf: BusinessDate,
        createdBy: String
    ) async throws -> Outcome {
        let output = InMemoryReconciliationOutput()
        var outcome = try await run(
            input: .data(data), fileName: fileName, consortiumCode: consortiumCode, encoding: encoding,
            codeType: codeType, format: format, asOf: asOf, createdBy: createdBy, output: output)
        outcome.output = output.text
        outcome.report?.discrepancies = output.discrepancies
        return outcome
    }

    /// Reconciles the input, writing the report to `output` as it is produced (nothing is written on bad input).
    package func run(
        input: Input, fileName: String, consortiumCode: String, encoding: InvoiceFile.Encoding = .utf8,
        codeType: FileCodeType = .auto, format: ReconciliationReport.Format = .table, asOf: BusinessDate,
        createdBy: String, output: any ReconciliationOutput, progress: (any ReconciliationProgressReporter)? = nil
    ) async throws -> Outcome {
        let checksum = try Self.checksum(input)
        let done: Done
        do {
            done = try await database.transaction { connection in
                try await reconcile(
                    input, encoding: encoding, codeType: codeType, fileName: fileName, checksum: checksum,
                    consortiumCode: consortiumCode, asOf: asOf, createdBy: createdBy, format: format, output: output,
                    progress: progress,
                    connection: connection)
            }
        } catch let error as InvoiceFile.Rejected {
            return Outcome(
                output: "", errors: "\(fileName): nothing was reconciled; fix these lines:\n\(error)\n", rejected: error)
        } catch let error as DomainError {
            if case .notFound = error {
                return Outcome(output: "", errors: "\(fileName): \(error.message)\n")
            }
            throw error
        }
        progress?.report(ReconciliationProgress(phase: .done))
        // The summary goes out once the run is committed.
        try output.write(ReconciliationReportWriter(format: format).end(runID: done.runID, summary: done.summary))
        try output.flush()
        let report = ReconciliationReport(
            runID: done.runID, fileName: done.fileName, alreadyReconciled: done.alreadyReconciled,
            summary: done.summary, discrepancies: [])
        return Outcome(
            output: "", errors: done.alreadyReconciled ? "\(fileName) was already reconciled as run \(done.runID)\n" : "",
            report: report)
    }

    /// Who may upload a file to reconcile for the consortium: finance or the supply centre (the console asks before
    /// it reads the file).
    package static func requireUploader(_ consortium: Consortium, _ principal: Principal) throws(DomainError) {
        try principal.require(
            .reconcileInvoiceFiles(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
    }

    /// A file uploaded in the web console (对账): who uploads must reconcile for the consortium (finance or the
    /// supply centre), and is named on the run. The report is not kept (the run's page reads the recorded
    /// discrepancies); `progress` is told as the CLI's bar is.
    package func run(
        upload input: Input, fileName: String, consortium: Consortium, encoding: InvoiceFile.Encoding,
        codeType: FileCodeType, asOf: BusinessDate, by principal: Principal,
        progress: (any ReconciliationProgressReporter)?
    ) async throws -> Outcome {
        try Self.requireUploader(consortium, principal)
        return try await run(
            input: input, fileName: fileName, consortiumCode: consortium.code, encoding: encoding, codeType: codeType,
            asOf: asOf, createdBy: principal.name, output: SummaryOnlyReconciliationOutput(), progress: progress)
    }

    /// Each line of a file, read and matched both ways: by the staging table, the crosswalk's `UPDATE` and the
    /// matching query (the database path), and by `InvoiceLineReading` and `InvoiceFileMatching` over the records
    /// read once (the streamed path `run` takes). Writes nothing; `InvoiceMatchingTieTests` holds the two equal.
    package func readBothWays(data: Data, consortiumCode: String, codeType: FileCodeType = .auto, asOf: BusinessDate)
        async throws -> [(database: (InvoiceFileLine, InvoiceLineFacts), streamed: (InvoiceFileLine, InvoiceLineFacts))]
    {
        try await database.transaction { connection in
            guard let consortiumID = try await store.consortiumID(code: consortiumCode, on: connection)
            else { throw DomainError.notFound("no consortium \(consortiumCode)") }
            try await store.createStagingTable(on: connection)
            let (_, codes) = try await copy(.data(data), encoding: .utf8, progress: nil, connection: connection)
            let translations = try await translations(
                of: codes, codeType: codeType, consortiumID: consortiumID, asOf: asOf, connection: connection)
            try await store.translateCodes(translations, on: connection)
            try await store.declareMatching(consortiumID: consortiumID, asOf: asOf, on: connection)
            var found: [(InvoiceFileLine, InvoiceLineFacts)] = []
            var rows = try await store.fetchMatching(on: connection)
            while !rows.isEmpty {
                found += rows
                rows = rows.count == Self.batchSize ? try await store.fetchMatching(on: connection) : []
            }
            try await store.closeMatching(on: connection)

            let scan = try await scan(.data(data), encoding: .utf8, progress: nil)
            var matching = InvoiceFileMatching(
                records: try await store.matchingRecords(
                    consortiumID: consortiumID, asOf: asOf, institutions: scan.institutions.sorted(), on: connection),
                repeatedKeys: scan.repeatedKeys)
            let reading = InvoiceLineReading(translations)
            var streamed: [(InvoiceFileLine, InvoiceLineFacts)] = []
            var reader = InvoiceFileReader(encoding: .utf8)
            func match(_ line: InvoiceFileLine) {
                let (read, unmapped) = reading.read(line)
                streamed.append((read, matching.facts(of: read, unmappedCode: unmapped)))
            }
            data.withUnsafeBytes { reader.feed($0, match) }
            reader.finish(match)
            return Array(zip(found, streamed))
        }
    }

    struct Done: Sendable {
        var runID: Int64
        var fileName: String
        var alreadyReconciled: Bool
        var summary: ReconciliationSummary
    }

    func reconcile(
        _ input: Input, encoding: InvoiceFile.Encoding, codeType: FileCodeType, fileName: String, checksum: String,
        consortiumCode: String, asOf: BusinessDate, createdBy: String, format: ReconciliationReport.Format,
        output: any ReconciliationOutput, progress: (any ReconciliationProgressReporter)?, connection: StoreConnection
    ) async throws -> Done {
        guard let consortiumID = try await store.consortiumID(code: consortiumCode, on: connection)
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        try await store.lockFile(consortiumID: consortiumID, checksum: checksum, on: connection)
        var writer = ReconciliationReportWriter(format: format)
        // A file whose codes were all drugs' own (every file before the crosswalk) is replayed unread, whatever
        // its encoding; otherwise its codes decide whether the crosswalk reads them as the earlier run did.
        if try await store.plainEarlierRun(
            consortiumID: consortiumID, checksum: checksum, codeType: codeType.description, on: connection),
            let earlier = try await earlierRun(
                consortiumID: consortiumID, checksum: checksum, codeType: codeType, crosswalkKey: "", writer: &writer,
                output: output, connection: connection)
        {
            return earlier
        }

        var clock = PhaseClock()
        // The first pass: every line checked, and the file's drug codes, members and repeated duplicate keys kept.
        let scan = try await self.scan(input, encoding: encoding, progress: progress)
        clock.lap("read")
        // The records of the members the file invoices: a small file of a large consortium reads a few of them.
        let records = try await store.matchingRecords(
            consortiumID: consortiumID, asOf: asOf, institutions: scan.institutions.sorted(), on: connection)
        clock.lap("records")
        let translations = try await translations(
            of: scan.codes, codeType: codeType, consortiumID: consortiumID, asOf: asOf, connection: connection)
        let crosswalkKey = translations.isEmpty ? "" : Self.checksum(Data(InvoiceCodeReading.key(translations).utf8))
        if let earlier = try await earlierRun(
            consortiumID: consortiumID, checksum: checksum, codeType: codeType, crosswalkKey: crosswalkKey,
            writer: &writer, output: output, connection: connection)
        {
            return earlier
        }
        clock.lap("crosswalk")

        let runs = ReconciliationStore(database: database)
        guard
            let runID = try await runs.insertRun(
                consortiumID: consortiumID, kind: "invoices", fileName: fileName, checksum: checksum, asOf: asOf,
                startedAt: nil, counts: "{}", createdBy: createdBy, codeType: codeType.description,
                crosswalkKey: crosswalkKey, on: connection)
        else { throw DomainError.conflict("the run was not recorded") }
        try output.write(writer.begin(runID: runID, fileName: fileName, alreadyReconciled: false, lines: scan.lines))

        // The second pass: each line read through the crosswalk, its facts found in the records, judged, and its
        // discrepancies stored and written a batch at a time.
        let lines = scan.lines
        var matching = InvoiceFileMatching(records: records, repeatedKeys: scan.repeatedKeys)
        let reading = InvoiceLineReading(translations)
        var tally = ReconciliationTally()
        var matched = 0
        var batch: [ReconciliationDiscrepancy] = []
        func judge(_ line: InvoiceFileLine) {
            let (read, unmapped) = reading.read(line)
            let found = ReconciliationRules.classify(read, matching.facts(of: read, unmappedCode: unmapped))
            tally.add(line: found)
            batch += found
            matched += 1
        }
        func flush() async throws {
            clock.lap("match")
            try await runs.insertDiscrepancies(
                batch.map {
                    ReconciliationStore.DiscrepancyRow(
                        lineNumber: $0.lineNumber, classification: $0.classification.rawValue,
                        detail: JSONText.object($0.detail), moneyAtStake: $0.moneyAtStake.formatted(places: 2))
                }, runID: runID, consortiumID: consortiumID, on: connection)
            clock.lap("store")
            try output.write(writer.discrepancies(batch))
            output.found(batch)
            progress?.report(ReconciliationProgress(phase: .matching, linesRead: lines, linesMatched: matched, totalLines: lines))
            batch.removeAll(keepingCapacity: true)
            clock.lap("output")
        }
        var reader = InvoiceFileReader(encoding: encoding)
        var source = try ChunkSource(input)
        var hasher = SHA256()
        while let chunk = try source.next() {
            hasher.update(data: chunk)
            chunk.withUnsafeBytes { reader.feed($0, judge) }
            if batch.count >= Self.batchSize { try await flush() }
            await Task.yield()
        }
        reader.finish(judge)
        // The file must be the one checksummed and scanned: one changed since would make a report of neither.
        guard Self.hex(hasher.finalize()) == checksum, matched == lines, !reader.failed else {
            throw DomainError.conflict("\(fileName) changed while it was reconciled; nothing was recorded")
        }
        try await flush()
        logger.debug(
            "reconcile invoices: where the time went",
            metadata: clock.metadata(lines: lines).merging(["receipts": "\(records.receiptCount)"]) { $1 })

        let summary = tally.summary(lines: lines)
        var counts: [String: Any] = summary.countsByName
        counts["money_at_stake"] = summary.moneyAtStake.formatted(places: 2)
        let countsJSON = String(
            decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]), as: UTF8.self)
        try await runs.finishRun(runID: runID, consortiumID: consortiumID, counts: countsJSON, on: connection)
        struct Recorded: Encodable {
            var fileName: String
            var checksum: String
            var codeType: String
            var lines: Int
            var counts: [String: Int]
            var moneyAtStake: String
        }
        try await database.audit.record(
            on: connection, consortiumID: consortiumID, actor: Actor(tokenID: nil, label: createdBy, role: nil),
            action: "reconcile", entityType: "reconciliation_run", entityKey: String(runID), before: nil as Recorded?,
            after: Recorded(
                fileName: fileName, checksum: checksum, codeType: codeType.description, lines: lines,
                counts: summary.countsByName, moneyAtStake: summary.moneyAtStake.formatted(places: 2)))
        return Done(runID: runID, fileName: fileName, alreadyReconciled: false, summary: summary)
    }

    /// What the first pass over a file finds.
    struct FileScan {
        var lines: Int
        var codes: Set<String>
        var institutions: Set<String>
        var repeatedKeys: Set<Int>
    }

    /// Reads and validates every line of the file, keeping only its drug codes and the duplicate keys that repeat.
    /// A bad line anywhere throws `InvoiceFile.Rejected` with every bad line.
    func scan(_ input: Input, encoding: InvoiceFile.Encoding, progress: (any ReconciliationProgressReporter)?)
        async throws -> FileScan
    {
        var reader = InvoiceFileReader(encoding: encoding)
        var source = try ChunkSource(input)
        var codes = Set<String>()
        var institutions = Set<String>()
        var keys = InvoiceFileMatching.RepeatedKeys()
        func note(_ line: InvoiceFileLine) {
            codes.insert(line.drugCode)
            institutions.insert(line.institutionCode)
            keys.note(line)
        }
        while let chunk = try source.next() {
            chunk.withUnsafeBytes { reader.feed($0, note) }
            progress?.report(
                ReconciliationProgress(
                    phase: .reading, linesRead: reader.linesRead, bytesRead: source.bytesRead,
                    totalBytes: source.totalBytes))
            // A file is seconds of work: let the server's other requests in between its chunks.
            await Task.yield()
        }
        reader.finish(note)
        try reader.verdict()
        return FileScan(lines: reader.goodLines, codes: codes, institutions: institutions, repeatedKeys: keys.finished())
    }

    /// The crosswalk's reading of the file's drug codes that are not a drug's own code read as itself (those need
    /// nothing): decided by `InvoiceCodeReading.translate` from the mappings of every candidate code, which codes
    /// are drugs, and how the order lines count the drugs mapped to.
    func translations(
        of codes: Set<String>, codeType: FileCodeType, consortiumID: Int64, asOf: BusinessDate,
        connection: StoreConnection
    ) async throws -> [InvoiceCodeTranslation] {
        let sorted = codes.sorted()
        let drugs = try await store.drugCodes(among: sorted, on: connection)
        let candidates = Set(sorted.flatMap { InvoiceCodeReading.candidates($0, type: codeType).codes })
        let mappings = try await CrosswalkStore(database: database).mappings(
            of: Array(candidates), consortiumID: consortiumID, connection: connection)
        let units = try await store.orderUnits(
            of: Array(Set(mappings.map(\.drugCode))), consortiumID: consortiumID, on: asOf, connection: connection)
        let byCode = Dictionary(grouping: mappings, by: \.code)
        return sorted.compactMap { code in
            let (codes, _, _) = InvoiceCodeReading.candidates(code, type: codeType)
            let translation = InvoiceCodeReading.translate(
                code, type: codeType, isDrugCode: drugs.contains(code), mappings: codes.flatMap { byCode[$0] ?? [] },
                orderUnits: units)
            return translation.isIdentity ? nil : translation
        }
    }

    /// Reads, validates and COPYs the file into the staging table; the number of lines and the drug codes they
    /// name. Bad input fails the COPY (nothing of it stays) and throws `InvoiceFile.Rejected` with every bad line.
    func copy(
        _ input: Input, encoding: InvoiceFile.Encoding, progress: (any ReconciliationProgressReporter)?,
        connection: StoreConnection
    ) async throws -> (lines: Int, codes: Set<String>) {
        var reader = InvoiceFileReader(encoding: encoding)
        var source = try ChunkSource(input)
        var codes = Set<String>()
        let flushAt = 1 << 18
        try await store.copyIntoStagingTable(on: connection) { send in
            var buffer = ByteBufferAllocator().buffer(capacity: flushAt + (1 << 16))
            // Once a line is bad nothing more is sent; the rest is only read for its errors.
            var sending = true
            func append(_ line: InvoiceFileLine) {
                if sending {
                    InvoiceReconciliationStore.appendStagingRow(line, to: &buffer)
                    codes.insert(line.drugCode)
                }
            }
            while let chunk = try source.next() {
                chunk.withUnsafeBytes { reader.feed($0, append) }
                if reader.failed {
                    sending = false
                    buffer.clear()
                } else if buffer.readableBytes >= flushAt {
                    try await send(buffer)
                    buffer.clear()
                }
                progress?.report(
                    ReconciliationProgress(
                        phase: .reading, linesRead: reader.linesRead, bytesRead: source.bytesRead,
                        totalBytes: source.totalBytes))
            }
            reader.finish(append)
            try reader.verdict()
            if buffer.readableBytes > 0 { try await send(buffer) }
        }
        return (reader.goodLines, codes)
    }

    /// The run that already reconciled this file read the same way: its report streamed to `output` (the summary
    /// is left to the caller).
    func earlierRun(
        consortiumID: Int64, checksum: String, codeType: FileCodeType, crosswalkKey: String,
        writer: inout ReconciliationReportWriter, output: any ReconciliationOutput, connection: StoreConnection
    ) async throws -> Done? {
        guard
            let run = try await store.earlierRun(
                consortiumID: consortiumID, checksum: checksum, codeType: codeType.description, crosswalkKey: crosswalkKey,
                on: connection)
        else {
            return nil
        }
        let object = (try JSONSerialization.jsonObject(with: Data(run.counts.utf8))) as? [String: Any] ?? [:]
        var counts: [ReconciliationClassification: Int] = [:]
        func int(_ key: String) -> Int { (object[key] as? Int) ?? (object[key] as? NSNumber)?.intValue ?? 0 }
        for c in ReconciliationClassification.allCases { counts[c] = int(c.rawValue) }
        let lines = int("lines")
        let money =
            (object["money_at_stake"] as? String).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) } ?? 0
        let summary = ReconciliationSummary(lines: lines, counts: counts, moneyAtStake: Money(money))

        try output.write(writer.begin(runID: run.id, fileName: run.fileName, alreadyReconciled: true, lines: lines))
        try await store.declareEarlier(consortiumID: consortiumID, runID: run.id, on: connection)
        while true {
            let (fetched, batch) = try await store.fetchEarlier(on: connection)
            try output.write(writer.discrepancies(batch))
            output.found(batch)
            if fetched < Self.batchSize { break }
        }
        try await store.closeEarlier(on: connection)
        return Done(runID: run.id, fileName: run.fileName, alreadyReconciled: true, summary: summary)
    }
}

/// Where a run's time goes, phase by phase (laps of the same name add up); logged at debug level
/// (`LOG_LEVEL=debug consortiumrx reconcile invoices …`).
struct PhaseClock {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant
    private var totals: [(String, Duration)] = []

    init() { last = clock.now }

    mutating func lap(_ phase: String) {
        let now = clock.now
        if let i = totals.firstIndex(where: { $0.0 == phase }) {
            totals[i].1 += now - last
        } else {
            totals.append((phase, now - last))
        }
        last = now
    }

    func metadata(lines: Int) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["lines": "\(lines)"]
        for (phase, duration) in totals {
            // In whole milliseconds: no floating point in a file about money.
            let (seconds, attoseconds) = duration.components
            metadata[phase] = "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
        }
        return metadata
    }
}

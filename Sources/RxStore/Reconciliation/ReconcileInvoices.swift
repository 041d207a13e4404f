import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

/// `consortiumrx reconcile invoices`: a distributor's invoice file against the consortium's orders, receipts,
/// member catalogues and the two-invoice rule, in constant memory.
///
/// The file is hashed (SHA-256, one cheap pass); under an advisory lock on that checksum a file already reconciled
/// is reported from its earlier run. Otherwise the file is read again in 1 MiB chunks, each line validated and
/// streamed with COPY into a temporary table; a bad line anywhere rolls everything back (exit 2, every bad line
/// named). The lines are matched in one set-based query read through a cursor in batches: each batch is judged by
/// `ReconciliationRules`, its discrepancies stored with one INSERT and written to the output, and only counters and
/// money totals are kept; then the next batch is fetched, so one is in memory at a time. The run is recorded in the
/// same transaction.
package struct ReconcileInvoices: Sendable {
    package struct Outcome: Sendable {
        /// 0 every line matched, 1 discrepancies, 2 bad input.
        package var status: Int32
        /// The report, when it was kept in memory (`run(data:…)`); a streamed report went to its output.
        package var output: String
        /// What to show on standard error.
        package var errors: String
        /// The run and its summary (nil on bad input); its discrepancies only when the output kept them.
        package var report: ReconciliationReport?
    }

    /// Where the file comes from.
    package typealias Input = FileInput

    /// Lines fetched from the matching cursor at a time.
    package static let batchSize = 10_000

    let database: Database
    var logger: Logger { database.logger }

    package init(database: Database) { self.database = database }

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
        format: ReconciliationReport.Format = .table, asOf: BusinessDate, createdBy: String
    ) async throws -> Outcome {
        let output = InMemoryReconciliationOutput()
        var outcome = try await run(
            input: .data(data), fileName: fileName, consortiumCode: consortiumCode, encoding: encoding,
            format: format, asOf: asOf, createdBy: createdBy, output: output)
        outcome.output = output.text
        outcome.report?.discrepancies = output.discrepancies
        return outcome
    }

    /// Reconciles the input, writing the report to `output` as it is produced (nothing is written on bad input).
    package func run(
        input: Input, fileName: String, consortiumCode: String, encoding: InvoiceFile.Encoding = .utf8,
        format: ReconciliationReport.Format = .table, asOf: BusinessDate, createdBy: String,
        output: any ReconciliationOutput, progress: (any ReconciliationProgressReporter)? = nil
    ) async throws -> Outcome {
        let checksum = try Self.checksum(input)
        let done: Done
        do {
            done = try await database.transaction { connection in
                try await reconcile(
                    input, encoding: encoding, fileName: fileName, checksum: checksum, consortiumCode: consortiumCode,
                    asOf: asOf, createdBy: createdBy, format: format, output: output, progress: progress,
                    connection: connection)
            }
        } catch let error as InvoiceFile.Rejected {
            return Outcome(
                status: ReconciliationRules.badInput, output: "",
                errors: "\(fileName): nothing was reconciled; fix these lines:\n\(error)\n")
        } catch let error as DomainError {
            if case .notFound = error {
                return Outcome(status: ReconciliationRules.badInput, output: "", errors: "\(fileName): \(error.message)\n")
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
            status: report.exitStatus, output: "",
            errors: done.alreadyReconciled ? "\(fileName) was already reconciled as run \(done.runID)\n" : "",
            report: report)
    }

    struct Done: Sendable {
        var runID: Int64
        var fileName: String
        var alreadyReconciled: Bool
        var summary: ReconciliationSummary
    }

    static let copyColumns = [
        "line_number", "distributor_code", "invoice_number", "invoice_date", "manufacturer_invoice_number", "manufacturer_code",
        "institution_code", "drug_code", "lot_number", "quantity", "unit_price", "amount",
    ]

    func reconcile(
        _ input: Input, encoding: InvoiceFile.Encoding, fileName: String, checksum: String, consortiumCode: String,
        asOf: BusinessDate, createdBy: String, format: ReconciliationReport.Format, output: any ReconciliationOutput,
        progress: (any ReconciliationProgressReporter)?, connection: PostgresConnection
    ) async throws -> Done {
        guard let consortiumID = try await ConsortiumStore(database: database).find(code: consortiumCode, on: connection)?.id
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        // One run per file at a time: a second process with the same file waits here, then finds the first run.
        try await connection.run(
            "SELECT pg_advisory_xact_lock(hashtextextended(\("reconcile:\(consortiumID):\(checksum)"), 0))", logger: logger)
        var writer = ReconciliationReportWriter(format: format)
        if let earlier = try await earlierRun(
            consortiumID: consortiumID, checksum: checksum, writer: &writer, output: output,
            connection: connection)
        {
            return earlier
        }

        try await connection.run(
            """
            CREATE TEMPORARY TABLE reconcile_invoice_lines (
                line_number int PRIMARY KEY, distributor_code text NOT NULL, invoice_number text NOT NULL,
                invoice_date date NOT NULL, manufacturer_invoice_number text, manufacturer_code text,
                institution_code text NOT NULL, drug_code text NOT NULL, lot_number text NOT NULL,
                quantity numeric(14, 3) NOT NULL, unit_price numeric(14, 4) NOT NULL, amount numeric(16, 4) NOT NULL
            ) ON COMMIT DROP
            """, logger: logger)
        var clock = PhaseClock()
        let lines = try await copy(input, encoding: encoding, progress: progress, connection: connection)
        clock.lap("copy")
        try await connection.run("ANALYZE reconcile_invoice_lines", logger: logger)
        clock.lap("analyze")

        let asOfText = asOf.description
        guard
            let runID = try await connection.row(
                """
                INSERT INTO reconciliation_runs (consortium_id, kind, file_name, input_checksum, as_of, started_at, counts, created_by)
                VALUES (\(consortiumID), 'invoices', \(fileName), \(checksum), \(asOfText)::date, now(), '{}'::jsonb, \(createdBy))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { throw DomainError.conflict("the run was not recorded") }
        try output.write(writer.begin(runID: runID, fileName: fileName, alreadyReconciled: false, lines: lines))

        // A cursor is planned for its first rows unless told all of them will be read.
        try await connection.run("SET LOCAL cursor_tuple_fraction = 1.0", logger: logger)
        var declare = Self.matchingQuery(consortiumID: consortiumID, asOf: asOfText)
        declare.sql = "DECLARE reconcile_match NO SCROLL CURSOR FOR " + declare.sql
        try await connection.run(declare, logger: logger)
        clock.lap("declare")
        var tally = ReconciliationTally()
        var matched = 0
        var rows = try await fetchBatch(connection)
        clock.lap("fetch")
        while !rows.isEmpty {
            // One query at a time on the connection: fetching the next batch while this one's INSERT was queued
            // behind it crashed PostgresNIO's row stream under load (RowStreamStateMachine: "receive a body part,
            // after a channelReadComplete, but no read has been forwarded yet").
            let more = rows.count == Self.batchSize
            var batch: [ReconciliationDiscrepancy] = []
            for (line, facts) in rows {
                let found = ReconciliationRules.classify(line, facts)
                tally.add(line: found)
                batch += found
            }
            matched += rows.count
            clock.lap("classify")
            try await store(batch, consortiumID: consortiumID, runID: runID, connection: connection)
            clock.lap("store")
            try output.write(writer.discrepancies(batch))
            output.found(batch)
            progress?.report(ReconciliationProgress(phase: .matching, linesRead: lines, linesMatched: matched, totalLines: lines))
            clock.lap("output")
            rows = more ? try await fetchBatch(connection) : []
            clock.lap("fetch")
        }
        try await connection.run("CLOSE reconcile_match", logger: logger)
        logger.debug("reconcile invoices: where the time went", metadata: clock.metadata(lines: lines))

        let summary = tally.summary(lines: lines)
        var counts: [String: Any] = summary.countsByName
        counts["money_at_stake"] = summary.moneyAtStake.formatted(places: 2)
        let countsJSON = String(
            decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]), as: UTF8.self)
        try await connection.run(
            """
            UPDATE reconciliation_runs SET counts = \(countsJSON)::jsonb, finished_at = clock_timestamp()
            WHERE consortium_id = \(consortiumID) AND id = \(runID)
            """, logger: logger)
        return Done(runID: runID, fileName: fileName, alreadyReconciled: false, summary: summary)
    }

    /// Reads, validates and COPYs the file into `reconcile_invoice_lines`; the number of lines. Bad input fails the
    /// COPY (nothing of it stays) and throws `InvoiceFile.Rejected` with every bad line.
    func copy(
        _ input: Input, encoding: InvoiceFile.Encoding, progress: (any ReconciliationProgressReporter)?,
        connection: PostgresConnection
    ) async throws -> Int {
        var reader = InvoiceFileReader(encoding: encoding)
        var source = try ChunkSource(input)
        let flushAt = 1 << 18
        try connection.ensureOpen()
        try await connection.copyFrom(table: "reconcile_invoice_lines", columns: Self.copyColumns, logger: logger) { copyWriter in
            var buffer = ByteBufferAllocator().buffer(capacity: flushAt + (1 << 16))
            // Once a line is bad nothing more is sent; the rest is only read for its errors.
            var sending = true
            func append(_ line: InvoiceFileLine) {
                if sending { CopyText.append(line, to: &buffer) }
            }
            while let chunk = try source.next() {
                chunk.withUnsafeBytes { reader.feed($0, append) }
                if reader.failed {
                    sending = false
                    buffer.clear()
                } else if buffer.readableBytes >= flushAt {
                    try await copyWriter.write(buffer)
                    buffer.clear()
                }
                progress?.report(
                    ReconciliationProgress(
                        phase: .reading, linesRead: reader.linesRead, bytesRead: source.bytesRead,
                        totalBytes: source.totalBytes))
            }
            reader.finish(append)
            try reader.verdict()
            if buffer.readableBytes > 0 { try await copyWriter.write(buffer) }
        }
        return reader.goodLines
    }

    func store(_ batch: [ReconciliationDiscrepancy], consortiumID: Int64, runID: Int64, connection: PostgresConnection)
        async throws
    {
        guard !batch.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO reconciliation_discrepancies (consortium_id, run_id, line_number, classification, detail, money_at_stake)
            SELECT \(consortiumID), \(runID), n, c, d::jsonb, m::numeric
            FROM unnest(\(batch.map(\.lineNumber))::int[], \(batch.map(\.classification.rawValue))::text[],
                        \(batch.map { JSONText.object($0.detail) })::text[],
                        \(batch.map { $0.moneyAtStake.formatted(places: 2) })::text[]) AS x (n, c, d, m)
            """, logger: logger)
    }

    /// The next batch of the matching cursor, decoded.
    func fetchBatch(_ connection: PostgresConnection) async throws -> [(InvoiceFileLine, InvoiceLineFacts)] {
        var batch: [(InvoiceFileLine, InvoiceLineFacts)] = []
        batch.reserveCapacity(Self.batchSize)
        let rows = try await connection.stream("FETCH \(unescaped: String(Self.batchSize)) FROM reconcile_match", logger: logger)
        for try await r in rows.decode(Self.MatchRow.self) {
            let line = InvoiceFileLine(
                lineNumber: r.0, distributorCode: r.1, invoiceNumber: r.2, invoiceDate: BusinessDate(r.3) ?? InvoiceFile.epoch,
                manufacturerInvoiceNumber: r.4, manufacturerCode: r.5, institutionCode: r.6, drugCode: r.7, lotNumber: r.8,
                quantity: r.9.value, unitPrice: Money(r.10.value), amount: Money(r.11.value))
            var orderLine: InvoicedOrderLine?
            if let orderID = r.13, let lineNo = r.14, let price = r.15, let supplied = r.16 {
                orderLine = InvoicedOrderLine(
                    orderID: orderID, lineNo: lineNo, unifiedPrice: Money(price.value), suppliedByInvoicingDistributor: supplied,
                    line: ReceiptBalance(received: r.17?.value ?? 0, billed: r.18?.value ?? 0),
                    lot: ReceiptBalance(received: r.19?.value ?? 0, billed: r.20?.value ?? 0))
            }
            let facts = InvoiceLineFacts(
                duplicateOfLine: r.12, recordedInvoice: r.21.map { RecordedInvoiceReference(id: $0, paid: r.22) },
                orderLine: orderLine, inMemberCatalogue: r.23, chainProblem: r.24)
            batch.append((line, facts))
        }
        return batch
    }

    typealias MatchRow = (
        Int, String, String, String, String?, String?, String, String, String, NumericColumn, NumericColumn,
        NumericColumn, Int?, Int64?, Int?, NumericColumn?, Bool?, NumericColumn?, NumericColumn?, NumericColumn?,
        NumericColumn?, Int64?, Bool, Bool, String?
    )

    /// Each line of `reconcile_invoice_lines` with what the database knows about it (`InvoiceLineFacts`), in line order.
    ///
    /// What a line may bill is what was received of its lot (and of its order line) less what was billed before it:
    /// by invoices recorded through the API, and by the file's earlier lines (running sums over the lines that claim
    /// the same order line, leaving out duplicates and lines of invoices already recorded).
    static func matchingQuery(consortiumID: Int64, asOf: String) -> PostgresQuery {
        """
        WITH catalogue AS (
            SELECT catalogue_version_in_effect(\(consortiumID), \(asOf)::date) AS number
        ), keyed AS (
            SELECT t.*, lot_key(t.lot_number) AS lot FROM reconcile_invoice_lines t
        ), numbered AS (
            SELECT t.*, min(t.line_number) OVER (
                PARTITION BY t.distributor_code, t.invoice_number, t.drug_code, t.lot) AS first_line
            FROM keyed t
        ), judged AS (
            SELECT t.*, i.id AS institution_id, i.consortium_id AS institution_consortium, i.level, mc.institution_id AS own_list,
                   s.id AS manufacturer_id, s.code AS manufacturer, s.is_manufacturer, s.counts_as_manufacturer_id,
                   m.order_id, m.line_no, m.unit_price AS unit_price_ordered, m.supplied, m.line_received, m.lot_received,
                   r.id AS recorded_invoice, coalesce(r.paid, false) AS recorded_paid,
                   -- the line claims the order line's units when it is not a duplicate nor of a recorded invoice
                   (t.first_line = t.line_number AND r.id IS NULL AND m.order_id IS NOT NULL AND m.supplied) AS claims
            FROM numbered t
            LEFT JOIN institutions i ON i.consortium_id = \(consortiumID) AND i.code = t.institution_code
            LEFT JOIN member_catalogues mc ON mc.consortium_id = i.consortium_id AND mc.institution_id = i.id
            LEFT JOIN suppliers s ON s.code = t.manufacturer_code
            -- the invoicing distributor, found once per line
            LEFT JOIN suppliers sd ON sd.code = t.distributor_code
            LEFT JOIN LATERAL (
                SELECT v.id, EXISTS (SELECT 1 FROM payments p WHERE p.consortium_id = v.consortium_id AND p.invoice_id = v.id) AS paid
                FROM invoices v
                WHERE v.consortium_id = \(consortiumID) AND v.distributor_id = sd.id AND v.invoice_number = t.invoice_number
            ) r ON true
            -- the member's order line for the drug with a receipt of the lot: one the invoicing distributor supplied
            -- when there is one, else another (then the distributor is the wrong one)
            LEFT JOIN LATERAL (
                SELECT pol.order_id, pol.line_no, pol.unit_price, coalesce(co.distributor_id = sd.id, false) AS supplied,
                       pol.received_quantity AS line_received, sum(d.quantity) AS lot_received
                FROM purchase_orders po
                JOIN purchase_order_lines pol ON pol.consortium_id = po.consortium_id AND pol.order_id = po.id
                JOIN deliveries d ON d.consortium_id = pol.consortium_id AND d.order_id = pol.order_id
                                 AND d.line_no = pol.line_no AND d.lot_key = t.lot
                LEFT JOIN consolidated_orders co ON co.consortium_id = pol.consortium_id AND co.id = pol.consolidated_order_id
                WHERE po.consortium_id = i.consortium_id AND po.institution_id = i.id AND pol.drug_code = t.drug_code
                  AND po.status <> 'cancelled'
                GROUP BY pol.order_id, pol.line_no, pol.unit_price, pol.received_quantity, co.distributor_id
                ORDER BY coalesce(co.distributor_id = sd.id, false) DESC, pol.order_id DESC, pol.line_no
                LIMIT 1
            ) m ON true
        )
        SELECT t.line_number, t.distributor_code, t.invoice_number, t.invoice_date::text, t.manufacturer_invoice_number,
               t.manufacturer_code, t.institution_code, t.drug_code, t.lot_number, t.quantity, t.unit_price, t.amount,
               CASE WHEN t.first_line < t.line_number THEN t.first_line END,
               t.order_id, t.line_no, t.unit_price_ordered, t.supplied,
               t.line_received,
               b.line_billed + coalesce(sum(CASE WHEN t.claims THEN t.quantity END) OVER (
                   PARTITION BY t.order_id, t.line_no ORDER BY t.line_number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
               t.lot_received,
               b.lot_billed + coalesce(sum(CASE WHEN t.claims THEN t.quantity END) OVER (
                   PARTITION BY t.order_id, t.line_no, t.lot ORDER BY t.line_number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
               t.recorded_invoice, t.recorded_paid,
               CASE
                   WHEN t.institution_id IS NULL THEN false
                   WHEN t.own_list IS NOT NULL THEN EXISTS (
                       SELECT 1 FROM member_catalogue_items mi
                       WHERE mi.consortium_id = t.institution_consortium AND mi.institution_id = t.institution_id
                         AND mi.drug_code = t.drug_code)
                   ELSE EXISTS (
                       SELECT 1 FROM catalogue_items ci JOIN catalogue c ON c.number = ci.version_number
                       WHERE ci.consortium_id = t.institution_consortium AND ci.drug_code = t.drug_code
                         AND catalogue_item_allows(ci.levels, t.level))
               END,
               CASE
                   WHEN t.manufacturer_invoice_number IS NULL THEN 'missing manufacturer invoice number'
                   WHEN t.manufacturer_code IS NULL THEN 'missing manufacturer code'
                   WHEN t.manufacturer_id IS NULL THEN 'unknown manufacturer ' || t.manufacturer_code
                   WHEN NOT t.is_manufacturer AND t.counts_as_manufacturer_id IS NULL
                       THEN 'the manufacturer invoice comes from a plain distributor ' || t.manufacturer
               END
        FROM judged t
        -- what invoices recorded through the API billed of the order line, and of the lot
        LEFT JOIN LATERAL (
            SELECT coalesce(sum(x.quantity), 0) AS line_billed,
                   coalesce(sum(x.quantity) FILTER (WHERE x.lot_key = t.lot), 0) AS lot_billed
            FROM invoice_lines x
            WHERE x.consortium_id = \(consortiumID) AND x.order_id = t.order_id AND x.order_line_no = t.line_no
              AND NOT x.discrepancies && ARRAY['wrong_distributor']
        ) b ON true
        ORDER BY t.line_number
        """
    }

    /// The run that already reconciled this file: its report streamed to `output` (the summary is left to the caller).
    func earlierRun(
        consortiumID: Int64, checksum: String, writer: inout ReconciliationReportWriter, output: any ReconciliationOutput,
        connection: PostgresConnection
    ) async throws -> Done? {
        guard
            let run = try await connection.row(
                """
                SELECT id, file_name, counts::text FROM reconciliation_runs
                WHERE consortium_id = \(consortiumID) AND kind = 'invoices' AND input_checksum = \(checksum)
                """, as: (Int64, String, String).self, logger: logger)
        else { return nil }
        let object = (try JSONSerialization.jsonObject(with: Data(run.2.utf8))) as? [String: Any] ?? [:]
        var counts: [ReconciliationClassification: Int] = [:]
        func int(_ key: String) -> Int { (object[key] as? Int) ?? (object[key] as? NSNumber)?.intValue ?? 0 }
        for c in ReconciliationClassification.allCases { counts[c] = int(c.rawValue) }
        let lines = int("lines")
        let money =
            (object["money_at_stake"] as? String).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) } ?? 0
        let summary = ReconciliationSummary(lines: lines, counts: counts, moneyAtStake: Money(money))

        try output.write(writer.begin(runID: run.0, fileName: run.1, alreadyReconciled: true, lines: lines))
        let order = ReconciliationClassification.allCases.map(\.rawValue)
        try await connection.run(
            """
            DECLARE reconcile_earlier NO SCROLL CURSOR FOR
            SELECT line_number, classification, detail::text, money_at_stake::text FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(run.0)
            ORDER BY line_number, array_position(\(order)::text[], classification)
            """, logger: logger)
        let posix = Locale(identifier: "en_US_POSIX")
        while true {
            let rows = try await connection.rows(
                "FETCH \(unescaped: String(Self.batchSize)) FROM reconcile_earlier", as: (Int, String, String, String).self,
                logger: logger)
            let batch = rows.compactMap { r -> ReconciliationDiscrepancy? in
                guard let c = ReconciliationClassification(rawValue: r.1) else { return nil }
                let detail = (try? JSONDecoder().decode([String: String].self, from: Data(r.2.utf8))) ?? [:]
                return ReconciliationDiscrepancy(
                    lineNumber: r.0, classification: c, detail: detail,
                    moneyAtStake: Money(Decimal(string: r.3, locale: posix) ?? 0))
            }
            try output.write(writer.discrepancies(batch))
            output.found(batch)
            if rows.count < Self.batchSize { break }
        }
        try await connection.run("CLOSE reconcile_earlier", logger: logger)
        return Done(runID: run.0, fileName: run.1, alreadyReconciled: true, summary: summary)
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

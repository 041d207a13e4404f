import Crypto
import Foundation
import Logging
import PostgresNIO
import RxDomain

/// `consortiumrx reconcile invoices`: a distributor's invoice file against the consortium's orders, receipts,
/// member catalogues and the two-invoice rule. The lines go into a temporary table and are matched in one
/// set-based query; the run, its counts and discrepancies are recorded in the same transaction. A file already
/// reconciled (same SHA-256) is not counted again: the earlier run is reported.
public struct ReconcileInvoices: Sendable {
    public struct Outcome: Sendable {
        /// 0 every line matched, 1 discrepancies, 2 bad input.
        public var status: Int32
        /// The report (empty on bad input).
        public var output: String
        /// What to show on standard error.
        public var errors: String
        public var report: ReconciliationReport?
    }

    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    public static func checksum(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    public func run(data: Data, fileName: String, consortiumCode: String, encoding: InvoiceFile.Encoding = .utf8,
                    format: ReconciliationReport.Format = .table, asOf: BusinessDate, createdBy: String) async throws -> Outcome {
        let lines: [InvoiceFileLine]
        do {
            lines = try InvoiceFile.parse(try InvoiceFile.decode(data, encoding: encoding))
        } catch {
            return Outcome(status: ReconciliationRules.badInput, output: "",
                           errors: "\(fileName): nothing was reconciled; fix these lines:\n\(error)\n")
        }
        let checksum = Self.checksum(data)
        let report: ReconciliationReport
        do {
            report = try await database.transaction { connection in
                try await reconcile(lines, fileName: fileName, checksum: checksum, consortiumCode: consortiumCode, asOf: asOf,
                                    createdBy: createdBy, connection: connection)
            }
        } catch let error as DomainError {
            if case .notFound = error {
                return Outcome(status: ReconciliationRules.badInput, output: "", errors: "\(fileName): \(error.message)\n")
            }
            throw error
        }
        return Outcome(status: report.exitStatus, output: report.render(format),
                       errors: report.alreadyReconciled ? "\(fileName) was already reconciled as run \(report.runID)\n" : "",
                       report: report)
    }

    func reconcile(_ lines: [InvoiceFileLine], fileName: String, checksum: String, consortiumCode: String, asOf: BusinessDate,
                   createdBy: String, connection: PostgresConnection) async throws -> ReconciliationReport {
        guard let consortiumID = try await connection.row(
            "SELECT id FROM consortia WHERE code = \(consortiumCode)", as: Int64.self, logger: logger)
        else { throw DomainError.notFound("no consortium \(consortiumCode)") }
        // One run per file at a time: a second process with the same file waits here, then finds the first run.
        try await connection.run("SELECT pg_advisory_xact_lock(hashtextextended(\("reconcile:\(consortiumID):\(checksum)"), 0))", logger: logger)
        if let earlier = try await earlierRun(consortiumID: consortiumID, checksum: checksum, connection: connection) {
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
        // Eleven array parameters whatever the number of lines; empty text stands for a missing optional field.
        try await connection.run(
            """
            INSERT INTO reconcile_invoice_lines
            SELECT n, dc, inv, d::date, NULLIF(mi, ''), NULLIF(mc, ''), ic, dr, lot, q::numeric, p::numeric, a::numeric
            FROM unnest(\(lines.map(\.lineNumber))::int[], \(lines.map(\.distributorCode))::text[], \(lines.map(\.invoiceNumber))::text[],
                        \(lines.map(\.invoiceDate.description))::text[], \(lines.map { $0.manufacturerInvoiceNumber ?? "" })::text[],
                        \(lines.map { $0.manufacturerCode ?? "" })::text[], \(lines.map(\.institutionCode))::text[],
                        \(lines.map(\.drugCode))::text[], \(lines.map(\.lotNumber))::text[],
                        \(lines.map { "\($0.quantity)" })::text[], \(lines.map { "\($0.unitPrice.amount)" })::text[],
                        \(lines.map { "\($0.amount.amount)" })::text[])
                 AS l (n, dc, inv, d, mi, mc, ic, dr, lot, q, p, a)
            """, logger: logger)
        try await connection.run("ANALYZE reconcile_invoice_lines", logger: logger)

        let asOfText = asOf.description
        let rows = try await connection.rows(
            """
            WITH catalogue AS (
                SELECT number FROM catalogue_versions
                WHERE consortium_id = \(consortiumID) AND status = 'published' AND effective_from <= \(asOfText)::date
                ORDER BY effective_from DESC LIMIT 1
            ), numbered AS (
                SELECT t.*, min(t.line_number) OVER (
                    PARTITION BY t.distributor_code, t.invoice_number, t.drug_code, t.lot_number) AS first_line
                FROM reconcile_invoice_lines t
            )
            SELECT t.line_number,
                   CASE WHEN t.first_line < t.line_number THEN t.first_line END,
                   m.order_id, m.line_no, m.unit_price, m.received,
                   CASE
                       WHEN i.id IS NULL THEN false
                       WHEN mc.institution_id IS NOT NULL THEN EXISTS (
                           SELECT 1 FROM member_catalogue_items mi
                           WHERE mi.consortium_id = i.consortium_id AND mi.institution_id = i.id AND mi.drug_code = t.drug_code)
                       ELSE EXISTS (
                           SELECT 1 FROM catalogue_items ci JOIN catalogue c ON c.number = ci.version_number
                           WHERE ci.consortium_id = i.consortium_id AND ci.drug_code = t.drug_code
                             AND (cardinality(ci.levels) = 0 OR i.level = ANY (ci.levels)))
                   END,
                   CASE
                       WHEN t.manufacturer_invoice_number IS NULL THEN 'missing manufacturer invoice number'
                       WHEN t.manufacturer_code IS NULL THEN 'missing manufacturer code'
                       WHEN s.id IS NULL THEN 'unknown manufacturer ' || t.manufacturer_code
                       WHEN NOT s.is_manufacturer AND s.counts_as_manufacturer_id IS NULL
                           THEN 'the manufacturer invoice comes from a plain distributor ' || s.code
                   END
            FROM numbered t
            LEFT JOIN institutions i ON i.consortium_id = \(consortiumID) AND i.code = t.institution_code
            LEFT JOIN member_catalogues mc ON mc.consortium_id = i.consortium_id AND mc.institution_id = i.id
            LEFT JOIN suppliers s ON s.code = t.manufacturer_code
            LEFT JOIN LATERAL (
                SELECT pol.order_id, pol.line_no, pol.unit_price, sum(d.quantity) AS received
                FROM purchase_orders po
                JOIN purchase_order_lines pol ON pol.consortium_id = po.consortium_id AND pol.order_id = po.id
                JOIN deliveries d ON d.consortium_id = pol.consortium_id AND d.order_id = pol.order_id
                                 AND d.line_no = pol.line_no AND d.lot_number = t.lot_number
                -- consolidated to the distributor that invoices it
                JOIN consolidated_orders co ON co.consortium_id = pol.consortium_id AND co.id = pol.consolidated_order_id
                JOIN suppliers sd ON sd.id = co.distributor_id AND sd.code = t.distributor_code
                WHERE po.consortium_id = i.consortium_id AND po.institution_id = i.id AND pol.drug_code = t.drug_code
                  AND po.status <> 'cancelled'
                GROUP BY pol.order_id, pol.line_no, pol.unit_price
                ORDER BY pol.order_id DESC, pol.line_no
                LIMIT 1
            ) m ON true
            ORDER BY t.line_number
            """, as: (Int, Int?, Int64?, Int?, Decimal?, Decimal?, Bool, String?).self, logger: logger)

        let byNumber = Dictionary(uniqueKeysWithValues: lines.map { ($0.lineNumber, $0) })
        var discrepancies: [ReconciliationDiscrepancy] = []
        for r in rows {
            guard let line = byNumber[r.0] else { continue }
            let facts = InvoiceLineFacts(duplicateOfLine: r.1, orderID: r.2, orderLineNo: r.3, unifiedPrice: r.4.map { Money($0) },
                                         receivedQuantity: r.5, inMemberCatalogue: r.6, chainProblem: r.7)
            discrepancies += ReconciliationRules.classify(line, facts)
        }
        let summary = ReconciliationSummary(lines: lines.count, discrepancies: discrepancies)

        var counts: [String: Any] = summary.countsByName
        counts["money_at_stake"] = summary.moneyAtStake.formatted(places: 2)
        let countsJSON = String(decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]), as: UTF8.self)
        guard let runID = try await connection.row(
            """
            INSERT INTO reconciliation_runs (consortium_id, kind, file_name, input_checksum, as_of, started_at, counts, created_by)
            VALUES (\(consortiumID), 'invoices', \(fileName), \(checksum), \(asOfText)::date, now(), \(countsJSON)::jsonb, \(createdBy))
            RETURNING id
            """, as: Int64.self, logger: logger)
        else { throw DomainError.conflict("the run was not recorded") }

        if !discrepancies.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let details = try discrepancies.map { String(decoding: try encoder.encode($0.detail), as: UTF8.self) }
            try await connection.run(
                """
                INSERT INTO reconciliation_discrepancies (consortium_id, run_id, line_number, classification, detail, money_at_stake)
                SELECT \(consortiumID), \(runID), n, c, d::jsonb, m::numeric
                FROM unnest(\(discrepancies.map(\.lineNumber))::int[], \(discrepancies.map(\.classification.rawValue))::text[],
                            \(details)::text[], \(discrepancies.map { $0.moneyAtStake.formatted(places: 2) })::text[]) AS x (n, c, d, m)
                """, logger: logger)
        }
        return ReconciliationReport(runID: runID, fileName: fileName, alreadyReconciled: false, summary: summary,
                                    discrepancies: discrepancies)
    }

    /// The run that already reconciled this file, with its counts and discrepancies.
    func earlierRun(consortiumID: Int64, checksum: String, connection: PostgresConnection) async throws -> ReconciliationReport? {
        guard let run = try await connection.row(
            """
            SELECT id, file_name, counts::text FROM reconciliation_runs
            WHERE consortium_id = \(consortiumID) AND kind = 'invoices' AND input_checksum = \(checksum)
            """, as: (Int64, String, String).self, logger: logger)
        else { return nil }
        return try await report(consortiumID: consortiumID, run: run, alreadyReconciled: true, connection: connection)
    }

    func report(consortiumID: Int64, run: (Int64, String, String), alreadyReconciled: Bool,
                connection: PostgresConnection) async throws -> ReconciliationReport {
        let object = (try JSONSerialization.jsonObject(with: Data(run.2.utf8))) as? [String: Any] ?? [:]
        var counts: [ReconciliationClassification: Int] = [:]
        func int(_ key: String) -> Int { (object[key] as? Int) ?? (object[key] as? NSNumber)?.intValue ?? 0 }
        for c in ReconciliationClassification.allCases { counts[c] = int(c.rawValue) }
        let lines = int("lines")
        let money = (object["money_at_stake"] as? String).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) } ?? 0
        let rows = try await connection.rows(
            """
            SELECT line_number, classification, detail::text, money_at_stake::text FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(run.0) ORDER BY line_number, classification
            """, as: (Int, String, String, String).self, logger: logger)
        let discrepancies = rows.compactMap { r -> ReconciliationDiscrepancy? in
            guard let c = ReconciliationClassification(rawValue: r.1) else { return nil }
            let detail = (try? JSONDecoder().decode([String: String].self, from: Data(r.2.utf8))) ?? [:]
            return ReconciliationDiscrepancy(lineNumber: r.0, classification: c, detail: detail,
                                             moneyAtStake: Money(Decimal(string: r.3, locale: Locale(identifier: "en_US_POSIX")) ?? 0))
        }
        return ReconciliationReport(runID: run.0, fileName: run.1, alreadyReconciled: alreadyReconciled,
                                    summary: ReconciliationSummary(lines: lines, counts: counts, moneyAtStake: Money(money)),
                                    discrepancies: discrepancies)
    }
}

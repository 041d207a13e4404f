import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The SQL of `consortiumrx reconcile invoices` (the orchestration is `ReconcileInvoices` in RxUseCases): the
/// advisory lock on a file's checksum, the temporary staging table the file is COPYed into, the matching query read
/// through a cursor in batches, and the discrepancies of an earlier run of the same file read through another.
package struct InvoiceReconciliationStore: SQLStore {
    /// Lines fetched from a cursor at a time.
    package static let batchSize = 10_000

    let database: Database

    package init(database: Database) { self.database = database }

    /// A consortium's id by code, if there is one.
    package func consortiumID(code: String, on connection: PostgresConnection) async throws -> Int64? {
        try await ConsortiumStore(database: database).find(code: code, on: connection)?.id
    }

    /// One run per file at a time: a second process with the same file waits here, then finds the first run.
    package func lockFile(consortiumID: Int64, checksum: String, on connection: PostgresConnection) async throws {
        try await connection.run(
            "SELECT pg_advisory_xact_lock(hashtextextended(\("reconcile:\(consortiumID):\(checksum)"), 0))", logger: logger)
    }

    // MARK: Staging

    static let copyColumns = [
        "line_number", "distributor_code", "invoice_number", "invoice_date", "manufacturer_invoice_number", "manufacturer_code",
        "institution_code", "drug_code", "lot_number", "quantity", "unit_price", "amount",
    ]

    /// The temporary table the file's lines are COPYed into, dropped at commit.
    package func createStagingTable(on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            CREATE TEMPORARY TABLE reconcile_invoice_lines (
                line_number int PRIMARY KEY, distributor_code text NOT NULL, invoice_number text NOT NULL,
                invoice_date date NOT NULL, manufacturer_invoice_number text, manufacturer_code text,
                institution_code text NOT NULL, drug_code text NOT NULL, lot_number text NOT NULL,
                -- without a scale: a line read through the crosswalk is converted into the order lines' unit
                quantity numeric NOT NULL, unit_price numeric NOT NULL, amount numeric(16, 4) NOT NULL,
                -- set by translateCodes: the code the file wrote, the crosswalk's factor, why a code is unmapped
                file_drug_code text, package_factor numeric, unmapped text
            ) ON COMMIT DROP
            """, logger: logger)
    }

    /// A line of an invoice file as a row of COPY's text format, in the staging table's column order.
    package static func appendStagingRow(_ line: InvoiceFileLine, to buffer: inout ByteBuffer) {
        CopyText.append(line, to: &buffer)
    }

    /// COPYs into the staging table the buffers `body` sends (rows from `appendStagingRow`).
    package func copyIntoStagingTable(
        on connection: PostgresConnection, _ body: (_ send: (ByteBuffer) async throws -> Void) async throws -> Void
    ) async throws {
        try connection.ensureOpen()
        try await connection.copyFrom(table: "reconcile_invoice_lines", columns: Self.copyColumns, logger: logger) { writer in
            try await body { buffer in try await writer.write(buffer) }
        }
    }

    /// Reads the staged lines' drug codes through the crosswalk: each line whose code `translations` lists gets
    /// the drug, its quantity and unit price converted into the order lines' unit, or the reason it is unmapped.
    /// The translations were decided by `InvoiceCodeReading.translate`; this only applies them.
    package func translateCodes(_ translations: [InvoiceCodeTranslation], on connection: PostgresConnection) async throws {
        var codes: [String] = [], froms: [String] = [], tos: [String] = [], drugs: [String] = []
        var numerators: [String] = [], denominators: [String] = [], factors: [String] = [], reasons: [String] = []
        for t in translations {
            for segment in t.segments {
                codes.append(t.code)
                froms.append(segment.from?.description ?? "")
                tos.append(segment.to?.description ?? "")
                drugs.append(segment.drugCode ?? "")
                numerators.append("\(segment.numerator)")
                denominators.append("\(segment.denominator)")
                factors.append(segment.packageFactor.map { "\($0)" } ?? "")
                reasons.append(segment.reason ?? "")
            }
        }
        guard !codes.isEmpty else { return }
        try await connection.run(
            """
            UPDATE reconcile_invoice_lines t
            SET file_drug_code = t.drug_code,
                drug_code = coalesce(x.drug_code, t.drug_code),
                quantity = CASE WHEN x.drug_code IS NULL THEN t.quantity ELSE t.quantity * x.numerator / x.denominator END,
                unit_price = CASE WHEN x.drug_code IS NULL THEN t.unit_price ELSE t.unit_price * x.denominator / x.numerator END,
                package_factor = x.package_factor,
                unmapped = x.reason
            FROM (
                SELECT c.code, daterange(nullif(c.valid_from, '')::date, nullif(c.valid_to, '')::date) AS valid,
                       nullif(c.drug_code, '') AS drug_code, c.numerator::numeric AS numerator,
                       c.denominator::numeric AS denominator, nullif(c.package_factor, '')::numeric AS package_factor,
                       nullif(c.reason, '') AS reason
                FROM unnest(\(codes)::text[], \(froms)::text[], \(tos)::text[], \(drugs)::text[], \(numerators)::text[],
                            \(denominators)::text[], \(factors)::text[], \(reasons)::text[])
                     AS c (code, valid_from, valid_to, drug_code, numerator, denominator, package_factor, reason)
            ) x
            WHERE x.code = t.drug_code AND x.valid @> t.invoice_date
            """, logger: logger)
    }

    /// The drugs among `codes` (a file's drug codes that may be a drug's own code).
    package func drugCodes(among codes: [String], on connection: PostgresConnection) async throws -> Set<String> {
        guard !codes.isEmpty else { return [] }
        let rows = try await connection.rows(
            "SELECT code FROM drugs WHERE code = ANY(\(codes)::text[])", as: String.self, logger: logger)
        return Set(rows)
    }

    /// How the consortium's order lines count these drugs: the unit of the unified price in effect on `date` (the
    /// latest one before it when none is), and the package size. Drugs with no unified price are left out.
    package func orderUnits(
        of drugCodes: [String], consortiumID: Int64, on date: BusinessDate, connection: PostgresConnection
    ) async throws -> [String: DrugOrderUnit] {
        guard !drugCodes.isEmpty else { return [:] }
        let rows = try await connection.rows(
            """
            SELECT d.code, p.price_unit, d.package_size
            FROM drugs d
            JOIN LATERAL (
                SELECT a.price_unit FROM price_agreements a
                WHERE a.consortium_id = \(consortiumID) AND a.drug_code = d.code AND a.status = 'in_effect'
                  AND a.effective_from <= \(date.description)::date
                ORDER BY a.effective_from DESC LIMIT 1
            ) p ON true
            WHERE d.code = ANY(\(drugCodes)::text[])
            """, as: (String, String, Int).self, logger: logger)
        var units: [String: DrugOrderUnit] = [:]
        for (code, unit, size) in rows {
            units[code] = DrugOrderUnit(priceUnit: try decodeEnum(unit), packageSize: Decimal(size))
        }
        return units
    }

    // MARK: Matching

    /// Opens the cursor of the matching query over the staged lines.
    package func declareMatching(consortiumID: Int64, asOf: BusinessDate, on connection: PostgresConnection) async throws {
        // A cursor is planned for its first rows unless told all of them will be read.
        try await connection.run("SET LOCAL cursor_tuple_fraction = 1.0", logger: logger)
        var declare = Self.matchingQuery(consortiumID: consortiumID, asOf: asOf.description)
        declare.sql = "DECLARE reconcile_match NO SCROLL CURSOR FOR " + declare.sql
        try await connection.run(declare, logger: logger)
    }

    package func closeMatching(on connection: PostgresConnection) async throws {
        try await connection.run("CLOSE reconcile_match", logger: logger)
    }

    /// The next batch of the matching cursor, decoded.
    package func fetchMatching(on connection: PostgresConnection) async throws -> [(InvoiceFileLine, InvoiceLineFacts)] {
        var batch: [(InvoiceFileLine, InvoiceLineFacts)] = []
        batch.reserveCapacity(Self.batchSize)
        let rows = try await connection.stream("FETCH \(unescaped: String(Self.batchSize)) FROM reconcile_match", logger: logger)
        for try await r in rows.decode(Self.MatchRow.self) {
            let line = InvoiceFileLine(
                lineNumber: r.0, distributorCode: r.1, invoiceNumber: r.2, invoiceDate: BusinessDate(r.3) ?? InvoiceFile.epoch,
                manufacturerInvoiceNumber: r.4, manufacturerCode: r.5, institutionCode: r.6, drugCode: r.7, lotNumber: r.8,
                quantity: r.9.value, unitPrice: Money(r.10.value), amount: Money(r.11.value), fileDrugCode: r.26,
                packageFactor: r.27?.value)
            var orderLine: InvoicedOrderLine?
            if let orderID = r.13, let lineNo = r.14, let price = r.15, let supplied = r.16 {
                orderLine = InvoicedOrderLine(
                    orderID: orderID, lineNo: lineNo, unifiedPrice: Money(price.value), suppliedByInvoicingDistributor: supplied,
                    line: ReceiptBalance(received: r.17?.value ?? 0, billed: r.18?.value ?? 0),
                    lot: ReceiptBalance(received: r.19?.value ?? 0, billed: r.20?.value ?? 0), emergencyShortageID: r.25)
            }
            let facts = InvoiceLineFacts(
                duplicateOfLine: r.12, recordedInvoice: r.21.map { RecordedInvoiceReference(id: $0, paid: r.22) },
                orderLine: orderLine, inMemberCatalogue: r.23, chainProblem: r.24, unmappedCode: r.28)
            batch.append((line, facts))
        }
        return batch
    }

    typealias MatchRow = (
        Int, String, String, String, String?, String?, String, String, String, NumericColumn, NumericColumn,
        NumericColumn, Int?, Int64?, Int?, NumericColumn?, Bool?, NumericColumn?, NumericColumn?, NumericColumn?,
        NumericColumn?, Int64?, Bool, Bool, String?, Int64?, String?, NumericColumn?, String?
    )

    /// Each line of `reconcile_invoice_lines` with what the database knows about it (`InvoiceLineFacts`), in line order.
    ///
    /// What a line may bill is what was received of its lot (and of its order line) less what was billed before it:
    /// by invoices recorded through the API, and by the file's earlier lines (running sums over the lines that claim
    /// the same order line, leaving out duplicates and lines of invoices already recorded).
    package static func matchingQuery(consortiumID: Int64, asOf: String) -> PostgresQuery {
        """
        WITH catalogue AS (
            SELECT catalogue_version_in_effect(\(consortiumID), \(asOf)::date) AS number
        ), keyed AS (
            SELECT t.*, lot_key(t.lot_number) AS lot FROM reconcile_invoice_lines t
        ), numbered AS (
            SELECT t.*, min(t.line_number) OVER (
                PARTITION BY t.distributor_code, t.invoice_number, coalesce(t.file_drug_code, t.drug_code), t.lot) AS first_line
            FROM keyed t
        ), judged AS (
            SELECT t.*, i.id AS institution_id, i.consortium_id AS institution_consortium, i.level, mc.institution_id AS own_list,
                   s.id AS manufacturer_id, s.code AS manufacturer, s.is_manufacturer, s.counts_as_manufacturer_id,
                   m.order_id, m.line_no, m.unit_price AS unit_price_ordered, m.supplied, m.line_received, m.lot_received,
                   m.emergency_shortage_id,
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
                SELECT pol.order_id, pol.line_no, pol.unit_price,
                       -- an emergency purchase (issue 22) is supplied by its own supplier, off the usual distributor
                       coalesce(co.distributor_id = sd.id, po.emergency_supplier_id = sd.id, false) AS supplied,
                       pol.received_quantity AS line_received, sum(d.quantity) AS lot_received,
                       po.emergency_shortage_id
                FROM purchase_orders po
                JOIN purchase_order_lines pol ON pol.consortium_id = po.consortium_id AND pol.order_id = po.id
                JOIN deliveries d ON d.consortium_id = pol.consortium_id AND d.order_id = pol.order_id
                                 AND d.line_no = pol.line_no AND d.lot_key = t.lot
                LEFT JOIN consolidated_orders co ON co.consortium_id = pol.consortium_id AND co.id = pol.consolidated_order_id
                WHERE t.unmapped IS NULL AND po.consortium_id = i.consortium_id AND po.institution_id = i.id
                  AND pol.drug_code = t.drug_code AND po.status <> 'cancelled'
                GROUP BY pol.order_id, pol.line_no, pol.unit_price, pol.received_quantity, co.distributor_id,
                         po.emergency_supplier_id, po.emergency_shortage_id
                ORDER BY coalesce(co.distributor_id = sd.id, po.emergency_supplier_id = sd.id, false) DESC,
                         pol.order_id DESC, pol.line_no
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
               two_invoice_chain_problem(
                   t.manufacturer_invoice_number, t.manufacturer_code, t.manufacturer, t.is_manufacturer,
                   t.counts_as_manufacturer_id),
               t.emergency_shortage_id,
               CASE WHEN t.file_drug_code IS DISTINCT FROM t.drug_code OR t.package_factor IS NOT NULL THEN t.file_drug_code END,
               t.package_factor, t.unmapped
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

    // MARK: An earlier run of the same file

    /// The run that already reconciled a file read the same way (code type, and the crosswalk's translations of its
    /// codes): its id, file name and recorded counts (JSON).
    package func earlierRun(
        consortiumID: Int64, checksum: String, codeType: String, crosswalkKey: String, on connection: PostgresConnection
    ) async throws -> (id: Int64, fileName: String, counts: String)? {
        try await connection.row(
            """
            SELECT id, file_name, counts::text FROM reconciliation_runs
            WHERE consortium_id = \(consortiumID) AND kind = 'invoices' AND input_checksum = \(checksum)
              AND code_type = \(codeType) AND crosswalk_key = \(crosswalkKey)
            """, as: (Int64, String, String).self, logger: logger
        ).map { (id: $0.0, fileName: $0.1, counts: $0.2) }
    }

    /// The latest run of a file with this code type, when every code of it read as itself and none was unmapped: the
    /// crosswalk played no part in it, and the file is replayed without being read again.
    package func plainEarlierRun(
        consortiumID: Int64, checksum: String, codeType: String, on connection: PostgresConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            SELECT crosswalk_key = '' AND coalesce((counts ->> 'unmapped_code')::int, 0) = 0 FROM reconciliation_runs
            WHERE consortium_id = \(consortiumID) AND kind = 'invoices' AND input_checksum = \(checksum)
              AND code_type = \(codeType)
            ORDER BY id DESC LIMIT 1
            """, as: Bool.self, logger: logger) ?? false
    }

    /// Opens the cursor of a run's discrepancies, in line order and the classifications' order within a line.
    package func declareEarlier(consortiumID: Int64, runID: Int64, on connection: PostgresConnection) async throws {
        let order = ReconciliationClassification.allCases.map(\.rawValue)
        try await connection.run(
            """
            DECLARE reconcile_earlier NO SCROLL CURSOR FOR
            SELECT line_number, classification, detail::text, money_at_stake::text FROM reconciliation_discrepancies
            WHERE consortium_id = \(consortiumID) AND run_id = \(runID)
            ORDER BY line_number, array_position(\(order)::text[], classification)
            """, logger: logger)
    }

    /// The next batch of an earlier run's discrepancies, and how many rows were fetched (a short batch is the last).
    package func fetchEarlier(on connection: PostgresConnection) async throws
        -> (fetched: Int, discrepancies: [ReconciliationDiscrepancy])
    {
        let rows = try await connection.rows(
            "FETCH \(unescaped: String(Self.batchSize)) FROM reconcile_earlier", as: (Int, String, String, String).self,
            logger: logger)
        let posix = Locale(identifier: "en_US_POSIX")
        let batch = rows.compactMap { r -> ReconciliationDiscrepancy? in
            guard let c = ReconciliationClassification(rawValue: r.1) else { return nil }
            let detail = (try? JSONDecoder().decode([String: String].self, from: Data(r.2.utf8))) ?? [:]
            return ReconciliationDiscrepancy(
                lineNumber: r.0, classification: c, detail: detail, moneyAtStake: Money(Decimal(string: r.3, locale: posix) ?? 0))
        }
        return (rows.count, batch)
    }

    package func closeEarlier(on connection: PostgresConnection) async throws {
        try await connection.run("CLOSE reconcile_earlier", logger: logger)
    }
}

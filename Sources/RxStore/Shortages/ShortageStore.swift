import Foundation
import PostgresNIO
import RxDomain

/// An open order line of a member for a drug, as the scan reads it.
package struct MemberOpenOrderLine: Sendable, Equatable {
    package var institutionCode: String
    package var drugCode: String
    package var line: OpenOrderLine
}

/// An approved extended prescription not delivered yet, with its collecting member and drug.
package struct MemberUndeliveredPrescription: Sendable, Equatable {
    package var institutionCode: String
    package var drugCode: String
    package var prescription: UndeliveredExtendedPrescription
}

/// A supplier's report standing on a day, with its row id (the signal points at it).
package struct StandingSupplierReport: Sendable, Equatable {
    package var id: Int64
    package var drugCode: String
    package var report: SupplierShortageReport
}

/// A shortage record as stored, with when it last changed (the feed's cursor).
package struct StoredShortage: Sendable, Equatable {
    package var record: ShortageRecord
    package var updatedAt: Date
}

/// A signal as the store writes it: the domain's signal with the supplier report it points at.
package struct SignalRow: Sendable, Equatable {
    package var signal: ShortageSignal
    package var supplierReportID: Int64?

    package init(signal: ShortageSignal, supplierReportID: Int64?) {
        self.signal = signal
        self.supplierReportID = supplierReportID
    }
}

/// The shortage records (`shortages`, `shortage_members`, `shortage_signals`, sql/021) and the facts the scan reads
/// besides stock and consumption (`StockPositionStore`): open order lines, standing supplier reports. SQL only.
package struct ShortageStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    /// Serializes the scans of one consortium until the transaction ends.
    package func lockScan(consortiumID: Int64, on connection: StoreConnection) async throws {
        try await connection.run("SELECT pg_advisory_xact_lock(22, \(Int32(truncatingIfNeeded: consortiumID)))", logger: logger)
    }

    /// Takes the consortium's marks of drugs whose facts changed (a full scan covers them all); returns the drugs.
    package func takeDirty(consortiumID: Int64, on connection: StoreConnection) async throws -> [String] {
        try await connection.rows(
            "DELETE FROM shortage_scan_dirty WHERE consortium_id = \(consortiumID) RETURNING drug_code", as: String.self,
            logger: logger)
    }

    /// Marks drugs again (a scan that failed after taking their marks).
    package func markDirty(consortiumID: Int64, drugCodes: [String], on connection: StoreConnection) async throws {
        try await connection.run(
            """
            INSERT INTO shortage_scan_dirty (consortium_id, drug_code)
            SELECT \(consortiumID), d FROM unnest(\(drugCodes)::text[]) d
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Order lines with quantity outstanding of orders waiting for delivery, with their submission date (orders
    /// written before submission was stamped count from their order date).
    package func openOrderLines(consortiumID: Int64, on connection: StoreConnection) async throws -> [MemberOpenOrderLine] {
        try await connection.rows(
            """
            SELECT i.code, l.drug_code, o.id, l.line_no, coalesce(o.submitted_on, o.order_date)::text,
                   l.quantity - l.received_quantity
            FROM purchase_orders o
            JOIN purchase_order_lines l ON l.consortium_id = o.consortium_id AND l.order_id = o.id
            JOIN institutions i ON i.consortium_id = o.consortium_id AND i.id = o.institution_id
            WHERE o.consortium_id = \(consortiumID) AND o.status IN ('submitted', 'consolidated', 'partly_received')
              AND l.quantity > l.received_quantity
            ORDER BY i.code, l.drug_code, o.id, l.line_no
            """, as: (String, String, Int64, Int, String, Decimal).self, logger: logger
        ).map {
            MemberOpenOrderLine(
                institutionCode: $0.0, drugCode: $0.1,
                line: OpenOrderLine(orderID: $0.2, lineNo: $0.3, submittedOn: try Self.day($0.4), outstanding: Quantity($0.5)))
        }
    }

    /// The approved extended prescriptions not delivered yet (approved or dispatched), by collecting member and each
    /// drug of their lines,
    /// with the business date of their delivery deadline.
    package func undeliveredExtendedPrescriptions(consortiumID: Int64, on connection: StoreConnection) async throws
        -> [MemberUndeliveredPrescription]
    {
        try await connection.rows(
            """
            SELECT i.code, l.drug_code, p.id, (p.delivery_due_at AT TIME ZONE 'Asia/Shanghai')::date::text
            FROM extended_prescriptions p
            JOIN extended_prescription_lines l ON l.consortium_id = p.consortium_id AND l.prescription_id = p.id
            JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.collecting_institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.state IN ('approved', 'dispatched')
              AND p.delivery_due_at IS NOT NULL
            ORDER BY i.code, l.drug_code, p.id
            """, as: (String, String, Int64, String).self, logger: logger
        ).map {
            MemberUndeliveredPrescription(
                institutionCode: $0.0, drugCode: $0.1,
                prescription: UndeliveredExtendedPrescription(prescriptionID: $0.2, dueOn: try Self.day($0.3)))
        }
    }

    /// The supplier reports standing on `date` (reported on or before it, not resumed by it), of one drug or all.
    package func standingReports(
        consortiumID: Int64, drugCode: String? = nil, on date: BusinessDate, connection: StoreConnection
    ) async throws -> [StandingSupplierReport] {
        try await connection.rows(
            """
            SELECT r.id, r.drug_code, s.code, r.reported_on::text, r.resumed_on::text, r.notice, r.expected_recovery::text
            FROM shortage_supplier_reports r JOIN suppliers s ON s.id = r.supplier_id
            WHERE r.consortium_id = \(consortiumID) AND r.reported_on <= \(date.description)::date
              AND (r.resumed_on IS NULL OR r.resumed_on > \(date.description)::date)
              AND (\(drugCode)::text IS NULL OR r.drug_code = \(drugCode))
            ORDER BY r.drug_code, s.code, r.reported_on, r.id
            """, as: (Int64, String, String, String, String?, String, String?).self, logger: logger
        ).map {
            StandingSupplierReport(
                id: $0.0, drugCode: $0.1,
                report: SupplierShortageReport(
                    supplierCode: $0.2, reportedOn: try Self.day($0.3), resumedOn: try $0.4.map(Self.day), notice: $0.5,
                    expectedRecovery: try $0.6.map(Self.day)))
        }
    }

    /// Each drug's latest record in the consortium (its open one, else its most recently opened), with the members
    /// affected and the signals holding of the open ones; of one drug, or of every drug.
    package func latestRecords(consortiumID: Int64, drugCode: String? = nil, on connection: StoreConnection) async throws
        -> [String: StoredShortage]
    {
        let heads = try await connection.rows(
            """
            SELECT DISTINCT ON (drug_code) id, drug_code, status, level, cause, opened_on::text, closed_on::text, outcome,
                   reopenings, updated_at
            FROM shortages WHERE consortium_id = \(consortiumID) AND (\(drugCode)::text IS NULL OR drug_code = \(drugCode))
            ORDER BY drug_code, (status = 'open') DESC, id DESC
            """,
            as: (Int64, String, String, String, String?, String, String?, String?, Int, Date).self, logger: logger)
        var found: [Int64: StoredShortage] = [:]
        for h in heads {
            found[h.0] = StoredShortage(
                record: ShortageRecord(
                    id: h.0, drugCode: h.1, status: try decodeEnum(h.2), level: try decodeEnum(h.3),
                    cause: try h.4.map { try decodeEnum($0) }, openedOn: try Self.day(h.5), closedOn: try h.6.map(Self.day),
                    outcome: try h.7.map { try decodeEnum($0) }, reopenings: h.8),
                updatedAt: h.9)
        }
        let open = found.values.filter { $0.record.status == .open }.compactMap(\.record.id)
        if !open.isEmpty {
            let members = try await connection.rows(
                """
                SELECT m.shortage_id, i.code, m.on_hand, m.days_of_stock
                FROM shortage_members m
                JOIN institutions i ON i.consortium_id = m.consortium_id AND i.id = m.institution_id
                WHERE m.consortium_id = \(consortiumID) AND m.shortage_id = ANY(\(open)::bigint[]) AND m.affected
                ORDER BY m.shortage_id, i.code
                """, as: (Int64, String, Decimal, Decimal?).self, logger: logger)
            for m in members {
                found[m.0]?.record.affected.append(
                    MemberStockPosition(institutionCode: m.1, onHand: Quantity(m.2), daysOfStock: m.3))
            }
            for (id, signal) in try await holdingSignals(consortiumID: consortiumID, shortageIDs: open, on: connection) {
                found[id]?.record.signals.append(signal.signal)
            }
            for id in open { found[id]?.record.signals.sort(by: ShortageSignal.precedes) }
        }
        return Dictionary(uniqueKeysWithValues: found.values.map { ($0.record.drugCode, $0) })
    }

    /// The holding signals of some records, with the supplier report each points at.
    func holdingSignals(consortiumID: Int64, shortageIDs: [Int64], on connection: StoreConnection) async throws
        -> [(Int64, SignalRow)]
    {
        try await connection.rows(
            """
            SELECT g.shortage_id, g.kind, i.code, g.on_hand, g.days_of_stock, g.order_id, g.line_no,
                   g.extended_prescription_id, g.days_late, s.code, g.supplier_report_id
            FROM shortage_signals g
            LEFT JOIN institutions i ON i.consortium_id = g.consortium_id AND i.id = g.institution_id
            LEFT JOIN shortage_supplier_reports r ON r.consortium_id = g.consortium_id AND r.id = g.supplier_report_id
            LEFT JOIN suppliers s ON s.id = r.supplier_id
            WHERE g.consortium_id = \(consortiumID) AND g.shortage_id = ANY(\(shortageIDs)::bigint[]) AND g.cleared_on IS NULL
            ORDER BY g.shortage_id, g.id
            """,
            as: (Int64, String, String?, Decimal?, Decimal?, Int64?, Int?, Int64?, Int?, String?, Int64?).self,
            logger: logger
        ).map {
            (
                $0.0,
                SignalRow(
                    signal: ShortageSignal(
                        kind: try decodeEnum($0.1), institutionCode: $0.2, onHand: $0.3.map(Quantity.init),
                        daysOfStock: $0.4, orderID: $0.5, lineNo: $0.6, extendedPrescriptionID: $0.7, daysLate: $0.8,
                        supplierCode: $0.9),
                    supplierReportID: $0.10)
            )
        }
    }

    // MARK: Writes

    /// A new open record; nil when another session opened the drug's record first (`shortages_one_open`).
    package func insertOpen(consortiumID: Int64, record: ShortageRecord, on connection: StoreConnection) async throws
        -> Int64?
    {
        try await connection.row(
            """
            INSERT INTO shortages (consortium_id, drug_code, status, level, opened_on)
            VALUES (\(consortiumID), \(record.drugCode), 'open', \(record.level.rawValue), \(record.openedOn.description)::date)
            ON CONFLICT (consortium_id, drug_code) WHERE status = 'open' DO NOTHING
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// Writes a record's state (status, level, close, reopenings); false when reopening it collides with another
    /// open record of the drug (`shortages_one_open`: another session opened one first).
    package func updateHead(consortiumID: Int64, record: ShortageRecord, on connection: StoreConnection) async throws
        -> Bool
    {
        guard let id = record.id else { return false }
        let statement: PostgresQuery = """
            UPDATE shortages SET status = \(record.status.rawValue), level = \(record.level.rawValue),
                   closed_on = \(record.closedOn?.description)::date, outcome = \(record.outcome?.rawValue),
                   close_note = CASE WHEN \(record.status.rawValue) = 'open' THEN NULL ELSE close_note END,
                   reopenings = \(record.reopenings), updated_at = now()
            WHERE consortium_id = \(consortiumID) AND id = \(id)
            """
        try await connection.run("SAVEPOINT shortage_head", logger: logger)
        do {
            try await connection.run(statement, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            try await connection.run("ROLLBACK TO SAVEPOINT shortage_head", logger: logger)
            return false
        }
        try await connection.run("RELEASE SAVEPOINT shortage_head", logger: logger)
        return true
    }

    /// The members a record touches now: those affected are upserted with their stock, the others kept as no
    /// longer affected.
    package func syncMembers(
        consortiumID: Int64, shortageID: Int64, affected: [MemberStockPosition], on today: BusinessDate,
        connection: StoreConnection
    ) async throws {
        let codes = affected.map(\.institutionCode)
        try await connection.run(
            """
            UPDATE shortage_members m SET affected = false
            FROM institutions i
            WHERE m.consortium_id = \(consortiumID) AND m.shortage_id = \(shortageID) AND m.affected
              AND i.id = m.institution_id AND i.code <> ALL(\(codes)::text[])
            """, logger: logger)
        guard !affected.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO shortage_members (consortium_id, shortage_id, institution_id, affected, on_hand, days_of_stock,
                                          first_affected_on, last_seen_on)
            SELECT \(consortiumID), \(shortageID), i.id, true, greatest(w.on_hand, 0), w.days_of_stock,
                   \(today.description)::date, \(today.description)::date
            FROM unnest(\(codes)::text[], \(affected.map { "\($0.onHand.value)" })::text[],
                        \(affected.map { $0.daysOfStock.map { "\($0)" } ?? "" })::text[]) AS x (code, on_hand, days)
            CROSS JOIN LATERAL (SELECT x.on_hand::numeric AS on_hand, nullif(x.days, '')::numeric AS days_of_stock) w
            JOIN institutions i ON i.consortium_id = \(consortiumID) AND i.code = x.code
            ON CONFLICT (consortium_id, shortage_id, institution_id) DO UPDATE
               SET affected = true, on_hand = excluded.on_hand, days_of_stock = excluded.days_of_stock,
                   last_seen_on = excluded.last_seen_on
            """, logger: logger)
    }

    /// The signals of a record now: those no longer holding are cleared today, the others upserted (a holding
    /// signal is one row, its figures and `last_seen_on` brought up to date).
    package func syncSignals(
        consortiumID: Int64, shortageID: Int64, signals: [SignalRow], on today: BusinessDate, connection: StoreConnection
    ) async throws {
        let kinds = signals.map(\.signal.kind.rawValue)
        let members = signals.map { $0.signal.institutionCode ?? "" }
        let onHand = signals.map { $0.signal.onHand.map { "\($0.value)" } ?? "" }
        let days = signals.map { $0.signal.daysOfStock.map { "\($0)" } ?? "" }
        let orders = signals.map { $0.signal.orderID ?? 0 }
        let lines = signals.map { $0.signal.lineNo ?? 0 }
        let prescriptions = signals.map { $0.signal.extendedPrescriptionID ?? 0 }
        let late = signals.map { $0.signal.daysLate ?? 0 }
        let reports = signals.map { $0.supplierReportID ?? 0 }
        // One statement: the signals no longer holding cleared, the others upserted (the two touch different rows).
        try await connection.run(
            """
            WITH wanted AS (
                SELECT x.kind, i.id AS institution_id, nullif(x.on_hand, '')::numeric AS on_hand,
                       nullif(x.days, '')::numeric AS days_of_stock, nullif(x.order_id, 0) AS order_id,
                       nullif(x.line_no, 0) AS line_no, nullif(x.prescription_id, 0) AS extended_prescription_id,
                       nullif(x.days_late, 0) AS days_late, nullif(x.report_id, 0) AS supplier_report_id
                FROM unnest(\(kinds)::text[], \(members)::text[], \(onHand)::text[], \(days)::text[],
                            \(orders)::bigint[], \(lines)::int[], \(prescriptions)::bigint[], \(late)::int[],
                            \(reports)::bigint[])
                     AS x (kind, code, on_hand, days, order_id, line_no, prescription_id, days_late, report_id)
                LEFT JOIN institutions i ON i.consortium_id = \(consortiumID) AND i.code = x.code
            ), cleared AS (
                UPDATE shortage_signals g SET cleared_on = \(today.description)::date
                WHERE g.consortium_id = \(consortiumID) AND g.shortage_id = \(shortageID) AND g.cleared_on IS NULL
                  AND NOT EXISTS (
                    SELECT 1 FROM wanted w
                    WHERE w.kind = g.kind AND coalesce(w.institution_id, 0) = coalesce(g.institution_id, 0)
                      AND coalesce(w.order_id, 0) = coalesce(g.order_id, 0)
                      AND coalesce(w.line_no, 0) = coalesce(g.line_no, 0)
                      AND coalesce(w.extended_prescription_id, 0) = coalesce(g.extended_prescription_id, 0)
                      AND coalesce(w.supplier_report_id, 0) = coalesce(g.supplier_report_id, 0))
                RETURNING g.id
            )
            INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, on_hand, days_of_stock,
                                          order_id, line_no, extended_prescription_id, days_late, supplier_report_id,
                                          first_seen_on, last_seen_on)
            SELECT \(consortiumID), \(shortageID), w.kind, w.institution_id, w.on_hand, w.days_of_stock, w.order_id,
                   w.line_no, w.extended_prescription_id, w.days_late, w.supplier_report_id, \(today.description)::date,
                   \(today.description)::date
            FROM wanted w
            ON CONFLICT (consortium_id, shortage_id, kind, coalesce(institution_id, 0), coalesce(order_id, 0),
                         coalesce(line_no, 0), coalesce(supplier_report_id, 0), coalesce(extended_prescription_id, 0))
                         WHERE cleared_on IS NULL
            DO UPDATE SET on_hand = excluded.on_hand, days_of_stock = excluded.days_of_stock,
                          days_late = excluded.days_late, last_seen_on = excluded.last_seen_on
            """, logger: logger)
    }

    /// Every holding signal and affected member of the consortium's open records seen today (one statement each,
    /// whatever the number of records; the records themselves change only when their facts do).
    package func markSeen(consortiumID: Int64, on today: BusinessDate, connection: StoreConnection) async throws {
        try await connection.run(
            """
            UPDATE shortage_signals SET last_seen_on = \(today.description)::date
            WHERE consortium_id = \(consortiumID) AND cleared_on IS NULL AND last_seen_on < \(today.description)::date
            """, logger: logger)
        try await connection.run(
            """
            UPDATE shortage_members m SET last_seen_on = \(today.description)::date
            FROM shortages s
            WHERE m.consortium_id = \(consortiumID) AND m.affected AND m.last_seen_on < \(today.description)::date
              AND s.consortium_id = m.consortium_id AND s.id = m.shortage_id AND s.status = 'open'
            """, logger: logger)
    }

    static func day(_ text: String) throws -> BusinessDate {
        guard let date = BusinessDate(text) else { throw UnknownDatabaseValue(type: "date", value: text) }
        return date
    }
}

/// A supplier's report as stored.
package struct StoredSupplierReport: Sendable, Equatable, Encodable {
    package var id: Int64
    package var drugCode: String
    package var report: SupplierShortageReport

    package init(id: Int64, drugCode: String, report: SupplierShortageReport) {
        self.id = id
        self.drugCode = drugCode
        self.report = report
    }
}

extension ShortageStore {
    /// The supplier's id by code, if any.
    package func supplierID(code: String, on connection: StoreConnection) async throws -> Int64? {
        try await connection.row("SELECT id FROM suppliers WHERE code = \(code)", as: Int64.self, logger: logger)
    }

    package func drugExists(code: String, on connection: StoreConnection) async throws -> Bool {
        try await connection.row("SELECT 1 FROM drugs WHERE code = \(code)", as: Int.self, logger: logger) != nil
    }

    /// Whether the supplier has a report of the drug not resumed yet.
    package func hasStandingReport(consortiumID: Int64, drugCode: String, supplierID: Int64, on connection: StoreConnection)
        async throws -> Bool
    {
        try await connection.row(
            """
            SELECT 1 FROM shortage_supplier_reports
            WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode) AND supplier_id = \(supplierID)
              AND resumed_on IS NULL
            """, as: Int.self, logger: logger) != nil
    }

    package func insertSupplierReport(
        consortiumID: Int64, drugCode: String, supplierID: Int64, report: SupplierShortageReport, recordedBy: Int64?,
        on connection: StoreConnection
    ) async throws -> Int64 {
        let id = try await connection.row(
            """
            INSERT INTO shortage_supplier_reports (consortium_id, drug_code, supplier_id, reported_on, notice,
                                                   expected_recovery, recorded_by)
            VALUES (\(consortiumID), \(drugCode), \(supplierID), \(report.reportedOn.description)::date, \(report.notice),
                    \(report.expectedRecovery?.description)::date, \(recordedBy))
            RETURNING id
            """, as: Int64.self, logger: logger)
        guard let id else { throw UnknownDatabaseValue(type: "shortage_supplier_reports", value: "no id") }
        return id
    }

    /// Supplier reports of the consortium, by id; one (`id`), or those standing on `standingOn`; locked for a change.
    package func supplierReports(
        consortiumID: Int64, id: Int64? = nil, standingOn: BusinessDate? = nil, lock: Bool = false,
        on connection: StoreConnection
    ) async throws -> [StoredSupplierReport] {
        let day = standingOn?.description
        return try await connection.rows(
            """
            SELECT r.id, r.drug_code, s.code, r.reported_on::text, r.resumed_on::text, r.notice, r.expected_recovery::text
            FROM shortage_supplier_reports r JOIN suppliers s ON s.id = r.supplier_id
            WHERE r.consortium_id = \(consortiumID) AND (\(id)::bigint IS NULL OR r.id = \(id))
              AND (\(day)::date IS NULL OR (r.reported_on <= \(day)::date AND (r.resumed_on IS NULL OR r.resumed_on > \(day)::date)))
            ORDER BY r.id
            \(unescaped: lock ? "FOR UPDATE OF r" : "")
            """, as: (Int64, String, String, String, String?, String, String?).self, logger: logger
        ).map {
            StoredSupplierReport(
                id: $0.0, drugCode: $0.1,
                report: SupplierShortageReport(
                    supplierCode: $0.2, reportedOn: try Self.day($0.3), resumedOn: try $0.4.map(Self.day), notice: $0.5,
                    expectedRecovery: try $0.6.map(Self.day)))
        }
    }

    package func setResumed(consortiumID: Int64, id: Int64, on day: BusinessDate, connection: StoreConnection) async throws {
        try await connection.run(
            """
            UPDATE shortage_supplier_reports SET resumed_on = \(day.description)::date
            WHERE consortium_id = \(consortiumID) AND id = \(id)
            """, logger: logger)
    }

    /// Marks a drug for the server's next rescan (the facts changed outside the movements).
    package func markDirty(consortiumID: Int64, drugCode: String, on connection: StoreConnection) async throws {
        try await connection.run(
            """
            INSERT INTO shortage_scan_dirty (consortium_id, drug_code) VALUES (\(consortiumID), \(drugCode))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }
}

extension ShortageStore {
    /// Every consortium with the last day its drugs were all scanned (nil: never) and whether any of its drugs is
    /// marked for a rescan, for the server's task to choose the consortia it scans (`ShortageScanSchedule`).
    package func scanStates() async throws -> [ConsortiumScanState] {
        try await database.rows(
            """
            SELECT c.id, s.last_scanned_on::text,
                   EXISTS (SELECT 1 FROM shortage_scan_dirty d WHERE d.consortium_id = c.id)
            FROM consortia c LEFT JOIN shortage_last_scans s ON s.consortium_id = c.id
            ORDER BY c.id
            """, as: (Int64, String?, Bool).self
        ).map { id, day, marked in
            ConsortiumScanState(consortiumID: id, lastScannedOn: try day.map(Self.day), marked: marked)
        }
    }

    /// Records that the consortium's drugs were all scanned on `day` (a scan for an earlier day leaves a later one).
    package func recordScan(consortiumID: Int64, on day: BusinessDate, connection: StoreConnection) async throws {
        try await connection.run(
            """
            INSERT INTO shortage_last_scans (consortium_id, last_scanned_on) VALUES (\(consortiumID), \(day.description)::date)
            ON CONFLICT (consortium_id) DO UPDATE
                SET last_scanned_on = greatest(shortage_last_scans.last_scanned_on, excluded.last_scanned_on),
                    scanned_at = now()
            """, logger: logger)
    }
}

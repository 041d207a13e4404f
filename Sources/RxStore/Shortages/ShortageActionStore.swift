import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A shortage record as the actions see it: the domain's record (its open signals and affected members) and what
/// the supply centre set on it (cause note, owner, close note, expected recovery).
package struct ShortageState: Sendable, Equatable, Encodable {
    package var record: ShortageRecord
    package var causeNote: String?
    package var ownerTokenID: Int64?
    package var closeNote: String?
    package var expectedRecovery: BusinessDate?

    package var id: Int64 { record.id ?? 0 }
}

/// An action as the log holds it.
package struct ShortageActionEntry: Sendable, Equatable, Encodable {
    package var id: Int64
    package var shortageID: Int64
    package var kind: ShortageActionKind
    package var actorTokenID: Int64
    package var actedAt: Date
    package var businessDate: BusinessDate
    package var reason: String
    package var substituteDrugCode: String?
    package var signedOffBy: Int64?
    package var supplierCode: String?
    package var quantity: Quantity?
    package var purchaseOrderID: Int64?
    package var expectedRecovery: BusinessDate?
    /// The escalation report as sent (its JSON text).
    package var report: String?
}

/// The open shortage of a drug and its latest substitute, for the desk checks' mention.
package struct OpenShortageMention: Sendable, Equatable {
    package var id: Int64
    package var drugCode: String
    package var level: ShortageLevel
    package var substituteDrugCode: String?
}

/// The drug's facts the escalation report needs.
package struct ShortageReportDrug: Sendable, Equatable {
    package var genericName: String
    package var dosageForm: String
    package var strength: String?
    package var packageSize: Int
    package var unit: String
    package var packageUnit: String
    package var manufacturer: String?
    package var atcCode: String?
}

/// The SQL of the shortage response: a record read (and locked) with its holding signals and affected members, its
/// state moves, cause and owner, the append-only actions log, and the facts of substitutes and the report.
package struct ShortageActionStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    // MARK: The record

    /// A record with its holding signals and its members affected now; nil when the consortium has none by that id.
    /// `lock`: its row is locked for the change (`FOR UPDATE`).
    package func shortage(id: Int64, consortiumID: Int64, lock: Bool = false, connection: StoreConnection) async throws
        -> ShortageState?
    {
        let head: PostgresQuery =
            lock
            ? """
            SELECT id, drug_code, status, level, cause, cause_note, owner_token_id, opened_on::text, closed_on::text,
                   outcome, close_note, reopenings, expected_recovery::text
            FROM shortages WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE
            """
            : """
            SELECT id, drug_code, status, level, cause, cause_note, owner_token_id, opened_on::text, closed_on::text,
                   outcome, close_note, reopenings, expected_recovery::text
            FROM shortages WHERE consortium_id = \(consortiumID) AND id = \(id)
            """
        guard
            let h = try await connection.row(
                head,
                as: (
                    Int64, String, String, String, String?, String?, Int64?, String, String?, String?, String?, Int, String?
                ).self, logger: logger)
        else { return nil }
        let members = try await connection.rows(
            """
            SELECT i.code, m.on_hand, m.days_of_stock FROM shortage_members m
            JOIN institutions i ON i.consortium_id = m.consortium_id AND i.id = m.institution_id
            WHERE m.consortium_id = \(consortiumID) AND m.shortage_id = \(id) AND m.affected ORDER BY i.code
            """, as: (String, Decimal, Decimal?).self, logger: logger
        ).map { MemberStockPosition(institutionCode: $0.0, onHand: Quantity($0.1), daysOfStock: $0.2) }
        let signals = try await connection.rows(
            """
            SELECT s.kind, i.code, s.on_hand, s.days_of_stock, s.order_id, s.line_no, s.extended_prescription_id,
                   s.days_late, sup.code
            FROM shortage_signals s
            LEFT JOIN institutions i ON i.consortium_id = s.consortium_id AND i.id = s.institution_id
            LEFT JOIN shortage_supplier_reports r ON r.consortium_id = s.consortium_id AND r.id = s.supplier_report_id
            LEFT JOIN suppliers sup ON sup.id = r.supplier_id
            WHERE s.consortium_id = \(consortiumID) AND s.shortage_id = \(id) AND s.cleared_on IS NULL ORDER BY s.id
            """, as: (String, String?, Decimal?, Decimal?, Int64?, Int?, Int64?, Int?, String?).self, logger: logger
        ).map {
            ShortageSignal(
                kind: try decodeEnum($0.0), institutionCode: $0.1, onHand: $0.2.map(Quantity.init), daysOfStock: $0.3,
                orderID: $0.4, lineNo: $0.5, extendedPrescriptionID: $0.6, daysLate: $0.7, supplierCode: $0.8)
        }
        let record = ShortageRecord(
            id: h.0, drugCode: h.1, status: try decodeEnum(h.2), level: try decodeEnum(h.3),
            cause: try h.4.map { try decodeEnum($0) }, openedOn: try Self.day(h.7), closedOn: try h.8.map(Self.day),
            outcome: try h.9.map { try decodeEnum($0) }, reopenings: h.11, affected: members, signals: signals)
        return ShortageState(
            record: record, causeNote: h.5, ownerTokenID: h.6, closeNote: h.10,
            expectedRecovery: try h.12.map(Self.day))
    }

    /// Writes the record's status, level, close and reopenings (as `ShortageRules` left them) and the close note.
    package func saveState(_ state: ShortageState, consortiumID: Int64, connection: StoreConnection) async throws {
        let r = state.record
        try await connection.run(
            """
            UPDATE shortages SET status = \(r.status.rawValue), level = \(r.level.rawValue),
                   closed_on = \(r.closedOn?.description)::date, outcome = \(r.outcome?.rawValue),
                   close_note = \(state.closeNote), reopenings = \(r.reopenings),
                   expected_recovery = \(state.expectedRecovery?.description)::date, updated_at = now()
            WHERE consortium_id = \(consortiumID) AND id = \(state.id)
            """, logger: logger)
    }

    package func setCause(
        _ cause: ShortageCause, note: String?, shortageID: Int64, consortiumID: Int64, connection: StoreConnection
    ) async throws {
        try await connection.run(
            """
            UPDATE shortages SET cause = \(cause.rawValue), cause_note = \(note), updated_at = now()
            WHERE consortium_id = \(consortiumID) AND id = \(shortageID)
            """, logger: logger)
    }

    package func setOwner(_ tokenID: Int64?, shortageID: Int64, consortiumID: Int64, connection: StoreConnection)
        async throws
    {
        try await connection.run(
            """
            UPDATE shortages SET owner_token_id = \(tokenID), updated_at = now()
            WHERE consortium_id = \(consortiumID) AND id = \(shortageID)
            """, logger: logger)
    }

    /// The role of a live token of the consortium, if there is one by that id.
    package func tokenRole(_ tokenID: Int64, consortiumID: Int64, connection: StoreConnection) async throws -> String? {
        try await connection.row(
            """
            SELECT role FROM api_tokens
            WHERE id = \(tokenID) AND consortium_id = \(consortiumID) AND revoked_at IS NULL
            """, as: String.self, logger: logger)
    }

    // MARK: The actions log

    /// Appends an action; returns its id (nil when no row was written).
    package func insertAction(
        consortiumID: Int64, shortageID: Int64, request: ShortageActionRequest, supplierID: Int64?,
        purchaseOrderID: Int64?, report: String?, connection: StoreConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason,
                                          substitute_drug_code, signed_off_by, supplier_id, quantity, purchase_order_id,
                                          expected_recovery, report)
            VALUES (\(consortiumID), \(shortageID), \(request.kind.rawValue), \(request.actorTokenID),
                    \(request.on.description)::date, \(request.reason), \(request.substituteDrugCode),
                    \(request.signOff?.tokenID), \(supplierID), \(request.quantity?.value), \(purchaseOrderID),
                    \(request.expectedRecovery?.description)::date, \(report)::jsonb)
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// The record's actions, oldest first.
    package func actions(shortageID: Int64, consortiumID: Int64, connection: StoreConnection) async throws
        -> [ShortageActionEntry]
    {
        try await connection.rows(
            """
            SELECT a.id, a.shortage_id, a.kind, a.actor_token_id, a.acted_at, a.business_date::text, a.reason,
                   a.substitute_drug_code, a.signed_off_by, s.code, a.quantity, a.purchase_order_id,
                   a.expected_recovery::text, a.report::text
            FROM shortage_actions a LEFT JOIN suppliers s ON s.id = a.supplier_id
            WHERE a.consortium_id = \(consortiumID) AND a.shortage_id = \(shortageID) ORDER BY a.id
            """,
            as: (
                Int64, Int64, String, Int64, Date, String, String, String?, Int64?, String?, Decimal?, Int64?, String?,
                String?
            ).self, logger: logger
        ).map {
            ShortageActionEntry(
                id: $0.0, shortageID: $0.1, kind: try decodeEnum($0.2), actorTokenID: $0.3, actedAt: $0.4,
                businessDate: try Self.day($0.5), reason: $0.6, substituteDrugCode: $0.7, signedOffBy: $0.8,
                supplierCode: $0.9, quantity: $0.10.map(Quantity.init), purchaseOrderID: $0.11,
                expectedRecovery: try $0.12.map(Self.day), report: $0.13)
        }
    }

    /// The open shortages of these drugs, each with its latest substitute action's drug.
    package func openShortages(drugCodes: [String], consortiumID: Int64, connection: StoreConnection) async throws
        -> [OpenShortageMention]
    {
        guard !drugCodes.isEmpty else { return [] }
        return try await connection.rows(
            """
            SELECT s.id, s.drug_code, s.level,
                   (SELECT a.substitute_drug_code FROM shortage_actions a
                    WHERE a.consortium_id = s.consortium_id AND a.shortage_id = s.id AND a.kind = 'substitute'
                    ORDER BY a.id DESC LIMIT 1)
            FROM shortages s
            WHERE s.consortium_id = \(consortiumID) AND s.status = 'open' AND s.drug_code = ANY(\(drugCodes)::text[])
            """, as: (Int64, String, String, String?).self, logger: logger
        ).map { OpenShortageMention(id: $0.0, drugCode: $0.1, level: try decodeEnum($0.2), substituteDrugCode: $0.3) }
    }

    // MARK: Facts

    /// A supplier by code: its id.
    package func supplierID(code: String, connection: StoreConnection) async throws -> Int64? {
        try await connection.row("SELECT id FROM suppliers WHERE code = \(code)", as: Int64.self, logger: logger)
    }

    /// A drug's facts for the report and the ranking.
    package func drug(code: String, connection: StoreConnection) async throws -> ShortageReportDrug? {
        try await connection.row(
            """
            SELECT generic_name, dosage_form, strength, package_size, unit, package_unit, manufacturer, atc_code
            FROM drugs WHERE code = \(code)
            """, as: (String, String, String?, Int, String, String, String?, String?).self, logger: logger
        ).map {
            ShortageReportDrug(
                genericName: $0.0, dosageForm: $0.1, strength: $0.2, packageSize: $0.3, unit: $0.4, packageUnit: $0.5,
                manufacturer: $0.6, atcCode: $0.7)
        }
    }

    /// The shortage lists the drug is on, on `date`.
    package func lists(drugCode: String, on date: BusinessDate, connection: StoreConnection) async throws
        -> [ShortageListKind]
    {
        try await connection.rows(
            """
            SELECT DISTINCT list_kind FROM shortage_list_memberships
            WHERE drug_code = \(drugCode) AND valid_from <= \(date.description)::date
              AND (valid_until IS NULL OR valid_until > \(date.description)::date)
            ORDER BY list_kind
            """, as: String.self, logger: logger
        ).map { try decodeEnum($0) }
    }

    /// The names of the consortium's institutions by code.
    package func institutions(consortiumID: Int64, connection: StoreConnection) async throws
        -> [String: (id: Int64, name: String)]
    {
        var found: [String: (id: Int64, name: String)] = [:]
        for row in try await connection.rows(
            "SELECT code, id, name FROM institutions WHERE consortium_id = \(consortiumID)",
            as: (String, Int64, String).self, logger: logger)
        {
            found[row.0] = (row.1, row.2)
        }
        return found
    }

    /// The drugs of the consortium catalogue in effect on `date` with stock on hand across the consortium (its
    /// members' sum), as the substitute ranking sees them.
    package func catalogueDrugsWithStock(consortiumID: Int64, on date: BusinessDate, connection: StoreConnection)
        async throws -> [SubstituteRanking.Drug]
    {
        try await connection.rows(
            """
            SELECT d.code, d.generic_name, d.dosage_form, d.strength, d.atc_code, sum(h.quantity)
            FROM catalogue_items ci
            JOIN drugs d ON d.code = ci.drug_code
            JOIN stock_on_hand h ON h.consortium_id = ci.consortium_id AND h.drug_code = ci.drug_code
            WHERE ci.consortium_id = \(consortiumID)
              AND ci.version_number = catalogue_version_in_effect(\(consortiumID), \(date.description)::date)
              AND h.in_stock
            GROUP BY d.code, d.generic_name, d.dosage_form, d.strength, d.atc_code
            ORDER BY d.code
            """, as: (String, String, String, String?, String?, Decimal).self, logger: logger
        ).map {
            SubstituteRanking.Drug(
                code: $0.0, genericName: $0.1, dosageForm: $0.2, strength: $0.3, atcCode: $0.4, onHand: Quantity($0.5))
        }
    }

    static func day(_ text: String) throws -> BusinessDate { try StockStore.day(text) }
}

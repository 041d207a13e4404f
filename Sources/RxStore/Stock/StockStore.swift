import Foundation
import Logging
import PostgresNIO
import RxDomain

/// One lot on hand at a member (and location).
package struct StockHolding: Sendable, Equatable, Encodable {
    package var id: Int64
    package var institutionCode: String
    package var locationCode: String?
    package var drugCode: String
    package var genericName: String
    package var unit: String
    package var lotNumber: String
    package var expiry: BusinessDate
    package var quantity: Quantity
    /// The standing block of the lot, if any (a recall before an inspection rejection).
    package var block: LotBlockKind?
}

/// A member's stock page as read in one statement (`StockStore.memberView`): the member, its consortium, the
/// settings asked for, and the page.
package struct MemberStockView: Sendable {
    package var institution: Institution
    package var consortium: Consortium
    package var settings: [String: String]
    package var page: Page<StockHolding>
}

/// A drug's stock across a consortium as read in one statement (`StockStore.drugView`).
package struct DrugStockView: Sendable {
    package var consortium: Consortium
    package var settings: [String: String]
    package var holdings: [StockHolding]
}

/// What a stock list is narrowed to. Dates, not rules: the use case turns the settings into them.
package struct StockFilter: Sendable, Equatable {
    package var drugCode: String?
    package var lotNumber: String?
    package var locationCode: String?
    /// Only lots expiring after `expiringAfter` and on or before `expiringBy` (near expiry).
    package var expiringAfter: BusinessDate?
    package var expiringBy: BusinessDate?
    /// Only lots expired on this date (expiry date on or before it).
    package var expiredOn: BusinessDate?
    package var blocked: Bool?

    package init(
        drugCode: String? = nil, lotNumber: String? = nil, locationCode: String? = nil, expiringAfter: BusinessDate? = nil,
        expiringBy: BusinessDate? = nil, expiredOn: BusinessDate? = nil, blocked: Bool? = nil
    ) {
        self.drugCode = drugCode
        self.lotNumber = lotNumber
        self.locationCode = locationCode
        self.expiringAfter = expiringAfter
        self.expiringBy = expiringBy
        self.expiredOn = expiredOn
        self.blocked = blocked
    }
}

/// One movement of a lot on its stock card.
package struct StockCardLine: Sendable, Equatable, Encodable {
    package var movementID: Int64
    package var businessDate: BusinessDate
    package var reasonCode: String
    package var reasonName: String
    package var locationCode: String?
    /// Signed: positive in, negative out.
    package var quantity: Quantity
    package var documentType: String
    package var documentID: Int64?
}

/// Where a lot is held: a member, a location, a quantity.
package struct LotHolding: Sendable, Equatable, Encodable {
    package var institutionCode: String
    package var locationCode: String?
    package var expiry: BusinessDate
    package var quantity: Quantity
}

/// A dispensing of a lot (where it went).
package struct LotDispensing: Sendable, Equatable, Encodable {
    package var dispensingID: Int64
    package var institutionCode: String
    package var businessDate: BusinessDate
    package var quantity: Quantity
    package var patientRef: String?
    package var ward: String?
}

/// A lot in transit between members (dispatched, not yet received).
package struct LotInTransit: Sendable, Equatable, Encodable {
    package var transferID: Int64
    package var senderInstitutionCode: String
    package var receiverInstitutionCode: String
    package var quantity: Quantity
}

/// A dispensing as recorded, with its movements.
package struct DispensingRecord: Sendable, Equatable, Encodable {
    package struct Line: Sendable, Equatable, Encodable {
        package var movementID: Int64
        package var lotNumber: String
        package var expiry: BusinessDate
        package var quantity: Quantity

        package init(movementID: Int64, lotNumber: String, expiry: BusinessDate, quantity: Quantity) {
            self.movementID = movementID
            self.lotNumber = lotNumber
            self.expiry = expiry
            self.quantity = quantity
        }
    }
    package struct Code: Sendable, Equatable, Encodable {
        package var code: String
        package var reflow: Bool

        package init(code: String, reflow: Bool) {
            self.code = code
            self.reflow = reflow
        }
    }
    package var id: Int64
    package var institutionCode: String
    package var locationCode: String?
    package var drugCode: String
    package var quantity: Quantity
    package var patientRef: String?
    package var ward: String?
    package var requestedLot: String?
    package var businessDate: BusinessDate
    package var lines: [Line]
    package var traceabilityCodes: [Code]

    package init(
        id: Int64, institutionCode: String, locationCode: String?, drugCode: String, quantity: Quantity,
        patientRef: String?, ward: String?, requestedLot: String?, businessDate: BusinessDate, lines: [Line],
        traceabilityCodes: [Code]
    ) {
        self.id = id
        self.institutionCode = institutionCode
        self.locationCode = locationCode
        self.drugCode = drugCode
        self.quantity = quantity
        self.patientRef = patientRef
        self.ward = ward
        self.requestedLot = requestedLot
        self.businessDate = businessDate
        self.lines = lines
        self.traceabilityCodes = traceabilityCodes
    }
}

/// A destruction or a return to the supplier, as recorded.
package struct StockDisposal: Sendable, Equatable, Encodable {
    package var id: Int64
    package var institutionCode: String
    package var locationCode: String?
    package var kind: StockDisposalKind
    package var documentReference: String
    package var drugCode: String
    package var lotNumber: String
    package var expiry: BusinessDate
    package var quantity: Quantity
    package var reason: String?
    package var businessDate: BusinessDate
    package var movementID: Int64

    package init(
        id: Int64, institutionCode: String, locationCode: String?, kind: StockDisposalKind, documentReference: String,
        drugCode: String, lotNumber: String, expiry: BusinessDate, quantity: Quantity, reason: String?,
        businessDate: BusinessDate, movementID: Int64
    ) {
        self.id = id
        self.institutionCode = institutionCode
        self.locationCode = locationCode
        self.kind = kind
        self.documentReference = documentReference
        self.drugCode = drugCode
        self.lotNumber = lotNumber
        self.expiry = expiry
        self.quantity = quantity
        self.reason = reason
        self.businessDate = businessDate
        self.movementID = movementID
    }
}

/// A drug's facts for dispensing: its category and dosage form (traceability exemptions).
package struct StockDrugFacts: Sendable, Equatable {
    package var category: DrugCategory
    package var dosageForm: String
    package var unit: String
}

/// What a dispensing decides from (`StockStore.issueFacts`).
package struct IssueFacts: Sendable {
    package var drug: StockDrugFacts?
    package var settingText: String?
    /// The location the dispensing named, if it named one the member has.
    package var locationID: Int64?
    package var lots: [StockRules.LotOnHand]
    /// Ids drawn for the dispensing and for a movement out of each lot, so that `StockStore.writeDispensing` can
    /// write the dispensing, its movements and its audit row in one statement. An id drawn and not used is a gap in
    /// its sequence, as a rolled-back insert leaves.
    package var dispensingID: Int64 = 0
    package var movementIDs: [String: Int64] = [:]
}

/// A write refused by the stock ledger's own guards (`stock_movements_post`, sql/020) because a lot changed after
/// the facts its decision was made from were read: another movement took the units, or the lot was blocked or
/// quarantined. Deciding again from fresh facts gives the right answer (often the domain's refusal naming the lot).
package struct StockChangedSinceRead: Error {
    /// The database's refusal, as it would be reported were the decision not retried.
    package var refusal: any Error

    /// The constraints the ledger's trigger names when a lot no longer allows what was decided.
    static let constraints: Set<String> = ["stock_on_hand_quantity_check", "stock_movements_quarantine"]

    static func detect<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PSQLError
            where error.serverInfo?[.sqlState] == "23514"
            && Self.constraints.contains(error.serverInfo?[.constraintName] ?? "")
        {
            throw StockChangedSinceRead(refusal: error)
        }
    }
}

/// One step of a traceability code's way through the consortium: received (a purchase receipt) or dispensed.
package struct TraceabilityCodeEvent: Sendable, Equatable {
    package enum Kind: String, Sendable {
        case received, dispensed
    }

    package var event: Kind
    package var institutionCode: String
    package var drugCode: String
    package var lotNumber: String
    package var expiry: BusinessDate
    package var businessDate: BusinessDate
    package var documentType: String
    package var documentID: Int64?
    /// A dispensing of a code that left before (回流药).
    package var reflow: Bool
    package var at: Date
}

/// Reads of the ledger: stock on hand (the trigger-kept rows, never the history), the stock card of a lot, where a
/// lot is, the lots to issue from (locked), and the facts dispensing needs.
package struct StockStore: SQLStore {
    let database: Database

    package init(database: Database) { self.database = database }

    static let blockOfLot = """
        (SELECT b.kind FROM lot_blocks b WHERE b.consortium_id = h.consortium_id AND b.drug_code = h.drug_code
           AND b.lot_key = h.lot_key AND b.released_at IS NULL ORDER BY b.kind DESC LIMIT 1)
        """

    /// A holding read from `holdings(from:)`' columns, in their order: nil when its id is NULL (the one row of a
    /// view's member or drug with no stock).
    static func holding(reading r: inout RowReader) throws -> StockHolding? {
        guard let id = try r.next(Int64?.self) else { return nil }
        let institutionCode: String = try r.next()
        let locationCode: String? = try r.next()
        let drugCode: String = try r.next()
        let genericName: String = try r.next()
        let unit: String = try r.next()
        let lotNumber: String = try r.next()
        let expiry: String = try r.next()
        let quantity: Decimal = try r.next()
        let block: String? = try r.next()
        return StockHolding(
            id: id, institutionCode: institutionCode, locationCode: locationCode, drugCode: drugCode,
            genericName: genericName, unit: unit, lotNumber: lotNumber, expiry: try day(expiry),
            quantity: Quantity(quantity), block: try block.map { try decodeEnum($0) })
    }

    static func day(_ text: String) throws -> BusinessDate {
        guard let date = BusinessDate(text) else { throw UnknownDatabaseValue(type: "date", value: text) }
        return date
    }

    /// A member's stock on hand (lots with stock), narrowed by `filter`, by row id. (A page with no filter is
    /// `memberView`'s.)
    package func onHand(
        consortiumID: Int64, institutionID: Int64, filter: StockFilter, page: PageRequest, on connection: StoreConnection
    ) async throws -> Page<StockHolding> {
        let after = page.afterID
        let rows = try await connection.rows(
            """
            SELECT h.id, i.code, l.code, h.drug_code, d.generic_name, d.unit, h.lot_number, h.expiry_date::text,
                   h.quantity, \(unescaped: Self.blockOfLot)
            FROM stock_on_hand h JOIN institutions i ON i.consortium_id = h.consortium_id AND i.id = h.institution_id
            JOIN drugs d ON d.code = h.drug_code
            LEFT JOIN stock_locations l ON l.consortium_id = h.consortium_id AND l.id = h.location_id
            WHERE h.consortium_id = \(consortiumID) AND h.institution_id = \(institutionID) AND h.in_stock
              AND h.id > \(after)
              AND (\(filter.drugCode)::text IS NULL OR h.drug_code = \(filter.drugCode))
              AND (\(filter.lotNumber)::text IS NULL OR h.lot_key = lot_key(\(filter.lotNumber)))
              AND (\(filter.locationCode)::text IS NULL OR l.code = \(filter.locationCode))
              AND (\(filter.expiredOn?.description)::date IS NULL OR h.expiry_date <= \(filter.expiredOn?.description)::date)
              AND (\(filter.expiringAfter?.description)::date IS NULL
                   OR h.expiry_date > \(filter.expiringAfter?.description)::date)
              AND (\(filter.expiringBy?.description)::date IS NULL
                   OR h.expiry_date <= \(filter.expiringBy?.description)::date)
              AND (\(filter.blocked)::boolean IS NULL
                   OR (\(unescaped: Self.blockOfLot) IS NOT NULL) = \(filter.blocked)::boolean)
            ORDER BY h.id LIMIT \(page.limit + 1)
            """, logger: logger, reading: Self.holding(reading:))
        return Page(rows: rows.compactMap { $0 }, limit: page.limit, key: { String($0.id) })
    }

    /// The lots of a holding row, without the condition.
    static let selectHoldings = holdings(from: "stock_on_hand h")

    /// The lots of a holding row read from `source`, the holdings as `h`: a subquery that has already chosen a page
    /// of them joins the member, drug and location of those rows alone.
    static func holdings(from source: String) -> String {
        """
        SELECT h.id, i.code, l.code, h.drug_code, d.generic_name, d.unit, h.lot_number, h.expiry_date::text,
               h.quantity, \(blockOfLot)
        FROM \(source) JOIN institutions i ON i.consortium_id = h.consortium_id AND i.id = h.institution_id
        JOIN drugs d ON d.code = h.drug_code
        LEFT JOIN stock_locations l ON l.consortium_id = h.consortium_id AND l.id = h.location_id
        """
    }

    /// A member with its consortium, the settings `keys` in force on `date`, and a page of its stock with no filter:
    /// everything the member's stock page needs, on one lease and in one statement. Nil when the consortium has no
    /// member `code`.
    package func memberView(
        code: String, consortiumID: Int64, settingKeys keys: [String], on date: BusinessDate, page: PageRequest
    ) async throws -> MemberStockView? {
        let statement = MemberStockViewStatement<BoundPageRows>(
            consortiumID: consortiumID, code: code, keys: keys, date: date.description,
            after: page.afterID,
            limit: page.limit + 1)
        let rows = try await database.read { connection in
            switch statement.limit {
            case PageRows21.rows: return try await connection.rows(statement.with(PageRows21.self), logger: logger)
            case PageRows51.rows: return try await connection.rows(statement.with(PageRows51.self), logger: logger)
            case PageRows201.rows: return try await connection.rows(statement.with(PageRows201.self), logger: logger)
            default: return try await connection.rows(statement, logger: logger)
            }
        }
        guard let first = rows.first else { return nil }
        var head = RowReader(first)
        let member = (
            try head.next(Int64.self), try head.next(Int64.self), try head.next(String.self), try head.next(String.self),
            try head.next(String.self), try head.next(String.self), try head.next(String.self), try head.next(Bool.self),
            try head.next(Bool.self), try head.next(String.self), try head.next(String.self), try head.next(String?.self)
        )
        let (institution, consortium) = try InstitutionStore.withConsortium(member)
        return MemberStockView(
            institution: institution, consortium: consortium, settings: try Self.settings(&head),
            page: Page(rows: try rows.compactMap { try Self.holding($0, after: 14) }, limit: page.limit, key: { String($0.id) }))
    }

    /// A consortium, the settings `keys` in force on `date`, and a drug's stock at every member, by member, location
    /// and expiry: the drug-across page, in one statement. Nil when no consortium has `code`.
    package func drugView(consortiumCode code: String, drugCode: String, settingKeys keys: [String], on date: BusinessDate)
        async throws -> DrugStockView?
    {
        let statement = DrugStockViewStatement(code: code, keys: keys, date: date.description, drugCode: drugCode)
        let rows = try await database.read { try await $0.rows(statement, logger: logger) }
        guard let first = rows.first else { return nil }
        var head = RowReader(first)
        let consortium = (
            try head.next(Int64.self), try head.next(String.self), try head.next(String.self), try head.next(String.self),
            try head.next(String?.self)
        )
        return DrugStockView(
            consortium: try ConsortiumStore.consortium(consortium), settings: try Self.settings(&head),
            holdings: try rows.compactMap { try Self.holding($0, after: 7) })
    }

    /// A view's settings, the next two columns of its first row: two arrays (NULL when none is in force) made a
    /// dictionary.
    static func settings(_ head: inout RowReader) throws -> [String: String] {
        let keys = try head.next([String]?.self) ?? []
        let values = try head.next([String]?.self) ?? []
        return Dictionary(zip(keys, values).map { ($0, $1) }, uniquingKeysWith: { a, _ in a })
    }

    /// The holding a view's row carries after its first `columns` (the member or consortium and the settings, read
    /// from the first row alone): nil on the one row of a member or drug with no stock.
    static func holding(_ row: PostgresRow, after columns: Int) throws -> StockHolding? {
        var r = RowReader(row)
        r.skip(columns)
        return try holding(reading: &r)
    }

    /// `memberView`'s statement, prepared once per connection: the member (`InstitutionWithConsortium`'s twelve
    /// columns), the settings as two arrays, then the page's holdings (NULL on the one row of a member with none).
    ///
    /// `Rows` writes the page's row limit into the statement (`PageRowsLimit`).
    /// The page is chosen from the holdings alone, in the member index's order, before the drug and location are
    /// joined: joined first, the generic plan (expecting a few rows) hashed and sorted every lot the member holds.
    struct MemberStockViewStatement<Rows: PageRowsLimit>: PostgresPreparedStatement {
        static var sql: String { Rows.memberStockSQL }
        /// Short: PostgreSQL cuts a statement's name at 63 bytes, where the variants' full type names are alike.
        static var name: String { "StockStore.MemberStockView<\(Rows.self)>" }

        /// The same statement with the limit written in.
        func with<Fixed: PageRowsLimit>(_: Fixed.Type) -> MemberStockViewStatement<Fixed> {
            .init(consortiumID: consortiumID, code: code, keys: keys, date: date, after: after, limit: limit)
        }

        /// The statement with `limit` rows at most, or with the limit bound as `$5` (nil).
        static func sql(limit: Int?) -> String {
            let limitText = limit.map { "\($0)" } ?? "$5"
            // A written-in limit still checks `$5`, so every variant takes the same bindings.
            let check = limit.map { "AND $5 = \($0)" } ?? ""
            return """
                WITH m AS (
                    SELECT \(InstitutionStore.InstitutionWithConsortium.columns)
                    FROM \(InstitutionStore.InstitutionWithConsortium.tables)
                    WHERE i.consortium_id = $6 AND i.code = $1
                ), settings AS (
                    \(Settings.inForceArrays(keys: "$2::text[]", consortiumID: "(SELECT consortium_id FROM m)", date: "$3::date"))
                )
                SELECT m.*, settings.keys, settings.vals, p.*
                FROM m CROSS JOIN settings
                LEFT JOIN LATERAL (
                    \(holdings(from: """
                        (SELECT * FROM stock_on_hand h
                         WHERE h.consortium_id = m.consortium_id AND h.institution_id = m.id AND h.in_stock AND h.id > $4
                           \(check)
                         ORDER BY h.id LIMIT \(limitText)) h
                        """))
                ) p ON true
                ORDER BY p.id
                """
        }
        static var bindingDataTypes: [PostgresDataType] { [.text, .textArray, .text, .int8, .int8, .int8] }
        /// The rows as they come: the member and the settings are read from the first alone
        /// (`StockStore.memberView`), not decoded again on each of the page's rows.
        typealias Row = PostgresRow
        var consortiumID: Int64
        var code: String
        var keys: [String]
        var date: String
        var after: Int64
        var limit: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(code)
            bindings.append(keys)
            bindings.append(date)
            bindings.append(after)
            bindings.append(Int64(limit))
            bindings.append(consortiumID)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
    }

    /// `drugView`'s statement, prepared once per connection: the consortium (`ConsortiumByCode`'s five columns), the
    /// settings as two arrays, then the holdings by member, location and expiry (NULL on the one row when none).
    struct DrugStockViewStatement: PostgresPreparedStatement {
        static let sql = """
            WITH con AS (
                SELECT \(ConsortiumStore.ConsortiumByCode.columns)
                FROM \(ConsortiumStore.ConsortiumByCode.tables)
                WHERE c.code = $1
            ), settings AS (
                \(Settings.inForceArrays(keys: "$2::text[]", consortiumID: "(SELECT id FROM con)", date: "$3::date"))
            )
            SELECT con.*, settings.keys, settings.vals, p.*
            FROM con CROSS JOIN settings
            LEFT JOIN LATERAL (
                SELECT q.*, row_number() OVER () AS n FROM (
                    \(selectHoldings)
                    WHERE h.consortium_id = con.id AND h.drug_code = $4 AND h.in_stock
                    ORDER BY i.code, l.code NULLS FIRST, h.expiry_date, h.lot_key
                ) q
            ) p ON true
            ORDER BY p.n
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .textArray, .text, .text]
        /// The rows as they come: the consortium and the settings are read from the first alone
        /// (`StockStore.drugView`).
        typealias Row = PostgresRow
        var code: String
        var keys: [String]
        var date: String
        var drugCode: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(code)
            bindings.append(keys)
            bindings.append(date)
            bindings.append(drugCode)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
    }

    /// The stock card of a lot at a member (every location, or one): the balance before `from`, each movement
    /// with a business date from `from` to `to` in posting order, and the balance after them.
    package func card(
        consortiumID: Int64, institutionID: Int64, locationID: Int64?, drugCode: String, lotNumber: String,
        from: BusinessDate, to: BusinessDate
    ) async throws -> (opening: Quantity, lines: [StockCardLine]) {
        try await database.read { connection in
            let opening =
                try await connection.row(
                    """
                    SELECT COALESCE(sum(CASE m.direction WHEN 'in' THEN m.quantity ELSE -m.quantity END), 0)
                    FROM stock_movements m
                    WHERE m.consortium_id = \(consortiumID) AND m.institution_id = \(institutionID)
                      AND m.drug_code = \(drugCode) AND m.lot_key = lot_key(\(lotNumber))
                      AND (\(locationID)::bigint IS NULL OR m.location_id = \(locationID))
                      AND m.business_date < \(from.description)::date
                    """, as: Decimal.self, logger: logger) ?? Decimal(0)
            let lines = try await connection.rows(
                """
                SELECT m.id, m.business_date::text, m.reason_code, r.name_zh, l.code,
                       CASE m.direction WHEN 'in' THEN m.quantity ELSE -m.quantity END, m.document_type, m.document_id
                FROM stock_movements m JOIN stock_movement_reasons r ON r.code = m.reason_code
                LEFT JOIN stock_locations l ON l.consortium_id = m.consortium_id AND l.id = m.location_id
                WHERE m.consortium_id = \(consortiumID) AND m.institution_id = \(institutionID)
                  AND m.drug_code = \(drugCode) AND m.lot_key = lot_key(\(lotNumber))
                  AND (\(locationID)::bigint IS NULL OR m.location_id = \(locationID))
                  AND m.business_date BETWEEN \(from.description)::date AND \(to.description)::date
                ORDER BY m.business_date, m.id
                """, as: (Int64, String, String, String, String?, Decimal, String, Int64?).self, logger: logger)
            return (
                Quantity(opening),
                try lines.map {
                    StockCardLine(
                        movementID: $0.0, businessDate: try Self.day($0.1), reasonCode: $0.2, reasonName: $0.3,
                        locationCode: $0.4, quantity: Quantity($0.5), documentType: $0.6, documentID: $0.7)
                }
            )
        }
    }

    /// Every member and location holding a lot, its dispensings, and its quantities in transit between members.
    package func whereabouts(consortiumID: Int64, drugCode: String, lotNumber: String, on connection: StoreConnection)
        async throws -> (holdings: [LotHolding], dispensings: [LotDispensing], inTransit: [LotInTransit])
    {
        let holdings = try await connection.rows(
            """
            SELECT i.code, l.code, h.expiry_date::text, h.quantity
            FROM stock_on_hand h JOIN institutions i ON i.consortium_id = h.consortium_id AND i.id = h.institution_id
            LEFT JOIN stock_locations l ON l.consortium_id = h.consortium_id AND l.id = h.location_id
            WHERE h.consortium_id = \(consortiumID) AND h.drug_code = \(drugCode) AND h.lot_key = lot_key(\(lotNumber))
              AND h.in_stock
            ORDER BY i.code, l.code NULLS FIRST
            """, as: (String, String?, String, Decimal).self, logger: logger)
        let dispensings = try await connection.rows(
            """
            SELECT d.id, i.code, m.business_date::text, m.quantity, d.patient_ref, d.ward
            FROM stock_movements m JOIN dispensings d ON d.consortium_id = m.consortium_id AND d.id = m.document_id
            JOIN institutions i ON i.consortium_id = m.consortium_id AND i.id = m.institution_id
            WHERE m.consortium_id = \(consortiumID) AND m.drug_code = \(drugCode) AND m.lot_key = lot_key(\(lotNumber))
              AND m.document_type = 'dispensing'
            ORDER BY m.business_date, m.id
            """, as: (Int64, String, String, Decimal, String?, String?).self, logger: logger)
        let transit = try await connection.rows(
            """
            SELECT t.id, s.code, r.code, sum(tl.dispatched_quantity)
            FROM stock_transfer_lots tl
            JOIN stock_transfers t ON t.consortium_id = tl.consortium_id AND t.id = tl.transfer_id
            JOIN stock_transfer_lines li ON li.consortium_id = tl.consortium_id AND li.transfer_id = tl.transfer_id
                                        AND li.line_no = tl.line_no
            JOIN institutions s ON s.consortium_id = t.consortium_id AND s.id = t.sender_institution_id
            JOIN institutions r ON r.consortium_id = t.consortium_id AND r.id = t.receiver_institution_id
            WHERE tl.consortium_id = \(consortiumID) AND tl.lot_key = lot_key(\(lotNumber)) AND li.drug_code = \(drugCode)
              AND t.status = 'dispatched'
            GROUP BY t.id, s.code, r.code ORDER BY t.id
            """, as: (Int64, String, String, Decimal).self, logger: logger)
        return (
            try holdings.map {
                LotHolding(institutionCode: $0.0, locationCode: $0.1, expiry: try Self.day($0.2), quantity: Quantity($0.3))
            },
            try dispensings.map {
                LotDispensing(
                    dispensingID: $0.0, institutionCode: $0.1, businessDate: try Self.day($0.2), quantity: Quantity($0.3),
                    patientRef: $0.4, ward: $0.5)
            },
            transit.map {
                LotInTransit(
                    transferID: $0.0, senderInstitutionCode: $0.1, receiverInstitutionCode: $0.2, quantity: Quantity($0.3))
            }
        )
    }

    /// What a dispensing decides from, in one statement: the drug's facts (nil when there is no such drug), the text
    /// of the setting `settingKey` in force on `date` (nil when none is), the member's location `locationCode` (nil:
    /// the member's stock outside locations), and the drug's lots with stock at that place, each with its standing
    /// block, in row order. Nothing is locked: the movements' trigger re-checks each lot when the decision is
    /// written (`writeDispensing`). A location code the member does not have finds no location and no lots.
    package func issueFacts(
        consortiumID: Int64, institutionID: Int64, locationCode: String?, drugCode: String, settingKey: String,
        on date: BusinessDate, connection: StoreConnection
    ) async throws -> IssueFacts {
        let rows = try await connection.rows(
            IssueFactsStatement(
                consortiumID: consortiumID, institutionID: institutionID, locationCode: locationCode, drugCode: drugCode,
                settingKey: settingKey, date: date.description),
            logger: logger)
        guard let first = rows.first else { return IssueFacts(drug: nil, settingText: nil, locationID: nil, lots: []) }
        var drug: StockDrugFacts?
        if let category = first.0, let dosageForm = first.1, let unit = first.2 {
            drug = StockDrugFacts(category: try decodeEnum(category), dosageForm: dosageForm, unit: unit)
        }
        var facts = IssueFacts(drug: drug, settingText: first.3?.first, locationID: first.4, lots: [])
        facts.dispensingID = first.9
        for r in rows {
            guard let lotNumber = r.5, let expiry = r.6, let quantity = r.7, let movementID = r.10 else { continue }
            facts.lots.append(
                StockRules.LotOnHand(
                    lot: StockLot(drugCode: drugCode, lotNumber: lotNumber, expiry: try Self.day(expiry)),
                    quantity: Quantity(quantity), block: try r.8.map { try decodeEnum($0) }))
            facts.movementIDs[lotNumber] = movementID
        }
        return facts
    }

    /// `issueFacts`' statement, prepared once per connection: every dispensing runs it.
    struct IssueFactsStatement: PostgresPreparedStatement {
        static let sql = """
            WITH location AS (
                SELECT id FROM stock_locations WHERE consortium_id = $1 AND institution_id = $2 AND code = $3
            ), settings AS (
                SELECT array_agg(value) AS vals FROM (
                    \(Settings.inForce(keys: "ARRAY[$5::text]", consortiumID: "$1", date: "$6::date"))
                ) t
            )
            SELECT d.category, d.dosage_form, d.unit, settings.vals, (SELECT id FROM location),
                   p.lot_number, p.expiry, p.quantity, p.block, (SELECT nextval('dispensings_id_seq')), p.movement_id
            FROM settings
            LEFT JOIN drugs d ON d.code = $4
            LEFT JOIN LATERAL (
                SELECT h.id, h.lot_number, h.expiry_date::text AS expiry, h.quantity, \(blockOfLot) AS block,
                       nextval('stock_movements_id_seq') AS movement_id
                FROM stock_on_hand h
                WHERE h.consortium_id = $1 AND h.institution_id = $2
                  AND h.location_id IS NOT DISTINCT FROM (SELECT id FROM location)
                  AND ($3::text IS NULL OR EXISTS (SELECT FROM location))
                  AND h.drug_code = $4 AND h.in_stock
                ORDER BY h.id
            ) p ON true
            ORDER BY p.id
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .text, .text, .text, .text]
        typealias Row = (String?, String?, String?, [String]?, Int64?, String?, String?, Decimal?, String?, Int64, Int64?)
        var consortiumID: Int64
        var institutionID: Int64
        var locationCode: String?
        var drugCode: String
        var settingKey: String
        var date: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(consortiumID)
            bindings.append(institutionID)
            bindings.append(locationCode)
            bindings.append(drugCode)
            bindings.append(settingKey)
            bindings.append(date)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// One lot held at a member's place, locked, with its standing block; nil when the place never held it.
    package func lotForDisposal(
        consortiumID: Int64, institutionID: Int64, locationID: Int64?, drugCode: String, lotNumber: String,
        on connection: StoreConnection
    ) async throws -> StockRules.LotOnHand? {
        guard
            let row = try await connection.row(
                """
                SELECT h.lot_key, h.lot_number, h.expiry_date::text, h.quantity
                FROM stock_on_hand h
                WHERE h.consortium_id = \(consortiumID) AND h.institution_id = \(institutionID)
                  AND h.location_id IS NOT DISTINCT FROM \(locationID)::bigint AND h.drug_code = \(drugCode)
                  AND h.lot_key = lot_key(\(lotNumber))
                FOR UPDATE
                """, as: (String, String, String, Decimal).self, logger: logger)
        else { return nil }
        let blocks = try await standingBlocks(consortiumID: consortiumID, drugCode: drugCode, on: connection)
        return StockRules.LotOnHand(
            lot: StockLot(drugCode: drugCode, lotNumber: row.1, expiry: try Self.day(row.2)), quantity: Quantity(row.3),
            block: blocks[row.0])
    }

    /// How much of a lot a member's place holds (0 when none); locks the row when there is one.
    package func heldQuantity(
        consortiumID: Int64, institutionID: Int64, locationID: Int64?, drugCode: String, lotNumber: String,
        on connection: StoreConnection
    ) async throws -> Quantity {
        let row = try await connection.row(
            """
            SELECT h.quantity FROM stock_on_hand h
            WHERE h.consortium_id = \(consortiumID) AND h.institution_id = \(institutionID)
              AND h.location_id IS NOT DISTINCT FROM \(locationID)::bigint AND h.drug_code = \(drugCode)
              AND h.lot_key = lot_key(\(lotNumber))
            FOR UPDATE
            """, as: Decimal.self, logger: logger)
        return Quantity(row ?? 0)
    }

    /// The standing blocks of a drug's lots, by lot key (a recall before an inspection rejection).
    package func standingBlocks(consortiumID: Int64, drugCode: String, on connection: StoreConnection) async throws
        -> [String: LotBlockKind]
    {
        let rows = try await connection.rows(
            """
            SELECT lot_key, kind FROM lot_blocks
            WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode) AND released_at IS NULL
            ORDER BY kind
            """, as: (String, String).self, logger: logger)
        var blocks: [String: LotBlockKind] = [:]
        for row in rows { blocks[row.0] = try decodeEnum(row.1) }
        return blocks
    }

    /// A location of a member by its code.
    package func locationID(consortiumID: Int64, institutionID: Int64, code: String, on connection: StoreConnection)
        async throws -> Int64?
    {
        try await connection.row(
            LocationByCode(consortiumID: consortiumID, institutionID: institutionID, code: code), logger: logger)
    }

    struct LocationByCode: PostgresPreparedStatement {
        static let sql = "SELECT id FROM stock_locations WHERE consortium_id = $1 AND institution_id = $2 AND code = $3"
        typealias Row = Int64
        var consortiumID: Int64
        var institutionID: Int64
        var code: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(consortiumID)
            bindings.append(institutionID)
            bindings.append(code)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }

    /// A drug's category, dosage form and unit; nil when there is no such drug.
    package func drugFacts(code: String, on connection: StoreConnection) async throws -> StockDrugFacts? {
        guard let row = try await connection.row(DrugFacts(code: code), logger: logger) else { return nil }
        return StockDrugFacts(category: try decodeEnum(row.0), dosageForm: row.1, unit: row.2)
    }

    struct DrugFacts: PostgresPreparedStatement {
        static let sql = "SELECT category, dosage_form, unit FROM drugs WHERE code = $1"
        typealias Row = (String, String, String)
        var code: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(code)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The drugs the given product prefixes (药品标识码) map to.
    package func traceabilityPrefixes(_ prefixes: [String], on connection: StoreConnection) async throws -> [String: String] {
        guard !prefixes.isEmpty else { return [:] }
        let rows = try await connection.rows(
            "SELECT prefix, drug_code FROM traceability_code_prefixes WHERE prefix = ANY(\(prefixes)::text[])",
            as: (String, String).self, logger: logger)
        return Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
    }

    /// The codes among `codes` already received in the consortium, with the member that received each.
    package func receivedCodes(_ codes: [String], consortiumID: Int64, on connection: StoreConnection) async throws
        -> [String: String]
    {
        guard !codes.isEmpty else { return [:] }
        let rows = try await connection.rows(
            """
            SELECT r.code, i.code FROM received_traceability_codes r
            JOIN institutions i ON i.consortium_id = r.consortium_id AND i.id = r.institution_id
            WHERE r.consortium_id = \(consortiumID) AND r.code = ANY(\(codes)::text[])
            """, as: (String, String).self, logger: logger)
        return Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
    }

    /// Records the codes scanned at a purchase receipt against its movement (sql/029; a code received before fails
    /// the unique key).
    package func recordReceivedCodes(
        _ codes: [String], consortiumID: Int64, institutionID: Int64, movementID: Int64, on connection: StoreConnection
    ) async throws {
        guard !codes.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO received_traceability_codes (consortium_id, code, institution_id, movement_id)
            SELECT \(consortiumID), c, \(institutionID), \(movementID) FROM unnest(\(codes)::text[]) c
            """, logger: logger)
    }

    /// Where a traceability code has been: its receipt (member, drug, lot, date, document) and its dispensings, in
    /// order; empty when the consortium never saw it.
    package func codeHistory(_ code: String, consortiumID: Int64) async throws -> [TraceabilityCodeEvent] {
        try await database.rows(
            """
            SELECT 'received', i.code, m.drug_code, m.lot_number, m.expiry_date::text, m.business_date::text,
                   m.document_type, m.document_id, false, r.received_at
            FROM received_traceability_codes r JOIN stock_movements m
              ON m.consortium_id = r.consortium_id AND m.id = r.movement_id
            JOIN institutions i ON i.consortium_id = r.consortium_id AND i.id = r.institution_id
            WHERE r.consortium_id = \(consortiumID) AND r.code = \(code)
            UNION ALL
            SELECT 'dispensed', i.code, m.drug_code, m.lot_number, m.expiry_date::text, m.business_date::text,
                   m.document_type, m.document_id, d.reflow, d.dispensed_at
            FROM dispensed_traceability_codes d JOIN stock_movements m
              ON m.consortium_id = d.consortium_id AND m.id = d.movement_id
            JOIN institutions i ON i.consortium_id = d.consortium_id AND i.id = d.institution_id
            WHERE d.consortium_id = \(consortiumID) AND d.code = \(code)
            ORDER BY 10
            """, as: (String, String, String, String, String, String, String, Int64?, Bool, Date).self
        ).map {
            TraceabilityCodeEvent(
                event: try decodeEnum($0.0), institutionCode: $0.1, drugCode: $0.2, lotNumber: $0.3, expiry: try Self.day($0.4),
                businessDate: try Self.day($0.5), documentType: $0.6, documentID: $0.7, reflow: $0.8, at: $0.9)
        }
    }

    // MARK: Dispensings

    /// Writes a dispensing in one statement: the dispensing, one movement out of each lot issued (their triggers keep
    /// stock on hand and consumption) and, when `audit` is given, its audit row, under the ids `issueFacts` drew.
    /// One statement is one transaction of its own when `connection` is in none.
    ///
    /// `issueFacts` locks nothing: the movements' trigger re-checks each lot as it takes it (never below zero, never
    /// quarantined or blocked). A lot another movement emptied or blocked since the facts were read throws
    /// `StockChangedSinceRead`, and nothing of the statement stays.
    package func writeDispensing(
        id: Int64, consortiumID: Int64, institutionID: Int64, locationID: Int64?, drugCode: String, quantity: Quantity,
        recipient: DispensingRecipient, requestedLot: String?, businessDate: BusinessDate,
        issues: [(movementID: Int64, lot: StockLot, quantity: Quantity)], actor: Actor,
        audit: (action: String, entityType: String, after: String)?,
        on connection: StoreConnection
    ) async throws {
        let reason = StockMovementReason.dispensing
        _ = try await StockChangedSinceRead.detect {
            try await connection.rows(
                WriteDispensing(
                    id: id, consortiumID: consortiumID, institutionID: institutionID, locationID: locationID,
                    drugCode: drugCode, quantity: quantity.value, patientRef: recipient.patientRef, ward: recipient.ward,
                    requestedLot: requestedLot, businessDate: businessDate.description, tokenID: actor.tokenID,
                    movementIDs: issues.map(\.movementID), lots: issues.map(\.lot.lotNumber),
                    expiries: issues.map(\.lot.expiry.description), quantities: issues.map { "\($0.quantity.value)" },
                    reason: reason.rawValue, direction: reason.direction.rawValue,
                    documentType: StockDocumentType.dispensing.rawValue, actor: actor.label, actorRole: actor.role,
                    auditAction: audit?.action, auditEntityType: audit?.entityType, after: audit?.after),
                logger: logger)
        }
    }

    struct WriteDispensing: PostgresPreparedStatement {
        static let sql = """
            WITH dispensing AS (
                INSERT INTO dispensings (id, consortium_id, institution_id, location_id, drug_code, quantity, patient_ref,
                                         ward, requested_lot, business_date, dispensed_by)
                OVERRIDING SYSTEM VALUE
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::date, $11)
            ), movements AS (
                INSERT INTO stock_movements (id, consortium_id, institution_id, location_id, drug_code, lot_number,
                                             expiry_date, reason_code, direction, quantity, document_type, document_id,
                                             actor_token_id, business_date)
                OVERRIDING SYSTEM VALUE
                SELECT m.id, $2, $3, $4, $5, m.lot_number, m.expiry::date, $16, $17, m.quantity::numeric, $18, $1, $11,
                       $10::date
                FROM unnest($12::bigint[], $13::text[], $14::text[], $15::text[])
                     WITH ORDINALITY AS m(id, lot_number, expiry, quantity, n)
                ORDER BY m.n
            )
            INSERT INTO audit_log (consortium_id, actor_token_id, actor, actor_role, action, entity_type, entity_key,
                                   before, after)
            SELECT $2, $11, $19, $20, $21, $22, $1::text, NULL, $23::jsonb WHERE $23 IS NOT NULL
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .int8, .int8, .int8, .int8, .text, .numeric, .text, .text, .text, .text, .int8, .int8Array, .textArray,
            .textArray, .textArray, .text, .text, .text, .text, .text, .text, .text, .text,
        ]
        typealias Row = Void
        var id: Int64
        var consortiumID: Int64
        var institutionID: Int64
        var locationID: Int64?
        var drugCode: String
        var quantity: Decimal
        var patientRef: String?
        var ward: String?
        var requestedLot: String?
        var businessDate: String
        var tokenID: Int64?
        var movementIDs: [Int64]
        var lots: [String]
        var expiries: [String]
        var quantities: [String]
        var reason: String
        var direction: String
        var documentType: String
        var actor: String
        var actorRole: String?
        var auditAction: String?
        var auditEntityType: String?
        var after: String?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 23)
            bindings.append(id)
            bindings.append(consortiumID)
            bindings.append(institutionID)
            bindings.append(locationID)
            bindings.append(drugCode)
            try bindings.append(quantity)
            bindings.append(patientRef)
            bindings.append(ward)
            bindings.append(requestedLot)
            bindings.append(businessDate)
            bindings.append(tokenID)
            bindings.append(movementIDs)
            bindings.append(lots)
            bindings.append(expiries)
            bindings.append(quantities)
            bindings.append(reason)
            bindings.append(direction)
            bindings.append(documentType)
            bindings.append(actor)
            bindings.append(actorRole)
            bindings.append(auditAction)
            bindings.append(auditEntityType)
            bindings.append(after)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    /// Records a dispensed traceability code against its movement: the first dispensing of the code in the
    /// consortium, or, when it left before, a reflow (回流药) pointing at the first. Returns whether it is a reflow.
    /// Two racing first dispensings of a code: the second waits on the unique index, then records a reflow.
    package func recordDispensedCode(
        _ code: String, consortiumID: Int64, institutionID: Int64, movementID: Int64, on connection: StoreConnection
    ) async throws -> Bool {
        let first = try await connection.row(
            """
            INSERT INTO dispensed_traceability_codes (consortium_id, code, institution_id, movement_id)
            VALUES (\(consortiumID), \(code), \(institutionID), \(movementID))
            ON CONFLICT (consortium_id, code) WHERE NOT reflow DO NOTHING
            RETURNING id
            """, as: Int64.self, logger: logger)
        if first != nil { return false }
        try await connection.run(
            """
            INSERT INTO dispensed_traceability_codes (consortium_id, code, institution_id, movement_id, reflow,
                                                      first_dispensing_id)
            SELECT \(consortiumID), \(code), \(institutionID), \(movementID), true, id FROM dispensed_traceability_codes
            WHERE consortium_id = \(consortiumID) AND code = \(code) AND NOT reflow
            """, logger: logger)
        return true
    }

    /// A dispensing with its lots and codes; nil when there is none of that id at the consortium.
    package func dispensing(id: Int64, consortiumID: Int64, on connection: StoreConnection) async throws -> DispensingRecord? {
        guard
            let row = try await connection.row(
                """
                SELECT d.id, i.code, l.code, d.drug_code, d.quantity, d.patient_ref, d.ward, d.requested_lot,
                       d.business_date::text
                FROM dispensings d JOIN institutions i ON i.consortium_id = d.consortium_id AND i.id = d.institution_id
                LEFT JOIN stock_locations l ON l.consortium_id = d.consortium_id AND l.id = d.location_id
                WHERE d.consortium_id = \(consortiumID) AND d.id = \(id)
                """, as: (Int64, String, String?, String, Decimal, String?, String?, String?, String).self, logger: logger)
        else { return nil }
        let lines = try await connection.rows(
            """
            SELECT m.id, m.lot_number, m.expiry_date::text, m.quantity FROM stock_movements m
            WHERE m.consortium_id = \(consortiumID) AND m.document_type = 'dispensing' AND m.document_id = \(id)
            ORDER BY m.id
            """, as: (Int64, String, String, Decimal).self, logger: logger)
        let movementIDs = lines.map(\.0)
        let codes = try await connection.rows(
            """
            SELECT code, reflow FROM dispensed_traceability_codes
            WHERE consortium_id = \(consortiumID) AND movement_id = ANY(\(movementIDs)::bigint[])
            ORDER BY id
            """, as: (String, Bool).self, logger: logger)
        return DispensingRecord(
            id: row.0, institutionCode: row.1, locationCode: row.2, drugCode: row.3, quantity: Quantity(row.4),
            patientRef: row.5, ward: row.6, requestedLot: row.7, businessDate: try Self.day(row.8),
            lines: try lines.map {
                DispensingRecord.Line(movementID: $0.0, lotNumber: $0.1, expiry: try Self.day($0.2), quantity: Quantity($0.3))
            },
            traceabilityCodes: codes.map { DispensingRecord.Code(code: $0.0, reflow: $0.1) })
    }

    // MARK: Disposals

    /// Inserts a destruction or a return to the supplier; returns its id.
    package func insertDisposal(
        consortiumID: Int64, institutionID: Int64, locationID: Int64?, kind: StockDisposalKind, documentReference: String,
        lot: StockLot, quantity: Quantity, reason: String?, businessDate: BusinessDate, by tokenID: Int64?,
        on connection: StoreConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO stock_disposals (consortium_id, institution_id, location_id, kind, document_reference, drug_code,
                                         lot_number, expiry_date, quantity, reason, business_date, recorded_by)
            VALUES (\(consortiumID), \(institutionID), \(locationID), \(kind.rawValue), \(documentReference),
                    \(lot.drugCode), \(lot.lotNumber), \(lot.expiry.description)::date, \(quantity.value), \(reason),
                    \(businessDate.description)::date, \(tokenID))
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// The delivery just recorded on an order line for a lot (the latest), with the ordering member: what its purchase
    /// receipt (108) posts.
    package func delivery(orderID: Int64, lineNo: Int, consortiumID: Int64, on connection: StoreConnection) async throws
        -> DeliveryReceiptFacts?
    {
        guard
            let row = try await connection.row(
                """
                SELECT d.id, o.institution_id, l.drug_code, d.lot_number, d.expiry_date::text, d.quantity,
                       d.received_on::text, l.quantity_unit, dr.package_size::numeric, l.unit_price
                FROM deliveries d
                JOIN purchase_order_lines l ON l.consortium_id = d.consortium_id AND l.order_id = d.order_id
                                           AND l.line_no = d.line_no
                JOIN purchase_orders o ON o.consortium_id = d.consortium_id AND o.id = d.order_id
                JOIN drugs dr ON dr.code = l.drug_code
                WHERE d.consortium_id = \(consortiumID) AND d.order_id = \(orderID) AND d.line_no = \(lineNo)
                ORDER BY d.id DESC LIMIT 1
                """, as: (Int64, Int64, String, String, String, Decimal, String, String, Decimal, Decimal).self,
                logger: logger)
        else { return nil }
        return DeliveryReceiptFacts(
            id: row.0, institutionID: row.1,
            lot: StockLot(drugCode: row.2, lotNumber: row.3, expiry: try Self.day(row.4)), quantity: Quantity(row.5),
            receivedOn: try Self.day(row.6), orderedIn: try decodeEnum(row.7), packageSize: row.8,
            unitPrice: Money(row.9))
    }
}

/// A delivery against an order line, as its purchase receipt needs it: the quantity in the order line's unit.
package struct DeliveryReceiptFacts: Sendable {
    package var id: Int64
    package var institutionID: Int64
    package var lot: StockLot
    package var quantity: Quantity
    package var receivedOn: BusinessDate
    package var orderedIn: PriceUnit
    package var packageSize: Decimal
    package var unitPrice: Money
}

import Foundation
import PostgresNIO
import RxDomain

/// A member in a shortage as read back: affected now or not, its stock when last seen.
package struct ShortageMemberLine: Sendable, Equatable {
    package var institutionCode: String
    package var institutionName: String
    package var affected: Bool
    package var onHand: Quantity
    package var daysOfStock: Decimal?
    package var firstAffectedOn: BusinessDate
    package var lastSeenOn: BusinessDate
}

/// A signal as read back, from first seen to cleared.
package struct ShortageSignalLine: Sendable, Equatable {
    package var signal: ShortageSignal
    package var firstSeenOn: BusinessDate
    package var lastSeenOn: BusinessDate
    package var clearedOn: BusinessDate?
}

/// An action of the log (`shortage_actions`), as read back.
package struct ShortageActionLine: Sendable, Equatable {
    package var id: Int64
    package var kind: ShortageActionKind
    package var actedAt: Date
    package var businessDate: BusinessDate
    package var reason: String
    package var substituteDrugCode: String?
    package var supplierCode: String?
    package var quantity: Quantity?
    package var purchaseOrderID: Int64?
    package var expectedRecovery: BusinessDate?
}

/// A shortage record with its drug's description and its members (the affected ones in lists, every one in detail).
package struct ShortageView: Sendable, Equatable {
    package var id: Int64
    package var drugCode: String
    package var genericName: String
    package var dosageForm: String
    package var strength: String?
    package var packageSize: Int
    package var unit: String
    package var packageUnit: String
    package var manufacturer: String?
    package var status: ShortageStatus
    package var level: ShortageLevel
    package var cause: ShortageCause?
    package var openedOn: BusinessDate
    package var closedOn: BusinessDate?
    package var outcome: ShortageOutcome?
    package var reopenings: Int
    package var expectedRecovery: BusinessDate?
    package var updatedAt: Date
    /// `updated_at` in microseconds since 1970 (the feed's cursor, exact).
    package var updatedMicros: Int64
    package var lists: [ShortageListKind] = []
    package var members: [ShortageMemberLine] = []
}

/// What a list of shortages asks for.
package struct ShortageFilter: Sendable, Equatable {
    package var openOnly = true
    package var level: ShortageLevel?
    package var list: ShortageListKind?
    /// Only those affecting this member.
    package var institutionID: Int64?
    /// A member's own view: those affecting it, and the consortium's (level consortium or escalated).
    package var visibleTo: Int64?
    package var ids: [Int64]?

    package init(
        openOnly: Bool = true, level: ShortageLevel? = nil, list: ShortageListKind? = nil, institutionID: Int64? = nil,
        visibleTo: Int64? = nil, ids: [Int64]? = nil
    ) {
        self.openOnly = openOnly
        self.level = level
        self.list = list
        self.institutionID = institutionID
        self.visibleTo = visibleTo
        self.ids = ids
    }
}

extension ShortageStore {
    static let headColumns = """
        s.id, s.drug_code, d.generic_name, d.dosage_form, d.strength, d.package_size, d.unit, d.package_unit,
        d.manufacturer, s.status, s.level, s.cause, s.opened_on::text, s.closed_on::text, s.outcome, s.reopenings,
        s.expected_recovery::text, s.updated_at, (extract(epoch FROM s.updated_at) * 1000000)::bigint
        """

    /// A record read from `headColumns`, column by column (no lists or members yet).
    static func view(reading r: inout RowReader) throws -> ShortageView {
        ShortageView(
            id: try r.next(), drugCode: try r.next(), genericName: try r.next(), dosageForm: try r.next(),
            strength: try r.next(), packageSize: try r.next(), unit: try r.next(), packageUnit: try r.next(),
            manufacturer: try r.next(), status: try decodeEnum(try r.next(String.self)),
            level: try decodeEnum(try r.next(String.self)), cause: try r.next(String?.self).map { try decodeEnum($0) },
            openedOn: try day(try r.next()), closedOn: try r.next(String?.self).map(day),
            outcome: try r.next(String?.self).map { try decodeEnum($0) }, reopenings: try r.next(),
            expectedRecovery: try r.next(String?.self).map(day), updatedAt: try r.next(), updatedMicros: try r.next())
    }

    /// Shortages by the filter, in the order they opened (then id), with their lists on `date` and their members
    /// (only the affected ones unless `allMembers`); without either when not `complete` (what a count needs). With
    /// `after`, those after that opening day and id; `limit` of them at most (nil: all). `began` is called with the
    /// connection in hand, before the first statement (`ReadSharing`).
    package func shortages(
        consortiumID: Int64, filter: ShortageFilter, on date: BusinessDate, allMembers: Bool = false, complete: Bool = true,
        after: (openedOn: BusinessDate, id: Int64)? = nil, limit: Int? = nil, began: (@Sendable () -> Void)? = nil
    ) async throws -> [ShortageView] {
        let level = filter.level?.rawValue
        let list = filter.list?.rawValue
        return try await database.read { connection in
            began?()
            let views: [ShortageView]
            if filter == ShortageFilter(visibleTo: filter.visibleTo), let limit {
                views = try await openPage(
                    consortiumID: consortiumID, visibleTo: filter.visibleTo, after: after, limit: limit, connection: connection)
            } else {
                views = try await connection.rows(
                    """
                    SELECT \(unescaped: Self.headColumns)
                    FROM shortages s JOIN drugs d ON d.code = s.drug_code
                    WHERE s.consortium_id = \(consortiumID) AND (NOT \(filter.openOnly) OR s.status = 'open')
                      AND (\(level)::text IS NULL OR s.level = \(level))
                      AND (\(filter.ids)::bigint[] IS NULL OR s.id = ANY(\(filter.ids)::bigint[]))
                      AND (\(list)::text IS NULL OR EXISTS (
                            SELECT 1 FROM shortage_list_memberships l
                            WHERE l.drug_code = s.drug_code AND l.list_kind = \(list) AND l.valid_from <= \(date.description)::date
                              AND (l.valid_until IS NULL OR l.valid_until > \(date.description)::date)))
                      AND (\(filter.institutionID)::bigint IS NULL OR EXISTS (
                            SELECT 1 FROM shortage_members m WHERE m.consortium_id = s.consortium_id AND m.shortage_id = s.id
                              AND m.affected AND m.institution_id = \(filter.institutionID)))
                      AND (\(filter.visibleTo)::bigint IS NULL OR s.level <> 'member' OR EXISTS (
                            SELECT 1 FROM shortage_members m WHERE m.consortium_id = s.consortium_id AND m.shortage_id = s.id
                              AND m.affected AND m.institution_id = \(filter.visibleTo)))
                      AND (\(after?.openedOn.description)::date IS NULL
                           OR (s.opened_on, s.id) > (\(after?.openedOn.description)::date, \(after?.id)::bigint))
                    ORDER BY s.opened_on, s.id
                    LIMIT \(limit)
                    """, logger: logger, reading: Self.view(reading:))
            }
            guard complete else { return views }
            return try await self.complete(
                views, consortiumID: consortiumID, on: date, allMembers: allMembers, connection: connection)
        }
    }

    /// The alert feed: records changed (opened, updated, closed) after the cursor, oldest change first.
    package func feed(consortiumID: Int64, after: (micros: Int64, id: Int64)?, limit: Int, on date: BusinessDate)
        async throws -> [ShortageView]
    {
        let micros = after?.micros ?? 0
        let first = after == nil
        let id = after?.id ?? 0
        return try await database.read { connection in
            let views = try await connection.rows(
                """
                SELECT \(unescaped: Self.headColumns)
                FROM shortages s JOIN drugs d ON d.code = s.drug_code
                WHERE s.consortium_id = \(consortiumID)
                  AND (\(first) OR (s.updated_at, s.id) > (timestamptz 'epoch' + \(micros) * interval '1 microsecond', \(id)))
                ORDER BY s.updated_at, s.id
                LIMIT \(limit)
                """, logger: logger, reading: Self.view(reading:))
            return try await complete(views, consortiumID: consortiumID, on: date, allMembers: false, connection: connection)
        }
    }

    /// The open shortages with no filter but the member's own view (`visibleTo`), a page in the order they opened:
    /// the list the pharmacy centre and every member's dashboard poll, a statement prepared once per connection
    /// (`OpenShortagesPageStatement`).
    func openPage(
        consortiumID: Int64, visibleTo: Int64?, after: (openedOn: BusinessDate, id: Int64)?, limit: Int,
        connection: PostgresConnection
    ) async throws -> [ShortageView] {
        let statement = OpenShortagesPageStatement<BoundPageRows>(
            consortiumID: consortiumID, visibleTo: visibleTo, afterDay: after?.openedOn.description, afterID: after?.id ?? 0,
            limit: limit)
        let rows =
            switch limit {
            case PageRows21.rows: try await connection.stream(statement.with(PageRows21.self), logger: logger)
            case PageRows51.rows: try await connection.stream(statement.with(PageRows51.self), logger: logger)
            case PageRows201.rows: try await connection.stream(statement.with(PageRows201.self), logger: logger)
            default: try await connection.stream(statement, logger: logger)
            }
        var views: [ShortageView] = []
        for try await row in rows {
            var r = RowReader(row)
            views.append(try Self.view(reading: &r))
        }
        return views
    }

    /// Adds the lists and members to records read, on the connection that read them.
    func complete(
        _ views: [ShortageView], consortiumID: Int64, on date: BusinessDate, allMembers: Bool,
        connection: PostgresConnection
    ) async throws -> [ShortageView] {
        guard !views.isEmpty else { return [] }
        var byDrug: [String: Set<ShortageListKind>] = [:]
        for try await row in try await connection.stream(
            ListsStatement(drugs: Array(Set(views.map(\.drugCode))), date: date.description), logger: logger)
        {
            var r = RowReader(row)
            byDrug[try r.next(String.self), default: []].insert(try decodeEnum(try r.next(String.self)))
        }
        var byID: [Int64: [ShortageMemberLine]] = [:]
        for try await row in try await connection.stream(
            MembersStatement(consortiumID: consortiumID, ids: views.map(\.id), allMembers: allMembers), logger: logger)
        {
            var r = RowReader(row)
            byID[try r.next(Int64.self), default: []].append(
                ShortageMemberLine(
                    institutionCode: try r.next(), institutionName: try r.next(), affected: try r.next(),
                    onHand: Quantity(try r.next(Decimal.self)), daysOfStock: try r.next(),
                    firstAffectedOn: try Self.day(try r.next()), lastSeenOn: try Self.day(try r.next())))
        }
        return views.map { view in
            var view = view
            let held = byDrug[view.drugCode] ?? []
            view.lists = ShortageListKind.allCases.filter(held.contains)
            view.members = (byID[view.id] ?? []).sorted { $0.institutionCode < $1.institutionCode }
            return view
        }
    }

    /// `openPage`'s statement; `Rows` writes the page's row limit into it (`PageRowsLimit`).
    struct OpenShortagesPageStatement<Rows: PageRowsLimit>: PostgresPreparedStatement {
        static var sql: String { Rows.openShortagesSQL }
        static var name: String { "ShortageStore.OpenShortagesPage<\(Rows.self)>" }

        /// The same statement with the limit written in.
        func with<Fixed: PageRowsLimit>(_: Fixed.Type) -> OpenShortagesPageStatement<Fixed> {
            .init(consortiumID: consortiumID, visibleTo: visibleTo, afterDay: afterDay, afterID: afterID, limit: limit)
        }

        /// The statement with `limit` rows at most, or with the limit bound as `$5` (nil).
        static func sql(limit: Int?) -> String {
            let limitText = limit.map { "\($0)" } ?? "$5"
            // A written-in limit still checks `$5`, so every variant takes the same bindings.
            let check = limit.map { "AND $5 = \($0)" } ?? ""
            return """
                SELECT \(headColumns)
                FROM shortages s JOIN drugs d ON d.code = s.drug_code
                WHERE s.consortium_id = $1 AND s.status = 'open' \(check)
                  AND ($2::bigint IS NULL OR s.level <> 'member' OR EXISTS (
                        SELECT 1 FROM shortage_members m WHERE m.consortium_id = s.consortium_id AND m.shortage_id = s.id
                          AND m.affected AND m.institution_id = $2))
                  AND ($3::date IS NULL OR (s.opened_on, s.id) > ($3::date, $4))
                ORDER BY s.opened_on, s.id
                LIMIT \(limitText)
                """
        }
        static var bindingDataTypes: [PostgresDataType] { [.int8, .int8, .text, .int8, .int8] }
        typealias Row = PostgresRow
        var consortiumID: Int64
        var visibleTo: Int64?
        /// The opening day of the record the last page ended on (nil for the first page), and its id.
        var afterDay: String?
        var afterID: Int64
        var limit: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(consortiumID)
            bindings.append(visibleTo)
            bindings.append(afterDay)
            bindings.append(afterID)
            bindings.append(Int64(limit))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
    }

    /// The lists each drug is on, on a day (`complete`), prepared once per connection.
    struct ListsStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT DISTINCT drug_code, list_kind FROM shortage_list_memberships
            WHERE drug_code = ANY($1::text[]) AND valid_from <= $2::date AND (valid_until IS NULL OR valid_until > $2::date)
            """
        static let name = "ShortageStore.Lists"
        static var bindingDataTypes: [PostgresDataType] { [.textArray, .text] }
        typealias Row = PostgresRow
        var drugs: [String]
        var date: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(drugs)
            bindings.append(date)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
    }

    /// The members of records (`complete`): the affected ones, or every one (`allMembers`); prepared once per
    /// connection.
    struct MembersStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT m.shortage_id, i.code, i.name, m.affected, m.on_hand, m.days_of_stock, m.first_affected_on::text,
                   m.last_seen_on::text
            FROM shortage_members m JOIN institutions i ON i.consortium_id = m.consortium_id AND i.id = m.institution_id
            WHERE m.consortium_id = $1 AND m.shortage_id = ANY($2::bigint[]) AND ($3 OR m.affected)
            """
        static let name = "ShortageStore.Members"
        static var bindingDataTypes: [PostgresDataType] { [.int8, .int8Array, .bool] }
        typealias Row = PostgresRow
        var consortiumID: Int64
        var ids: [Int64]
        var allMembers: Bool

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(consortiumID)
            bindings.append(ids)
            bindings.append(allMembers)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { row }
    }

    /// A record's signals, every one it ever had, in the order first seen.
    package func signals(consortiumID: Int64, shortageID: Int64) async throws -> [ShortageSignalLine] {
        try await database.rows(
            """
            SELECT g.kind, i.code, g.on_hand, g.days_of_stock, g.order_id, g.line_no, g.extended_prescription_id,
                   g.days_late, s.code, g.first_seen_on::text, g.last_seen_on::text, g.cleared_on::text
            FROM shortage_signals g
            LEFT JOIN institutions i ON i.consortium_id = g.consortium_id AND i.id = g.institution_id
            LEFT JOIN shortage_supplier_reports r ON r.consortium_id = g.consortium_id AND r.id = g.supplier_report_id
            LEFT JOIN suppliers s ON s.id = r.supplier_id
            WHERE g.consortium_id = \(consortiumID) AND g.shortage_id = \(shortageID)
            ORDER BY g.first_seen_on, g.id
            """,
            as: (String, String?, Decimal?, Decimal?, Int64?, Int?, Int64?, Int?, String?, String, String, String?).self
        ).map {
            ShortageSignalLine(
                signal: ShortageSignal(
                    kind: try decodeEnum($0.0), institutionCode: $0.1, onHand: $0.2.map(Quantity.init), daysOfStock: $0.3,
                    orderID: $0.4, lineNo: $0.5, extendedPrescriptionID: $0.6, daysLate: $0.7, supplierCode: $0.8),
                firstSeenOn: try Self.day($0.9), lastSeenOn: try Self.day($0.10), clearedOn: try $0.11.map(Self.day))
        }
    }

    /// A record's actions (the log the supply centre writes), in order.
    package func actions(consortiumID: Int64, shortageID: Int64) async throws -> [ShortageActionLine] {
        try await database.rows(
            """
            SELECT a.id, a.kind, a.acted_at, a.business_date::text, a.reason, a.substitute_drug_code, s.code,
                   a.quantity, a.purchase_order_id, a.expected_recovery::text
            FROM shortage_actions a LEFT JOIN suppliers s ON s.id = a.supplier_id
            WHERE a.consortium_id = \(consortiumID) AND a.shortage_id = \(shortageID)
            ORDER BY a.id
            """,
            as: (Int64, String, Date, String, String, String?, String?, Decimal?, Int64?, String?).self
        ).map {
            ShortageActionLine(
                id: $0.0, kind: try decodeEnum($0.1), actedAt: $0.2, businessDate: try Self.day($0.3), reason: $0.4,
                substituteDrugCode: $0.5, supplierCode: $0.6, quantity: $0.7.map(Quantity.init), purchaseOrderID: $0.8,
                expectedRecovery: try $0.9.map(Self.day))
        }
    }
}

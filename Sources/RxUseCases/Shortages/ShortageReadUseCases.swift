import Foundation
import RxDomain
import RxStore

/// One shortage with its history: every member it touched, every signal, the actions taken.
package struct ShortageDetail: Sendable, Equatable {
    package var shortage: ShortageView
    package var signals: [ShortageSignalLine]
    package var actions: [ShortageActionLine]
}

/// A member's daily digest: its open shortages (those affecting it and the consortium's) with its own days of stock
/// of each drug concerned.
package struct ShortageDigest: Sendable, Equatable {
    package struct Line: Sendable, Equatable {
        package var shortage: ShortageView
        /// The member's own position in the drug (nil: it neither holds nor used it in the window).
        package var position: DaysOfStock?
    }
    package var institutionCode: String
    package var on: BusinessDate
    package var window: ConsumptionWindow
    package var lines: [Line]
}

/// The reads of shortage records: open shortages, one with its history, the alert feed, a member's digest, and the
/// report in the direct-reporting form. The supply centre reads every one; a member's pharmacist its own and the
/// consortium's (`Permission.readShortages`); regulators and auditors read.
package struct ShortageReadUseCases: Sendable {
    let database: Database
    let shortages: ShortageStore

    package init(database: Database) {
        self.database = database
        self.shortages = ShortageStore(database: database)
    }

    /// What the principal may see: every record, or (a member's pharmacist) those affecting its member and the
    /// consortium's. 403 otherwise.
    func scope(_ consortium: Consortium, by principal: Principal) throws -> Int64? {
        let lead = consortium.leadInstitutionCode
        if principal.may(.readAllShortages(consortiumID: consortium.id, leadInstitutionCode: lead)) { return nil }
        guard let own = principal.institutionID else {
            try principal.require(.readAllShortages(consortiumID: consortium.id, leadInstitutionCode: lead))
            return nil
        }
        try principal.require(.readShortages(consortiumID: consortium.id, institutionID: own, leadInstitutionCode: lead))
        return own
    }

    /// Open shortages, narrowed by level, list and member affected.
    /// A page at a time, in the order they opened (keyset by opening day and id).
    package func open(
        consortium: Consortium, level: ShortageLevel?, list: ShortageListKind?, institutionCode: String?,
        today: BusinessDate, page: PageRequest, by principal: Principal
    ) async throws -> Page<ShortageView> {
        try await openPage(
            consortium: consortium,
            filter: try await filter(consortium, level: level, list: list, institutionCode: institutionCode, by: principal),
            today: today, page: page)
    }

    /// A page of every open shortage the principal may see (no filter) as `answer` writes it, shared by the same
    /// page's reads under load (`ReadSharing`): each caller's permission is checked before it joins, and what it may
    /// see is part of the key.
    package func open<Answer: Sendable>(
        consortium: Consortium, today: BusinessDate, page: PageRequest, by principal: Principal,
        sharing: ReadSharing<OpenShortagesPage, Answer>, answer: @escaping @Sendable (Page<ShortageView>) throws -> Answer
    ) async throws -> Answer {
        let visibleTo = try scope(consortium, by: principal)
        let key = OpenShortagesPage(consortiumID: consortium.id, visibleTo: visibleTo, today: today, page: page)
        return try await sharing.value(for: key) { began in
            try answer(
                try await openPage(
                    consortium: consortium, filter: ShortageFilter(visibleTo: visibleTo), today: today, page: page,
                    began: began))
        }
    }

    /// The opening day and id a page of open shortages ended on (400 naming `cursor` for any other key).
    static func openCursor(_ key: String) throws(DomainError) -> (openedOn: BusinessDate, id: Int64) {
        let parts = key.split(separator: " ")
        guard parts.count == 2, let day = BusinessDate(String(parts[0])), let id = Int64(parts[1]) else {
            throw .badRequest(
                "cursor: not a cursor this service issued",
                [FieldError(field: "cursor", reason: "not a cursor this service issued")])
        }
        return (day, id)
    }

    private func openPage(
        consortium: Consortium, filter: ShortageFilter, today: BusinessDate, page: PageRequest,
        began: (@Sendable () -> Void)? = nil
    ) async throws -> Page<ShortageView> {
        let rows = try await shortages.shortages(
            consortiumID: consortium.id, filter: filter, on: today, complete: true,
            after: try page.after.map(Self.openCursor), limit: page.limit + 1, began: began)
        return Page(rows: rows, limit: page.limit, key: { "\($0.openedOn) \($0.id)" })
    }

    /// What the principal asks for and may see (`scope`), the member affected by its code.
    private func filter(
        _ consortium: Consortium, level: ShortageLevel?, list: ShortageListKind?, institutionCode: String?,
        by principal: Principal
    ) async throws -> ShortageFilter {
        let visibleTo = try scope(consortium, by: principal)
        var institutionID: Int64?
        if let institutionCode {
            institutionID = try await member(institutionCode, of: consortium).id
        }
        return ShortageFilter(level: level, list: list, institutionID: institutionID, visibleTo: visibleTo)
    }

    /// The level of each open shortage `open` would list (the same filter and permission), without reading their
    /// members and lists: what the dashboard counts.
    package func openLevels(
        consortium: Consortium, institutionCode: String?, today: BusinessDate, by principal: Principal
    ) async throws -> [ShortageLevel] {
        try await shortages.shortages(
            consortiumID: consortium.id,
            filter: try await filter(consortium, level: nil, list: nil, institutionCode: institutionCode, by: principal),
            on: today, complete: false
        ).map(\.level)
    }

    /// One shortage, open or closed, with every member it touched, its signals and actions (404 when the principal
    /// may not see it).
    package func one(id: Int64, consortium: Consortium, today: BusinessDate, by principal: Principal) async throws
        -> ShortageDetail
    {
        let visibleTo = try scope(consortium, by: principal)
        guard
            let shortage = try await shortages.shortages(
                consortiumID: consortium.id, filter: ShortageFilter(openOnly: false, visibleTo: visibleTo, ids: [id]),
                on: today, allMembers: true
            ).first
        else { throw DomainError.notFound("no shortage \(id)") }
        return ShortageDetail(
            shortage: shortage, signals: try await shortages.signals(consortiumID: consortium.id, shortageID: id),
            actions: try await shortages.actions(consortiumID: consortium.id, shortageID: id))
    }

    /// The alert feed: records opened, changed or closed after `cursor`, oldest change first, `limit` at a time;
    /// the next cursor is the last one's. Read by the supply centre, regulators and auditors (another system polls
    /// it with their tokens).
    package func feed(consortium: Consortium, cursor: String?, limit: Int, today: BusinessDate, by principal: Principal)
        async throws -> (items: [ShortageView], nextCursor: String?)
    {
        try principal.require(
            .readAllShortages(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        guard (1...500).contains(limit) else { throw DomainError.invalid("limit", "must be from 1 to 500") }
        var after: (Int64, Int64)?
        if let cursor {
            let parts = cursor.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let micros = Int64(parts[0]), let id = Int64(parts[1]) else {
                throw DomainError.invalid("cursor", "is not a cursor this feed gave")
            }
            after = (micros, id)
        }
        let items = try await shortages.feed(consortiumID: consortium.id, after: after, limit: limit, on: today)
        let next = items.count == limit ? items.last.map { "\($0.updatedMicros)-\($0.id)" } : nil
        return (items, next)
    }

    /// A member's digest on `today`: the open shortages it sees and its own days of stock of each drug.
    package func digest(institutionCode: String, consortium: Consortium, today: BusinessDate, by principal: Principal)
        async throws -> ShortageDigest
    {
        let institution = try await member(institutionCode, of: consortium)
        try principal.require(
            .readShortages(
                consortiumID: consortium.id, institutionID: institution.id,
                leadInstitutionCode: consortium.leadInstitutionCode))
        let open = try await shortages.shortages(
            consortiumID: consortium.id, filter: ShortageFilter(visibleTo: institution.id), on: today)
        let stock = StockUseCases(database: database)
        let (window, shelfLife) = try await stock.window(consortiumID: consortium.id, today: today)
        let positions = try await stock.positions(
            consortiumID: consortium.id, institutionID: institution.id, drugCode: nil, window: window, today: today,
            minimumShelfLife: shelfLife)
        let byDrug = Dictionary(positions.map { ($0.position.drugCode, $0.position) }, uniquingKeysWith: { a, _ in a })
        return ShortageDigest(
            institutionCode: institution.code, on: today, window: window,
            lines: open.map { ShortageDigest.Line(shortage: $0, position: byDrug[$0.drugCode]) })
    }

    /// Every open shortage in the shape of the direct-reporting form (`ShortageEscalationReport`), for the console.
    package func report(consortiumCode: String, today: BusinessDate) async throws -> [ShortageEscalationReport] {
        let consortium = try await ConsortiumUseCases(database: database).find(code: consortiumCode)
            .orNotFound("no consortium \(consortiumCode)")
        var reports: [ShortageEscalationReport] = []
        for s in try await shortages.shortages(consortiumID: consortium.id, filter: ShortageFilter(), on: today) {
            let actions = try await shortages.actions(consortiumID: consortium.id, shortageID: s.id)
            reports.append(
                ShortageEscalationReport(
                    consortiumCode: consortium.code, reportedOn: today, drugCode: s.drugCode, genericName: s.genericName,
                    dosageForm: s.dosageForm,
                    specification: ShortageEscalationReport.specification(
                        strength: s.strength, packageSize: s.packageSize, unit: s.unit, packageUnit: s.packageUnit),
                    manufacturer: s.manufacturer ?? "", lists: s.lists, openedOn: s.openedOn, level: s.level,
                    members: s.members.map {
                        .init(
                            institutionCode: $0.institutionCode, institutionName: $0.institutionName, onHand: $0.onHand,
                            daysOfStock: $0.daysOfStock)
                    },
                    cause: s.cause,
                    actions: actions.map { .init(kind: $0.kind, on: $0.businessDate, reason: $0.reason) },
                    expectedRecovery: s.expectedRecovery ?? actions.last(where: { $0.expectedRecovery != nil })?.expectedRecovery)
            )
        }
        return reports
    }

    func member(_ code: String, of consortium: Consortium) async throws -> Institution {
        let found = try await database.read { connection in
            try await InstitutionStore(database: database).find(code: code, consortiumID: consortium.id, on: connection)
        }
        guard let found else {
            throw DomainError.notFound("no institution \(code) in \(consortium.code)")
        }
        return found
    }
}

/// What a page of open shortages with no filter depends on, for `ReadSharing`: the consortium, what the reader may
/// see (nil: every record; a member's id: its own and the consortium's), the business day and the page.
package struct OpenShortagesPage: Sendable, Hashable {
    let consortiumID: Int64
    let visibleTo: Int64?
    let today: BusinessDate
    let page: PageRequest
}

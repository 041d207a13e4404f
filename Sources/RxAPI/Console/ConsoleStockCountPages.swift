internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Count sheets in the console (盘点): a member's sheets, a new sheet (the ledger's lots on hand, at a location or
/// all of them), the sheet's page to enter counted quantities in as many sittings as the shelves take (a blank box is
/// left as it was), and its approval by a second person or its cancelling. Every step is `StockCountUseCases`'s, with
/// its permissions, refusals and audit row.
struct ConsoleStockCountPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var counts: StockCountUseCases { StockCountUseCases(database: database) }

    func list(_ c: ConsoleRequest) async throws -> Response {
        try await listPage(c, refusal: nil)
    }

    func listPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let institution = try await member(c, consortium)
        let page = try await counts.list(
            institution: institution, consortium: consortium,
            page: try PageRequest(limit: 50, cursor: c.query("cursor")), by: c.principal)
        let everyMember = c.principal.may(
            .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        var values: [String: Any] = [
            "member": "\(institution.code) \(institution.name)", "memberCode": institution.code,
            "counts": page.items.map { StockCountRow($0, language) },
            "mayOpen": c.principal.may(
                .moveStockDocument(
                    consortiumID: consortium.id, institutionID: institution.id,
                    leadInstitutionCode: consortium.leadInstitutionCode)),
            "location": c.form["location"] ?? "",
            "everyMember": everyMember,
            "refusal": refusal?.message as Any, "fieldErrors": refusal?.fields ?? [:],
        ]
        if everyMember {
            values["members"] = try await InstitutionUseCases(database: database).list(
                consortiumID: consortium.id, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: nil)
            ).items.map {
                ["value": $0.code, "label": "\($0.code) \($0.name)", "selected": $0.code == institution.code ? "selected" : ""]
            }
        }
        if let next = page.nextCursor {
            values["next"] = ConsolePager.href("/console/stock/counts", [("member", institution.code), ("cursor", next)])
        }
        return routes.render("stock_counts", values, title: language.word("stock_counts_title"), c, status: status)
    }

    /// The member whose sheets are shown (`?member=`, or the form's): one's own, else the lead's.
    func member(_ c: ConsoleRequest, _ consortium: Consortium) async throws -> Institution {
        let code =
            (c.form.text("member") ?? c.query("member")).flatMap { $0.isEmpty ? nil : $0 } ?? c.principal.institutionCode
            ?? consortium.leadInstitutionCode ?? ""
        guard let institution = try await InstitutionUseCases(database: database).find(code: code, consortiumID: consortium.id)
        else { throw DomainError.notFound("no institution \(code)") }
        return institution
    }

    /// POST: a new sheet for the member (and location), then its page.
    func open(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let institution = try await member(c, consortium)
        return try await routes.change(
            c,
            {
                let opened = try await counts.open(
                    institution: institution, locationCode: c.form.text("location"), consortium: consortium,
                    today: routes.clock.today(), by: c.principal)
                return ConsoleRoutes.done("/console/stock/counts/\(opened.id)", "count_opened")
            },
            again: { refusal, status in try await listPage(c, refusal: refusal, status: status) })
    }

    func sheet(_ c: ConsoleRequest) async throws -> Response {
        try await sheetPage(c, refusal: nil, rowErrors: [:])
    }

    /// The sheet: its lines with expected, counted and the difference; the boxes while it is open and the person may
    /// count; approval offered unless `StockCountUseCases.approvalRefusal` forbids this person (the opener or the
    /// counter), whose reason is shown instead.
    func sheetPage(
        _ c: ConsoleRequest, refusal: ConsoleRefusal?, rowErrors: [Int: String], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (consortium, count) = try await sheet(of: c)
        let language = c.language
        let mayMove = c.principal.may(
            .moveStockDocument(
                consortiumID: consortium.id, institutionID: count.institutionID,
                leadInstitutionCode: consortium.leadInstitutionCode))
        let isOpen = (try? StockCountRules.checkEntry(status: count.status)) != nil
        let typed = c.form.all("entry_counted")
        let lines = count.lines.enumerated().map { i, line -> [String: String] in
            let difference = line.counted.map { counted -> String in
                counted == line.expected
                    ? "0" : counted > line.expected ? "+\(counted - line.expected)" : "−\(line.expected - counted)"
            }
            return [
                "index": String(i), "drug": line.lot.drugCode, "lot": line.lot.lotNumber,
                "expiry": ConsoleFormat.date(line.lot.expiry, language), "expected": line.expected.description,
                "counted": i < typed.count ? typed[i] : line.counted?.description ?? "",
                "difference": difference ?? "", "differs": (difference ?? "0") == "0" ? "" : "differs",
                "error": rowErrors[i] ?? "",
            ]
        }
        var values: [String: Any] = [
            "row": StockCountRow(count, language), "lines": lines,
            "mayCount": isOpen && mayMove,
            "mayCancel": isOpen && mayMove,
            "refusal": refusal?.message as Any,
        ]
        if isOpen && mayMove {
            switch counts.approvalRefusal(count, by: c.principal) {
            case .forbidden(let reason)?: values["secondPerson"] = language.message(reason)
            default: values["mayApprove"] = true
            }
        }
        return routes.render(
            "stock_count", values, title: language.word("stock_count_title").replacingFirst(String(count.id)), c,
            status: status)
    }

    /// POST: the counted quantities typed (a blank box is not entered), then the sheet again.
    func enter(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, count) = try await sheet(of: c)
        let form = c.form
        let (drugs, lots, counted) = (form.all("entry_drug"), form.all("entry_lot"), form.all("entry_counted"))
        guard lots.count == drugs.count, counted.count == drugs.count else {
            throw DomainError.badRequest("the count form is incomplete; reload it")
        }
        // The sheet's row of each entry, to show a refusal beside its box.
        let rows = counted.indices.filter { !counted[$0].trimmingCharacters(in: .whitespaces).isEmpty }
        return try await routes.change(
            c,
            {
                var entries: [StockDocumentRules.CountEntry] = []
                var errors: [FieldError] = []
                for (i, row) in rows.enumerated() {
                    do {
                        entries.append(
                            .init(
                                drugCode: drugs[row], lotNumber: lots[row],
                                counted: try Quantity.parse(
                                    counted[row], field: "lines[\(i)].countedQuantity", allowZero: true)))
                    } catch let error as DomainError { errors.append(contentsOf: error.fieldErrors) }
                }
                try TransferRules.refuse(errors, "the counts are refused")
                _ = try await counts.enter(id: count.id, entries, consortium: consortium, by: c.principal)
                return ConsoleRoutes.done("/console/stock/counts/\(count.id)", "count_entered")
            },
            again: { refusal, status in
                let rowErrors = refusal.rowErrors(rows: rows)
                return try await sheetPage(
                    c, refusal: refusal.byRow(rowErrors, c.language), rowErrors: rowErrors, status: status)
            })
    }

    /// POST: approve (the differences post as 盘盈 / 盘亏) or cancel, back to the sheet.
    func move(approve: Bool) -> @Sendable (ConsoleRequest) async throws -> Response {
        { c in
            let (consortium, count) = try await sheet(of: c)
            return try await routes.change(
                c,
                {
                    if approve {
                        _ = try await counts.approve(
                            id: count.id, consortium: consortium, today: routes.clock.today(), by: c.principal)
                    } else {
                        _ = try await counts.cancel(id: count.id, consortium: consortium, by: c.principal)
                    }
                    return ConsoleRoutes.done(
                        "/console/stock/counts/\(count.id)", approve ? "count_approved" : "count_cancelled")
                },
                again: { refusal, status in
                    // Approving an uncounted sheet names each line not counted yet, by the sheet's own row.
                    let rowErrors = refusal.rowErrors(rows: Array(count.lines.indices))
                    return try await sheetPage(
                        c, refusal: refusal.byRow(rowErrors, c.language), rowErrors: rowErrors, status: status)
                })
        }
    }

    func sheet(of c: ConsoleRequest) async throws -> (Consortium, StockCount) {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        guard let id = Int64(c.segment(3)) else { throw DomainError.notFound("no stock count \(c.segment(3))") }
        return (consortium, try await counts.detail(id: id, consortium: consortium, by: c.principal))
    }
}

/// A count sheet as the list shows it.
struct StockCountRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "href": \.href, "member": \.member, "location": \.location, "date": \.date, "status": \.status,
    ]

    var id: String
    var href: String
    var member: String
    var location: String
    var date: String
    var status: String

    init(_ count: StockCount, _ language: ConsoleLanguage) {
        id = String(count.id)
        href = "/console/stock/counts/\(count.id)"
        member = count.institutionCode
        location = count.locationCode ?? language.word("count_every_location")
        date = ConsoleFormat.date(count.countDate, language)
        status = language.word("count_state_" + count.status.rawValue)
    }
}

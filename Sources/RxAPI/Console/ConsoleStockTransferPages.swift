internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Transfers of stock between members in the console (调拨): the list (in transit: `?status=dispatched`), a new
/// transfer of one drug (the sender's pharmacist or the supply centre), and a transfer's page to dispatch it, cancel
/// it, or receive it lot by lot with what arrived damaged or short and why. Every step is `StockTransferUseCases`'s,
/// with its permissions, refusals and audit row.
struct ConsoleStockTransferPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var transfers: StockTransferUseCases { StockTransferUseCases(database: database) }

    func list(_ c: ConsoleRequest) async throws -> Response {
        try await listPage(c, refusal: nil)
    }

    func listPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let state = try c.query("status").flatMap { text -> StockTransferStatus? in
            guard !text.isEmpty else { return nil }
            guard let state = StockTransferStatus(rawValue: text) else {
                throw DomainError.invalid(
                    "status", "must be one of \(StockTransferStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
        let page = try await transfers.list(
            consortium: consortium, institutionCode: nil, status: state,
            page: try PageRequest(limit: 50, cursor: c.query("cursor")), by: c.principal)
        let members = try await InstitutionUseCases(database: database).list(
            consortiumID: consortium.id, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: nil)
        ).items
        // Who may start one (`moveStockDocument`): the supply centre for any sender, a member's pharmacist for its own.
        let senders = members.filter {
            c.principal.may(
                .moveStockDocument(
                    consortiumID: consortium.id, institutionID: $0.id, leadInstitutionCode: consortium.leadInstitutionCode))
        }
        func options(_ list: [Institution], selected: String?) -> [[String: String]] {
            list.map { ["value": $0.code, "label": "\($0.code) \($0.name)", "selected": $0.code == selected ? "selected" : ""] }
        }
        var values: [String: Any] = [
            "transfers": page.items.map { StockTransferRow($0, language) },
            "statuses": StockTransferStatus.allCases.map {
                [
                    "value": $0.rawValue, "label": language.word("transfer_state_" + $0.rawValue),
                    "selected": state == $0 ? "selected" : "",
                ]
            },
            "mayCreate": !senders.isEmpty,
            "senders": options(senders, selected: c.form["sender"] ?? c.principal.institutionCode),
            "receivers": options(members, selected: c.form["receiver"]),
            "drug": c.form["drug"] ?? "", "quantity": c.form["quantity"] ?? "", "lot": c.form["lot"] ?? "",
            "note": c.form["note"] ?? "",
            "refusal": refusal?.message as Any,
            "fieldErrors": Dictionary(
                (refusal?.fields ?? [:]).map { (Self.formField($0.key), $0.value) }, uniquingKeysWith: { a, b in a + "；" + b }),
        ]
        if let next = page.nextCursor {
            values["next"] = ConsolePager.href("/console/stock/transfers", [("status", state?.rawValue ?? ""), ("cursor", next)])
        }
        return routes.render("stock_transfers", values, title: language.word("stock_transfers_title"), c, status: status)
    }

    /// The form's field for a field the use case names (`lines[0].drugCode` is the drug box).
    static func formField(_ name: String) -> String {
        switch name {
        case "lines[0].drugCode", "drugCode": "drug"
        case "lines[0].quantity", "quantity": "quantity"
        case "lines[0].lotNumber", "lotNumber": "lot"
        case "senderInstitutionCode": "sender"
        case "receiverInstitutionCode": "receiver"
        default: name
        }
    }

    /// POST: a new transfer of one drug, then its page.
    func create(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                guard let drug = form.text("drug") else { throw DomainError.invalid("drugCode", "is required") }
                let draft = StockTransferDraft(
                    senderInstitutionCode: form.text("sender") ?? "", senderLocationCode: nil,
                    receiverInstitutionCode: form.text("receiver") ?? "", receiverLocationCode: nil, note: form.text("note"),
                    lines: [
                        .init(
                            drugCode: drug, quantity: try Quantity.parse(form.text("quantity") ?? "", field: "quantity"),
                            lotNumber: form.text("lot"))
                    ])
                let created = try await transfers.create(
                    draft, consortium: consortium, today: routes.clock.today(), by: c.principal)
                return ConsoleRoutes.done("/console/stock/transfers/\(created.id)", "transfer_created")
            },
            again: { refusal, status in try await listPage(c, refusal: refusal, status: status) })
    }

    func transfer(_ c: ConsoleRequest) async throws -> Response {
        try await transferPage(c, refusal: nil)
    }

    func transferPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let (consortium, transfer) = try await transfer(of: c)
        let language = c.language
        let lead = consortium.leadInstitutionCode
        func may(_ institutionID: Int64) -> Bool {
            c.principal.may(
                .moveStockDocument(consortiumID: consortium.id, institutionID: institutionID, leadInstitutionCode: lead))
        }
        func allows(_ action: StockTransferAction) -> Bool { (try? StockTransferRules.next(transfer.status, action)) != nil }
        var lots: [[String: String]] = []
        for line in transfer.lines {
            for lot in line.lots {
                lots.append([
                    "line": String(line.lineNo), "drug": line.drugCode, "lot": lot.lotNumber,
                    "expiry": ConsoleFormat.date(lot.expiry, language), "dispatched": lot.dispatched.description,
                    "received": lot.received?.description ?? "", "damaged": lot.damaged.description,
                    "reason": lot.discrepancyReason ?? "", "index": String(lots.count),
                ])
            }
        }
        let values: [String: Any] = [
            "row": StockTransferRow(transfer, language),
            "lines": transfer.lines.map {
                ["line": String($0.lineNo), "drug": $0.drugCode, "quantity": $0.quantity.description, "lot": $0.lotNumber ?? ""]
            },
            "lots": lots,
            // The steps the transfer's state allows (`StockTransferRules.next`), for the side that takes them.
            "mayDispatch": allows(.dispatch) && may(transfer.senderInstitutionID),
            "mayCancel": allows(.cancel) && may(transfer.senderInstitutionID),
            "mayReceive": allows(.receive) && may(transfer.receiverInstitutionID),
            "refusal": refusal?.message as Any,
        ]
        return routes.render(
            "stock_transfer", values, title: language.word("stock_transfer_title").replacingFirst(String(transfer.id)), c,
            status: status)
    }

    /// POST: dispatch or cancel, back to the transfer.
    func move(_ action: StockTransferAction) -> @Sendable (ConsoleRequest) async throws -> Response {
        { c in
            let (consortium, transfer) = try await transfer(of: c)
            return try await routes.change(
                c,
                {
                    // Receiving has its own form (`receive`); the routes give this one dispatch or cancel.
                    if action == .dispatch {
                        _ = try await transfers.dispatch(
                            id: transfer.id, consortium: consortium, today: routes.clock.today(), by: c.principal)
                    } else {
                        _ = try await transfers.cancel(id: transfer.id, consortium: consortium, by: c.principal)
                    }
                    return ConsoleRoutes.done("/console/stock/transfers/\(transfer.id)", "transfer_" + action.rawValue)
                },
                again: { refusal, status in try await transferPage(c, refusal: refusal, status: status) })
        }
    }

    /// POST: what arrived of each lot (received in good order, damaged, the reason for any shortfall or damage).
    func receive(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, transfer) = try await transfer(of: c)
        return try await routes.change(
            c,
            {
                let form = c.form
                let (lines, lots) = (form.all("entry_line"), form.all("entry_lot"))
                let (received, damaged, reasons) = (
                    form.all("entry_received"), form.all("entry_damaged"), form.all("entry_reason")
                )
                guard [lots.count, received.count, damaged.count, reasons.count].allSatisfy({ $0 == lines.count }) else {
                    throw DomainError.badRequest("the receipt form is incomplete; reload it")
                }
                let entries = try lines.indices.map { i in
                    StockDocumentRules.ReceiptEntry(
                        lineNo: Int(lines[i]) ?? 0, lotNumber: lots[i],
                        received: try Quantity.parse(received[i], field: "lines[\(i)].receivedQuantity", allowZero: true),
                        damaged: damaged[i].trimmingCharacters(in: .whitespaces).isEmpty
                            ? .zero : try Quantity.parse(damaged[i], field: "lines[\(i)].damagedQuantity", allowZero: true),
                        reason: reasons[i].trimmingCharacters(in: .whitespaces).isEmpty ? nil : reasons[i])
                }
                _ = try await transfers.receive(
                    id: transfer.id, entries, consortium: consortium, today: routes.clock.today(), by: c.principal)
                return ConsoleRoutes.done("/console/stock/transfers/\(transfer.id)", "transfer_received")
            },
            again: { refusal, status in try await transferPage(c, refusal: refusal, status: status) })
    }

    func transfer(of c: ConsoleRequest) async throws -> (Consortium, StockTransfer) {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        guard let id = Int64(c.segment(3)) else { throw DomainError.notFound("no stock transfer \(c.segment(3))") }
        return (consortium, try await transfers.detail(id: id, consortium: consortium, by: c.principal))
    }
}

/// A transfer as the list shows it.
struct StockTransferRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "href": \.href, "sender": \.sender, "receiver": \.receiver, "status": \.status, "lines": \.lines,
        "note": \.note,
    ]

    var id: String
    var href: String
    var sender: String
    var receiver: String
    var status: String
    var lines: String
    var note: String

    init(_ t: StockTransfer, _ language: ConsoleLanguage) {
        id = String(t.id)
        href = "/console/stock/transfers/\(t.id)"
        sender = [t.senderInstitutionCode, t.senderLocationCode].compactMap { $0 }.joined(separator: " ")
        receiver = [t.receiverInstitutionCode, t.receiverLocationCode].compactMap { $0 }.joined(separator: " ")
        status = language.word("transfer_state_" + t.status.rawValue)
        lines = t.lines.map { "\($0.drugCode) × \($0.quantity)" }.joined(separator: language == .chinese ? "；" : "; ")
        note = t.note ?? ""
    }
}

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Transfers of hospital-made preparations in the console (医疗机构制剂调剂使用): the approvals with their balances
/// (approved, shipped, received, what is left, days left, state by `TransferBalance`), downloaded for Excel; and one
/// approval with its shipments and their receipts. Read through `TransferUseCases` as the API reads them: open to
/// everyone of the consortium.
struct ConsoleTransferPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var transfers: TransferUseCases { TransferUseCases(database: database) }

    func list(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let drug = c.query("drug").map { String($0.trimmingCharacters(in: .whitespaces).prefix(100)) }
            .flatMap { $0.isEmpty ? nil : $0 }
        let today = routes.clock.today()
        if c.wantsCSV {
            let approvals = try await ConsolePager.everyItem { page in
                try await transfers.list(consortiumID: consortium.id, drugCode: drug, page: page)
            }
            var writer = CSVWriter.forExcel(
                header: [
                    "transfer_approval_no", "transfer_kind", "transfer_document", "drug_code", "transfer_supplier",
                    "transfer_receivers", "transfer_approved", "transfer_shipped", "transfer_received", "transfer_remaining",
                    "stock_unit", "transfer_valid_from", "transfer_valid_to", "status",
                ].map(language.word))
            for a in approvals {
                let row = TransferApprovalRow(a, today: today, language)
                writer.append([
                    row.id, row.kind, row.document, row.drugCode, row.supplier, row.receivers, row.approved, row.shipped,
                    row.received, row.remaining, row.unit, a.validFrom.description, a.validTo.description, row.status,
                ])
            }
            return ConsoleRoutes.csv(
                writer.text, ascii: "transfer-approvals.csv", named: language.word("csv_transfers_name"))
        }
        let page = try await transfers.list(
            consortiumID: consortium.id, drugCode: drug, page: try PageRequest(limit: 50, cursor: c.query("cursor")))
        var values: [String: Any] = [
            "approvals": page.items.map { TransferApprovalRow($0, today: today, language) },
            "drug": drug ?? "", "csvHref": c.csvHref,
        ]
        if let next = page.nextCursor {
            values["next"] = ConsolePager.href("/console/transfers", [("drug", drug ?? ""), ("cursor", next)])
        }
        return routes.render("transfers", values, title: language.word("transfers_title"), c)
    }

    func approval(_ c: ConsoleRequest) async throws -> Response {
        try await approvalPage(c, refusal: nil)
    }

    func approvalID(_ c: ConsoleRequest) throws -> Int64 {
        guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no transfer approval \(c.segment(2))") }
        return id
    }

    /// The approval with its shipments; for the producer's people the shipment form, and for a receiver's people the
    /// receipt form of each shipment to it not yet received (`TransferUseCases.ship`, `.receive`, whose rules decide).
    func approvalPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let id = try approvalID(c)
        let (approval, shipments) = try await transfers.detail(id: id, principal: c.principal)
        let today = routes.clock.today()
        let form = c.form
        let mayShip = c.principal.may(
            .shipPreparation(consortiumID: consortium.id, producerInstitutionID: approval.supplierInstitutionID))
        return routes.render(
            "transfer",
            [
                "id": String(id), "refusal": refusal?.message as Any, "fieldErrors": refusal?.fields ?? [:],
                "mayShip": mayShip,
                "receivers": approval.receiverInstitutionCodes.map {
                    ["value": $0, "selected": form["receiver"] == $0 ? "selected" : ""]
                },
                "today": today.description,
                "lot": form["lot"] ?? "", "produced": form["produced"] ?? "", "expiry": form["expiry"] ?? "",
                "quantity": form["quantity"] ?? "", "shippedOn": form["shipped_on"] ?? today.description,
                "conditions": ReceiptCondition.allCases.map {
                    ["value": $0.rawValue, "label": language.word("receipt_condition_" + $0.rawValue)]
                },
                "row": TransferApprovalRow(approval, today: today, language),
                "shipments": shipments.map { s in
                    [
                        "shipment": String(s.id), "receiver": s.receiverInstitutionCode, "lot": s.lotNumber,
                        "produced": ConsoleFormat.date(s.productionDate, language),
                        "expiry": ConsoleFormat.date(s.expiryDate, language), "quantity": s.quantity.description,
                        "shippedOn": ConsoleFormat.date(s.shippedOn, language),
                        "receivedOn": s.receipt.map { ConsoleFormat.date($0.receivedOn, language) } ?? "",
                        "received": s.receipt?.quantityReceived.description ?? "",
                        "condition": s.receipt.map { language.word("receipt_condition_" + $0.condition.rawValue) } ?? "",
                        "note": s.receipt?.note ?? "",
                        "mayReceive": s.receipt == nil
                            && c.principal.may(
                                .receivePreparation(consortiumID: consortium.id, receiverInstitutionID: s.receiverInstitutionID))
                            ,
                    ] as [String: Any]
                },
            ], title: language.word("transfer_title").replacingFirst(String(approval.id)), c, status: status)
    }

    /// POST: a shipment of a lot to a receiver named in the approval (`TransferUseCases.ship`).
    func ship(_ c: ConsoleRequest) async throws -> Response {
        let id = try approvalID(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                _ = try await transfers.ship(
                    approvalID: id,
                    ShipmentDraft(
                        receiverInstitutionCode: form["receiver"] ?? "", lotNumber: form.text("lot") ?? "",
                        productionDate: try form.date("produced", field: "productionDate"),
                        expiryDate: try form.date("expiry", field: "expiryDate"),
                        quantity: try Quantity.parse(form.text("quantity") ?? "", field: "quantity"),
                        shippedOn: try form.date("shipped_on", field: "shippedOn")),
                    today: routes.clock.today(), by: c.principal)
                return ConsoleRoutes.done("/console/transfers/\(id)", "preparation_shipped")
            },
            again: { refusal, status in try await approvalPage(c, refusal: refusal, status: status) })
    }

    /// POST: a shipment's receipt by its receiver (`TransferUseCases.receive`): what arrived and in what condition.
    func receive(_ c: ConsoleRequest) async throws -> Response {
        let id = try approvalID(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                guard let shipment = Int64(c.segment(4)) else {
                    throw DomainError.notFound("no transfer shipment \(c.segment(4))")
                }
                let condition = try form.choice("condition", ReceiptCondition.self, field: "condition")
                let day = try form.date("received_on", field: "receivedOn")
                _ = try await transfers.receive(
                    shipmentID: shipment,
                    ReceiptDraft(
                        receivedOn: day,
                        quantityReceived: try Quantity.parse(
                            form.text("received") ?? "", field: "quantityReceived", allowZero: true),
                        condition: condition, note: form.text("note")),
                    today: routes.clock.today(), by: c.principal)
                return ConsoleRoutes.done("/console/transfers/\(id)", "preparation_received")
            },
            again: { refusal, status in try await approvalPage(c, refusal: refusal, status: status) })
    }
}

/// An approval with its balance today, as the list shows it.
struct TransferApprovalRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "href": \.href, "kind": \.kind, "document": \.document, "drugCode": \.drugCode,
        "supplier": \.supplier, "receivers": \.receivers, "approved": \.approved, "shipped": \.shipped,
        "received": \.received, "remaining": \.remaining, "unit": \.unit, "validFrom": \.validFrom, "validTo": \.validTo,
        "daysLeft": \.daysLeft, "status": \.status,
    ]

    var id: String
    var href: String
    var kind: String
    var document: String
    var drugCode: String
    var supplier: String
    var receivers: String
    var approved: String
    var shipped: String
    var received: String
    var remaining: String
    var unit: String
    var validFrom: String
    var validTo: String
    var daysLeft: String
    var status: String

    init(_ a: TransferApproval, today: BusinessDate, _ language: ConsoleLanguage) {
        let balance = a.balance(today: today)
        id = String(a.id)
        href = "/console/transfers/\(a.id)"
        kind = language.word("transfer_kind_" + a.kind.rawValue)
        document = [a.authority, a.documentNumber].compactMap { $0 }.joined(separator: " ")
        drugCode = a.drugCode
        supplier = a.supplierInstitutionCode
        receivers = a.receiverInstitutionCodes.joined(separator: language == .chinese ? "、" : ", ")
        approved = a.approvedQuantity.description
        shipped = a.shippedQuantity.description
        received = a.receivedQuantity.description
        remaining = balance.remaining.description
        unit = a.unit
        validFrom = ConsoleFormat.date(a.validFrom, language)
        validTo = ConsoleFormat.date(a.validTo, language)
        daysLeft = String(balance.daysLeft)
        status = language.word("transfer_status_" + balance.status.rawValue)
    }
}

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Purchase orders in the console (统一采购): a member's orders (its own people) or every member's (the supply centre,
/// auditors, regulators), and each order's printed documents: the 采购单 (the order at the unified prices) and the
/// 入库单 (what was received, lot by lot). Read through `OrderUseCases`, with the permissions the API's reads have.
struct ConsoleOrderPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var orders: OrderUseCases { OrderUseCases(database: database) }

    /// Blank rows the new-order form offers.
    static let newOrderRows = 8

    func orderList(_ c: ConsoleRequest) async throws -> Response {
        try await orderList(c, refusal: nil, rowErrors: [:])
    }

    /// The orders, and for a member's buyer the form of a new order: up to `newOrderRows` drugs with their quantities
    /// (blank rows left out), priced by the server at the unified price in effect today. The form carries a fresh
    /// idempotency key, so a second press of the button returns the first order instead of raising another.
    func orderList(
        _ c: ConsoleRequest, refusal: ConsoleRefusal?, rowErrors: [Int: String], status httpStatus: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let status = try c.query("status").flatMap { text -> OrderStatus? in
            guard !text.isEmpty else { return nil }
            guard let status = OrderStatus(rawValue: text) else {
                throw DomainError.invalid(
                    "status", "must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return status
        }
        let lead = consortium.leadInstitutionCode
        var own: Institution?
        if let code = c.principal.institutionCode {
            own = try await InstitutionUseCases(database: database).find(code: code, consortiumID: consortium.id)
        }
        let read: (PageRequest) async throws -> Page<PurchaseOrder>
        if c.principal.may(.readSupplyCentreOrders(consortiumID: consortium.id, leadInstitutionCode: lead)) {
            let member = c.query("member").flatMap { $0.isEmpty ? nil : $0 }
            read = { page in
                try await orders.list(
                    consortium: consortium, institutionCode: member, status: status, by: c.principal, page: page)
            }
        } else {
            guard let own else { throw DomainError.notFound("no orders") }
            read = { page in
                try await orders.list(institution: own, consortium: consortium, status: status, by: c.principal, page: page)
            }
        }
        if c.wantsCSV {
            return ConsoleRoutes.csv(
                Self.csv(try await ConsolePager.everyItem(read), language), ascii: "orders.csv",
                named: language.word("csv_orders_name"))
        }
        let found = try await read(try PageRequest(limit: 50, cursor: c.query("cursor")))
        let drugs = c.form.all("new_drug")
        let quantities = c.form.all("new_quantity")
        var values: [String: Any] = [
            "csvHref": c.csvHref,
            "mayRaise": own.map { c.principal.may(.raiseOrder(consortiumID: consortium.id, institutionID: $0.id)) } ?? false,
            "raiseFor": own.map { "\($0.code) \($0.name)" } ?? "",
            "idempotencyKey": c.form["idempotency_key"] ?? UUID().uuidString,
            "newRows": (0..<Self.newOrderRows).map { i in
                [
                    "index": String(i), "drug": i < drugs.count ? drugs[i] : "",
                    "quantity": i < quantities.count ? quantities[i] : "", "error": rowErrors[i] ?? "",
                ]
            },
            "refusal": refusal?.message as Any,
            "orders": found.items.map { order in
                [
                    "id": String(order.id), "institution": order.institutionCode,
                    "date": ConsoleFormat.date(order.orderDate, language),
                    "status": language.word("order_status_" + order.status.rawValue), "lines": String(order.lines.count),
                    "amount": ConsoleFormat.yuan(Self.total(order)),
                    "printHref": "/console/orders/\(order.id)/print",
                    "receiptHref": order.lines.contains { $0.receivedQuantity > 0 } ? "/console/orders/\(order.id)/receipt" : "",
                ]
            },
            "statuses": OrderStatus.allCases.map {
                [
                    "value": $0.rawValue, "label": language.word("order_status_" + $0.rawValue),
                    "selected": status == $0 ? "selected" : "",
                ]
            },
        ]
        if let next = found.nextCursor {
            var components = URLComponents()
            components.path = "/console/orders"
            components.queryItems = [
                URLQueryItem(name: "status", value: status?.rawValue ?? ""), URLQueryItem(name: "cursor", value: next),
            ]
            values["next"] = components.string ?? ""
        }
        return routes.render("orders", values, title: language.word("orders_title"), c, status: httpStatus)
    }

    /// POST: a new order of the person's member from the form's filled rows (`OrderUseCases.create`), then its page.
    func create(_ c: ConsoleRequest) async throws -> Response {
        let form = c.form
        let (drugs, quantities) = (form.all("new_drug"), form.all("new_quantity"))
        guard drugs.count == quantities.count else { throw DomainError.badRequest("the order form is incomplete; reload it") }
        // The form's row of each line sent, to show a refusal beside it.
        let rows = drugs.indices.filter {
            !drugs[$0].trimmingCharacters(in: .whitespaces).isEmpty
                || !quantities[$0].trimmingCharacters(in: .whitespaces).isEmpty
        }
        return try await routes.change(
            c,
            {
                guard let code = c.principal.institutionCode,
                    let institution = try await InstitutionUseCases(database: database).find(code: code, for: c.principal)
                else { throw DomainError.forbidden("only a member's people raise its orders") }
                var lines: [OrderLineRequest] = []
                var errors: [FieldError] = []
                for (i, row) in rows.enumerated() {
                    do {
                        let quantity = try Quantity.parse(quantities[row], field: "lines[\(i)].quantity")
                        lines.append(
                            OrderLineRequest(
                                drugCode: drugs[row].trimmingCharacters(in: .whitespaces), quantity: quantity.value))
                    } catch let error as DomainError { errors.append(contentsOf: error.fieldErrors) }
                }
                try TransferRules.refuse(errors, "the order is refused")
                let (order, _) = try await orders.create(
                    institution: institution, lines: lines, idempotencyKey: form.text("idempotency_key"),
                    today: routes.clock.today(), by: c.principal)
                return ConsoleRoutes.done("/console/orders/\(order.id)", "order_created")
            },
            again: { refusal, status in
                let rowErrors = refusal.rowErrors(rows: rows)
                return try await orderList(
                    c, refusal: refusal.byRow(rowErrors, c.language), rowErrors: rowErrors,
                    status: status)
            })
    }

    /// The orders for Excel: one row per order, Chinese headers and states.
    static func csv(_ list: [PurchaseOrder], _ language: ConsoleLanguage) -> String {
        var writer = CSVWriter.forExcel(
            header: ["order_no", "institution", "order_date", "status", "order_lines", "order_amount"].map(language.word))
        for order in list {
            writer.append([
                String(order.id), order.institutionCode, order.orderDate.description,
                language.word("order_status_" + order.status.rawValue), String(order.lines.count),
                total(order).description,
            ])
        }
        return writer.text
    }

    /// The 采购单: the order's lines at their unified prices, the total, signature lines.
    func printOrder(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, order) = try await order(c)
        let language = c.language
        let drugs = try await drugs(order)
        let institution = try await InstitutionUseCases(database: database).find(
            code: order.institutionCode, consortiumID: consortium.id)
        return routes.render(
            "order_print",
            [
                "printTitle": language.word("print_order_title").replacingFirst(consortium.name),
                "orderNo": String(order.id), "institution": "\(order.institutionCode) \(institution?.name ?? "")",
                "date": ConsoleFormat.date(order.orderDate, language),
                "status": language.word("order_status_" + order.status.rawValue),
                "lines": order.lines.map { line in
                    [
                        "no": String(line.lineNo), "code": line.drugCode, "name": name(drugs[line.drugCode]),
                        "manufacturer": drugs[line.drugCode]?.manufacturer ?? "",
                        "quantity": DecimalText.plain(line.quantity) + " " + unit(line, drugs[line.drugCode]),
                        "price": ConsoleFormat.yuan(line.unitPrice),
                        "amount": ConsoleFormat.yuan(OrderAmounts.line(quantity: line.quantity, unitPrice: line.unitPrice)),
                    ]
                },
                "total": ConsoleFormat.yuan(Self.total(order)),
                "printedOn": language.word("print_on").replacingFirst(ConsoleFormat.date(routes.clock.today(), language)),
            ], title: language.word("print_order_heading"), c)
    }

    /// The 入库单: every lot received on the order, as recorded, with signature lines for the receiving inspection.
    func printReceipt(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, order) = try await order(c)
        let language = c.language
        let lots = try await ConsolePager.everyItem { page in
            try await orders.lots(
                orderID: order.id, lineNo: nil, lotNumber: nil, consortium: consortium, by: c.principal, page: page)
        }
        let drugs = try await drugs(order)
        let lines = Dictionary(order.lines.map { ($0.lineNo, $0) }, uniquingKeysWith: { a, _ in a })
        let institution = try await InstitutionUseCases(database: database).find(
            code: order.institutionCode, consortiumID: consortium.id)
        return routes.render(
            "receipt_print",
            [
                "printTitle": language.word("print_receipt_title").replacingFirst(consortium.name),
                "orderNo": String(order.id), "institution": "\(order.institutionCode) \(institution?.name ?? "")",
                "date": ConsoleFormat.date(order.orderDate, language),
                "lots": lots.enumerated().map { i, lot in
                    [
                        "no": String(i + 1), "code": lot.drugCode, "name": name(drugs[lot.drugCode]),
                        "lot": lot.lotNumber, "expiry": ConsoleFormat.date(lot.expiryDate, language),
                        "quantity": DecimalText.plain(lot.quantity) + " "
                            + (lines[lot.lineNo].map { unit($0, drugs[lot.drugCode]) } ?? ""),
                        "receivedOn": ConsoleFormat.date(lot.receivedOn, language), "exception": lot.exceptionReason ?? "",
                    ]
                },
                "printedOn": language.word("print_on").replacingFirst(ConsoleFormat.date(routes.clock.today(), language)),
            ], title: language.word("print_receipt_heading"), c)
    }

    // MARK: - One order: its lines, submit or cancel, and receiving by lot

    func orderPage(_ c: ConsoleRequest) async throws -> Response {
        try await orderPage(c, refusal: nil)
    }

    /// The order with its lines and what was received; for the member's people, the buttons its state allows and the
    /// receiving form: the line, lot, expiry, quantity and the traceability codes a barcode scanner types, one per
    /// line (its Enter starts the next line of the box, it does not send the form).
    func orderPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let (consortium, order) = try await order(c)
        let language = c.language
        let drugs = try await drugs(order)
        let lead = consortium.leadInstitutionCode
        let mayReceive = c.principal.may(.raiseOrder(consortiumID: consortium.id, institutionID: order.institutionID))
        let mayMove = c.principal.may(
            .moveOrder(consortiumID: consortium.id, institutionID: order.institutionID, leadInstitutionCode: lead))
        var values: [String: Any] = [
            "id": String(order.id), "institution": order.institutionCode,
            "date": ConsoleFormat.date(order.orderDate, language),
            "status": language.word("order_status_" + order.status.rawValue), "total": ConsoleFormat.yuan(Self.total(order)),
            "lines": order.lines.map { line in
                [
                    "no": String(line.lineNo), "code": line.drugCode, "name": name(drugs[line.drugCode]),
                    "quantity": DecimalText.plain(line.quantity) + " " + unit(line, drugs[line.drugCode]),
                    "received": DecimalText.plain(line.receivedQuantity),
                    "price": ConsoleFormat.yuan(line.unitPrice),
                    "amount": ConsoleFormat.yuan(OrderAmounts.line(quantity: line.quantity, unitPrice: line.unitPrice)),
                    "selected": c.form["lineNo"] == String(line.lineNo) ? "selected" : "",
                    "plainQuantity": DecimalText.plain(line.quantity),
                    // A refused change of this line is said beside it.
                    "editError": c.form["edit"] != "add" && c.form["edit_line"] == String(line.lineNo)
                        ? refusal?.message ?? "" : "",
                ]
            },
            // The buttons and the form the order's state allows, by the rules the use cases apply.
            "maySubmit": mayMove && (try? ProcurementRules.next(order.status, .submit)) != nil,
            "mayCancel": mayMove && (try? ProcurementRules.next(order.status, .cancel)) != nil,
            "mayReceive": mayReceive
                && OrderRules.receivesDeliveries(status: order.status, emergency: order.emergencyShortageID != nil),
            // A draft's lines are changed by its member's buyer (`OrderUseCases.edit`), each change with its reason.
            "mayEdit": mayReceive
                && (try? ProcurementRules.requireDraftForLineEdits(orderID: order.id, status: order.status)) != nil,
            "addDrug": c.form["add_drug"] ?? "", "addQuantity": c.form["add_quantity"] ?? "",
            "addReason": c.form["add_reason"] ?? "",
            "addErrors": c.form["edit"] == "add" ? Self.editFields(refusal) : [:],
            "printHref": "/console/orders/\(order.id)/print",
            "receiptHref": order.lines.contains { $0.receivedQuantity > 0 } ? "/console/orders/\(order.id)/receipt" : "",
            "today": routes.clock.today().description,
            "refusal": refusal?.message as Any,
            // A refusal naming one code of the list (`traceabilityCodes[2]`) shows beside the box.
            "fieldErrors": Dictionary(
                (refusal?.fields ?? [:]).map { (String($0.key.prefix { $0 != "[" }), $0.value) },
                uniquingKeysWith: { a, b in a + "；" + b }),
        ]
        // A refused receipt keeps what was typed (and scanned).
        for field in ["lotNumber", "expiryDate", "quantity", "traceabilityCodes", "exceptionReason"] {
            values[field] = c.form[field] ?? ""
        }
        return routes.render(
            "order", values, title: language.word("order_title").replacingFirst(String(order.id)), c, status: status)
    }

    /// POST: submit or cancel the order (`OrderUseCases.move`), back to it.
    func move(_ action: OrderAction) -> @Sendable (ConsoleRequest) async throws -> Response {
        { c in
            let (consortium, order) = try await order(c)
            return try await routes.change(
                c,
                {
                    _ = try await orders.move(
                        id: order.id, action: action, consortium: consortium, today: routes.clock.today(), by: c.principal)
                    return ConsoleRoutes.done("/console/orders/\(order.id)", "order_" + action.rawValue)
                },
                again: { refusal, status in try await orderPage(c, refusal: refusal, status: status) })
        }
    }

    /// The add-line form's field for each field the edit names.
    static func editFields(_ refusal: ConsoleRefusal?) -> [String: String] {
        Dictionary(
            (refusal?.fields ?? [:]).map { (["drugCode": "drug", "quantity": "quantity"][$0.key] ?? $0.key, $0.value) },
            uniquingKeysWith: { a, b in a + "；" + b })
    }

    /// POST: a draft's line changed (`edit=quantity`), removed (`edit=remove`) or added (`edit=add`), each with its
    /// reason (`OrderUseCases.edit`), back to the order.
    func edit(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, order) = try await order(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                let change: OrderDraftEdit
                let reason: String?
                switch form["edit"] {
                case "add":
                    guard let drug = form.text("add_drug") else { throw DomainError.invalid("drugCode", "is required") }
                    change = .add(
                        drugCode: drug, quantity: try Quantity.parse(form.text("add_quantity") ?? "", field: "quantity").value)
                    reason = form["add_reason"]
                case let kind:
                    guard let line = Int(form["edit_line"] ?? "") else {
                        throw DomainError.invalid("lineNo", "choose a line")
                    }
                    change =
                        kind == "remove"
                        ? .remove(lineNo: line)
                        : .changeQuantity(
                            lineNo: line,
                            quantity: try Quantity.parse(form.text("edit_quantity") ?? "", field: "quantity").value)
                    reason = form["edit_reason"]
                }
                _ = try await orders.edit(
                    orderID: order.id, change, reason: reason, consortium: consortium, by: c.principal)
                return ConsoleRoutes.done("/console/orders/\(order.id)", "order_edited")
            },
            again: { refusal, status in try await orderPage(c, refusal: refusal, status: status) })
    }

    /// POST: a delivery by lot (`OrderUseCases.receive`), the traceability codes one per line of the box.
    func receive(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, order) = try await order(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                guard let lineNo = Int(form["lineNo"] ?? "") else { throw DomainError.invalid("lineNo", "choose a line") }
                guard let lot = form.text("lotNumber") else {
                    throw DomainError.invalid("lotNumber", "is required")
                }
                let codes = (form["traceabilityCodes"] ?? "").split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard let expiry = try BusinessDate.parse(form.text("expiryDate"), field: "expiryDate") else {
                    throw DomainError.invalid("expiryDate", "is required")
                }
                let delivery = OrderStore.DeliveryRequest(
                    lineNo: lineNo, lotNumber: lot, expiryDate: expiry,
                    quantity: try Quantity.parse(form.text("quantity") ?? "", field: "quantity").value,
                    receivedOn: routes.clock.today(), exceptionReason: form.text("exceptionReason"),
                    traceabilityCodes: codes)
                _ = try await orders.receive(
                    orderID: order.id, delivery, consortium: consortium, today: routes.clock.today(), by: c.principal)
                return ConsoleRoutes.done("/console/orders/\(order.id)", "order_received")
            },
            again: { refusal, status in try await orderPage(c, refusal: refusal, status: status) })
    }

    static func total(_ order: PurchaseOrder) -> Money {
        OrderAmounts.total(order.lines.map { ($0.quantity, $0.unitPrice) })
    }

    func order(_ c: ConsoleRequest) async throws -> (Consortium, PurchaseOrder) {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no order \(c.segment(2))") }
        return (consortium, try await orders.order(id: id, consortium: consortium, by: c.principal))
    }

    func drugs(_ order: PurchaseOrder) async throws -> [String: Drug] {
        let drugs = try await DrugUseCases(database: database).find(codes: Array(Set(order.lines.map(\.drugCode))))
        return Dictionary(drugs.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// A drug as a document names it: generic name, dosage form, strength.
    func name(_ drug: Drug?) -> String {
        drug.map { [$0.genericName, $0.dosageForm, $0.strength].compactMap { $0 }.joined(separator: " ") } ?? ""
    }

    /// The unit a line's quantity is counted in: the drug's package (盒) or its own unit (片).
    func unit(_ line: PurchaseOrderLine, _ drug: Drug?) -> String {
        guard let drug else { return "" }
        return line.quantityUnit == .package ? drug.packageUnit : drug.unit
    }
}

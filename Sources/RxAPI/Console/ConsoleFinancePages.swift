internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// The supply centre's and finance's pages (药品供应中心, 统一支付): consolidation of the members' submitted orders
/// into one order per distributor, the distributors' invoices recorded (两票制) and reviewed, payables and their
/// central payment, and spend. Every read and write is `SupplyCentreUseCases`'s, with its permissions, refusals and
/// audit rows.
struct ConsoleFinancePages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var supplyCentre: SupplyCentreUseCases { SupplyCentreUseCases(database: database) }

    /// Rows of the invoice form.
    static let invoiceRows = 6

    func consortium(_ c: ConsoleRequest) async throws -> Consortium {
        try await ConsoleCataloguePages(routes: routes).consortium(c)
    }

    // MARK: Consolidation

    func consolidations(_ c: ConsoleRequest) async throws -> Response {
        try await consolidationsPage(c, refusal: nil)
    }

    func consolidationsPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await consortium(c)
        let language = c.language
        let page = try await supplyCentre.consolidatedOrders(
            consortium: consortium, distributorCode: nil, by: c.principal,
            page: try PageRequest(limit: 50, cursor: c.query("cursor")))
        var values: [String: Any] = [
            "orders": page.items.map {
                [
                    "id": String($0.id), "href": "/console/consolidations/\($0.id)",
                    "distributor": "\($0.distributorCode) \($0.distributorName)",
                    "created": ConsoleFormat.time($0.createdAt, language), "members": String($0.members),
                    "memberOrders": String($0.orders), "lines": String($0.lines), "amount": ConsoleFormat.yuan($0.amount),
                ]
            },
            "mayConsolidate": c.principal.may(
                .runSupplyCentre(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode)),
            "refusal": refusal?.message as Any,
        ]
        if let next = page.nextCursor { values["next"] = ConsolePager.href("/console/consolidations", [("cursor", next)]) }
        return routes.render(
            "consolidations", values, title: language.word("consolidations_title"), c, status: status)
    }

    /// POST: every submitted member order consolidated (`SupplyCentreUseCases.consolidate`), back to the list.
    func consolidate(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        return try await routes.change(
            c,
            {
                let made = try await supplyCentre.consolidate(consortium: consortium, by: c.principal)
                return ConsoleRoutes.done(
                    "/console/consolidations", made.isEmpty ? "consolidated_nothing" : "consolidated")
            },
            again: { refusal, status in try await consolidationsPage(c, refusal: refusal, status: status) })
    }

    func consolidation(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no consolidated order \(c.segment(2))") }
        let order = try await supplyCentre.consolidatedOrder(id: id, consortium: consortium, by: c.principal)
        let language = c.language
        return routes.render(
            "consolidation",
            [
                "id": String(order.id), "distributor": order.distributorCode,
                "total": ConsoleFormat.yuan(OrderAmounts.total(order.lines.map { ($0.quantity, $0.unitPrice) })),
                "lines": order.lines.map {
                    [
                        "member": $0.institutionCode, "order": String($0.orderID), "orderHref": "/console/orders/\($0.orderID)",
                        "line": String($0.lineNo), "drug": $0.drugCode, "quantity": DecimalText.plain($0.quantity),
                        "price": ConsoleFormat.yuan($0.unitPrice),
                        "amount": ConsoleFormat.yuan(OrderAmounts.line(quantity: $0.quantity, unitPrice: $0.unitPrice)),
                    ]
                },
            ], title: language.word("consolidation_title").replacingFirst(String(order.id)), c)
    }

    // MARK: Invoices

    func invoices(_ c: ConsoleRequest) async throws -> Response {
        try await invoicesPage(c, refusal: nil, rowErrors: [:])
    }

    /// The invoices, newest first (`?unreviewed=1`: those in discrepancy finance has not reviewed, the home page's
    /// to-do), downloaded for Excel; for the supply centre, the form of a distributor's invoice to a member.
    func invoicesPage(
        _ c: ConsoleRequest, refusal: ConsoleRefusal?, rowErrors: [Int: String], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let consortium = try await consortium(c)
        let language = c.language
        let unreviewed = c.query("unreviewed") == "1"
        func read(_ page: PageRequest) async throws -> Page<SupplyCentreStore.InvoiceSummary> {
            try await supplyCentre.invoices(consortium: consortium, unreviewed: unreviewed, page: page, by: c.principal)
        }
        if c.wantsCSV {
            return ConsoleRoutes.csv(
                Self.invoicesCSV(try await ConsolePager.everyItem(read), language), ascii: "invoices.csv",
                named: language.word("csv_invoices_name"))
        }
        let page = try await read(try PageRequest(limit: 50, cursor: c.query("cursor")))
        let form = c.form
        let columns = ["order", "line", "lot", "quantity", "price", "amount"]
        let typed = Dictionary(uniqueKeysWithValues: columns.map { ($0, form.all("inv_" + $0)) })
        var values: [String: Any] = [
            "invoices": page.items.map { InvoiceRow($0, language) },
            "unreviewed": unreviewed ? "checked" : "",
            "csvHref": c.csvHref,
            "mayRecord": c.principal.may(
                .runSupplyCentre(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode)),
            "refusal": refusal?.message as Any,
            "fieldErrors": refusal?.fields ?? [:],
            "invoiceRows": (0..<Self.invoiceRows).map { i in
                var row = ["index": String(i), "error": rowErrors[i] ?? ""]
                for column in columns { row[column] = i < typed[column]!.count ? typed[column]![i] : "" }
                return row
            },
        ]
        for field in ["distributor", "number", "date", "member", "upstream", "upstream_number"] {
            values["inv_" + field] = form["inv_" + field] ?? ""
        }
        if let next = page.nextCursor {
            values["next"] = ConsolePager.href(
                "/console/invoices", [("unreviewed", unreviewed ? "1" : ""), ("cursor", next)])
        }
        return routes.render("invoices", values, title: language.word("invoices_title"), c, status: status)
    }

    /// POST: a distributor's invoice recorded from the form's filled rows (`SupplyCentreUseCases.recordInvoice`):
    /// the two-invoice rule refused, a price or quantity that differs kept and marked; then its page.
    func recordInvoice(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        let form = c.form
        let columns = ["order", "line", "lot", "quantity", "price", "amount"].map { form.all("inv_" + $0) }
        guard columns.allSatisfy({ $0.count == columns[0].count }) else {
            throw DomainError.badRequest("the invoice form is incomplete; reload it")
        }
        let rows = columns[0].indices.filter { i in
            columns.contains { !$0[i].trimmingCharacters(in: .whitespaces).isEmpty }
        }
        return try await routes.change(
            c,
            {
                var lines: [InvoiceRequest.Line] = []
                var errors: [FieldError] = []
                for (i, row) in rows.enumerated() {
                    func text(_ column: Int) -> String { columns[column][row].trimmingCharacters(in: .whitespaces) }
                    do {
                        guard let order = Int64(text(0)) else {
                            throw DomainError.invalid("lines[\(i)].orderId", "is not an order number")
                        }
                        guard let line = Int(text(1)) else {
                            throw DomainError.invalid("lines[\(i)].orderLineNo", "is not a line number")
                        }
                        lines.append(
                            .init(
                                orderID: order, orderLineNo: line, lotNumber: text(2).isEmpty ? nil : text(2),
                                quantity: try Quantity.parse(text(3), field: "lines[\(i)].quantity").value,
                                unitPrice: try Money.parse(text(4), field: "lines[\(i)].unitPrice"),
                                amount: try Money.parse(text(5), field: "lines[\(i)].amount")))
                    } catch let error as DomainError { errors.append(contentsOf: error.fieldErrors) }
                }
                try TransferRules.refuse(errors, "the invoice is refused")
                let date = try form.date("inv_date", field: "invoiceDate")
                let request = InvoiceRequest(
                    distributorCode: form.text("inv_distributor") ?? "", invoiceNumber: form.text("inv_number") ?? "",
                    invoiceDate: date, institutionCode: form.text("inv_member") ?? "",
                    upstreamSupplierCode: form.text("inv_upstream") ?? "",
                    upstreamInvoiceNumber: form.text("inv_upstream_number") ?? "", lines: lines)
                let recorded = try await supplyCentre.recordInvoice(request, consortium: consortium, by: c.principal)
                return ConsoleRoutes.done("/console/invoices/\(recorded.id)", "invoice_recorded")
            },
            again: { refusal, status in
                let rowErrors = refusal.rowErrors(rows: rows)
                return try await invoicesPage(
                    c, refusal: refusal.byRow(rowErrors, c.language), rowErrors: rowErrors,
                    status: status)
            })
    }

    func invoice(_ c: ConsoleRequest) async throws -> Response {
        try await invoicePage(c, refusal: nil)
    }

    /// An invoice: its lines and their discrepancies, finance's review (resolve or dispute with a note, as
    /// `DiscrepancyReview.next` allows), and once payable what was paid and the payment form.
    func invoicePage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let (consortium, invoice) = try await invoice(of: c)
        let language = c.language
        let today = routes.clock.today()
        let payable = try await supplyCentre.payables(
            consortium: consortium, status: nil, today: today, invoiceID: invoice.id, by: c.principal
        ).first
        let lead = consortium.leadInstitutionCode
        let reviews = DiscrepancyReview.allCases.filter {
            (try? DiscrepancyReview.next(from: invoice.review, to: $0, note: "-", hasDiscrepancies: !invoice.matched)) != nil
        }
        var values: [String: Any] = [
            "id": String(invoice.id), "number": invoice.invoiceNumber, "distributor": invoice.distributorCode,
            "member": invoice.institutionCode, "total": ConsoleFormat.yuan(invoice.total),
            "matched": invoice.matched ? language.word("classification_matched") : "",
            "review": invoice.review.map { language.word("review_" + $0.rawValue) } ?? "",
            "reviewNote": invoice.reviewNote ?? "",
            "lines": invoice.lines.map { line in
                [
                    "no": String(line.lineNo), "order": String(line.orderID), "orderHref": "/console/orders/\(line.orderID)",
                    "orderLine": String(line.orderLineNo), "lot": line.lotNumber ?? "",
                    "quantity": DecimalText.plain(line.quantity), "price": ConsoleFormat.yuan(line.unitPrice),
                    "amount": ConsoleFormat.yuan(line.amount),
                    "discrepancies": line.discrepancies.map { language.word("classification_" + $0.rawValue) }
                        .joined(separator: "、"),
                    "differs": line.discrepancies.isEmpty ? "" : "warn",
                ]
            },
            "reviews": reviews.map { ["value": $0.rawValue, "label": language.word("review_" + $0.rawValue)] },
            "mayReview": !reviews.isEmpty && c.principal.may(.reviewDiscrepancies(consortiumID: consortium.id)),
            "note": c.form["note"] ?? "",
            "refusal": refusal?.message as Any, "fieldErrors": refusal?.fields ?? [:],
            "paidOn": c.form["paid_on"] ?? today.description, "reference": c.form["reference"] ?? "",
        ]
        if let payable {
            values["payable"] = [
                "status": language.word("payable_" + payable.status.rawValue),
                "accepted": ConsoleFormat.date(payable.acceptedOn, language),
                "due": ConsoleFormat.date(payable.dueOn, language), "paid": ConsoleFormat.yuan(payable.paid),
                "remaining": ConsoleFormat.yuan(payable.remaining),
            ]
            values["amount"] = c.form["amount"] ?? payable.remaining.amount.description
            values["mayPay"] =
                payable.remaining.amount > 0
                && c.principal.may(.payInvoices(consortiumID: consortium.id, leadInstitutionCode: lead))
        }
        return routes.render(
            "invoice", values, title: language.word("invoice_title").replacingFirst(invoice.invoiceNumber), c,
            status: status)
    }

    /// POST: finance's review of the invoice's discrepancies (`SupplyCentreUseCases.review`), back to it.
    func review(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, invoice) = try await invoice(of: c)
        return try await routes.change(
            c,
            {
                let review = try c.form.choice("status", DiscrepancyReview.self, field: "status")
                _ = try await supplyCentre.review(
                    invoiceID: invoice.id, as: review, note: c.form["note"] ?? "", consortium: consortium, by: c.principal)
                return ConsoleRoutes.done("/console/invoices/\(invoice.id)", "reviewed")
            },
            again: { refusal, status in try await invoicePage(c, refusal: refusal, status: status) })
    }

    /// POST: a central payment (统一支付) of the invoice, all that remains or a part (`SupplyCentreUseCases.pay`).
    func pay(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, invoice) = try await invoice(of: c)
        return try await routes.change(
            c,
            {
                let paidOn = try c.form.date("paid_on", field: "paidOn")
                try await supplyCentre.pay(
                    invoiceID: invoice.id, paidOn: paidOn,
                    amount: try Money.parse(c.form.text("amount") ?? "", field: "amount"),
                    reference: c.form.text("reference") ?? "", consortium: consortium, by: c.principal)
                return ConsoleRoutes.done("/console/invoices/\(invoice.id)", "paid")
            },
            again: { refusal, status in try await invoicePage(c, refusal: refusal, status: status) })
    }

    func invoice(of c: ConsoleRequest) async throws -> (Consortium, RecordedInvoice) {
        let consortium = try await consortium(c)
        guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no invoice \(c.segment(2))") }
        return (consortium, try await supplyCentre.invoice(id: id, consortium: consortium, by: c.principal))
    }

    static func invoicesCSV(_ list: [SupplyCentreStore.InvoiceSummary], _ language: ConsoleLanguage) -> String {
        var writer = CSVWriter.forExcel(
            header: [
                "invoice_number", "invoice_date", "distributor", "institution", "order_amount", "invoice_discrepant_lines",
                "review",
            ].map(language.word))
        for invoice in list {
            writer.append([
                invoice.invoiceNumber, invoice.invoiceDate.description, invoice.distributorCode, invoice.institutionCode,
                invoice.total.description, String(invoice.discrepantLines),
                invoice.review.map { language.word("review_" + $0.rawValue) } ?? "",
            ])
        }
        return writer.text
    }

    // MARK: Payables and spend

    /// The payables (due, overdue, paid) a page at a time by invoice, each linking to its invoice to pay it, under
    /// them what remains owed of the whole list; downloaded for Excel, every page.
    func payables(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        let language = c.language
        let status = try c.query("status").flatMap { text -> ProcurementRules.PayableStatus? in
            guard !text.isEmpty else { return nil }
            guard let status = ProcurementRules.PayableStatus(rawValue: text) else {
                throw DomainError.invalid(
                    "status",
                    "must be one of \(ProcurementRules.PayableStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return status
        }
        let member = c.query("member").flatMap { $0.isEmpty ? nil : $0 }
        let today = routes.clock.today()
        func read(_ page: PageRequest) async throws -> Page<Payable> {
            try await supplyCentre.payables(
                consortium: consortium, status: status, institutionCode: member, today: today, page: page, by: c.principal)
        }
        if c.wantsCSV {
            let payables = try await ConsolePager.everyItem(read)
            var writer = CSVWriter.forExcel(
                header: [
                    "invoice_number", "distributor", "institution", "order_amount", "payable_paid_amount",
                    "payable_remaining", "payable_accepted", "statement_due", "status",
                ].map(language.word))
            for p in payables {
                writer.append([
                    p.invoiceNumber, p.distributorCode, p.institutionCode, p.amount.description, p.paid.description,
                    p.remaining.description, p.acceptedOn.description, p.dueOn.description,
                    language.word("payable_" + p.status.rawValue),
                ])
            }
            return ConsoleRoutes.csv(writer.text, ascii: "payables.csv", named: language.word("csv_payables_name"))
        }
        let page = try await read(try PageRequest(limit: ConsolePager.rowsPerPage, cursor: c.query("cursor")))
        // What remains owed is on the invoices not yet settled alone, a few among five years of them.
        let owed = try await supplyCentre.payables(
            consortium: consortium, status: nil, institutionCode: member, today: today, outstanding: true, by: c.principal
        ).filter { status == nil || $0.status == status }
        var values: [String: Any] = [
            "payables": page.items.map { p in
                [
                    "href": "/console/invoices/\(p.invoiceID)", "number": p.invoiceNumber, "distributor": p.distributorCode,
                    "member": p.institutionCode, "amount": ConsoleFormat.yuan(p.amount),
                    "paid": ConsoleFormat.yuan(p.paid), "remaining": ConsoleFormat.yuan(p.remaining),
                    "accepted": ConsoleFormat.date(p.acceptedOn, language), "due": ConsoleFormat.date(p.dueOn, language),
                    "status": language.word("payable_" + p.status.rawValue),
                    "warn": p.status == .overdue ? "warn" : "",
                ]
            },
            "statuses": ProcurementRules.PayableStatus.allCases.map {
                [
                    "value": $0.rawValue, "label": language.word("payable_" + $0.rawValue),
                    "selected": status == $0 ? "selected" : "",
                ]
            },
            "member": member ?? "", "csvHref": c.csvHref,
            "total": ConsoleFormat.yuan(owed.reduce(Money(0)) { $0 + $1.remaining }),
        ]
        if let next = page.nextCursor {
            values["next"] = ConsolePager.href(
                "/console/payables", [("status", status?.rawValue ?? ""), ("member", member ?? ""), ("cursor", next)])
        }
        return routes.render("payables", values, title: language.word("payables_title"), c)
    }

    /// Spend (received quantity × unified price) by member, drug and month between two dates (from the first of the
    /// year to today unless chosen), with its essential, insured and TCM shares; downloaded for Excel.
    func spend(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        let language = c.language
        let today = routes.clock.today()
        let year = DashboardUseCases.period(today: today)
        let from = try BusinessDate.parse(c.query("from").flatMap { $0.isEmpty ? nil : $0 }, field: "from") ?? year.from
        let to = try BusinessDate.parse(c.query("to").flatMap { $0.isEmpty ? nil : $0 }, field: "to") ?? year.to
        let report = try await supplyCentre.spend(consortium: consortium, from: from, to: to, by: c.principal)
        if c.wantsCSV {
            var writer = CSVWriter.forExcel(
                header: ["institution", "drug_code", "spend_month", "dash_amount"].map(language.word))
            for row in report.rows {
                writer.append([row.institutionCode, row.drugCode, row.month, row.amount.money.description])
            }
            return ConsoleRoutes.csv(
                writer.text, ascii: "spend-\(from)-\(to).csv",
                named: language.word("csv_spend_name").replacingFirst("\(from)—\(to)"))
        }
        func share(_ part: Fen) -> String { ConsoleFormat.percent(report.share(part)) }
        return routes.render(
            "spend",
            [
                "from": from.description, "to": to.description, "total": ConsoleFormat.yuan(report.total.money),
                "essential": share(report.essential), "insured": share(report.insured), "tcm": share(report.tcm),
                "rows": report.rows.map {
                    [
                        "member": $0.institutionCode, "drug": $0.drugCode, "month": $0.month,
                        "amount": ConsoleFormat.yuan($0.amount.money),
                    ]
                },
                "csvHref": c.csvHref,
            ], title: language.word("spend_title"), c)
    }
}

/// An invoice as the list shows it.
struct InvoiceRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "href": \.href, "number": \.number, "date": \.date, "distributor": \.distributor, "member": \.member,
        "total": \.total, "discrepant": \.discrepant, "review": \.review, "warn": \.warn,
    ]

    var href: String
    var number: String
    var date: String
    var distributor: String
    var member: String
    var total: String
    var discrepant: String
    var review: String
    var warn: String

    init(_ invoice: SupplyCentreStore.InvoiceSummary, _ language: ConsoleLanguage) {
        href = "/console/invoices/\(invoice.id)"
        number = invoice.invoiceNumber
        date = ConsoleFormat.date(invoice.invoiceDate, language)
        distributor = invoice.distributorCode
        member = invoice.institutionCode
        total = ConsoleFormat.yuan(invoice.total)
        discrepant = invoice.discrepantLines == 0 ? language.word("classification_matched") : String(invoice.discrepantLines)
        review = invoice.review.map { language.word("review_" + $0.rawValue) } ?? ""
        warn = invoice.discrepantLines > 0 && invoice.review != .resolved ? "warn" : ""
    }
}

internal import Foundation
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// 对账单: what the consortium owes each distributor, invoice by invoice, as of today, from the payables not yet paid in
/// full (`SupplyCentreUseCases.statements`): the list of distributors, and each one's statement printed for both sides
/// to sign.
struct ConsoleStatementPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }

    func list(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let statements = try await SupplyCentreUseCases(database: database).statements(
            consortium: consortium, distributorCode: nil, today: routes.clock.today(), by: c.principal)
        return routes.render(
            "statements",
            [
                "distributors": statements.map {
                    [
                        "code": $0.distributorCode, "href": "/console/statements/\($0.distributorCode)",
                        "invoices": String($0.totals.invoices), "invoiced": ConsoleFormat.yuan($0.totals.invoiced),
                        "paid": ConsoleFormat.yuan($0.totals.paid), "owed": ConsoleFormat.yuan($0.totals.owed),
                        "overdue": ConsoleFormat.yuan($0.totals.overdue),
                    ]
                }
            ], title: c.language.word("statements_title"), c)
    }

    func statement(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let code = c.segment(-1)
        let language = c.language
        let today = routes.clock.today()
        guard
            let statement = try await SupplyCentreUseCases(database: database).statements(
                consortium: consortium, distributorCode: code, today: today, by: c.principal
            ).first
        else { throw DomainError.notFound("nothing is owed to distributor \(code)") }
        let distributor = try await SupplierUseCases(database: database).find(code: code)
        return routes.render(
            "statement_print",
            [
                "printTitle": language.word("print_statement_title").replacingFirst(consortium.name),
                "distributor": "\(code) \(distributor?.name ?? "")",
                "asOf": ConsoleFormat.date(today, language),
                "lines": statement.payables.enumerated().map { i, p in
                    [
                        "no": String(i + 1), "invoice": p.invoiceNumber, "member": p.institutionCode,
                        "acceptedOn": ConsoleFormat.date(p.acceptedOn, language),
                        "dueOn": ConsoleFormat.date(p.dueOn, language), "amount": ConsoleFormat.yuan(p.amount),
                        "paid": ConsoleFormat.yuan(p.paid), "owed": ConsoleFormat.yuan(p.remaining),
                        "status": language.word("payable_" + p.status.rawValue),
                    ]
                },
                "invoiced": ConsoleFormat.yuan(statement.totals.invoiced),
                "paid": ConsoleFormat.yuan(statement.totals.paid), "owed": ConsoleFormat.yuan(statement.totals.owed),
                "overdue": ConsoleFormat.yuan(statement.totals.overdue),
                "printedOn": language.word("print_on").replacingFirst(ConsoleFormat.date(today, language)),
            ], title: language.word("print_statement_heading"), c)
    }
}

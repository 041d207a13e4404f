internal import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RxDomain
import RxStore
import RxUseCases

/// The web console under `/console/`: server-rendered pages over the same use cases as the API. A page never
/// throws to the server's problem+json middleware: every refusal comes back as an HTML page in the person's language.
struct ConsoleRoutes: Sendable {
    let database: Database
    let accounts: ConsoleAccountUseCases
    let templates: ConsoleTemplates
    /// `Secure` on the cookies: set when the console is served behind TLS.
    let secureCookies: Bool
    let clock: BusinessClock

    static let sessionCookie = "crx_session"
    static let loginCSRFCookie = "crx_login_csrf"
    static let languageCookie = "crx_lang"

    init(database: Database, templates: ConsoleTemplates, secureCookies: Bool, clock: BusinessClock) {
        self.database = database
        self.accounts = ConsoleAccountUseCases(database: database, clock: clock)
        self.templates = templates
        self.secureCookies = secureCookies
        self.clock = clock
    }

    func register(on router: Router<BasicRequestContext>) {
        let console = router.group("console")
        console.get("static/console.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: ConsoleTemplates.css)))
        }
        console.get("login") { request, _ in await loginPage(request) }
        console.post("login") { request, context in await login(request, context: context) }
        console.post("logout") { request, context in
            await page(request, context: context) { c in
                try await accounts.logout(
                    cookie: c.request.cookies[Self.sessionCookie]?.value ?? "", principal: c.principal,
                    userName: c.session.userName, remote: Self.remote(c.request))
                var response = Response.redirect(to: "/console/login", type: .normal)
                response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
                return response
            }
        }
        console.get("lang") { request, _ in
            let to = ConsoleLanguage(rawValue: request.uri.queryParameters.get("to") ?? "") ?? .chinese
            var response = Response.redirect(to: Self.samePath(request.uri.queryParameters.get("back")), type: .normal)
            response.setCookie(cookie(Self.languageCookie, to.rawValue, maxAge: 365 * 86_400, httpOnly: false))
            return response
        }
        let pages = ConsolePages(routes: self)
        console.get { request, context in await page(request, context: context, pages.home) }
        let orders = ConsoleOrderPages(routes: self)
        console.get("orders") { request, context in await page(request, context: context, orders.orderList) }
        console.post("orders") { request, context in await page(request, context: context, orders.create) }
        console.post("orders/:id/lines") { request, context in await page(request, context: context, orders.edit) }
        console.get("orders/:id") { request, context in await page(request, context: context, orders.orderPage) }
        console.post("orders/:id/submit") { request, context in await page(request, context: context, orders.move(.submit)) }
        console.post("orders/:id/cancel") { request, context in await page(request, context: context, orders.move(.cancel)) }
        console.post("orders/:id/receive") { request, context in await page(request, context: context, orders.receive) }
        console.get("orders/:id/print") { request, context in await page(request, context: context, orders.printOrder) }
        console.get("orders/:id/receipt") { request, context in await page(request, context: context, orders.printReceipt) }
        let finance = ConsoleFinancePages(routes: self)
        console.get("consolidations") { request, context in await page(request, context: context, finance.consolidations) }
        console.post("consolidations") { request, context in await page(request, context: context, finance.consolidate) }
        console.get("consolidations/:id") { request, context in await page(request, context: context, finance.consolidation) }
        console.get("invoices") { request, context in await page(request, context: context, finance.invoices) }
        console.post("invoices") { request, context in await page(request, context: context, finance.recordInvoice) }
        console.get("invoices/:id") { request, context in await page(request, context: context, finance.invoice) }
        console.post("invoices/:id/review") { request, context in await page(request, context: context, finance.review) }
        console.post("invoices/:id/pay") { request, context in await page(request, context: context, finance.pay) }
        console.get("payables") { request, context in await page(request, context: context, finance.payables) }
        console.get("spend") { request, context in await page(request, context: context, finance.spend) }
        let statements = ConsoleStatementPages(routes: self)
        console.get("statements") { request, context in await page(request, context: context, statements.list) }
        console.get("statements/:code") { request, context in await page(request, context: context, statements.statement) }
        let reconciliations = ConsoleReconciliationPages(routes: self)
        console.get("reconciliations") { request, context in await page(request, context: context, reconciliations.list) }
        console.post("reconciliations/upload") { request, context in await reconciliations.upload(request, context: context) }
        console.get("reconciliations/:id") { request, context in await page(request, context: context, reconciliations.run) }
        console.post("reconciliations/:id/lines/:line/review") { request, context in
            await page(request, context: context, reconciliations.review)
        }
        let stock = ConsoleStockPages(routes: self)
        console.get("stock") { request, context in await page(request, context: context, stock.stock) }
        console.get("stock/lot") { request, context in await page(request, context: context, stock.lot) }
        console.post("stock/lot/recall") { request, context in await page(request, context: context, stock.recall) }
        console.post("stock/lot/release") { request, context in await page(request, context: context, stock.release) }
        let stockTransfers = ConsoleStockTransferPages(routes: self)
        console.get("stock/transfers") { request, context in await page(request, context: context, stockTransfers.list) }
        console.post("stock/transfers") { request, context in await page(request, context: context, stockTransfers.create) }
        console.get("stock/transfers/:id") { request, context in
            await page(request, context: context, stockTransfers.transfer)
        }
        console.post("stock/transfers/:id/dispatch") { request, context in
            await page(request, context: context, stockTransfers.move(.dispatch))
        }
        console.post("stock/transfers/:id/cancel") { request, context in
            await page(request, context: context, stockTransfers.move(.cancel))
        }
        console.post("stock/transfers/:id/receive") { request, context in
            await page(request, context: context, stockTransfers.receive)
        }
        let stockCounts = ConsoleStockCountPages(routes: self)
        console.get("stock/counts") { request, context in await page(request, context: context, stockCounts.list) }
        console.post("stock/counts") { request, context in await page(request, context: context, stockCounts.open) }
        console.get("stock/counts/:id") { request, context in await page(request, context: context, stockCounts.sheet) }
        console.post("stock/counts/:id/enter") { request, context in await page(request, context: context, stockCounts.enter) }
        console.post("stock/counts/:id/approve") { request, context in
            await page(request, context: context, stockCounts.move(approve: true))
        }
        console.post("stock/counts/:id/cancel") { request, context in
            await page(request, context: context, stockCounts.move(approve: false))
        }
        let shortages = ConsoleShortagePages(routes: self)
        console.get("shortages") { request, context in await page(request, context: context, shortages.list) }
        console.get("shortages/:id") { request, context in await page(request, context: context, shortages.shortage) }
        console.post("shortages/:id/:step") { request, context in await page(request, context: context, shortages.step) }
        let transfers = ConsoleTransferPages(routes: self)
        console.get("transfers") { request, context in await page(request, context: context, transfers.list) }
        console.get("transfers/:id") { request, context in await page(request, context: context, transfers.approval) }
        console.post("transfers/:id/shipments") { request, context in await page(request, context: context, transfers.ship) }
        console.post("transfers/:id/shipments/:shipment/receive") { request, context in
            await page(request, context: context, transfers.receive)
        }
        let extended = ConsoleExtendedPrescriptionPages(routes: self)
        console.get("extended-prescriptions") { request, context in await page(request, context: context, extended.list) }
        console.get("extended-prescriptions/:id") { request, context in
            await page(request, context: context, extended.prescription)
        }
        console.post("extended-prescriptions/:id/:step") { request, context in
            await page(request, context: context, extended.step)
        }
        let herbs = ConsoleHerbPages(routes: self)
        console.get("herbs") { request, context in await page(request, context: context, herbs.rounds) }
        console.get("herbs/:id") { request, context in await page(request, context: context, herbs.round) }
        console.post("herbs") { request, context in await page(request, context: context, herbs.create) }
        console.post("herbs/:id/items") { request, context in await page(request, context: context, herbs.addItem) }
        console.post("herbs/:id/move") { request, context in await page(request, context: context, herbs.move) }
        console.post("herbs/:id/commitments") { request, context in await page(request, context: context, herbs.commit) }
        console.post("herbs/:id/commitments/:commitment/decide") { request, context in
            await page(request, context: context, herbs.decide)
        }
        console.post("herbs/:id/bids") { request, context in await page(request, context: context, herbs.bid) }
        console.post("herbs/:id/inspections") { request, context in await page(request, context: context, herbs.inspect) }
        let dashboard = ConsoleDashboardPage(routes: self)
        console.get("dashboard") { request, context in await page(request, context: context, dashboard.dashboard) }
        console.get("templates/:kind") { request, context in await page(request, context: context, pages.template) }
        console.get("drugs") { request, context in await page(request, context: context, pages.drugs) }
        console.get("drugs/:code") { request, context in await page(request, context: context, pages.drug) }
        let drugEdit = ConsoleDrugEditPage(routes: self)
        console.get("drugs/:code/edit") { request, context in await page(request, context: context, drugEdit.edit) }
        console.post("drugs/:code/edit") { request, context in await page(request, context: context, drugEdit.save) }
        console.get("catalogue") { request, context in await page(request, context: context, pages.catalogue) }
        let catalogue = ConsoleCataloguePages(routes: self)
        console.get("catalogue/versions") { request, context in await page(request, context: context, catalogue.versions) }
        console.get("catalogue/versions/:number") { request, context in
            await page(request, context: context, catalogue.version)
        }
        console.post("catalogue/versions/:number/endorse") { request, context in
            await page(request, context: context, catalogue.endorse)
        }
        console.get("catalogue/diff") { request, context in await page(request, context: context, catalogue.diff) }
        console.get("catalogue/report") { request, context in await page(request, context: context, catalogue.report) }
        console.get("catalogue/members/:code") { request, context in await page(request, context: context, catalogue.member) }
        console.post("catalogue/members/:code") { request, context in
            await page(request, context: context, catalogue.replaceMemberList)
        }
        let users = ConsoleUserPages(routes: self)
        console.get("users") { request, context in await page(request, context: context, users.users) }
        console.post("users") { request, context in await page(request, context: context, users.create) }
        console.post("users/:name/reset-password") { request, context in
            await page(request, context: context, users.resetPassword)
        }
        console.post("users/:name/disable") { request, context in await page(request, context: context, users.disable) }
        let desk = ConsoleLongPrescriptionPages(routes: self)
        console.get("long-prescriptions") { request, context in await page(request, context: context, desk.desk) }
        console.post("long-prescriptions/check") { request, context in await page(request, context: context, desk.check) }
        console.post("long-prescriptions/issue") { request, context in await page(request, context: context, desk.issue) }
        console.get("long-prescriptions/patient") { request, context in
            await page(request, context: context, desk.patient)
        }
        console.post("long-prescriptions/:id/end") { request, context in await page(request, context: context, desk.end) }
        console.get("long-prescriptions/:id/print") { request, context in
            await page(request, context: context, desk.printed)
        }
        console.get("catalogue/draft") { request, context in await page(request, context: context, catalogue.draft) }
        console.post("catalogue/draft/open") { request, context in await page(request, context: context, catalogue.openDraft) }
        console.post("catalogue/draft/propose") { request, context in
            await page(request, context: context, catalogue.move(to: .proposed))
        }
        console.post("catalogue/draft/reopen") { request, context in
            await page(request, context: context, catalogue.move(to: .draft))
        }
        console.post("catalogue/draft/publish") { request, context in await page(request, context: context, catalogue.publish) }
        console.get("catalogue/draft/item") { request, context in await page(request, context: context, catalogue.draftItem) }
        console.post("catalogue/draft/item") { request, context in await page(request, context: context, catalogue.saveItem) }
        console.post("catalogue/draft/remove") { request, context in
            await page(request, context: context, catalogue.removeItem)
        }
    }

    // MARK: - Pages behind a session

    /// A logged-in page: the session from its cookie (else to the login page), the CSRF token on a POST, the page's
    /// own work, and any error as an HTML page.
    func page(
        _ request: Request, context: BasicRequestContext, _ body: (ConsoleRequest) async throws -> Response
    ) async -> Response {
        let language = Self.language(request)
        let session: ConsoleAccountUseCases.ActiveSession
        do {
            guard let found = try await activeSession(request) else {
                return Response.redirect(to: "/console/login", type: .normal)
            }
            session = found
        } catch {
            return errorPage(error, request: request, session: nil, language: language, logger: context.logger)
        }
        var request = request
        var form = ConsoleForm()
        if request.method == .post {
            do {
                form = try await Self.form(&request, context: context)
                guard Self.sameOrigin(request), let token = form["csrf"], Self.equal(token, session.csrfToken) else {
                    return errorPage(
                        status: .forbidden, message: language.word("csrf_refused"), session: session, request: request,
                        language: language)
                }
            } catch {
                return errorPage(error, request: request, session: session, language: language, logger: context.logger)
            }
        }
        do {
            return try await body(ConsoleRequest(request: request, session: session, language: language, form: form))
        } catch {
            return errorPage(error, request: request, session: session, language: language, logger: context.logger)
        }
    }

    /// The session of the request's cookie; nil when there is none or it has ended.
    func activeSession(_ request: Request) async throws -> ConsoleAccountUseCases.ActiveSession? {
        guard let cookie = request.cookies[Self.sessionCookie]?.value else { return nil }
        return try await accounts.session(cookie: cookie)
    }

    /// An HTML response of a page rendered in the shell of the session's person.
    func render(
        _ template: String, _ values: [String: Any], title: String, session: ConsoleAccountUseCases.ActiveSession?,
        request: Request, language: ConsoleLanguage, status: HTTPResponse.Status = .ok
    ) -> Response {
        let html = html(template, values, title: title, session: session, request: request, language: language)
        return Response(status: status, headers: Self.htmlHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page rendered in the shell of the session's person.
    func html(
        _ template: String, _ values: [String: Any], title: String, session: ConsoleAccountUseCases.ActiveSession?,
        request: Request, language: ConsoleLanguage
    ) -> String {
        var page = values.mapValues(ConsoleBlank.absent)
        page["lang"] = language.rawValue
        page["t"] = language.words
        page["title"] = title
        page["otherLang"] = language.other.rawValue
        page["mainID"] = page["mainID"] ?? "main"
        if let session {
            page["shell"] = ConsoleShell(session: session, request: request, language: language, path: request.uri.path)
        }
        return templates.render(template, page)
    }

    static let htmlHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        .contentSecurityPolicy: "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
    ]

    func errorPage(
        _ error: any Error, request: Request, session: ConsoleAccountUseCases.ActiveSession?, language: ConsoleLanguage,
        logger: Logger
    ) -> Response {
        let problem = ProblemMiddleware<BasicRequestContext>.problem(for: error, logger: logger)
        let status = HTTPResponse.Status(code: problem.status)
        let message = language.message(problem.detail ?? status.reasonPhrase)
        return errorPage(status: status, message: message, session: session, request: request, language: language)
    }

    func errorPage(
        status: HTTPResponse.Status, message: String, session: ConsoleAccountUseCases.ActiveSession?, request: Request,
        language: ConsoleLanguage
    ) -> Response {
        let heading = language.words["error_\(status.code)"] ?? language.word("error_500")
        return render(
            "error", ["mainID": "error", "status": status.code, "heading": heading, "message": message],
            title: heading, session: session, request: request, language: language, status: status)
    }

    // MARK: - Login

    func loginPage(
        _ request: Request, error: String? = nil, userName: String = "", status: HTTPResponse.Status = .ok
    ) async -> Response {
        let language = Self.language(request)
        // A new login form gets a fresh double-submit token, in its cookie and in the form.
        let csrf = TokenStore.generate()
        var response = render(
            "login", ["csrf": csrf, "error": error as Any, "userName": userName], title: language.word("login_title"),
            session: nil, request: request, language: language, status: status)
        response.setCookie(cookie(Self.loginCSRFCookie, csrf, maxAge: 3_600))
        return response
    }

    func login(_ request: Request, context: BasicRequestContext) async -> Response {
        let language = Self.language(request)
        var request = request
        do {
            let form = try await Self.form(&request, context: context)
            guard Self.sameOrigin(request), let token = form["csrf"],
                let cookie = request.cookies[Self.loginCSRFCookie]?.value, Self.equal(token, cookie)
            else {
                return errorPage(
                    status: .forbidden, message: language.word("csrf_refused"), session: nil, request: request,
                    language: language)
            }
            let userName = form["user_name"] ?? ""
            switch try await accounts.login(
                userName: userName, password: form["password"] ?? "", remote: Self.remote(request),
                previousCookie: request.cookies[Self.sessionCookie]?.value)
            {
            case .granted(let session):
                var response = Response.redirect(to: "/console/", type: .normal)
                response.setCookie(self.cookie(Self.sessionCookie, session.cookie))
                response.setCookie(self.cookie(Self.loginCSRFCookie, "", maxAge: 0))
                return response
            case .refused(let lockedUntil?):
                let message = language.word("login_locked").replacingOccurrences(
                    of: "{}", with: ConsoleFormat.time(lockedUntil, language))
                return await loginPage(request, error: message, userName: userName, status: .init(code: 423))
            case .refused(nil):
                return await loginPage(
                    request, error: language.word("login_refused"), userName: userName, status: .unauthorized)
            }
        } catch {
            return errorPage(error, request: request, session: nil, language: language, logger: context.logger)
        }
    }

    // MARK: - Requests

    func cookie(_ name: String, _ value: String, maxAge: Int? = nil, httpOnly: Bool = true) -> Cookie {
        Cookie(
            name: name, value: value, maxAge: maxAge, path: "/console", secure: secureCookies, httpOnly: httpOnly,
            sameSite: .lax)
    }

    static func language(_ request: Request) -> ConsoleLanguage {
        request.cookies[languageCookie].flatMap { ConsoleLanguage(rawValue: $0.value) } ?? .chinese
    }

    /// The fields of a posted form (`application/x-www-form-urlencoded`).
    static func form(_ request: inout Request, context: BasicRequestContext) async throws -> ConsoleForm {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw DomainError.badRequest("a form is sent as application/x-www-form-urlencoded")
        }
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var form = ConsoleForm()
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            form.fields.append((decoded(parts[0]), parts.count > 1 ? decoded(parts[1]) : ""))
        }
        return form
    }

    /// A POST whose `Origin` names another site (or `null`, a sandboxed frame's) is refused whatever its token.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// Compares two tokens in time that does not depend on where they differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A path of this console to go back to; anything else (another site, `//host`) goes home.
    static func samePath(_ back: String?) -> String {
        guard let back, back.hasPrefix("/console"), !back.hasPrefix("//"), !back.contains("\\") else { return "/console/" }
        return back
    }

    static func remote(_ request: Request) -> String? {
        request.headers[HTTPField.Name("X-Forwarded-For")!].map { String($0.prefix(100)) }
    }
}

/// The header and navigation of a logged-in page.
struct ConsoleShell {
    var consortium: String
    var institution: String
    var displayName: String
    var roleName: String
    var csrf: String
    var otherLang: String
    var back: String
    var query: String
    var nav: [NavLink]

    struct NavLink: ConsoleViewModel {
        static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
            "href": \.href, "label": \.label, "current": \.current,
        ]

        var href: String
        var label: String
        var current: Bool
    }

    init(session: ConsoleAccountUseCases.ActiveSession, request: Request, language: ConsoleLanguage, path: String) {
        let principal = session.principal
        consortium = [principal.consortiumCode, session.consortiumName].compactMap { $0 }.joined(separator: " ")
        institution = [principal.institutionCode, session.institutionName].compactMap { $0 }.joined(separator: " ")
        displayName = session.displayName.isEmpty ? session.userName : session.displayName
        roleName = principal.role.map(language.role) ?? ""
        csrf = session.csrfToken
        otherLang = language.other.rawValue
        var back = request.uri.path
        if let query = request.uri.query, !query.isEmpty { back += "?" + query }
        self.back = back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/console/"
        query = request.uri.path.hasPrefix("/console/drugs") ? request.uri.queryParameters.get("q") ?? "" : ""
        let links = Self.links(for: principal)
        // The page's own link is the longest that leads to it: the draft's, not the catalogue's. The difference
        // between versions is reached from the versions, and members' lists from the share report.
        let path =
            path.hasPrefix("/console/catalogue/diff")
            ? "/console/catalogue/versions"
            : path.hasPrefix("/console/catalogue/members/") && !links.contains(where: { $0.0 == path })
                ? "/console/catalogue/report" : path
        let current = links.map(\.0).filter {
            $0 == "/console/" ? path == "/console" || path == "/console/" : path == $0 || path.hasPrefix($0 + "/")
        }.max { $0.count < $1.count }
        nav = links.map { href, key in NavLink(href: href, label: language.word(key), current: href == current) }
    }

    /// The pages the person may open, in the navigation's order: what the pages themselves require.
    static func links(for principal: Principal) -> [(String, String)] {
        var links = [("/console/", "nav_home")]
        if let consortiumID = principal.consortiumID, principal.may(.readConsortium(consortiumID: consortiumID)) {
            links.append(("/console/dashboard", "nav_dashboard"))
            links.append(("/console/catalogue", "nav_catalogue"))
            links.append(("/console/catalogue/versions", "nav_versions"))
            if principal.may(.manageCatalogue(consortiumID: consortiumID)) {
                links.append(("/console/catalogue/draft", "nav_draft"))
            }
            links.append(("/console/catalogue/report", "nav_report"))
            if let code = principal.institutionCode, let id = principal.institutionID,
                principal.may(.editMemberCatalogue(consortiumID: consortiumID, institutionID: id))
            {
                links.append(("/console/catalogue/members/\(code)", "nav_member"))
            }
        }
        // Orders: its own member's, or every member's for the supply centre (a person of the lead, whose code then
        // stands for the lead's) and those who oversee the consortium.
        if let consortiumID = principal.consortiumID,
            principal.may(
                .readOrders(
                    consortiumID: consortiumID, institutionID: principal.institutionID ?? -1,
                    leadInstitutionCode: principal.institutionCode))
        {
            links.append(("/console/orders", "nav_orders"))
        }
        if let consortiumID = principal.consortiumID,
            principal.may(
                .readSupplyCentreOrders(consortiumID: consortiumID, leadInstitutionCode: principal.institutionCode))
        {
            links.append(("/console/consolidations", "nav_consolidations"))
        }
        if let consortiumID = principal.consortiumID,
            principal.may(.readFinance(consortiumID: consortiumID, leadInstitutionCode: principal.institutionCode))
        {
            links.append(("/console/invoices", "nav_invoices"))
            links.append(("/console/payables", "nav_payables"))
            links.append(("/console/statements", "nav_statements"))
            links.append(("/console/spend", "nav_spend"))
            links.append(("/console/reconciliations", "nav_reconciliations"))
        }
        // Stock: a member's own, or every member's (the member chosen on the page).
        if let consortiumID = principal.consortiumID,
            principal.may(.readAllStock(consortiumID: consortiumID, leadInstitutionCode: principal.institutionCode))
                || principal.institutionID.map({
                    principal.may(.readStock(consortiumID: consortiumID, institutionID: $0, leadInstitutionCode: nil))
                }) == true
        {
            links.append(("/console/stock", "nav_stock"))
        }
        if let consortiumID = principal.consortiumID,
            principal.may(.readAllShortages(consortiumID: consortiumID, leadInstitutionCode: principal.institutionCode))
                || principal.institutionID.map({
                    principal.may(.readShortages(consortiumID: consortiumID, institutionID: $0, leadInstitutionCode: nil))
                }) == true
        {
            links.append(("/console/shortages", "nav_shortages"))
        }
        if let consortiumID = principal.consortiumID, principal.may(.readConsortium(consortiumID: consortiumID)) {
            links.append(("/console/extended-prescriptions", "nav_extended"))
            links.append(("/console/transfers", "nav_transfers"))
            links.append(("/console/herbs", "nav_herbs"))
        }
        if principal.consortiumID != nil, principal.may(.runDeskChecks) {
            links.append(("/console/long-prescriptions", "nav_desk"))
        }
        links.append(("/console/drugs", "nav_drugs"))
        if let consortiumID = principal.consortiumID, principal.may(.manageConsoleUsers(consortiumID: consortiumID)) {
            links.append(("/console/users", "nav_users"))
        }
        return links
    }
}

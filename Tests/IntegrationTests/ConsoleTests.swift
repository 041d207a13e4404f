import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

@Suite("The web console over HTTP: login, cookies, CSRF, lockout, pages by role (issue 26)")
struct ConsoleTests {
    static let password = "长期处方-desk-2026"

    /// A browser's cookie jar, enough for the console.
    struct Jar {
        var cookies: [String: String] = [:]
        mutating func take(_ response: TestResponse) {
            for field in response.headers[values: .setCookie] {
                let pair = field.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                if pair[1].isEmpty { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
            }
        }
        var header: HTTPFields {
            cookies.isEmpty ? [:] : [.cookie: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
        }
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(
            string: fields.map { key, value in
                "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&"))
    }

    static func csrf(in html: String) -> String {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return "" }
        return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    static func post(_ app: TestApp, _ path: String, _ fields: [String: String], jar: inout Jar) async throws
        -> TestResponse
    {
        var headers = jar.header
        headers[.contentType] = "application/x-www-form-urlencoded"
        let response = try await app.client.execute(uri: path, method: .post, headers: headers, body: form(fields))
        jar.take(response)
        return response
    }

    static func get(_ app: TestApp, _ path: String, jar: inout Jar) async throws -> TestResponse {
        let response = try await app.client.execute(uri: path, method: .get, headers: jar.header, body: nil)
        jar.take(response)
        return response
    }

    static func account(_ app: TestApp, _ name: String, _ role: Role, institution: String?, prescriber: String? = nil)
        async throws
    {
        try await app.database.withConnection { c in
            try await c.sql("UPDATE policy_defaults SET value = '4' WHERE key = 'console_bcrypt_cost'")
        }
        try await ConsoleAccountUseCases(database: app.database).create(
            .init(
                userName: name, displayName: "", role: role, consortiumCode: "JLTCM", institutionCode: institution,
                prescriber: prescriber), password: password, actor: .console("test"))
    }

    /// Logs in through the form; the jar then holds the session.
    static func login(_ app: TestApp, _ name: String, password: String = password, jar: inout Jar) async throws
        -> TestResponse
    {
        let page = try await get(app, "/console/login", jar: &jar)
        return try await post(
            app, "/console/login", ["csrf": csrf(in: page.text), "user_name": name, "password": password], jar: &jar)
    }

    @Test("not logged in, a page leads to the login form; a login sets a HttpOnly, SameSite=Lax session cookie")
    func loginAndCookies() async throws {
        try await TestApp.run { app in
            try await Self.account(app, "pharm1", .institutionPharmacist, institution: "YJ-TCMH")
            var jar = Jar()
            let home = try await Self.get(app, "/console/", jar: &jar)
            #expect(home.status == .seeOther && home.headers[.location] == "/console/login")
            let page = try await Self.get(app, "/console/login", jar: &jar)
            #expect(page.status == .ok && page.text.contains(#"<html lang="zh-CN">"#))
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            let loggedIn = try await Self.post(
                app, "/console/login",
                ["csrf": Self.csrf(in: page.text), "user_name": "pharm1", "password": Self.password], jar: &jar)
            #expect(loggedIn.status == .seeOther && loggedIn.headers[.location] == "/console/")
            let cookie = loggedIn.headers[values: .setCookie].first { $0.hasPrefix("crx_session=") } ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/console"))
            #expect(!cookie.contains("Secure"))
            let shown = try await Self.get(app, "/console/", jar: &jar)
            #expect(shown.status == .ok)
            #expect(shown.text.contains(#"<span id="institution">YJ-TCMH 永吉县中医院</span>"#))
            #expect(shown.text.contains(#"<section id="todo""#))
            // The API is as it was: problem+json, bearer tokens.
            let api = try await app.call(.get, "/v1/drugs", token: nil)
            #expect(api.status == .unauthorized && api.contentType?.hasPrefix("application/problem+json") == true)
        }
    }

    @Test("a form without its CSRF token, or from another site, is refused with 403 and changes nothing")
    func csrf() async throws {
        try await TestApp.run { app in
            try await Self.account(app, "admin1", .consortiumAdmin, institution: nil)
            var stranger = Jar()
            let noCookie = try await Self.post(
                app, "/console/login", ["csrf": "forged", "user_name": "admin1", "password": Self.password], jar: &stranger)
            #expect(noCookie.status == .forbidden && noCookie.text.contains(#"<main id="error""#))
            var jar = Jar()
            _ = try await Self.login(app, "admin1", jar: &jar)
            let home = try await Self.get(app, "/console/", jar: &jar)
            let noToken = try await Self.post(app, "/console/logout", [:], jar: &jar)
            #expect(noToken.status == .forbidden)
            var headers = jar.header
            headers[.contentType] = "application/x-www-form-urlencoded"
            headers[.origin] = "http://evil.example"
            let foreign = try await app.client.execute(
                uri: "/console/logout", method: .post, headers: headers, body: Self.form(["csrf": Self.csrf(in: home.text)]))
            #expect(foreign.status == .forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM console_sessions") == 1)
            let out = try await Self.post(app, "/console/logout", ["csrf": Self.csrf(in: home.text)], jar: &jar)
            #expect(out.status == .seeOther)
            #expect(try await app.count("SELECT count(*)::int FROM console_sessions") == 0)
            #expect((try await Self.get(app, "/console/", jar: &jar)).status == .seeOther)
        }
    }

    @Test("five wrong passwords lock the account: the page says so (423), also for the right password")
    func lockout() async throws {
        try await TestApp.run { app in
            try await Self.account(app, "locky", .auditor, institution: nil)
            var jar = Jar()
            for n in 1...5 {
                let refused = try await Self.login(app, "locky", password: "wrong-\(n)-password", jar: &jar)
                #expect(refused.status == (n < 5 ? .unauthorized : .init(code: 423)), "attempt \(n)")
                #expect(refused.text.contains(#"id="login-error""#))
            }
            let locked = try await Self.login(app, "locky", jar: &jar)
            #expect(locked.status == .init(code: 423) && locked.text.contains("锁定"))
        }
    }

    @Test("pages by role: a prescriber may not open the catalogue draft; a member's pharmacist sees its own to-dos")
    func pagesByRole() async throws {
        try await TestApp.run { app in
            try await Self.account(app, "doc1", .prescriber, institution: "JL-TCMH", prescriber: "DR-JL-0001")
            try await Self.account(app, "admin1", .consortiumAdmin, institution: nil)
            var doctor = Jar()
            _ = try await Self.login(app, "doc1", jar: &doctor)
            let refused = try await Self.get(app, "/console/catalogue/draft", jar: &doctor)
            #expect(refused.status == .forbidden && refused.text.contains(#"<main id="error""#))
            #expect(refused.text.contains("无权"))
            var admin = Jar()
            _ = try await Self.login(app, "admin1", jar: &admin)
            let draft = try await Self.get(app, "/console/catalogue/draft", jar: &admin)
            #expect(draft.status == .ok && draft.text.contains(#"<section id="draft""#))
            let catalogue = try await Self.get(app, "/console/catalogue?category=western&level=primary", jar: &admin)
            #expect(catalogue.status == .ok && catalogue.text.contains(#"<tr class="item">"#))
            let search = try await Self.get(app, "/console/drugs?q=aldp", jar: &admin)
            #expect(search.text.contains("氨氯地平"))
            let missing = try await Self.get(app, "/console/drugs/NO-SUCH-DRUG", jar: &admin)
            #expect(missing.status == .notFound && missing.text.contains("NO-SUCH-DRUG"))
        }
    }
}

extension ConsoleTests {
    /// A to-do's count on the person's home page, nil when it is not offered to them.
    static func todo(_ app: TestApp, _ label: String, jar: inout Jar) async throws -> Int? {
        let home = try await get(app, "/console/", jar: &jar).text
        for line in home.split(separator: "\n") where line.contains(label) {
            if let found = line.firstMatch(of: #/<span class="count">(\d+)</span>/#) { return Int(found.1) }
        }
        return nil
    }

    @Test(
        "home to-dos: invoices in discrepancy and overdue payables for finance, prescriptions to review for the dispensing pharmacist"
    )
    func financeAndReviewToDos() async throws {
        try await TestApp.run { app in
            try await Self.account(app, "fin1", .finance, institution: nil)
            try await Self.account(app, "disp1", .institutionPharmacist, institution: "JL-TCMH")
            try await Self.account(app, "doc1", .prescriber, institution: "JL-TCMH", prescriber: "DR-JL-0001")
            var finance = Jar()
            _ = try await Self.login(app, "fin1", jar: &finance)
            var pharmacist = Jar()
            _ = try await Self.login(app, "disp1", jar: &pharmacist)
            var doctor = Jar()
            _ = try await Self.login(app, "doc1", jar: &doctor)
            let discrepancies = try #require(try await Self.todo(app, "有差异待复核的发票", jar: &finance))
            let overdue = try #require(try await Self.todo(app, "逾期未付的应付款", jar: &finance))
            let toReview = try #require(try await Self.todo(app, "待审核的延伸处方", jar: &pharmacist))
            #expect(try await Self.todo(app, "有差异待复核的发票", jar: &pharmacist) == nil)
            #expect(try await Self.todo(app, "待审核的延伸处方", jar: &doctor) == nil)

            // Received 40 days ago (the term is 30): INV-1 is matched and overdue; INV-2 bills the same units again.
            let s = try await BillingTests.received(app)
            _ = try await app.call(
                .post, "\(BillingTests.base)/invoices", token: s.admin, json: BillingTests.invoice(s, "INV-1", quantity: 4))
            let second = try await app.call(
                .post, "\(BillingTests.base)/invoices", token: s.admin, json: BillingTests.invoice(s, "INV-2", quantity: 4))
            #expect(try await Self.todo(app, "有差异待复核的发票", jar: &finance) == discrepancies + 1)
            #expect(try await Self.todo(app, "逾期未付的应付款", jar: &finance) == overdue + 1)
            let id = try #require(second.json["id"] as? Int)
            let reviewed = try await app.call(
                .post, "\(BillingTests.base)/invoices/\(id)/review", token: try await app.token(.finance),
                json: #"{"status": "disputed", "note": "重复开票"}"#)
            #expect(reviewed.status == .ok, "\(reviewed.text)")
            #expect(try await Self.todo(app, "有差异待复核的发票", jar: &finance) == discrepancies)

            let drug = try await ExtendedPrescriptionTests.drugOutOfStock(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let issued = try await app.call(
                .post, ExtendedPrescriptionTests.path, token: prescriber,
                json: ExtendedPrescriptionTests.body(drug: drug, patient: "P-TODO-1"))
            #expect(issued.status == .created, "\(issued.text)")
            #expect(try await Self.todo(app, "待审核的延伸处方", jar: &pharmacist) == toReview + 1)
        }
    }

    @Test("home to-dos: herb items of a round open for commitments that the member has not committed")
    func herbCommitmentsToDo() async throws {
        try await TestApp.run { app in
            try await Self.account(app, "yj1", .procurementOfficer, institution: "YJ-TCMH")
            var member = Jar()
            _ = try await Self.login(app, "yj1", jar: &member)
            let before = try #require(try await Self.todo(app, "待填报约定采购量的饮片品种", jar: &member))
            let t = try await HerbProcurementTests.tokens(app)
            let round = try #require(try await HerbProcurementTests.createRound(app, t.leadOfficer).json["id"] as? Int)
            for (drug, ceiling) in [(HerbProcurementTests.astragalus, "80.00"), (HerbProcurementTests.tangerine, "45.00")] {
                let added = try await HerbProcurementTests.addItem(app, t.leadOfficer, round: round, drug: drug, ceiling: ceiling)
                #expect(added.status == .created)
            }
            // Not yet open: nothing to enter.
            #expect(try await Self.todo(app, "待填报约定采购量的饮片品种", jar: &member) == before)
            #expect(try await HerbProcurementTests.move(app, t.leadOfficer, round: round, "open_commitments").status == .ok)
            #expect(try await Self.todo(app, "待填报约定采购量的饮片品种", jar: &member) == before + 2)
            let committed = try await HerbProcurementTests.commit(app, t.yj, round: round, drug: HerbProcurementTests.astragalus)
            #expect(committed.status == .created, "\(committed.text)")
            #expect(try await Self.todo(app, "待填报约定采购量的饮片品种", jar: &member) == before + 1)
        }
    }
}

@Suite("The console's drug editing for the national master data admin (issue 26)")
struct ConsoleDrugEditTests {
    @Test("only master_data_admin edits a drug; a bad edition is refused beside its field; the change is audited")
    func editDrug() async throws {
        try await TestApp.run { app in
            let code = try await app.database.rows("SELECT code FROM drugs ORDER BY code LIMIT 1", as: String.self)[0]
            try await ConsoleTests.account(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            var pharmacist = ConsoleTests.Jar()
            _ = try await ConsoleTests.login(app, "pharm", jar: &pharmacist)
            #expect(try await ConsoleTests.get(app, "/console/drugs/\(code)/edit", jar: &pharmacist).status == .forbidden)
            #expect(!(try await ConsoleTests.get(app, "/console/drugs/\(code)", jar: &pharmacist)).text.contains("edit-drug"))

            try await ConsoleAccountUseCases(database: app.database).create(
                .init(
                    userName: "national", displayName: "", role: .masterDataAdmin, consortiumCode: nil,
                    institutionCode: nil, prescriber: nil), password: ConsoleTests.password, actor: .console("test"))
            var jar = ConsoleTests.Jar()
            _ = try await ConsoleTests.login(app, "national", jar: &jar)
            let drugPage = try await ConsoleTests.get(app, "/console/drugs/\(code)", jar: &jar)
            #expect(drugPage.text.contains(#"id="edit-drug""#))
            let form = try await ConsoleTests.get(app, "/console/drugs/\(code)/edit", jar: &jar)
            #expect(form.status == .ok)
            let csrf = ConsoleTests.csrf(in: form.text)
            let fields: [(String, String)] = [
                ("csrf", csrf), ("genericName", "改名后的药"), ("insuranceClass", "B"), ("controlClass", "none"),
            ]
            let bad = try await ConsoleCatalogueTests.post(
                app, "/console/drugs/\(code)/edit", fields + [("essentialEditions", "20x8")], jar: &jar)
            #expect(bad.status == .unprocessableContent && bad.text.contains(#"id="editions-error""#))
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE generic_name = '改名后的药'") == 0)
            let saved = try await ConsoleCatalogueTests.post(
                app, "/console/drugs/\(code)/edit", fields + [("essentialEditions", "")], jar: &jar)
            #expect(saved.status == .seeOther && saved.headers[.location] == "/console/drugs/\(code)?done=drug_saved")
            #expect(try await app.count("SELECT count(*)::int FROM drugs WHERE generic_name = '改名后的药'") == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'drug' AND action = 'update' AND consortium_id IS NULL"
                )
                    == 1)
        }
    }
}

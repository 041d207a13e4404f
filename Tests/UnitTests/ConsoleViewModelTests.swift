import Foundation
import HTTPTypes
import RxDomain
import RxStore
import RxUseCases
import Testing

@testable import RxAPI

@Suite("The console's view models: words, dates, money, filters (issue 26)")
struct ConsoleViewModelTests {
    @Test("dates and money in Chinese conventions: 2026年12月1日, ¥1,234.50; a unit price keeps its places")
    func formats() {
        let day = BusinessDate("2026-12-01")!
        #expect(ConsoleFormat.date(day, .chinese) == "2026年12月1日")
        #expect(ConsoleFormat.date(day, .english) == "1 Dec 2026")
        #expect(ConsoleFormat.yuan(Decimal(string: "1234.5")!) == "¥1,234.50")
        #expect(ConsoleFormat.yuan(Decimal(string: "1234567")!) == "¥1,234,567.00")
        #expect(ConsoleFormat.yuan(Decimal(string: "0.086")!) == "¥0.086")
        #expect(ConsoleFormat.yuan(Decimal(string: "-12.3")!) == "-¥12.30")
        // 06:05 UTC is 14:05 in Shanghai.
        let instant = Date(timeIntervalSince1970: 1_796_105_100)  // 2026-12-01T06:05:00Z
        #expect(ConsoleFormat.time(instant, .chinese) == "2026年12月1日 14:05")
    }

    @Test("every word has both languages, and a refusal reads in Chinese")
    func words() {
        #expect(Set(ConsoleStrings.chinese.keys) == Set(ConsoleStrings.english.keys))
        for role in Role.allCases { #expect(ConsoleStrings.chinese["role_" + role.rawValue] != nil, "\(role)") }
        for category in DrugCategory.allCases { #expect(ConsoleStrings.chinese["category_" + category.rawValue] != nil) }
        for level in InstitutionLevel.allCases { #expect(ConsoleStrings.chinese["level_" + level.rawValue] != nil) }
        #expect(ConsoleLanguage.chinese.message("password: must not contain the user name") == "password：不能包含用户名")
        #expect(ConsoleLanguage.english.message("no user x") == "no user x")
        #expect("第 {} 版，{} 起".replacingFirst("3").replacingFirst("今天") == "第 3 版，今天 起")
    }

    func entry(_ category: DrugCategory, essential: Bool, insurance: InsuranceClass, levels: [InstitutionLevel]) -> CatalogueEntry
    {
        CatalogueEntry(
            item: CatalogueItem(drugCode: "X", levels: levels),
            drug: Drug(
                code: "X", genericName: "氨氯地平", nameEn: nil, dosageForm: "片剂", strength: "5mg", packageSize: 14,
                packageUnit: "盒", unit: "片", manufacturer: nil, atcCode: nil, category: category,
                essentialEditions: essential ? ["2018"] : [], insuranceClass: insurance, controlClass: .none,
                antimicrobial: false, coldChain: false, decoctionPiece: nil))
    }

    @Test("the catalogue's filters: category, level, essential, insurance class; an unknown value shows all")
    func catalogueFilter() {
        let western = entry(.western, essential: true, insurance: .a, levels: [.tertiary, .secondary])
        let patent = entry(.chinesePatent, essential: false, insurance: .none, levels: [])
        // The database applies the filters (ConsoleCatalogueTests.filters); the page asks for what was chosen.
        let query = CatalogueFilter(
            text: "  amld ", category: .western, level: .village, essential: false, insurance: InsuranceClass.none
        ).query(.init(limit: 100, after: "X0001"))
        #expect(
            query
                == CatalogueStore.EntryQuery(
                    text: "amld", category: .western, level: .village, essential: false, insurance: InsuranceClass.none,
                    limit: 100, after: "X0001"))
        #expect(CatalogueFilter(text: "  ").text == nil)
        let row = CatalogueRow(western, .chinese)
        #expect(row.levels == "三级、二级" && row.essential == "是" && row.insuranceClass == "甲类")
        #expect(CatalogueRow(patent, .chinese).levels == "各级")
        let options = CatalogueFilter(category: .western).options(.chinese)
        let categories = options["categories"] as? [CatalogueFilter.Option] ?? []
        #expect(categories.first?.label == "全部" && categories.first(where: \.selected)?.value == "western")
    }

    @Test("拼音首字母: letters and digits search the initials, in lower case; anything else only the names")
    func pinyin() {
        #expect(PinyinInitials.searchPattern("ALDP") == "%aldp%")
        #expect(PinyinInitials.searchPattern("wssb1") == "%wssb1%")
        #expect(PinyinInitials.searchPattern("氨氯") == nil && PinyinInitials.searchPattern("a_b") == nil)
        #expect(PinyinInitials.searchPattern("") == nil)
    }

    @Test("the navigation offers what the person may open: no catalogue for the national admin")
    func navigation() {
        func principal(_ role: Role, consortium: Int64?) -> Principal {
            Principal(
                tokenID: 1, role: role, consortiumID: consortium, consortiumCode: consortium.map { _ in "JLTCM" },
                institutionID: nil, institutionCode: nil, name: "user:x")
        }
        #expect(ConsoleShell.links(for: principal(.prescriber, consortium: 1)).map(\.0).contains("/console/catalogue"))
        #expect(!ConsoleShell.links(for: principal(.masterDataAdmin, consortium: nil)).map(\.0).contains("/console/catalogue"))
        #expect(ConsoleShell.links(for: principal(.masterDataAdmin, consortium: nil)).map(\.0).contains("/console/drugs"))
        #expect(ConsoleRoutes.samePath("https://evil.example/") == "/console/")
        #expect(ConsoleRoutes.samePath("//evil.example/console") == "/console/")
        #expect(ConsoleRoutes.samePath("/console/drugs?q=aldp") == "/console/drugs?q=aldp")
        #expect(ConsoleRoutes.equal("abc", "abc") && !ConsoleRoutes.equal("abc", "abd") && !ConsoleRoutes.equal("ab", "abc"))
    }

    @Test("the navigation by role: the draft for the centre, the desk for prescribers, accounts for the centre only")
    func navigationByRole() {
        func links(_ role: Role, institution: Int64? = nil) -> [String] {
            ConsoleShell.links(
                for: Principal(
                    tokenID: 1, role: role, consortiumID: 1, consortiumCode: "JLTCM", institutionID: institution,
                    institutionCode: institution.map { _ in "YJ-TCMH" }, name: "user:x")
            ).map(\.0)
        }
        let centre = links(.consortiumAdmin)
        #expect(centre.contains("/console/catalogue/draft") && centre.contains("/console/users"))
        #expect(!links(.prescriber, institution: 2).contains("/console/catalogue/draft"))
        #expect(links(.prescriber, institution: 2).contains("/console/long-prescriptions"))
        #expect(!links(.finance).contains("/console/long-prescriptions"), "finance runs no desk checks")
        #expect(links(.institutionPharmacist, institution: 2).contains("/console/catalogue/members/YJ-TCMH"))
        #expect(!links(.institutionPharmacist, institution: 2).contains("/console/users"))
    }

    @Test("where a version stands, in words: the lead, the quorum, the objections; shares as percentages")
    func standing() {
        let record = { (code: String, decision: EndorsementDecision) in
            EndorsementRecord(institutionCode: code, decision: decision, comment: "缺儿童剂型", recordedAt: Date())
        }
        let standing = CatalogueUseCases.Standing(
            check: CatalogueRules.PublicationCheck(leadEndorsed: true, endorsements: 3, required: 5, openObjections: ["B"]),
            decisions: [("LEAD", record("LEAD", .endorse)), ("B", record("B", .object)), ("C", nil)], lead: "LEAD",
            quorum: .simpleMajority)
        let view = StandingView(standing, .chinese)
        #expect(view.leadLine == "牵头单位 LEAD 已同意。")
        #expect(view.quorumLine == "成员单位已同意 3 家，需 5 家（过半数）。")
        #expect(view.objectionsLine == "有异议：B。" && !view.ready)
        #expect(view.decisions.map(\.decision) == ["同意", "异议", "未表态"] && view.decisions[0].isLead)
        #expect(StandingView(standing, .english).quorumLine == "3 member endorsements of the 5 needed (a simple majority).")
        #expect(ConsoleFormat.percent("0.8512") == "85.1%" && ConsoleFormat.percent("1.0000") == "100.0%")
    }

    @Test("a refusal the person can correct is shown on its form, each field's reason in Chinese; others are error pages")
    func refusals() {
        let refusal = ConsoleRefusal(DomainError.invalid("comment", "an objection says why"), .chinese)
        #expect(refusal?.fields["comment"] != nil && refusal?.fields["comment"] != "an objection says why")
        #expect(ConsoleRefusal(DomainError.forbidden("no"), .chinese) == nil)
        #expect(ConsoleRefusal(DomainError.notFound("no"), .chinese) == nil)
        #expect(ConsoleRefusal.status(DomainError.preconditionFailed("stale")) == .preconditionFailed)
        #expect(ConsoleRefusal.status(DomainError.invalid("x", "y")) == .unprocessableContent)
        // The sentence at the top names the field as the form labels it, not as the API spells it.
        #expect(ConsoleRefusal(DomainError.invalid("reason", "is required"), .chinese)?.message.hasPrefix("原因：") == true)
        #expect(ConsoleRefusal(DomainError.invalid("reason", "is required"), .english)?.message == "Reason: is required")
        let unlabelled = ConsoleRefusal(DomainError.invalid("items[0].days", "is required"), .english)
        #expect(unlabelled?.message.hasPrefix("items[0].days: ") == true)
        #expect(ConsoleRefusal(DomainError.conflict("the draft changed"), .english)?.message == "the draft changed")
    }

    @Test("a long list a page at a time: 100 rows, the filters kept in the links, a page past the end shows the last")
    func pager() throws {
        let pager = ConsolePager(page: "2", total: 532)
        #expect(pager.pageCount == 6 && pager.page == 2)
        #expect(pager.rows(Array(1...532)) == Array(101...200))
        #expect(ConsolePager(page: "99", total: 532).rows(Array(1...532)) == Array(501...532))
        #expect(ConsolePager(page: "x", total: 532).page == 1 && ConsolePager(page: "-3", total: 532).page == 1)
        #expect(ConsolePager(page: nil, total: 0).rows([Int]()).isEmpty)
        #expect(ConsolePager(page: nil, total: 100).view(path: "/p", query: [], language: .chinese) == nil)
        let view = try #require(
            pager.view(
                path: "/console/catalogue", query: [("category", "western"), ("q", "氨"), ("page", "2"), ("done", "saved")],
                language: .chinese))
        #expect(view.line == "第 101–200 项，共 532 项")
        #expect(view.previous == "/console/catalogue?category=western&q=%E6%B0%A8&page=1")
        #expect(view.next == "/console/catalogue?category=western&q=%E6%B0%A8&page=3")
        #expect(view.pages.map(\.number) == [1, 2, 3, 4, 5, 6] && view.pages.filter(\.current).map(\.number) == [2])
        #expect(view.pages[0].label == "第 1 页")
        let long = try #require(ConsolePager(page: nil, total: 2000).view(path: "/p", query: [], language: .english))
        #expect(long.previous.isEmpty && long.pages.map(\.number) == [1, 2, 3, 4, 20] && long.line == "Items 1–100 of 2000")
    }

    @Test(
        "a list the database pages by key: where the rows sit in the whole, links to the rows before (before the first key) and after (after the last), the filters kept"
    )
    func keysetPager() throws {
        let query = [("category", "western"), ("q", "氨"), ("after", "A100"), ("done", "saved")]
        let middle = ConsoleKeysetPager(position: 100, shown: 100, total: 532, first: "A101", last: "A200")
        let view = try #require(middle.view(path: "/console/catalogue", query: query, language: .chinese))
        #expect(view.line == "第 101–200 项，共 532 项" && view.pages.isEmpty)
        #expect(view.previous == "/console/catalogue?category=western&q=%E6%B0%A8&before=A101")
        #expect(view.next == "/console/catalogue?category=western&q=%E6%B0%A8&after=A200")
        let first = try #require(
            ConsoleKeysetPager(position: 0, shown: 100, total: 532, first: "A001", last: "A100")
                .view(path: "/p", query: [], language: .english))
        #expect(first.previous.isEmpty && first.next == "/p?after=A100" && first.line == "Items 1–100 of 532")
        let last = try #require(
            ConsoleKeysetPager(position: 500, shown: 32, total: 532, first: "A501", last: "A532")
                .view(path: "/p", query: [], language: .english))
        #expect(last.next.isEmpty && last.previous == "/p?before=A501")
        #expect(
            ConsoleKeysetPager(position: 0, shown: 7, total: 7, first: "a", last: "g").view(
                path: "/p", query: [], language: .chinese) == nil)
    }

    @Test("an empty text or a nil is absent to a template: its section is left out, nothing is looked up further out")
    func blanks() throws {
        let templates = try ConsoleTemplates()
        let page: [String: Any] = [
            "t": ConsoleLanguage.chinese.words, "pager": PagerView(line: "L", previous: "", next: "/n", pages: []),
        ]
        let html = templates.render("pager", page)
        #expect(html.contains(#"<a rel="next" href="/n">"#) && !html.contains(#"rel="prev""#))
        #expect(ConsoleBlank.absent("") is ConsoleBlank && ConsoleBlank.absent(String?.none as Any) is ConsoleBlank)
        #expect(ConsoleBlank.absent(String?.some("") as Any) is ConsoleBlank)
        #expect(ConsoleBlank.absent(String?.some("x") as Any) as? String == "x" && ConsoleBlank.absent(0) as? Int == 0)
        // A row's empty field is the row's, not the page's field of the same name.
        var row = UserRow(
            ConsoleUserStore.Listed(
                userName: "pharm1", displayName: "", role: .institutionPharmacist, institutionCode: nil, prescriber: nil,
                lockedUntil: nil, disabledAt: nil, createdAt: Date()),
            now: Date(), language: .chinese)
        #expect(row.child(named: "displayName") is ConsoleBlank && row.child(named: "passwordError") is ConsoleBlank)
        row.passwordError = "太短"
        #expect(row.child(named: "passwordError") as? String == "太短")
    }

    @Test("a patient's prescription and an account in words")
    func prescriptionAndAccountRows() {
        let issued = IssuedPrescription(
            id: 7, institutionCode: "CY-BJL-CHC", patientRef: "P-1", drugCode: "X", dailyDose: 1, days: 56, quantity: 56,
            startDate: BusinessDate("2026-12-01")!, status: "ended", endReason: "targets_not_met", maxFills: 3,
            minDaysBetweenFills: 0, validityDays: 90, dispensed: 28, fills: 1)
        let row = PrescriptionRow(issued, language: .chinese, mayEnd: false)
        #expect(row.status == "已终止" && row.endReason == "控制目标未达到" && row.fills == "1 / 3")
        #expect(row.dispensed == "28 / 56" && row.startDate == "2026年12月1日")
        let now = Date()
        let locked = ConsoleUserStore.Listed(
            userName: "zhang", displayName: "张药师", role: .institutionPharmacist, institutionCode: "YJ-TCMH",
            prescriber: nil, lockedUntil: now.addingTimeInterval(600), disabledAt: nil, createdAt: now)
        #expect(UserRow(locked, now: now, language: .chinese).state.hasPrefix("已锁定至 "))
        var disabled = locked
        disabled.disabledAt = now
        #expect(UserRow(disabled, now: now, language: .chinese).state == "已停用")
        #expect(!UserRow(disabled, now: now, language: .chinese).active)
    }
}

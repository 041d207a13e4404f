internal import Foundation
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// The console's pages in this part: home with its to-do list, drugs (search by code, name or pinyin initials, and
/// a drug with its prices), the catalogue in effect with its filters, and (ConsoleCataloguePages) the catalogue's versions. Each reads through
/// the use cases the API uses and checks the same permissions.
struct ConsolePages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }

    func home(_ c: ConsoleRequest) async throws -> Response {
        let todo = try await ConsoleHomeUseCases(database: database).todo(for: c.principal, today: routes.clock.today())
        let items = todo.map { TodoItem(item: $0.item, count: $0.count, language: c.language) }
        let templates = ImportTemplate.allCases.map { ["href": "/console/templates/\($0.rawValue)", "title": $0.title] }
        return routes.render(
            "home", ["todo": items, "templates": templates], title: c.language.word("home_title"), c)
    }

    /// An import's template for Excel (`ImportTemplate`): any signed-in person may download it.
    func template(_ c: ConsoleRequest) async throws -> Response {
        let kind = c.segment(-1)
        guard let template = ImportTemplate(rawValue: kind) else { throw DomainError.notFound("no import \(kind)") }
        return ConsoleRoutes.csv(template.csv, ascii: "template-\(kind).csv", named: template.title + ".csv")
    }

    func drugs(_ c: ConsoleRequest) async throws -> Response {
        let query = c.request.uri.queryParameters.get("q").map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let cursor = c.request.uri.queryParameters.get("cursor")
        let found = try await DrugUseCases(database: database).search(
            DrugSearch(
                codePrefix: nil, text: query.isEmpty ? nil : String(query.prefix(100)), category: nil,
                page: try PageRequest(limit: 50, cursor: cursor)))
        var values: [String: Any] = ["drugs": found.items.map { DrugRow($0, c.language) }, "query": query]
        if let next = found.nextCursor {
            var components = URLComponents()
            components.path = "/console/drugs"
            components.queryItems = [URLQueryItem(name: "q", value: query), URLQueryItem(name: "cursor", value: next)]
            values["next"] = components.string ?? ""
        }
        return routes.render(
            "drugs", values, title: c.language.word("drugs_title"), c)
    }

    func drug(_ c: ConsoleRequest) async throws -> Response {
        let code = c.segment(-1)
        guard let drug = try await DrugUseCases(database: database).find(code: code) else {
            throw DomainError.notFound("no drug \(code)")
        }
        var row = DrugRow(drug, c.language)
        var prices: [PriceRow] = []
        if let consortiumID = c.principal.consortiumID,
            c.principal.may(.readConsortium(consortiumID: consortiumID))
        {
            let priceCases = PriceUseCases(database: database)
            prices = try await priceCases.history(consortiumID: consortiumID, drugCode: drug.code).reversed()
                .map { PriceRow($0, c.language) }
            if let (agreement, _) = try await priceCases.inEffect(
                consortiumID: consortiumID, drugCode: drug.code, on: routes.clock.today())
            {
                row.priceInEffect = ConsoleFormat.yuan(agreement.unitPrice)
            }
        }
        return routes.render(
            "drug", ["drug": row, "prices": prices, "mayEdit": c.principal.may(.manageDrugs)], title: drug.genericName, c)
    }

    func catalogue(_ c: ConsoleRequest) async throws -> Response {
        let consortiumID = try c.principal.scopedConsortiumID(orNotFound: "no catalogue")
        try c.principal.require(.readConsortium(consortiumID: consortiumID))
        let filter = CatalogueFilter(c.request.uri.queryParameters)
        let today = routes.clock.today()
        var values: [String: Any] = [:]
        let catalogue = CatalogueUseCases(database: database)
        if let version = try await catalogue.versionInEffect(consortiumID: consortiumID, on: today) {
            if c.wantsCSV {
                let all = try await catalogue.entries(version.number, consortiumID: consortiumID, matching: filter.query(.all))
                return ConsoleRoutes.catalogueCSV(all.entries, version: version.number, c.language)
            }
            values["csvHref"] = c.csvHref
            let (pager, entries) = try await ConsoleKeysetPager.page(c, key: \.drug.code) { query in
                try await catalogue.entries(version.number, consortiumID: consortiumID, matching: filter.query(query))
            }
            values["items"] = entries.map { CatalogueRow($0, c.language) }
            values["pager"] = pager.view(c)
            values["versionLine"] = c.language.word("catalogue_version").replacingFirst(String(version.number))
                .replacingFirst(version.effectiveFrom.map { ConsoleFormat.date($0, c.language) } ?? "")
            values["countLine"] = c.language.word("catalogue_count").replacingFirst(String(pager.total))
        } else {
            values["versionLine"] = c.language.word("catalogue_none")
        }
        values.merge(filter.options(c.language)) { $1 }
        return routes.render(
            "catalogue", values, title: c.language.word("catalogue_title"), c)
    }
}

extension String {
    /// The first `{}` of a console sentence filled with `value`.
    func replacingFirst(_ value: String) -> String {
        guard let range = range(of: "{}") else { return self }
        return replacingCharacters(in: range, with: value)
    }
}

// MARK: - View models

/// A to-do item of the home page: its words, its count and where it leads (nothing yet for the lists whose pages are
/// still to build: invoices in discrepancy, herb commitments).
struct TodoItem: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = ["label": \.label, "count": \.count, "href": \.href]

    var label: String
    var count: String
    var href: String

    init(item: ConsoleHomeUseCases.Item, count: Int, language: ConsoleLanguage) {
        label = language.word("todo_" + item.rawValue)
        self.count = String(count)
        href =
            switch item {
            case .catalogueToEndorse: "/console/catalogue/versions"
            case .catalogueObjections, .catalogueDrafts: "/console/catalogue/draft"
            case .ordersDraft: "/console/orders?status=draft"
            case .ordersToReceive: "/console/orders"
            case .payablesOverdue: "/console/payables?status=overdue"
            case .prescriptionsToReview: "/console/extended-prescriptions?state=requested&side=dispensing"
            case .invoicesInDiscrepancy: "/console/invoices?unreviewed=1"
            case .herbCommitmentsToEnter: "/console/herbs"
            }
    }
}

/// A drug as the pages list it, its classes in words.
struct DrugRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "code": \.code, "name": \.name, "nameEn": \.nameEn, "dosageForm": \.dosageForm, "strength": \.strength,
        "manufacturer": \.manufacturer, "category": \.category, "insuranceClass": \.insuranceClass, "essential": \.essential,
        "priceInEffect": \.priceInEffect,
    ]

    var code: String
    var name: String
    var nameEn: String
    var dosageForm: String
    var strength: String
    var manufacturer: String
    var category: String
    var insuranceClass: String
    var essential: String
    var priceInEffect: String

    init(_ drug: Drug, _ language: ConsoleLanguage) {
        code = drug.code
        name = drug.genericName
        nameEn = drug.nameEn ?? ""
        dosageForm = drug.dosageForm
        strength = drug.strength ?? ""
        manufacturer = drug.manufacturer ?? ""
        category = language.category(drug.category)
        insuranceClass = language.insurance(drug.insuranceClass)
        essential = drug.essentialEditions.isEmpty ? language.word("no") : language.word("yes")
        priceInEffect = "—"
    }
}

/// One period of a drug's unified price.
struct PriceRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "price": \.price, "source": \.source, "status": \.status, "from": \.from, "to": \.to,
    ]

    var price: String
    var source: String
    var status: String
    var from: String
    var to: String

    init(_ agreement: PriceAgreement, _ language: ConsoleLanguage) {
        price = ConsoleFormat.yuan(agreement.unitPrice)
        source = language.word("source_" + agreement.source.rawValue)
        status = language.word("agreement_" + agreement.status.rawValue)
        from = ConsoleFormat.date(agreement.effectiveFrom ?? agreement.requestedFrom, language)
        to = agreement.effectiveTo.map { ConsoleFormat.date($0, language) } ?? ""
    }
}

/// An item of the catalogue in effect.
struct CatalogueRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "code": \.code, "name": \.name, "dosageForm": \.dosageForm, "strength": \.strength, "category": \.category,
        "essential": \.essential, "insuranceClass": \.insuranceClass, "levels": \.levels,
    ]

    var code: String
    var name: String
    var dosageForm: String
    var strength: String
    var category: String
    var essential: String
    var insuranceClass: String
    var levels: String

    init(_ entry: CatalogueEntry, _ language: ConsoleLanguage) {
        let drug = DrugRow(entry.drug, language)
        code = drug.code
        name = drug.name
        dosageForm = drug.dosageForm
        strength = drug.strength
        category = drug.category
        essential = drug.essential
        insuranceClass = drug.insuranceClass
        levels = language.levels(entry.item.levels)
    }
}

/// The catalogue page's filters, from its query: a code's start (in any case) or a part of the name (`q`, which the
/// draft and a version's page offer too), category, institution level (the items it may use), essential or not,
/// insurance class. The database applies them (`CatalogueStore.EntryQuery`), a page at a time.
/// A value the page does not offer is ignored (all shown), as a hand-edited address should not be an error page.
struct CatalogueFilter: Equatable {
    var text: String?
    var category: DrugCategory?
    var level: InstitutionLevel?
    var essential: Bool?
    var insurance: InsuranceClass?

    init(
        text: String? = nil, category: DrugCategory? = nil, level: InstitutionLevel? = nil, essential: Bool? = nil,
        insurance: InsuranceClass? = nil
    ) {
        let text = text?.trimmingCharacters(in: .whitespaces)
        self.text = text?.isEmpty == false ? text : nil
        self.category = category
        self.level = level
        self.essential = essential
        self.insurance = insurance
    }

    init(_ query: Parameters) {
        self.init(
            text: query.get("q"), category: query.get("category").flatMap(DrugCategory.init(rawValue:)),
            level: query.get("level").flatMap(InstitutionLevel.init(rawValue:)),
            essential: ["yes": true, "no": false][query.get("essential") ?? ""],
            insurance: query.get("insurance").flatMap(InsuranceClass.init(rawValue:)))
    }

    /// The store's query for a page of the entries the filters find (the database filters and pages).
    func query(_ page: ConsoleKeysetPager.Rows) -> CatalogueStore.EntryQuery {
        CatalogueStore.EntryQuery(
            text: text, category: category, level: level, essential: essential, insurance: insurance, limit: page.limit,
            after: page.after, before: page.before)
    }

    struct Option: ConsoleViewModel {
        static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
            "value": \.value, "label": \.label, "selected": \.selected,
        ]

        var value: String
        var label: String
        var selected: Bool
    }

    /// The filters' choices, "all" first, the current ones selected; the text as typed.
    func options(_ language: ConsoleLanguage) -> [String: Any] {
        func list<T: Equatable>(_ all: [T], _ current: T?, value: (T) -> String, label: (T) -> String) -> [Option] {
            [Option(value: "", label: language.word("all"), selected: current == nil)]
                + all.map { Option(value: value($0), label: label($0), selected: $0 == current) }
        }
        return [
            "q": text ?? "",
            "categories": list(DrugCategory.allCases, category, value: \.rawValue, label: language.category),
            "levels": list(InstitutionLevel.allCases, level, value: \.rawValue, label: language.level),
            "essentials": list(
                [true, false], essential, value: { $0 ? "yes" : "no" }, label: { language.word($0 ? "yes" : "no") }),
            "insurances": list(InsuranceClass.allCases, insurance, value: \.rawValue, label: language.insurance),
        ]
    }
}

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Stock in the console (库存): a member's stock on hand by lot and location, narrowed to what is near expiry or
/// expired, blocked, a drug, a lot or a location, and downloaded for Excel; and where a lot is across the consortium
/// (召回追溯). Read through `StockUseCases.onHand` and `LotRecallUseCases.whereabouts`, with the API's permissions: a
/// member's pharmacist sees its own stock, the consortium admin, the supply centre, auditors and regulators every
/// member's.
struct ConsoleStockPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }

    /// Rows a page shows.
    static let pageSize = 50

    func stock(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let everyMember = c.principal.may(
            .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let code =
            c.query("member").flatMap { $0.isEmpty ? nil : $0 } ?? c.principal.institutionCode
            ?? consortium.leadInstitutionCode ?? ""
        guard let institution = try await InstitutionUseCases(database: database).find(code: code, consortiumID: consortium.id)
        else { throw DomainError.notFound("no institution \(code)") }
        let filter = try StockPageFilter(c)
        let today = routes.clock.today()
        let cases = StockUseCases(database: database)
        func read(_ page: PageRequest) async throws -> Page<StockLine> {
            try await cases.onHand(
                institution: institution, consortium: consortium, drugCode: filter.drug, lotNumber: filter.lot,
                locationCode: filter.location, expiry: filter.expiry, blocked: filter.blocked ? true : nil, today: today,
                page: page, by: c.principal)
        }
        if c.wantsCSV {
            let lines = try await ConsolePager.everyItem(read)
            return ConsoleRoutes.csv(
                Self.csv(lines, language), ascii: "stock-\(institution.code).csv",
                named: language.word("csv_stock_name").replacingFirst(institution.name))
        }
        let page = try await read(try PageRequest(limit: Self.pageSize, cursor: c.query("cursor")))
        var values: [String: Any] = [
            "member": "\(institution.code) \(institution.name)", "memberCode": institution.code,
            "lines": page.items.map { StockRow($0, whereHref: everyMember, language) },
            "drug": filter.drug ?? "", "lot": filter.lot ?? "", "location": filter.location ?? "",
            "blocked": filter.blocked ? "checked" : "",
            "expiries": StockExpiryFilter.allCases.map {
                [
                    "value": $0.rawValue, "label": language.word("stock_filter_" + $0.rawValue),
                    "selected": filter.expiry == $0 ? "selected" : "",
                ]
            },
            "csvHref": c.csvHref,
            "everyMember": everyMember,
        ]
        if everyMember {
            values["members"] = try await InstitutionUseCases(database: database).list(
                consortiumID: consortium.id, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: nil)
            ).items.map {
                ["value": $0.code, "label": "\($0.code) \($0.name)", "selected": $0.code == institution.code ? "selected" : ""]
            }
        }
        if let next = page.nextCursor {
            values["next"] = ConsolePager.href(
                "/console/stock",
                c.request.uri.queryParameters.map { (String($0.key), String($0.value)) }.filter { $0.0 != "cursor" }
                    + [("cursor", next)])
        }
        return routes.render("stock", values, title: language.word("stock_title"), c)
    }

    /// Where a lot is (`?drug=&lot=`): every member and location holding it, what is in transit, its dispensings
    /// and its blocks; for the consortium admin, the form to recall it on the regulator's notice.
    func lot(_ c: ConsoleRequest) async throws -> Response {
        try await lotPage(
            c, drug: c.query("drug")?.trimmingCharacters(in: .whitespaces) ?? "",
            lot: c.query("lot")?.trimmingCharacters(in: .whitespaces) ?? "", refusal: nil)
    }

    func lotPage(
        _ c: ConsoleRequest, drug: String, lot: String, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        var values: [String: Any] = [
            "drug": drug, "lot": lot, "refusal": refusal?.message as Any,
            "mayRecall": c.principal.may(.recallLot(consortiumID: consortium.id)),
            "notice": c.form["notice"] ?? "", "reason": c.form["reason"] ?? "", "fieldErrors": refusal?.fields ?? [:],
        ]
        if !drug.isEmpty, !lot.isEmpty {
            let found = try await LotRecallUseCases(database: database).whereabouts(
                drugCode: drug, lotNumber: lot, consortium: consortium, by: c.principal)
            values["searched"] = true
            values["holdings"] = found.holdings.map {
                [
                    "member": $0.institutionCode, "location": $0.locationCode ?? "",
                    "expiry": ConsoleFormat.date($0.expiry, language), "quantity": $0.quantity.description,
                ]
            }
            values["inTransit"] = found.inTransit.map {
                [
                    "transfer": String($0.transferID), "from": $0.senderInstitutionCode, "to": $0.receiverInstitutionCode,
                    "quantity": $0.quantity.description,
                ]
            }
            values["dispensings"] = found.dispensings.map {
                [
                    "member": $0.institutionCode, "date": ConsoleFormat.date($0.businessDate, language),
                    "quantity": $0.quantity.description, "patient": $0.patientRef ?? "", "ward": $0.ward ?? "",
                ]
            }
            values["blocks"] = found.blocks.map {
                [
                    "kind": language.word("block_" + $0.kind.rawValue), "notice": $0.noticeNumber ?? "",
                    "reason": $0.reason, "since": ConsoleFormat.time($0.blockedAt, language),
                    "released": $0.releasedAt.map { ConsoleFormat.time($0, language) } ?? "",
                    "id": String($0.id), "standing": $0.releasedAt == nil ? "standing" : "",
                ]
            }
        } else {
            // The form alone; the permission is asked all the same, as the search would.
            try c.principal.require(
                .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        }
        return routes.render("stock_lot", values, title: language.word("stock_lot_title"), c, status: status)
    }

    /// POST: the lot recalled on the regulator's notice (`LotRecallUseCases.recall`): blocked at every member at once.
    func recall(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let (drug, lot) = (c.form.text("drug") ?? "", c.form.text("lot") ?? "")
        return try await routes.change(
            c,
            {
                _ = try await LotRecallUseCases(database: database).recall(
                    drugCode: drug, lotNumber: lot, noticeNumber: c.form.text("notice"), reason: c.form["reason"] ?? "",
                    consortium: consortium, by: c.principal)
                return ConsoleRoutes.done(ConsolePager.href("/console/stock/lot", [("drug", drug), ("lot", lot)]), "recalled")
            },
            again: { refusal, status in try await lotPage(c, drug: drug, lot: lot, refusal: refusal, status: status) })
    }

    /// POST: a standing block ended (a recall lifted) with its reason (`LotRecallUseCases.release`), back to the lot.
    func release(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let (drug, lot) = (c.form.text("drug") ?? "", c.form.text("lot") ?? "")
        guard let id = c.form.text("block").flatMap(Int64.init) else {
            throw DomainError.notFound("no lot block \(c.form["block"] ?? "")")
        }
        return try await routes.change(
            c,
            {
                _ = try await LotRecallUseCases(database: database).release(
                    blockID: id, reason: c.form["release_reason"] ?? "", consortium: consortium, by: c.principal)
                return ConsoleRoutes.done(ConsolePager.href("/console/stock/lot", [("drug", drug), ("lot", lot)]), "released")
            },
            again: { refusal, status in
                // The reason named is the release's, shown above the page, not beside the recall form's own box.
                var refusal = refusal
                refusal.fields = [:]
                return try await lotPage(c, drug: drug, lot: lot, refusal: refusal, status: status)
            })
    }

    /// A member's stock for Excel: Chinese headers and words.
    static func csv(_ lines: [StockLine], _ language: ConsoleLanguage) -> String {
        var writer = CSVWriter.forExcel(
            header: [
                "drug_code", "drug_name", "lot_number", "expiry_date", "stock_location", "stock_quantity", "stock_unit",
                "stock_expiry_class", "stock_state",
            ].map(language.word))
        for line in lines {
            let row = StockRow(line, whereHref: false, language)
            writer.append([
                row.drugCode, row.name, row.lot, line.holding.expiry.description, row.location, row.quantity, row.unit,
                row.expiryClass, row.state,
            ])
        }
        return writer.text
    }
}

/// The filters of the stock page, from its address.
struct StockPageFilter {
    var drug: String?
    var lot: String?
    var location: String?
    var expiry: StockExpiryFilter?
    var blocked: Bool

    init(_ c: ConsoleRequest) throws {
        func text(_ name: String) -> String? {
            c.query(name).map { String($0.trimmingCharacters(in: .whitespaces).prefix(100)) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        drug = text("drug")
        lot = text("lot")
        location = text("location")
        blocked = c.query("blocked") == "1"
        if let name = text("expiry") {
            guard let value = StockExpiryFilter(rawValue: name) else {
                throw DomainError.invalid(
                    "expiry", "must be one of \(StockExpiryFilter.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            expiry = value
        }
    }
}

/// A lot on hand at a location, as the stock page lists it.
struct StockRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "drugCode": \.drugCode, "name": \.name, "lot": \.lot, "expiry": \.expiry, "location": \.location,
        "quantity": \.quantity, "unit": \.unit, "expiryClass": \.expiryClass, "state": \.state, "warn": \.warn,
        "whereHref": \.whereHref,
    ]

    var drugCode: String
    var name: String
    var lot: String
    var expiry: String
    var location: String
    var quantity: String
    var unit: String
    var expiryClass: String
    var state: String
    /// Set when the lot may not be issued (expired, blocked, too short a shelf life): the row is marked.
    var warn: String
    var whereHref: String

    init(_ line: StockLine, whereHref: Bool, _ language: ConsoleLanguage) {
        let h = line.holding
        drugCode = h.drugCode
        name = h.genericName
        lot = h.lotNumber
        expiry = ConsoleFormat.date(h.expiry, language)
        location = h.locationCode ?? ""
        quantity = h.quantity.description
        unit = h.unit
        expiryClass = language.word("expiry_class_" + line.expiryClass.rawValue)
        state =
            h.block.map { language.word("block_" + $0.rawValue) } ?? language.word("issueability_" + line.issueability)
        warn = line.issueability == "issuable" ? "" : "warn"
        var query = URLComponents()
        query.path = "/console/stock/lot"
        query.queryItems = [URLQueryItem(name: "drug", value: h.drugCode), URLQueryItem(name: "lot", value: h.lotNumber)]
        self.whereHref = whereHref ? query.string ?? "" : ""
    }
}

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Shortages in the console (短缺药品监测应对): the open shortages, narrowed by level, list and member, downloaded for
/// Excel; and one shortage with the members it touched, its signals and the actions taken. Read through
/// `ShortageReadUseCases` with its scope: the supply centre, auditors and regulators see every record, a member's
/// pharmacist those affecting its member and the consortium's.
struct ConsoleShortagePages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var reads: ShortageReadUseCases { ShortageReadUseCases(database: database) }

    func list(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        func choice<T: RawRepresentable>(_ name: String, _: T.Type) throws -> T? where T.RawValue == String, T: CaseIterable {
            guard let text = c.query(name), !text.isEmpty else { return nil }
            guard let value = T(rawValue: text) else {
                throw DomainError.invalid(name, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
        let level = try choice("level", ShortageLevel.self)
        let list = try choice("list", ShortageListKind.self)
        let member = c.query("member").flatMap { $0.isEmpty ? nil : String($0.prefix(40)) }
        let today = routes.clock.today()
        // Every open record on one page, as the supply centre works through them (the API pages them).
        let open = try await ConsolePager.everyItem { page in
            try await reads.open(
                consortium: consortium, level: level, list: list, institutionCode: member, today: today, page: page,
                by: c.principal)
        }
        if c.wantsCSV {
            var writer = CSVWriter.forExcel(
                header: [
                    "csv_shortage_no", "drug_code", "drug_name", "shortage_level", "shortage_lists", "shortage_cause",
                    "shortage_opened", "shortage_recovery", "shortage_members",
                ].map(language.word))
            for s in open {
                let row = ShortageRow(s, language)
                writer.append([
                    row.id, row.drugCode, row.name, row.level, row.lists, row.cause, s.openedOn.description,
                    s.expectedRecovery?.description ?? "", row.members,
                ])
            }
            return ConsoleRoutes.csv(
                writer.text, ascii: "shortages-\(today).csv",
                named: language.word("csv_shortages_name").replacingFirst(today.description))
        }
        return routes.render(
            "shortages",
            [
                "shortages": open.map { ShortageRow($0, language) },
                "levels": ShortageLevel.allCases.map {
                    [
                        "value": $0.rawValue, "label": language.word("shortage_word_" + $0.rawValue),
                        "selected": level == $0 ? "selected" : "",
                    ]
                },
                "lists": ShortageListKind.allCases.map {
                    [
                        "value": $0.rawValue, "label": language.word("shortage_word_" + $0.rawValue),
                        "selected": list == $0 ? "selected" : "",
                    ]
                },
                "member": member ?? "", "csvHref": c.csvHref,
            ], title: language.word("shortages_title"), c)
    }

    func shortage(_ c: ConsoleRequest) async throws -> Response {
        try await shortagePage(c, refusal: nil)
    }

    func shortageID(_ c: ConsoleRequest) throws -> Int64 {
        guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no shortage \(c.segment(2))") }
        return id
    }

    func shortagePage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let id = try shortageID(c)
        let today = routes.clock.today()
        let detail = try await reads.one(id: id, consortium: consortium, today: today, by: c.principal)
        let s = detail.shortage
        var values = try await response(c, s, consortium: consortium, today: today)
        values["refusal"] = refusal?.message as Any
        values["fieldErrors"] = refusal?.fields ?? [:]
        let details: [String: Any] = [
            "row": ShortageRow(s, language),
            "status": language.word("shortage_status_" + s.status.rawValue),
            "outcome": s.outcome.map { language.word("shortage_outcome_" + $0.rawValue) } ?? "",
            "closedOn": s.closedOn.map { ConsoleFormat.date($0, language) } ?? "",
            "memberLines": s.members.map {
                [
                    "member": "\($0.institutionCode) \($0.institutionName)",
                    "affected": language.word($0.affected ? "yes" : "no"), "onHand": $0.onHand.description,
                    "days": $0.daysOfStock.map { DecimalText.format($0, places: 1) } ?? "—",
                    "first": ConsoleFormat.date($0.firstAffectedOn, language),
                    "last": ConsoleFormat.date($0.lastSeenOn, language),
                ]
            },
            "signals": detail.signals.map {
                [
                    "kind": language.word("shortage_signal_" + $0.signal.kind.rawValue),
                    "member": $0.signal.institutionCode ?? "", "first": ConsoleFormat.date($0.firstSeenOn, language),
                    "last": ConsoleFormat.date($0.lastSeenOn, language),
                    "cleared": $0.clearedOn.map { ConsoleFormat.date($0, language) } ?? "",
                ]
            },
            "actions": detail.actions.map {
                [
                    "kind": language.word("shortage_word_" + $0.kind.rawValue),
                    "at": ConsoleFormat.time($0.actedAt, language), "reason": $0.reason,
                    "substitute": $0.substituteDrugCode ?? "", "supplier": $0.supplierCode ?? "",
                    "quantity": $0.quantity?.description ?? "",
                    "order": $0.purchaseOrderID.map { "/console/orders/\($0)/print" } ?? "",
                ]
            },
        ]
        values.merge(details) { _, new in new }
        return routes.render(
            "shortage", values, title: language.word("shortage_title").replacingFirst(String(s.id)), c, status: status)
    }

    /// The response's forms (短缺应对) for whoever acts on shortages, while the record is open: proposals of
    /// redistribution to make, accept or reject; a substitute from the ranked candidates (signed off by a pharmacist);
    /// an emergency purchase; escalation; and closing with its outcome, or reopening a closed record. Each by
    /// `ShortageActionUseCases`, whose rules decide.
    func response(_ c: ConsoleRequest, _ s: ShortageView, consortium: Consortium, today: BusinessDate) async throws
        -> [String: Any]
    {
        let language = c.language
        let acts = c.principal.may(
            .actOnShortage(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let signs = c.principal.may(.signOffSubstitute(consortiumID: consortium.id))
        let form = c.form
        var values: [String: Any] = [
            "id": String(s.id), "reason": form["reason"] ?? "", "supplier": form["supplier"] ?? "",
            "quantity": form["quantity"] ?? "", "member": form["member"] ?? consortium.leadInstitutionCode ?? "",
            "recovery": form["recovery"] ?? "", "note": form["note"] ?? "",
        ]
        guard s.status == .open else {
            values["mayReopen"] = acts
            return values
        }
        let cases = ShortageActionUseCases(database: database)
        if acts {
            values["mayAct"] = true
            values["proposals"] = try await cases.openProposals(id: s.id, consortium: consortium, by: c.principal).map {
                [
                    "proposal": String($0.id), "from": $0.fromInstitutionCode, "to": $0.toInstitutionCode,
                    "quantity": $0.quantity.description,
                    "lots": $0.lots.map { "\($0.lotNumber) × \($0.quantity)" }.joined(separator: "、"),
                ]
            }
            values["outcomes"] = ShortageOutcome.allCases.map {
                ["value": $0.rawValue, "label": language.word("shortage_outcome_" + $0.rawValue)]
            }
        }
        if acts || signs {
            values["substitutes"] = try await cases.substitutes(
                id: s.id, consortium: consortium, today: today, by: c.principal
            ).map {
                [
                    "value": $0.drug.code, "label": "\($0.drug.code) \($0.drug.genericName) \($0.drug.strength ?? "")",
                    "selected": form["substitute"] == $0.drug.code ? "selected" : "",
                ]
            }
            values["maySubstitute"] = true
        }
        return values
    }

    /// POST `/console/shortages/{id}/{step}`: propose, accept or reject a proposal, substitute, buy in an
    /// emergency, escalate, close or reopen, each by `ShortageActionUseCases`; back to the record.
    func step(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let id = try shortageID(c)
        let today = routes.clock.today()
        let cases = ShortageActionUseCases(database: database)
        let form = c.form
        return try await routes.change(
            c,
            {
                let step = c.segment(3)
                func proposal() throws -> Int64 {
                    guard let found = form.text("proposal").flatMap(Int64.init) else {
                        throw DomainError.invalid("proposal", "choose a proposal")
                    }
                    return found
                }
                switch step {
                case "propose":
                    _ = try await cases.propose(id: id, consortium: consortium, today: today, by: c.principal)
                case "accept":
                    _ = try await cases.accept(
                        proposalID: try proposal(), reason: form["reason"] ?? "", consortium: consortium, today: today,
                        by: c.principal)
                case "reject":
                    _ = try await cases.reject(
                        proposalID: try proposal(), reason: form.text("reason"), consortium: consortium, by: c.principal)
                case "close":
                    let outcome = try form.choice("outcome", ShortageOutcome.self, field: "outcome")
                    _ = try await cases.close(
                        id: id, outcome: outcome, note: form.text("note"), consortium: consortium, today: today,
                        by: c.principal)
                case "reopen":
                    _ = try await cases.reopen(id: id, consortium: consortium, today: today, by: c.principal)
                default:
                    guard let kind = ShortageActionKind(rawValue: step), kind != .redistribute else {
                        throw DomainError.notFound("no step \(step)")
                    }
                    _ = try await cases.act(
                        id: id,
                        ShortageActionInput(
                            kind: kind, reason: form["reason"] ?? "", substituteDrugCode: form.text("substitute"),
                            supplierCode: form.text("supplier"),
                            quantity: try form.text("quantity").map { try Quantity.parse($0, field: "quantity") },
                            institutionCode: form.text("member"),
                            expectedRecovery: try BusinessDate.parse(form.text("recovery"), field: "expectedRecovery")),
                        consortium: consortium, today: today, by: c.principal)
                }
                return ConsoleRoutes.done("/console/shortages/\(id)", "shortage_" + step)
            },
            again: { refusal, status in try await shortagePage(c, refusal: refusal, status: status) })
    }
}

/// An open shortage as the list shows it.
struct ShortageRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "href": \.href, "drugCode": \.drugCode, "name": \.name, "level": \.level, "lists": \.lists,
        "cause": \.cause, "opened": \.opened, "recovery": \.recovery, "members": \.members,
    ]

    var id: String
    var href: String
    var drugCode: String
    var name: String
    var level: String
    var lists: String
    var cause: String
    var opened: String
    var recovery: String
    var members: String

    init(_ s: ShortageView, _ language: ConsoleLanguage) {
        id = String(s.id)
        href = "/console/shortages/\(s.id)"
        drugCode = s.drugCode
        name = [s.genericName, s.dosageForm, s.strength ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        level = language.word("shortage_word_" + s.level.rawValue)
        let separator = language == .chinese ? "、" : ", "
        lists = s.lists.map { language.word("shortage_word_" + $0.rawValue) }.joined(separator: separator)
        cause = s.cause.map { language.word("shortage_word_" + $0.rawValue) } ?? ""
        opened = ConsoleFormat.date(s.openedOn, language)
        recovery = s.expectedRecovery.map { ConsoleFormat.date($0, language) } ?? ""
        members = s.members.filter(\.affected).map(\.institutionCode).joined(separator: separator)
    }
}

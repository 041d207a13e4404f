internal import Foundation
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
        let open = try await reads.open(
            consortium: consortium, level: level, list: list, institutionCode: member, today: today, by: c.principal)
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
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        guard let id = Int64(c.segment(-1)) else { throw DomainError.notFound("no shortage \(c.segment(-1))") }
        let detail = try await reads.one(id: id, consortium: consortium, today: routes.clock.today(), by: c.principal)
        let s = detail.shortage
        return routes.render(
            "shortage",
            [
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
            ], title: language.word("shortage_title").replacingFirst(String(s.id)), c)
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

internal import Foundation
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Joint volume-based procurement of decoction pieces in the console (中药饮片联合带量采购): the rounds, and a round
/// with its items, each member's progress against its commitment (a chart of completion with the period's pace as
/// the target line, and its table), and the ranking. Read through the rounds' use cases with their permissions: the
/// progress of every member for the round's lead, auditors and regulators, a member's own for the member; the ranking
/// for those who see it.
struct ConsoleHerbPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }

    func rounds(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let page = try await HerbRoundUseCases(database: database).list(
            consortium: consortium, page: try PageRequest(limit: 50, cursor: c.query("cursor")))
        var values: [String: Any] = [
            "rounds": page.items.map { round in
                [
                    "id": String(round.id), "href": "/console/herbs/\(round.id)", "name": round.name,
                    "lead": round.leadInstitutionCode,
                    "period": ConsoleFormat.date(round.periodStart, language) + " – "
                        + ConsoleFormat.date(round.periodEnd, language),
                    "status": language.word("herb_status_" + round.status.rawValue), "items": String(round.items.count),
                ]
            }
        ]
        if let next = page.nextCursor { values["next"] = ConsolePager.href("/console/herbs", [("cursor", next)]) }
        return routes.render("herbs", values, title: language.word("herbs_title"), c)
    }

    func round(_ c: ConsoleRequest) async throws -> Response {
        _ = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        guard let id = Int64(c.segment(-1)) else { throw DomainError.notFound("no herb round \(c.segment(-1))") }
        let round = try await HerbRoundUseCases(database: database).round(id: id, by: c.principal)
        let today = routes.clock.today()
        var values: [String: Any] = [
            "name": round.name, "lead": round.leadInstitutionCode,
            "period": ConsoleFormat.date(round.periodStart, language) + " – " + ConsoleFormat.date(round.periodEnd, language),
            "status": language.word("herb_status_" + round.status.rawValue),
            "items": round.items.map { item in
                [
                    "drug": "\(item.drugCode) \(item.drugName)", "grade": item.grade, "standard": item.qualityStandard,
                    "ceiling": ConsoleFormat.yuan(item.ceilingPrice),
                    "awarded": item.awardedPrice.map(ConsoleFormat.yuan) ?? "",
                ]
            },
        ]
        let names = Dictionary(round.items.map { ($0.drugCode, $0.drugName) }, uniquingKeysWith: { a, _ in a })
        // Each section shows only where its read is the person's to make.
        if let (_, rows) = try await Self.allowed({
            try await HerbCommitmentUseCases(database: database).progress(roundID: id, on: today, by: c.principal)
        }) {
            let percent: (Decimal) -> String = { DecimalText.format($0 * 100, places: 1) + "%" }
            let pace = rows.first.map { Decimal($0.pace.elapsedDays) / Decimal(max($0.pace.periodDays, 1)) } ?? 0
            values["progress"] = rows.map { row in
                [
                    "member": row.institutionCode, "drug": "\(row.drugCode) \(names[row.drugCode] ?? "")",
                    "committed": DecimalText.plain(row.committedKg), "bought": DecimalText.plain(row.boughtKg),
                    "received": DecimalText.plain(row.receivedKg), "expected": DecimalText.plain(row.pace.expected),
                    "rate": row.pace.completionRate.map(percent) ?? "—",
                    "behind": row.pace.behind ? language.word("herb_behind") : "",
                    "over": row.pace.overCommitment > 0 ? DecimalText.plain(row.pace.overCommitment) : "",
                ]
            }
            values["paceLine"] = language.word("herb_pace_line").replacingFirst(percent(pace))
            values["chart"] = ConsoleChart.bars(
                rows.map {
                    ConsoleChart.Bar(
                        label: "\($0.institutionCode) \(names[$0.drugCode] ?? $0.drugCode)",
                        value: $0.pace.completionRate ?? 0, text: $0.pace.completionRate.map(percent) ?? "—")
                }, title: language.word("herb_progress"), scale: 1,
                target: (pace, language.word("herb_pace") + " " + percent(pace)))
            values["hasProgress"] = true
        }
        if let (provisional, rows) = try await Self.allowed({
            try await HerbRoundUseCases(database: database).ranking(roundID: id, by: c.principal)
        }), !rows.isEmpty {
            values["ranking"] = rows.map { row in
                [
                    "drug": "\(row.drugCode) \(names[row.drugCode] ?? "")", "rank": String(row.rank),
                    "supplier": row.supplierCode, "price": ConsoleFormat.yuan(row.unitPrice),
                    "quality": DecimalText.plain(row.qualityScore),
                    "result": language.word(row.winner ? "herb_winner" : row.qualified ? "herb_qualified" : "herb_unqualified"),
                    "volume": row.winner ? DecimalText.plain(row.volumeKg) : "",
                ]
            }
            values["rankingNote"] = provisional ? language.word("herb_ranking_provisional") : ""
        }
        return routes.render("herb_round", values, title: round.name, c)
    }

    /// The read, or nil when it is not the person's to make (403).
    static func allowed<T>(_ read: () async throws -> T) async throws -> T? {
        do { return try await read() } catch let error as DomainError {
            if case .forbidden = error { return nil }
            throw error
        }
    }
}

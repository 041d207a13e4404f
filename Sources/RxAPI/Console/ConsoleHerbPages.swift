internal import Foundation
import HTTPTypes
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
        try await roundsPage(c, refusal: nil)
    }

    /// The rounds, and for whoever may run one (the consortium admin for any lead, a member's procurement officer for
    /// its own member) the form of a new round.
    func roundsPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
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
        let members = try await InstitutionUseCases(database: database).list(
            consortiumID: consortium.id, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: nil)
        ).items
        let form = c.form
        let leads = members.filter { c.principal.may(.runHerbRound(consortiumID: consortium.id, roundLeadCode: $0.code)) }
        if !leads.isEmpty {
            values["mayCreate"] = true
            values["leads"] = leads.map {
                [
                    "value": $0.code, "label": "\($0.code) \($0.name)",
                    "selected": (form["lead"] ?? c.principal.institutionCode) == $0.code ? "selected" : "",
                ]
            }
            values["rules"] = HerbAwardRule.allCases.map {
                [
                    "value": $0.rawValue, "label": language.word("herb_rule_" + $0.rawValue),
                    "selected": form["rule"] == $0.rawValue ? "selected" : "",
                ]
            }
            for field in ["name", "start", "end", "margin"] { values["f_" + field] = form[field] ?? "" }
        }
        values["refusal"] = refusal?.message as Any
        values["fieldErrors"] = refusal?.fields ?? [:]
        return routes.render("herbs", values, title: language.word("herbs_title"), c, status: status)
    }

    /// POST: a new round in planning (`HerbRoundUseCases.create`), then its page to add its items.
    func create(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                let rule = try form.choice("rule", HerbAwardRule.self, field: "awardRule")
                let margin = try form.text("margin").map { try Quantity.parse($0, field: "marginPercent").value }
                let round = try await HerbRoundUseCases(database: database).create(
                    HerbRoundDraft(
                        name: form.text("name") ?? "", leadInstitutionCode: form["lead"] ?? "",
                        periodStart: try form.date("start", field: "periodStart"),
                        periodEnd: try form.date("end", field: "periodEnd"),
                        awardRule: rule, marginPercent: margin),
                    consortium: consortium, by: c.principal)
                return ConsoleRoutes.done("/console/herbs/\(round.id)", "herb_round_created")
            },
            again: { refusal, status in try await roundsPage(c, refusal: refusal, status: status) })
    }

    /// POST: an item added to a round in planning (`HerbRoundUseCases.addItem`): a decoction piece and its ceiling.
    func addItem(_ c: ConsoleRequest) async throws -> Response {
        let id = try roundID(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                _ = try await HerbRoundUseCases(database: database).addItem(
                    roundID: id,
                    HerbItemDraft(
                        drugCode: form.text("item_drug") ?? "", grade: form.text("item_grade"),
                        qualityStandard: form.text("item_standard"),
                        ceilingPrice: try Money.parse(form.text("item_ceiling") ?? "", field: "ceilingPrice")),
                    by: c.principal)
                return ConsoleRoutes.done("/console/herbs/\(id)", "herb_item_added")
            },
            again: { refusal, status in try await roundPage(c, refusal: refusal, status: status) })
    }

    func round(_ c: ConsoleRequest) async throws -> Response {
        try await roundPage(c, refusal: nil)
    }

    /// The round's id from the address (`/console/herbs/{id}…`).
    func roundID(_ c: ConsoleRequest) throws -> Int64 {
        guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no herb round \(c.segment(2))") }
        return id
    }

    func roundPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let id = try roundID(c)
        let round = try await HerbRoundUseCases(database: database).round(id: id, by: c.principal)
        let today = routes.clock.today()
        var values: [String: Any] = [
            "id": String(id), "refusal": refusal?.message as Any, "fieldErrors": refusal?.fields ?? [:],
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
        try await writes(c, round: round, consortium: consortium, into: &values)
        return routes.render("herb_round", values, title: round.name, c, status: status)
    }

    /// The forms the round's state and the person's role allow, each by the rule its use case applies: the lead's
    /// moves (`HerbProcurementRules.next`), a member's commitments while they are open, the lead's decision on a
    /// commitment below the minimum, bids while bidding, and the lab's inspections once awarded, each measure beside
    /// the monograph's limit; and the inspections recorded, every measured value against its limit.
    func writes(_ c: ConsoleRequest, round: HerbRound, consortium: Consortium, into values: inout [String: Any]) async throws {
        let language = c.language
        let form = c.form
        let runs = c.principal.may(.runHerbRound(consortiumID: consortium.id, roundLeadCode: round.leadInstitutionCode))
        let items = round.items.map {
            [
                "value": $0.drugCode, "label": "\($0.drugCode) \($0.drugName)",
                "selected": form["drug"] == $0.drugCode ? "selected" : "",
            ]
        }
        values["itemOptions"] = items
        if runs, (try? HerbRoundRules.requireItemsOpen(status: round.status, roundID: round.id)) != nil {
            values["mayAddItem"] = true
            for field in ["item_drug", "item_grade", "item_standard", "item_ceiling"] { values[field] = form[field] ?? "" }
        }
        if runs {
            values["moves"] = HerbRoundAction.allCases.filter { (try? HerbProcurementRules.next(round.status, $0)) != nil }
                .map { ["action": $0.rawValue, "label": language.word("herb_action_" + $0.rawValue)] }
        }
        // A member's own commitments while they are open.
        let commitmentsOpen = (try? HerbProcurementRules.requireCommitmentsOpen(round.status, roundID: round.id)) != nil
        if commitmentsOpen, let member = c.principal.institutionID, let code = c.principal.institutionCode,
            c.principal.may(.commitHerbVolume(consortiumID: consortium.id, institutionID: member))
        {
            values["commitFor"] = code
        }
        if let commitments = try await Self.allowed({
            try await HerbCommitmentUseCases(database: database).list(roundID: round.id, by: c.principal)
        }) {
            values["commitments"] = commitments.map { commitment in
                [
                    "commitmentID": String(commitment.id), "member": commitment.institutionCode, "drug": commitment.drugCode,
                    "quantity": DecimalText.plain(commitment.quantityKg),
                    "prior": commitment.priorUsageKg.map(DecimalText.plain) ?? "",
                    "proposed": commitment.proposedKg.map(DecimalText.plain) ?? "",
                    "status": language.word("herb_commitment_" + commitment.status.rawValue),
                    "reason": commitment.reason ?? "",
                    "decide": runs && commitment.status == .pending ? "decide" : "",
                ]
            }
        }
        if runs, (try? HerbProcurementRules.requireBidding(round.status, roundID: round.id)) != nil {
            values["mayBid"] = true
        }
        for field in ["quantity", "reason", "supplier", "price", "grade", "origin", "score", "reference", "lot", "inspected_on"] {
            values["f_" + field] = form[field] ?? ""
        }
        if values["f_inspected_on"] as? String == "" { values["f_inspected_on"] = routes.clock.today().description }
        // Inspections: the lab's form once the round is awarded, and those recorded, each value against its limit.
        let (limits, inspections) = try await HerbQualityUseCases(database: database).inspections(
            roundID: round.id, by: c.principal)
        let inspectable =
            round.items.first.map { (try? HerbRoundRules.inspectionItem(of: round, drugCode: $0.drugCode)) != nil } ?? false
        if inspectable,
            c.principal.may(.inspectHerbBatch(consortiumID: consortium.id, roundLeadCode: round.leadInstitutionCode))
        {
            values["mayInspect"] = true
        }
        values["limits"] = round.items.map { item in
            [
                "drug": "\(item.drugCode) \(item.drugName)",
                "values": HerbQualityMeasure.allCases.map { limits[item.drugCode]?[$0].map(DecimalText.plain) ?? "—" },
            ]
        }
        let errors = values["fieldErrors"] as? [String: String] ?? [:]
        values["measures"] = HerbQualityMeasure.allCases.map { measure in
            [
                "key": measure.rawValue, "label": language.word("herb_measure_" + measure.rawValue),
                "value": form[measure.rawValue] ?? "", "error": errors[measure.rawValue] ?? "",
            ]
        }
        values["inspections"] = inspections.map { record in
            let limit = limits[record.drugCode] ?? [:]
            return [
                "drug": record.drugCode, "lot": record.lotNumber, "supplier": record.supplierCode,
                "date": ConsoleFormat.date(record.inspectedOn, language),
                "identification": language.word(record.identificationPassed ? "herb_identified" : "herb_not_identified"),
                "result": language.word("herb_inspection_" + record.result.rawValue),
                "warn": record.result == .rejected ? "warn" : "",
                // Each measure taken, with its limit and whether it is within it.
                "measured": HerbQualityMeasure.allCases.compactMap { measure -> [String: String]? in
                    guard let value = record.measured[measure] else { return nil }
                    let maximum = limit[measure]
                    return [
                        "label": language.word("herb_measure_" + measure.rawValue), "value": DecimalText.plain(value),
                        "limit": maximum.map { "≤ " + DecimalText.plain($0) } ?? language.word("herb_no_limit"),
                        "over": maximum.map { value > $0 } == true ? "over" : "",
                    ]
                },
            ] as [String: Any]
        }
    }

    /// POST: the lead moves the round (`HerbRoundUseCases.move`): open commitments, open bidding, award, execute, close.
    func move(_ c: ConsoleRequest) async throws -> Response {
        let id = try roundID(c)
        return try await routes.change(
            c,
            {
                let action = try c.form.choice("action", HerbRoundAction.self, field: "action")
                _ = try await HerbRoundUseCases(database: database).move(roundID: id, action: action, by: c.principal)
                return ConsoleRoutes.done("/console/herbs/\(id)", "herb_moved")
            },
            again: { refusal, status in try await roundPage(c, refusal: refusal, status: status) })
    }

    /// POST: the person's member commits kilograms of an item (blank: the proposal from prior-year usage), with a
    /// reason when below the minimum (`HerbCommitmentUseCases.commit`).
    func commit(_ c: ConsoleRequest) async throws -> Response {
        let id = try roundID(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                let quantity = try form.text("quantity").map { try Quantity.parse($0, field: "quantityKg").value }
                _ = try await HerbCommitmentUseCases(database: database).commit(
                    roundID: id,
                    HerbCommitmentDraft(
                        drugCode: form["drug"] ?? "", institutionCode: c.principal.institutionCode ?? "",
                        quantityKg: quantity, reason: form.text("reason")),
                    by: c.principal)
                return ConsoleRoutes.done("/console/herbs/\(id)", "herb_committed")
            },
            again: { refusal, status in try await roundPage(c, refusal: refusal, status: status) })
    }

    /// POST: the lead accepts or rejects a commitment below the minimum (`HerbCommitmentUseCases.decide`).
    func decide(_ c: ConsoleRequest) async throws -> Response {
        let id = try roundID(c)
        guard let commitment = Int64(c.segment(4)) else { throw DomainError.notFound("no commitment \(c.segment(4))") }
        return try await routes.change(
            c,
            {
                let decision = try c.form.choice("decision", HerbCommitmentDecision.self, field: "decision")
                _ = try await HerbCommitmentUseCases(database: database).decide(
                    roundID: id, commitmentID: commitment, decision: decision, by: c.principal)
                return ConsoleRoutes.done("/console/herbs/\(id)", "herb_decided")
            },
            again: { refusal, status in try await roundPage(c, refusal: refusal, status: status) })
    }

    /// POST: a manufacturer's bid entered by the lead (`HerbRoundUseCases.bid`): at most the ceiling, of the grade.
    func bid(_ c: ConsoleRequest) async throws -> Response {
        let id = try roundID(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                guard let score = Decimal(string: form.text("score") ?? "", locale: Locale(identifier: "en_US_POSIX"))
                else { throw DomainError.invalid("qualityScore", "is not a number") }
                _ = try await HerbRoundUseCases(database: database).bid(
                    roundID: id,
                    HerbBidDraft(
                        drugCode: form["drug"] ?? "", supplierCode: form.text("supplier") ?? "",
                        unitPrice: try Money.parse(form.text("price") ?? "", field: "unitPrice"), grade: form.text("grade") ?? "",
                        origin: form.text("origin") ?? "", qualityScore: score, qualityReference: form.text("reference") ?? ""),
                    by: c.principal)
                return ConsoleRoutes.done("/console/herbs/\(id)", "herb_bid")
            },
            again: { refusal, status in try await roundPage(c, refusal: refusal, status: status) })
    }

    /// POST: the lab's verdict on a lot (`HerbQualityUseCases.inspect`): each measure typed is judged against the
    /// monograph's limit; a lot outside any limit is rejected and blocked at every member.
    func inspect(_ c: ConsoleRequest) async throws -> Response {
        let id = try roundID(c)
        return try await routes.change(
            c,
            {
                let form = c.form
                var measured: [HerbQualityMeasure: Decimal] = [:]
                var errors: [FieldError] = []
                for measure in HerbQualityMeasure.allCases {
                    guard let text = form.text(measure.rawValue) else { continue }
                    do {
                        measured[measure] = try Quantity.parse(text, field: measure.rawValue, allowZero: true).value
                    } catch let error as DomainError { errors.append(contentsOf: error.fieldErrors) }
                }
                try TransferRules.refuse(errors, "the inspection is refused")
                let day = try form.date("inspected_on", field: "inspectedOn")
                let inspection = try await HerbQualityUseCases(database: database).inspect(
                    roundID: id,
                    HerbInspectionDraft(
                        drugCode: form["drug"] ?? "", lotNumber: form.text("lot") ?? "",
                        supplierCode: form.text("supplier") ?? "",
                        inspectedOn: day, identificationPassed: form["identification"] == "passed", measured: measured),
                    by: c.principal)
                return ConsoleRoutes.done(
                    "/console/herbs/\(id)", inspection.result == .passed ? "herb_inspection_passed" : "herb_inspection_rejected")
            },
            again: { refusal, status in try await roundPage(c, refusal: refusal, status: status) })
    }

    /// The read, or nil when it is not the person's to make (403).
    static func allowed<T>(_ read: () async throws -> T) async throws -> T? {
        do { return try await read() } catch let error as DomainError {
            if case .forbidden = error { return nil }
            throw error
        }
    }
}

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// The catalogue's life in the console (基本用药目录): the pharmacy centre drafts a version (add, change and remove
/// items), puts it to the members, who endorse or object, and publishes it once the quorum is met; everyone reads the
/// versions, the difference between two, the share report and each member's own list. Every change goes through
/// `CatalogueUseCases` or `MemberCatalogueUseCases`, as the API's do.
struct ConsoleCataloguePages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var catalogue: CatalogueUseCases { CatalogueUseCases(database: database) }

    /// The person's consortium, which they may read (404 for a national account, as the API answers).
    func consortium(_ c: ConsoleRequest) async throws -> Consortium {
        let id = try c.principal.scopedConsortiumID(orNotFound: "no catalogue")
        try c.principal.require(.readConsortium(consortiumID: id))
        guard let code = c.principal.consortiumCode,
            let consortium = try await ConsortiumUseCases(database: database).find(code: code)
        else { throw DomainError.notFound("no consortium") }
        return consortium
    }

    // MARK: - The draft (the pharmacy centre's)

    func draft(_ c: ConsoleRequest) async throws -> Response { try await draftPage(c) }

    /// The open version: a draft being edited (its items, the way to add one, propose), or a version put to the
    /// members (who decided what, the quorum, publish or take it back); else the way to open a draft.
    func draftPage(_ c: ConsoleRequest, refusal: ConsoleRefusal? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await consortium(c)
        try c.principal.require(.manageCatalogue(consortiumID: consortium.id))
        let language = c.language
        var values = refusal?.values ?? [:]
        let title = language.word("draft_title")
        guard let open = try await catalogue.versions(consortiumID: consortium.id).last(where: { $0.status != .published })
        else {
            values["draftLine"] = language.word("draft_none")
            values["canOpen"] = true
            return routes.render("draft", values, title: title, c, status: status)
        }
        values["version"] = VersionRow(open, language)
        values["etag"] = open.etag
        values["draftLine"] = language.word(open.status == .draft ? "draft_open" : "draft_proposed")
            .replacingFirst(String(open.number)).replacingFirst(String(open.itemCount))
        if let base = open.basedOn { values["diffHref"] = "/console/catalogue/diff?from=\(base)&to=\(open.number)" }
        try await items(of: open.number, consortium, c, into: &values)
        if open.status == .draft {
            values["editing"] = true
        } else {
            let today = routes.clock.today()
            let standing = try await catalogue.standing(open.number, consortium: consortium, today: today)
            values["standing"] = StandingView(standing, language)
            values["publishFrom"] = c.form["effectiveFrom"] ?? today.adding(days: 1).description
        }
        return routes.render("draft", values, title: title, c, status: status)
    }

    /// A version's items as its pages list them: those the filter (`q`) finds, a page at a time.
    func items(of version: Int, _ consortium: Consortium, _ c: ConsoleRequest, into values: inout [String: Any])
        async throws
    {
        let filter = CatalogueFilter(text: c.query("q"))
        let (pager, found) = try await ConsoleKeysetPager.page(c, key: \.drug.code) { query in
            try await catalogue.entries(version, consortiumID: consortium.id, matching: filter.query(query))
        }
        values["q"] = filter.text ?? ""
        values["items"] = found.map { ItemRow($0, c.language) }
        values["pager"] = pager.view(c)
    }

    func openDraft(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            _ = try await catalogue.openDraft(consortium: try await consortium(c), by: c.principal)
            return ConsoleRoutes.done("/console/catalogue/draft", "draft_opened")
        } again: { refusal, status in
            try await draftPage(c, refusal: refusal, status: status)
        }
    }

    /// Propose (to the members) or reopen (back to drafting), the version the person saw (`etag`).
    func move(to status: CatalogueStatus) -> @Sendable (ConsoleRequest) async throws -> Response {
        { c in
            try await routes.change(c) {
                let consortium = try await consortium(c)
                let version = try await catalogue.move(
                    version: try number(c.form["version"]), to: status, consortiumID: consortium.id,
                    ifMatch: c.form["etag"], by: c.principal)
                return ConsoleRoutes.done(
                    "/console/catalogue/draft", version.status == .proposed ? "version_proposed" : "version_reopened")
            } again: { refusal, code in
                try await draftPage(c, refusal: refusal, status: code)
            }
        }
    }

    func publish(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            let consortium = try await consortium(c)
            guard let from = try BusinessDate.parse(c.form.text("effectiveFrom"), field: "effectiveFrom") else {
                throw DomainError.invalid("effectiveFrom", "is required")
            }
            let version = try await catalogue.publish(
                version: try number(c.form["version"]), consortium: consortium, effectiveFrom: from,
                today: routes.clock.today(), ifMatch: c.form["etag"], by: c.principal)
            return ConsoleRoutes.done("/console/catalogue/versions/\(version.number)", "version_published")
        } again: { refusal, status in
            try await draftPage(c, refusal: refusal, status: status)
        }
    }

    // MARK: - An item of the draft

    /// The item form for a drug code: the drug, whether it needs a justification, the item as the draft has it
    /// (levels, note, justification), and the way to remove it with a reason.
    func draftItem(_ c: ConsoleRequest) async throws -> Response { try await itemPage(c) }

    func itemPage(_ c: ConsoleRequest, refusal: ConsoleRefusal? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await consortium(c)
        try c.principal.require(.manageCatalogue(consortiumID: consortium.id))
        let language = c.language
        let code = (c.form["drugCode"] ?? c.query("code") ?? "").trimmingCharacters(in: .whitespaces)
        guard !code.isEmpty else { return Response.redirect(to: "/console/catalogue/draft", type: .normal) }
        guard let drug = try await DrugUseCases(database: database).find(code: code) else {
            throw DomainError.notFound("no drug \(code)")
        }
        guard let open = try await catalogue.versions(consortiumID: consortium.id).last(where: { $0.status == .draft })
        else { throw DomainError.conflict("there is no draft; open one first") }
        // The items whose code starts with this one (a handful), not the whole version.
        let item = try await catalogue.entries(
            open.number, consortiumID: consortium.id, matching: CatalogueFilter(text: code).query(.all)
        ).entries.first { $0.drug.code == code }?.item
        // After a refused save the form shows what was typed; after a refused removal, the item as it is.
        let posted = refusal != nil && c.request.uri.path.hasSuffix("/draft/item")
        let levels = posted ? Set(c.form.all("levels")) : Set((item?.levels ?? []).map(\.rawValue))
        var values = refusal?.values ?? [:]
        values.merge(
            [
                "drug": DrugRow(drug, language), "version": VersionRow(open, language), "etag": open.etag,
                "inDraft": item != nil,
                "needsJustification": !drug.isEssentialOrInsured,
                "levelChoices": InstitutionLevel.allCases.map {
                    LevelChoice(value: $0.rawValue, label: language.level($0), checked: levels.contains($0.rawValue))
                },
                "note": (posted ? c.form["note"] : item?.note) ?? "",
                "justification": (posted ? c.form["justification"] : item?.justification) ?? "",
                "reason": posted ? c.form["reason"] ?? "" : "",
            ]
        ) { $1 }
        return routes.render("draft_item", values, title: drug.genericName, c, status: status)
    }

    func saveItem(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            let consortium = try await consortium(c)
            let levels = try c.form.all("levels").map { value in
                guard let level = InstitutionLevel(rawValue: value) else {
                    throw DomainError.invalid("levels", "'\(value)' is not a known institution level")
                }
                return level
            }
            let item = CatalogueItem(
                drugCode: c.form.text("drugCode") ?? "", levels: Array(Set(levels)).sorted(by: >),
                note: c.form.text("note"), justification: c.form.text("justification"))
            _ = try await catalogue.putItem(
                item, version: try number(c.form["version"]), consortiumID: consortium.id, ifMatch: c.form["etag"],
                by: c.principal)
            return ConsoleRoutes.done("/console/catalogue/draft", "item_saved")
        } again: { refusal, status in
            try await itemPage(c, refusal: refusal, status: status)
        }
    }

    func removeItem(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            let consortium = try await consortium(c)
            _ = try await catalogue.removeItem(
                drugCode: c.form.text("drugCode") ?? "", version: try number(c.form["version"]),
                consortiumID: consortium.id, reason: c.form["reason"], ifMatch: c.form["etag"], by: c.principal)
            return ConsoleRoutes.done("/console/catalogue/draft", "item_removed")
        } again: { refusal, status in
            try await itemPage(c, refusal: refusal, status: status)
        }
    }

    // MARK: - Versions, endorsement, difference

    func versions(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        let versions = try await catalogue.versions(consortiumID: consortium.id).reversed().map {
            VersionRow($0, c.language)
        }
        let numbers = versions.map(\.number)
        return routes.render(
            "versions",
            [
                "versions": versions, "mayDraft": c.principal.may(.manageCatalogue(consortiumID: consortium.id)),
                "canCompare": numbers.count > 1,
                "fromChoices": numbers.enumerated().map { i, n in NumberChoice(number: n, selected: i == 1) },
                "toChoices": numbers.enumerated().map { i, n in NumberChoice(number: n, selected: i == 0) },
            ], title: c.language.word("versions_title"), c)
    }

    /// A version: its items and the members' decisions; a member's pharmacist endorses or objects here.
    func version(_ c: ConsoleRequest) async throws -> Response {
        guard c.wantsCSV else { return try await versionPage(c) }
        let consortium = try await consortium(c)
        let version = try await catalogue.version(try number(c.segment(3)), consortiumID: consortium.id)
        let all = try await catalogue.entries(
            version.number, consortiumID: consortium.id, matching: CatalogueFilter(text: c.query("q")).query(.all))
        return ConsoleRoutes.catalogueCSV(all.entries, version: version.number, c.language)
    }

    func versionPage(_ c: ConsoleRequest, refusal: ConsoleRefusal? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await consortium(c)
        let language = c.language
        let version = try await catalogue.version(try number(c.segment(3)), consortiumID: consortium.id)
        var values = refusal?.values ?? [:]
        values["version"] = VersionRow(version, language)
        values["csvHref"] = c.csvHref
        try await items(of: version.number, consortium, c, into: &values)
        if let base = version.basedOn { values["diffHref"] = "/console/catalogue/diff?from=\(base)&to=\(version.number)" }
        if version.status != .draft {
            let standing = try await catalogue.standing(version.number, consortium: consortium, today: routes.clock.today())
            values["standing"] = StandingView(standing, language)
        }
        if version.status == .proposed, let institutionID = c.principal.institutionID,
            c.principal.may(.endorseCatalogue(consortiumID: consortium.id, institutionID: institutionID))
        {
            values["mayEndorse"] = true
            values["comment"] = c.form["comment"] ?? ""
            values["objecting"] = c.form["decision"] == EndorsementDecision.object.rawValue
        }
        return routes.render(
            "version", values, title: language.word("version_title").replacingFirst(String(version.number)), c,
            status: status)
    }

    func endorse(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            let consortium = try await consortium(c)
            let number = try number(c.segment(3))
            guard let decision = EndorsementDecision(rawValue: c.form["decision"] ?? "") else {
                throw DomainError.invalid("decision", "is required")
            }
            _ = try await catalogue.endorse(
                version: number, consortiumID: consortium.id, decision: decision, comment: c.form.text("comment"),
                by: c.principal)
            return ConsoleRoutes.done(
                "/console/catalogue/versions/\(number)", decision == .endorse ? "endorsed" : "objected")
        } again: { refusal, status in
            try await versionPage(c, refusal: refusal, status: status)
        }
    }

    /// What one version changes against another (目录调整对照表): added, removed with why, changed before and after.
    /// Without both numbers: the latest version against the one it was based on.
    func diff(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        let language = c.language
        var to = try c.query("to").map { try number($0, field: "to") }
        var from = try c.query("from").map { try number($0, field: "from") }
        if to == nil || from == nil {
            let latest = try await catalogue.versions(consortiumID: consortium.id).last
            to = to ?? latest?.number
            from = from ?? latest?.basedOn
        }
        guard let to, let from else {
            return routes.render(
                "diff", ["line": language.word("diff_none")], title: language.word("diff_title"), c)
        }
        let diff = try await catalogue.diff(to, against: from, consortiumID: consortium.id)
        if c.wantsCSV {
            return ConsoleRoutes.csv(
                CatalogueExport.diffCSV(diff, language: language), ascii: "catalogue-diff-\(from)-\(to).csv",
                named: language.word("csv_diff_name").replacingFirst(String(to)).replacingFirst(String(from)))
        }
        return routes.render(
            "diff",
            [
                "line": language.word("diff_line").replacingFirst(String(to)).replacingFirst(String(from)),
                "added": diff.added.map { ItemRow($0, language) },
                "removed": diff.removed.map { entry in
                    var row = ItemRow(entry, language)
                    row.reason = diff.removalReasons[entry.drug.code] ?? ""
                    return row
                },
                "changed": diff.changed.map {
                    ChangedRow(before: ItemRow($0.before, language), after: ItemRow($0.after, language))
                },
                "counts": language.word("diff_counts").replacingFirst(String(diff.added.count))
                    .replacingFirst(String(diff.removed.count)).replacingFirst(String(diff.changed.count)),
                "csvHref": c.csvHref,
                "printTitle": language.word("print_title").replacingFirst(consortium.name),
                "printedOn": language.word("print_on").replacingFirst(ConsoleFormat.date(routes.clock.today(), language)),
            ], title: language.word("diff_title"), c)
    }

    // MARK: - The share report and members' own lists

    func report(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await consortium(c)
        let language = c.language
        let today = routes.clock.today()
        let report = try await MemberCatalogueUseCases(database: database).report(consortiumID: consortium.id, on: today)
        return routes.render(
            "report",
            [
                "line": report.version.map {
                    language.word("report_line").replacingFirst(String($0)).replacingFirst(ConsoleFormat.date(today, language))
                } ?? language.word("catalogue_none"),
                "categories": report.categories.map { ShareRow($0, language) },
                "members": report.members.map { MemberRow($0, language) },
            ], title: language.word("report_title"), c)
    }

    /// A member's list in effect: the consortium catalogue as its level allows, or its own list, and what of it is out
    /// of line; its pharmacist (or the centre) replaces its own list here.
    func member(_ c: ConsoleRequest) async throws -> Response { try await memberPage(c) }

    func memberPage(_ c: ConsoleRequest, refusal: ConsoleRefusal? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let institution = try await memberInstitution(c)
        let language = c.language
        let list = try await MemberCatalogueUseCases(database: database).get(institution: institution, on: routes.clock.today())
        let pager = ConsolePager(c, total: list.drugs.count)
        var values = refusal?.values ?? [:]
        values.merge(
            [
                "institution": "\(institution.code) \(institution.name)",
                "line": language.word(list.usesConsortiumCatalogue ? "member_uses_consortium" : "member_own_list")
                    .replacingFirst(list.consortiumVersion.map(String.init) ?? "—").replacingFirst(String(list.drugs.count)),
                "drugs": pager.rows(list.drugs).map { DrugRow($0, language) }, "pager": pager.view(c) as Any,
                "outOfLine": list.outOfLine.map { "\($0.field)：\(language.message($0.reason))" },
                "hasOutOfLine": !list.outOfLine.isEmpty,
                "etag": list.etag, "code": institution.code,
                "drugCodes": c.form["drugCodes"]
                    ?? (list.usesConsortiumCatalogue ? "" : list.drugs.map(\.code).joined(separator: "\n")),
            ]
        ) { $1 }
        if c.principal.may(.editMemberCatalogue(consortiumID: institution.consortiumID, institutionID: institution.id)) {
            values["mayEdit"] = true
        }
        return routes.render("member", values, title: institution.name, c, status: status)
    }

    func replaceMemberList(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            let institution = try await memberInstitution(c)
            let codes = (c.form["drugCodes"] ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == "，" })
                .map(String.init)
            _ = try await MemberCatalogueUseCases(database: database).put(
                institution: institution, drugCodes: codes, today: routes.clock.today(), ifMatch: c.form["etag"],
                by: c.principal)
            return ConsoleRoutes.done("/console/catalogue/members/\(institution.code)", "member_list_saved")
        } again: { refusal, status in
            try await memberPage(c, refusal: refusal, status: status)
        }
    }

    /// The institution of the address, when it is of the person's consortium (404 otherwise, as the API answers).
    func memberInstitution(_ c: ConsoleRequest) async throws -> Institution {
        let code = c.segment(-1)
        guard let institution = try await InstitutionUseCases(database: database).find(code: code, for: c.principal),
            c.principal.may(.readConsortium(consortiumID: institution.consortiumID))
        else { throw DomainError.notFound("no institution \(code)") }
        return institution
    }

    /// A version number from a form or the address.
    func number(_ text: String?, field: String = "version") throws -> Int {
        guard let text, let number = Int(text), number > 0 else {
            throw DomainError.invalid(field, "must be a positive whole number")
        }
        return number
    }
}

// MARK: - View models

/// A catalogue version in a list or a heading.
struct VersionRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "number": \.number, "status": \.status, "isDraft": \.isDraft, "isProposed": \.isProposed, "basedOn": \.basedOn,
        "effectiveFrom": \.effectiveFrom, "itemCount": \.itemCount, "href": \.href,
    ]

    var number: Int
    var status: String
    var isDraft: Bool
    var isProposed: Bool
    var basedOn: String
    var effectiveFrom: String
    var itemCount: Int
    var href: String

    init(_ version: CatalogueVersion, _ language: ConsoleLanguage) {
        number = version.number
        status = language.word("version_" + version.status.rawValue)
        isDraft = version.status == .draft
        isProposed = version.status == .proposed
        basedOn = version.basedOn.map(String.init) ?? "—"
        effectiveFrom = version.effectiveFrom.map { ConsoleFormat.date($0, language) } ?? "—"
        itemCount = version.itemCount
        href = "/console/catalogue/versions/\(version.number)"
    }
}

/// An item of a version with its drug, its levels, note and justification (and why it went, in a difference).
struct ItemRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "code": \.code, "name": \.name, "dosageForm": \.dosageForm, "strength": \.strength, "levels": \.levels, "note": \.note,
        "justification": \.justification, "reason": \.reason, "editHref": \.editHref,
    ]

    var code: String
    var name: String
    var dosageForm: String
    var strength: String
    var levels: String
    var note: String
    var justification: String
    var reason = ""
    var editHref: String

    init(_ entry: CatalogueEntry, _ language: ConsoleLanguage) {
        code = entry.drug.code
        name = entry.drug.genericName
        dosageForm = entry.drug.dosageForm
        strength = entry.drug.strength ?? ""
        levels = language.levels(entry.item.levels)
        note = entry.item.note ?? ""
        justification = entry.item.justification ?? ""
        editHref =
            "/console/catalogue/draft/item?code=" + (code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }
}

struct ChangedRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = ["before": \.before, "after": \.after]

    var before: ItemRow
    var after: ItemRow
}

struct LevelChoice: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = ["value": \.value, "label": \.label, "checked": \.checked]

    var value: String
    var label: String
    var checked: Bool
}

struct NumberChoice: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = ["number": \.number, "selected": \.selected]

    var number: Int
    var selected: Bool
}

/// Where a version stands against publication, in words: the lead, the quorum, the objections, and each
/// institution's decision.
struct StandingView: Equatable {
    var leadLine: String
    var quorumLine: String
    var objectionsLine: String
    var ready: Bool
    var decisions: [Decision]

    struct Decision: Equatable, ConsoleViewModel {
        static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
            "institutionCode": \.institutionCode, "isLead": \.isLead, "decision": \.decision, "objected": \.objected,
            "comment": \.comment, "recordedAt": \.recordedAt,
        ]

        var institutionCode: String
        var isLead: Bool
        var decision: String
        var objected: Bool
        var comment: String
        var recordedAt: String
    }

    init(_ standing: CatalogueUseCases.Standing, _ language: ConsoleLanguage) {
        let check = standing.check
        leadLine = language.word(check.leadEndorsed ? "standing_lead_yes" : "standing_lead_no")
            .replacingFirst(standing.lead ?? "—")
        quorumLine = language.word("standing_quorum").replacingFirst(String(check.endorsements))
            .replacingFirst(String(check.required)).replacingFirst(language.quorum(standing.quorum))
        objectionsLine =
            check.openObjections.isEmpty
            ? language.word("standing_no_objections")
            : language.word("standing_objections").replacingFirst(check.openObjections.joined(separator: "、"))
        ready = check.problems.isEmpty
        decisions = standing.decisions.map { code, record in
            Decision(
                institutionCode: code, isLead: code == standing.lead,
                decision: record.map { language.word("decision_" + $0.decision.rawValue) } ?? language.word("decision_none"),
                objected: record?.decision == .object, comment: record?.comment ?? "",
                recordedAt: record.map { ConsoleFormat.time($0.recordedAt, language) } ?? "")
        }
    }
}

/// A category's line of the share report: items, how many essential and insured, and their shares.
struct ShareRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "category": \.category, "items": \.items, "essential": \.essential, "essentialShare": \.essentialShare,
        "insured": \.insured, "insuredShare": \.insuredShare,
    ]

    var category: String
    var items: Int
    var essential: Int
    var essentialShare: String
    var insured: Int
    var insuredShare: String

    init(_ share: MemberCatalogueStore.CategoryShare, _ language: ConsoleLanguage) {
        category = DrugCategory(rawValue: share.category).map(language.category) ?? share.category
        items = share.items
        essential = share.essential
        insured = share.insured
        essentialShare = ConsoleFormat.percent(Share.fraction(share.essential, of: share.items))
        insuredShare = ConsoleFormat.percent(Share.fraction(share.insured, of: share.items))
    }
}

/// A member's line of the share report.
struct MemberRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "code": \.code, "level": \.level, "list": \.list, "items": \.items, "outOfLine": \.outOfLine, "href": \.href,
    ]

    var code: String
    var level: String
    var list: String
    var items: Int
    var outOfLine: Int
    var href: String

    init(_ member: MemberCatalogueStore.MemberSummary, _ language: ConsoleLanguage) {
        code = member.institutionCode
        level = InstitutionLevel(rawValue: member.level).map(language.level) ?? member.level
        list = language.word(member.usesConsortiumCatalogue ? "list_consortium" : "list_own")
        items = member.items
        outOfLine = member.outOfLine
        href = "/console/catalogue/members/" + member.institutionCode
    }
}

internal import Foundation
import NIOCore
internal import OpenAPIRuntime
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.CatalogueVersion {
    init(_ v: CatalogueVersion) throws {
        self.init(
            number: v.number, status: try convert(v.status), basedOn: v.basedOn, effectiveFrom: v.effectiveFrom?.description,
            itemCount: v.itemCount, etag: v.etag)
    }
}

extension Components.Schemas.CatalogueEntry {
    init(_ e: CatalogueEntry) throws {
        self.init(
            drugCode: e.drug.code, genericName: e.drug.genericName, dosageForm: e.drug.dosageForm, strength: e.drug.strength,
            category: try convert(e.drug.category), essential: !e.drug.essentialEditions.isEmpty,
            insuranceClass: try convert(e.drug.insuranceClass), levels: try e.item.levels.map { try convert($0) },
            note: e.item.note, justification: e.item.justification)
    }
}

extension Components.Schemas.CatalogueInEffect {
    /// A consortium's version in effect with its items (the generated route and the direct one's kept answer).
    init(_ consortium: Consortium, _ version: CatalogueVersion, _ entries: [CatalogueEntry]) throws {
        self.init(
            consortiumCode: consortium.code, version: version.number, effectiveFrom: version.effectiveFrom?.description ?? "",
            items: try entries.map(Components.Schemas.CatalogueEntry.init))
    }
}

extension Components.Schemas.Endorsement {
    init(_ e: EndorsementRecord) throws {
        self.init(
            institutionCode: e.institutionCode, decision: try convert(e.decision), comment: e.comment, recordedAt: e.recordedAt)
    }
}

extension APIHandler {
    var catalogue: CatalogueUseCases { CatalogueUseCases(database: database) }
    var memberCatalogues: MemberCatalogueUseCases { MemberCatalogueUseCases(database: database) }

    func date(_ on: String?) throws -> BusinessDate {
        try BusinessDate.parse(on, field: "on") ?? today
    }

    /// An institution of the caller's consortium (others answer 404).
    func visibleInstitution(_ code: String, for principal: Principal) async throws -> Institution {
        try visible(try await institutions.find(code: code, for: principal), code: code, for: principal)
    }

    /// `visibleInstitution`'s check of an institution already read.
    func visible(_ institution: Institution?, code: String, for principal: Principal) throws -> Institution {
        guard let institution, principal.may(.readConsortium(consortiumID: institution.consortiumID))
        else { throw DomainError.notFound("no institution \(code)") }
        return institution
    }

    /// The version in effect on a day (today when nil) and its items; 404 when none is.
    private func versionInEffect(code: String, on: String?) async throws
        -> (Consortium, CatalogueVersion, [CatalogueEntry])
    {
        let principal = try RequestPrincipal.require()
        let on = try date(on)
        let consortium = try await visibleConsortium(code, for: principal)
        guard let (version, entries) = try await catalogue.inEffect(consortiumID: consortium.id, on: on) else {
            throw DomainError.notFound("no catalogue version of \(consortium.code) is in effect on \(on)")
        }
        return (consortium, version, entries)
    }

    /// The catalogue in effect as JSON, for the generated route.
    func catalogueInEffect(code: String, on: String?) async throws -> Components.Schemas.CatalogueInEffect {
        let (consortium, version, entries) = try await versionInEffect(code: code, on: on)
        return try .init(consortium, version, entries)
    }

    /// The catalogue in effect today as compact JSON (`DirectGetRoute.catalogueInEffect`): the answer this server
    /// wrote last for the consortium while the version in effect and the drugs are the same
    /// (`CatalogueInEffectAnswers`).
    func catalogueInEffectToday(code: String) async throws -> ByteBuffer {
        let principal = try RequestPrincipal.require()
        let today = today
        let consortium = try await visibleConsortium(code, for: principal)
        let answers = catalogueAnswers
        guard
            let json = try await catalogue.inEffect(
                consortiumID: consortium.id, on: today,
                kept: { answers.answer(consortiumID: consortium.id, at: $0) },
                make: { stamp, version, entries in
                    let json = try Components.Schemas.CatalogueInEffect(consortium, version, entries).json
                    answers.keep(json, consortiumID: consortium.id, at: stamp)
                    return json
                })
        else { throw DomainError.notFound("no catalogue version of \(consortium.code) is in effect on \(today)") }
        return json
    }

    func getCatalogueInEffect(_ input: Operations.GetCatalogueInEffect.Input) async throws
        -> Operations.GetCatalogueInEffect.Output
    {
        switch input.query.format ?? .json {
        case .json:
            return .ok(.init(body: .json(try await catalogueInEffect(code: input.path.code, on: input.query.on))))
        case .csv:
            let (_, version, entries) = try await versionInEffect(code: input.path.code, on: input.query.on)
            return .ok(
                .init(
                    headers: .init(
                        contentDisposition: CatalogueExport.disposition(
                            ascii: "catalogue-\(version.number).csv", named: "基本用药目录-第\(version.number)版.csv")),
                    body: .csv(HTTPBody(CatalogueExport.csv(entries)))))
        case .fhir:
            let (consortium, version, entries) = try await versionInEffect(code: input.path.code, on: input.query.on)
            let data = try CatalogueExport.fhir(consortium: consortium.code, version: version.number, entries: entries)
            let object = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: data)
            return .ok(.init(body: .applicationFhirJson(.init(additionalProperties: object))))
        }
    }

    func listCatalogueVersions(_ input: Operations.ListCatalogueVersions.Input) async throws
        -> Operations.ListCatalogueVersions.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let versions = try await catalogue.versions(consortiumID: consortium.id)
        return .ok(.init(body: .json(.init(items: try versions.map(Components.Schemas.CatalogueVersion.init)))))
    }

    func openCatalogueDraft(_ input: Operations.OpenCatalogueDraft.Input) async throws -> Operations.OpenCatalogueDraft.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let draft = try await catalogue.openDraft(consortium: consortium, by: principal)
        return .created(.init(headers: .init(eTag: draft.etag), body: .json(try .init(draft))))
    }

    func getCatalogueVersion(_ input: Operations.GetCatalogueVersion.Input) async throws -> Operations.GetCatalogueVersion.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let version = try await catalogue.version(input.path.number, consortiumID: consortium.id)
        let entries = try await catalogue.entries(version.number, consortiumID: consortium.id)
        let endorsements = try await catalogue.endorsements(version.number, consortiumID: consortium.id)
        return .ok(
            .init(
                headers: .init(eTag: version.etag),
                body: .json(
                    .init(
                        version: try .init(version), items: try entries.map(Components.Schemas.CatalogueEntry.init),
                        endorsements: try endorsements.map(Components.Schemas.Endorsement.init)))))
    }

    func putCatalogueItem(_ input: Operations.PutCatalogueItem.Input) async throws -> Operations.PutCatalogueItem.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let levels: [InstitutionLevel] = try (body.levels ?? []).map { try convert($0) }
        let item = CatalogueItem(
            drugCode: input.path.drugCode, levels: Array(Set(levels)).sorted(by: >), note: body.note,
            justification: body.justification)
        let version = try await catalogue.putItem(
            item, version: input.path.number, consortiumID: consortium.id, ifMatch: input.headers.ifMatch, by: principal)
        return .ok(.init(headers: .init(eTag: version.etag), body: .json(try .init(version))))
    }

    func removeCatalogueItem(_ input: Operations.RemoveCatalogueItem.Input) async throws -> Operations.RemoveCatalogueItem.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let version = try await catalogue.removeItem(
            drugCode: input.path.drugCode, version: input.path.number, consortiumID: consortium.id,
            reason: input.query.reason, ifMatch: input.headers.ifMatch, by: principal)
        return .ok(.init(headers: .init(eTag: version.etag), body: .json(try .init(version))))
    }

    func proposeCatalogueVersion(_ input: Operations.ProposeCatalogueVersion.Input) async throws
        -> Operations.ProposeCatalogueVersion.Output
    {
        .ok(try await moveVersion(input.path.code, input.path.number, to: .proposed, ifMatch: input.headers.ifMatch))
    }

    func reopenCatalogueVersion(_ input: Operations.ReopenCatalogueVersion.Input) async throws
        -> Operations.ReopenCatalogueVersion.Output
    {
        .ok(try await moveVersion(input.path.code, input.path.number, to: .draft, ifMatch: input.headers.ifMatch))
    }

    private func moveVersion(
        _ code: String, _ number: Int, to status: CatalogueStatus, ifMatch: String?
    ) async throws -> Components.Responses.CatalogueVersionChanged {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(code, for: principal)
        let version = try await catalogue.move(
            version: number, to: status, consortiumID: consortium.id, ifMatch: ifMatch, by: principal)
        return .init(headers: .init(eTag: version.etag), body: .json(try .init(version)))
    }

    func listCatalogueEndorsements(_ input: Operations.ListCatalogueEndorsements.Input) async throws
        -> Operations.ListCatalogueEndorsements.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        _ = try await catalogue.version(input.path.number, consortiumID: consortium.id)
        let items = try await catalogue.endorsements(input.path.number, consortiumID: consortium.id)
        return .ok(.init(body: .json(.init(items: try items.map(Components.Schemas.Endorsement.init)))))
    }

    func recordCatalogueEndorsement(_ input: Operations.RecordCatalogueEndorsement.Input) async throws
        -> Operations.RecordCatalogueEndorsement.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let record = try await catalogue.endorse(
            version: input.path.number, consortiumID: consortium.id, decision: try convert(body.decision),
            comment: body.comment, by: principal)
        return .ok(.init(body: .json(try .init(record))))
    }

    func publishCatalogueVersion(_ input: Operations.PublishCatalogueVersion.Input) async throws
        -> Operations.PublishCatalogueVersion.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let effectiveFrom = try BusinessDate.parse(body.effectiveFrom, field: "effectiveFrom") else {
            throw DomainError.invalid("effectiveFrom", "is required")
        }
        let version = try await catalogue.publish(
            version: input.path.number, consortium: consortium, effectiveFrom: effectiveFrom, today: today,
            ifMatch: input.headers.ifMatch, by: principal)
        return .ok(.init(headers: .init(eTag: version.etag), body: .json(try .init(version))))
    }

    func diffCatalogueVersions(_ input: Operations.DiffCatalogueVersions.Input) async throws
        -> Operations.DiffCatalogueVersions.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let diff = try await catalogue.diff(input.path.number, against: input.query.against, consortiumID: consortium.id)
        typealias Entry = Components.Schemas.CatalogueEntry
        return .ok(
            .init(
                body: .json(
                    .init(
                        version: input.path.number, against: input.query.against,
                        added: try diff.added.map(Entry.init), removed: try diff.removed.map(Entry.init),
                        removalReasons: diff.removalReasons.isEmpty ? nil : .init(additionalProperties: diff.removalReasons),
                        changed: try diff.changed.map { .init(before: try Entry($0.before), after: try Entry($0.after)) }))))
    }

    func getCatalogueReport(_ input: Operations.GetCatalogueReport.Input) async throws -> Operations.GetCatalogueReport.Output {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let report = try await memberCatalogues.report(consortiumID: consortium.id, on: on)
        return .ok(
            .init(
                body: .json(
                    .init(
                        consortiumCode: consortium.code, on: on.description, version: report.version,
                        categories: try report.categories.map {
                            .init(
                                category: try convert(DrugCategory(rawValue: $0.category) ?? .western), items: $0.items,
                                essential: $0.essential, insured: $0.insured,
                                essentialShare: Share.fraction($0.essential, of: $0.items),
                                insuredShare: Share.fraction($0.insured, of: $0.items))
                        },
                        members: try report.members.map {
                            .init(
                                institutionCode: $0.institutionCode,
                                level: try convert(InstitutionLevel(rawValue: $0.level) ?? .primary),
                                usesConsortiumCatalogue: $0.usesConsortiumCatalogue, items: $0.items, outOfLine: $0.outOfLine)
                        }))))
    }

    func listOutOfLineMemberItems(_ input: Operations.ListOutOfLineMemberItems.Input) async throws
        -> Operations.ListOutOfLineMemberItems.Output
    {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let items = try await memberCatalogues.outOfLine(consortiumID: consortium.id, on: on)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try items.map {
                            .init(
                                institutionCode: $0.institutionCode, drugCode: $0.drugCode,
                                reason: try convert(OutOfLineReason(rawValue: $0.reason)))
                        }))))
    }

    func getMemberCatalogue(_ input: Operations.GetMemberCatalogue.Input) async throws -> Operations.GetMemberCatalogue.Output {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let institution = try await visibleInstitution(input.path.code, for: principal)
        let list = try await memberCatalogues.get(institution: institution, on: on)
        return .ok(.init(headers: .init(eTag: list.etag), body: .json(try .init(list))))
    }

    func putMemberCatalogue(_ input: Operations.PutMemberCatalogue.Input) async throws -> Operations.PutMemberCatalogue.Output {
        let principal = try RequestPrincipal.require()
        let institution = try await visibleInstitution(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let list = try await memberCatalogues.put(
            institution: institution, drugCodes: body.drugCodes, today: today, ifMatch: input.headers.ifMatch, by: principal)
        return .ok(.init(headers: .init(eTag: list.etag), body: .json(try .init(list))))
    }

    func checkReferralMedication(_ input: Operations.CheckReferralMedication.Input) async throws
        -> Operations.CheckReferralMedication.Output
    {
        let principal = try RequestPrincipal.require()
        try principal.require(.runDeskChecks)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        _ = try await visibleInstitution(body.sendingInstitutionCode, for: principal)
        let receiving = try await visibleInstitution(body.receivingInstitutionCode, for: principal)
        let answers = try await memberCatalogues.medicationCheck(receiving: receiving, drugCodes: body.drugCodes, on: today)
        // An open shortage of a drug the receiver holds is mentioned, never refused (issue 22).
        let short = try await shortageActions.openShortages(
            drugCodes: answers.filter(\.heldByReceiver).map(\.drugCode), consortiumID: receiving.consortiumID)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try answers.map {
                            .init(
                                drugCode: $0.drugCode, known: $0.known, heldByReceiver: $0.heldByReceiver,
                                alternatives: try $0.alternatives.map(Components.Schemas.Drug.init),
                                shortage: try ($0.heldByReceiver ? short[$0.drugCode] : nil).map(
                                    Components.Schemas.ShortageMention.init))
                        }))))
    }
}

/// The reasons a member's item is out of line, as the contract names them.
enum OutOfLineReason: String {
    case notInCatalogue = "not_in_catalogue"
    case levelNotAllowed = "level_not_allowed"

    init(rawValue: String) {
        self = rawValue == "level_not_allowed" ? .levelNotAllowed : .notInCatalogue
    }
}

extension Components.Schemas.MemberCatalogue {
    init(_ m: MemberCatalogue) throws {
        self.init(
            institutionCode: m.institution.code, usesConsortiumCatalogue: m.usesConsortiumCatalogue,
            consortiumVersion: m.consortiumVersion, etag: m.etag, items: try m.drugs.map(Components.Schemas.Drug.init),
            outOfLine: m.outOfLine.map { .init(field: $0.field, reason: $0.reason) })
    }
}

extension APIHandler {
    /// Who has not endorsed a version put to the members (issue 19.12).
    func listPendingEndorsements(_ input: Operations.ListPendingEndorsements.Input) async throws
        -> Operations.ListPendingEndorsements.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await catalogue.pendingEndorsements(
            input.path.number, consortium: consortium, status: try convert(input.query.status), by: principal, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map {
                            .init(
                                institutionCode: $0.institutionCode, institutionName: $0.institutionName,
                                level: try convert($0.level),
                                isLead: $0.isLead, status: try convert($0.status), comment: $0.comment, recordedAt: $0.recordedAt)
                        },
                        nextCursor: result.nextCursor))))
    }
}

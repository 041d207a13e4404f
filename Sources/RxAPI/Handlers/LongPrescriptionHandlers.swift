internal import Foundation
internal import OpenAPIRuntime
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.LongPrescription {
    init(_ p: IssuedPrescription) throws {
        self.init(
            id: p.id, institutionCode: p.institutionCode, patientRef: p.patientRef, drugCode: p.drugCode,
            dailyDose: "\(p.dailyDose)", days: p.days, quantity: "\(p.quantity)", startDate: p.startDate.description,
            status: try convert(LongPrescriptionStatus(rawValue: p.status) ?? .active), endReason: p.endReason,
            maxFills: p.maxFills,
            minDaysBetweenFills: p.minDaysBetweenFills, validityDays: p.validityDays, dispensed: "\(p.dispensed)", fills: p.fills)
    }
}

enum LongPrescriptionStatus: String { case active, ended }

extension Components.Schemas.LongPrescriptionRuleSet {
    init(_ r: LongPrescriptionRuleSet) {
        self.init(
            effectiveFrom: r.effectiveFrom.description,
            conditions: r.conditions.map {
                .init(
                    icdFrom: $0.icdFrom, icdTo: $0.icdTo, name: $0.name, maxDays: $0.maxDays,
                    allowsAntimicrobials: $0.allowsAntimicrobials)
            },
            maxDaysByLevel: .init(
                tertiary: r.maxDaysByLevel[.tertiary], secondary: r.maxDaysByLevel[.secondary],
                primary: r.maxDaysByLevel[.primary],
                village: r.maxDaysByLevel[.village]),
            requiresFamilyDoctorContract: r.requiresFamilyDoctorContract, maxAssessmentAgeDays: r.maxAssessmentAgeDays,
            supplyOnHandToleranceDays: r.supplyOnHandToleranceDays, excludedDrugs: r.excludedDrugs.sorted())
    }

    func domain() throws -> LongPrescriptionRuleSet {
        guard let from = try BusinessDate.parse(effectiveFrom, field: "effectiveFrom") else {
            throw DomainError.invalid("effectiveFrom", "is required")
        }
        var levels: [InstitutionLevel: Int] = [:]
        levels[.tertiary] = maxDaysByLevel.tertiary
        levels[.secondary] = maxDaysByLevel.secondary
        levels[.primary] = maxDaysByLevel.primary
        levels[.village] = maxDaysByLevel.village
        return LongPrescriptionRuleSet(
            effectiveFrom: from,
            conditions: conditions.map {
                QualifyingCondition(
                    icdFrom: $0.icdFrom, icdTo: $0.icdTo, name: $0.name, maxDays: $0.maxDays,
                    allowsAntimicrobials: $0.allowsAntimicrobials ?? false)
            },
            maxDaysByLevel: levels, requiresFamilyDoctorContract: requiresFamilyDoctorContract,
            maxAssessmentAgeDays: maxAssessmentAgeDays, supplyOnHandToleranceDays: supplyOnHandToleranceDays,
            excludedDrugs: Set(excludedDrugs ?? []))
    }
}

extension APIHandler {
    func patient(_ p: Components.Schemas.LongPrescriptionPatient) throws -> LongPrescriptionRules.Patient {
        LongPrescriptionRules.Patient(
            hasFamilyDoctorContract: p.familyDoctorContract,
            diagnoses: try p.diagnoses.enumerated().map { i, d in
                .init(
                    icd: d.icd, stable: d.stable,
                    lastAssessedOn: try BusinessDate.parse(d.lastAssessedOn, field: "patient.diagnoses[\(i)].lastAssessedOn"))
            },
            goodAdherence: p.goodAdherence)
    }

    /// An item already held to the contract by `LongPrescriptionInput.validate`.
    func item(_ i: Components.Schemas.LongPrescriptionItemInput, field: String) throws -> LongPrescriptionRequest.Item {
        guard let dose = LongPrescriptionInput.positiveQuantity(i.dailyDose) else {
            let reason = "not a quantity above zero"
            throw DomainError.badRequest(
                "\(field).dailyDose: \(reason)", [FieldError(field: "\(field).dailyDose", reason: reason)])
        }
        return .init(
            drugCode: i.drugCode, dailyDose: dose, days: i.days,
            assessmentRecorded: i.assessmentRecorded ?? false, patientConfirmed: i.patientConfirmed ?? false)
    }

    func getLongPrescriptionRules(_ input: Operations.GetLongPrescriptionRules.Input) async throws
        -> Operations.GetLongPrescriptionRules.Output
    {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard let rules = try await longPrescriptions.ruleSet(consortiumID: consortium.id, on: on) else {
            throw DomainError.notFound("no long-prescription rules are in effect on \(on)")
        }
        return .ok(.init(body: .json(.init(rules))))
    }

    func createLongPrescriptionRules(_ input: Operations.CreateLongPrescriptionRules.Input) async throws
        -> Operations.CreateLongPrescriptionRules.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let rules = try body.domain()
        try await longPrescriptions.createRuleSet(rules, consortium: consortium, by: principal)
        return .created(.init(body: .json(.init(rules))))
    }

    func registerPrescriber(_ input: Operations.RegisterPrescriber.Input) async throws -> Operations.RegisterPrescriber.Output {
        let principal = try RequestPrincipal.require()
        _ = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let institution = try await visibleInstitution(body.institutionCode, for: principal)
        try await longPrescriptions.registerPrescriber(
            pseudonym: body.pseudonym, institution: institution, title: try convert(body.title), by: principal)
        return .created(.init(body: .json(body)))
    }

    func checkLongPrescription(_ input: Operations.CheckLongPrescription.Input) async throws
        -> Operations.CheckLongPrescription.Output
    {
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        return .ok(.init(body: .json(try await checkLongPrescription(body))))
    }

    /// The desk check itself, for the generated route and for `LongPrescriptionCheckRoute`.
    func checkLongPrescription(_ body: Components.Schemas.LongPrescriptionCheckInput) async throws
        -> Components.Schemas.LongPrescriptionCheckResult
    {
        let principal = try RequestPrincipal.require()
        let (_, result) = try await longPrescriptions.deskCheck(
            by: principal, businessDate: try BusinessDate.parse(body.businessDate, field: "businessDate"), today: today,
            cache: longPrescriptionContexts
        ) {
            try LongPrescriptionInput.validate(
                prescriber: body.prescriber, patientRef: body.patient.ref,
                items: body.items.enumerated().map { .init(field: "items[\($0)]", dailyDose: $1.dailyDose, days: $1.days) })
            return LongPrescriptionRequest(
                institutionCode: body.institutionCode, prescriberPseudonym: body.prescriber, patientRef: body.patient.ref,
                patient: try patient(body.patient), items: try body.items.enumerated().map { try item($1, field: "items[\($0)]") }
            )
        }
        let consortiumID = try principal.scopedConsortiumID(orNotFound: "no consortium")
        // An open shortage of a drug the check approves is mentioned, never refused (issue 22).
        let short = try await shortageActions.openShortages(
            drugCodes: result.answers.filter(\.eligible).map(\.drugCode), consortiumID: consortiumID)
        return .init(
            decision: try convert(result.decision),
            items: try result.answers.map {
                .init(
                    drugCode: $0.drugCode, eligible: $0.eligible, daysAsked: $0.daysAsked, maxDays: $0.maxDays,
                    quantity: "\($0.quantity)",
                    reasons: $0.reasons.map { .init(code: $0.code, zh: $0.zh, en: $0.en) },
                    shortage: try ($0.eligible ? short[$0.drugCode] : nil).map(Components.Schemas.ShortageMention.init))
            })
    }

    func issueLongPrescription(_ input: Operations.IssueLongPrescription.Input) async throws
        -> Operations.IssueLongPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        try LongPrescriptionInput.validate(
            prescriber: body.prescriber, patientRef: body.patient.ref,
            items: [.init(field: "item", dailyDose: body.item.dailyDose, days: body.item.days)],
            maxFills: body.maxFills, minDaysBetweenFills: body.minDaysBetweenFills, validityDays: body.validityDays)
        let request = LongPrescriptionRequest(
            institutionCode: body.institutionCode, prescriberPseudonym: body.prescriber, patientRef: body.patient.ref,
            patient: try patient(body.patient), items: [try item(body.item, field: "item")])
        let issued = try await longPrescriptions.issue(
            request, consortiumID: try principal.scopedConsortiumID(orNotFound: "no consortium"), maxFills: body.maxFills ?? 3,
            minDaysBetweenFills: body.minDaysBetweenFills ?? 0,
            validityDays: body.validityDays ?? 90, idempotencyKey: input.headers.idempotencyKey,
            businessDate: try BusinessDate.parse(body.businessDate, field: "businessDate"), today: today, by: principal,
            cache: longPrescriptionContexts)
        return .created(.init(body: .json(try .init(issued))))
    }

    func getLongPrescription(_ input: Operations.GetLongPrescription.Input) async throws -> Operations.GetLongPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        return .ok(
            .init(
                body: .json(
                    try .init(
                        try await longPrescriptions.prescription(
                            id: input.path.id,
                            consortiumID: try principal.scopedConsortiumID(orNotFound: "no long prescription \(input.path.id)"))))
            ))
    }

    func fillLongPrescription(_ input: Operations.FillLongPrescription.Input) async throws
        -> Operations.FillLongPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let filled = try await longPrescriptions.fill(
            id: input.path.id, quantity: try quantity(body.quantity, field: "quantity"),
            filledOn: try BusinessDate.parse(body.filledOn, field: "filledOn") ?? today,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no long prescription \(input.path.id)"), by: principal)
        return .created(.init(body: .json(try .init(filled))))
    }

    func endLongPrescription(_ input: Operations.EndLongPrescription.Input) async throws -> Operations.EndLongPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let ended = try await longPrescriptions.end(
            id: input.path.id, reason: LongPrescriptionUseCases.EndReason(rawValue: body.reason.rawValue) ?? .other,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no long prescription \(input.path.id)"), today: today,
            by: principal)
        return .ok(.init(body: .json(try .init(ended))))
    }

    func getLongPrescriptionRecord(_ input: Operations.GetLongPrescriptionRecord.Input) async throws
        -> Operations.GetLongPrescriptionRecord.Output
    {
        let principal = try RequestPrincipal.require()
        let json = try await longPrescriptions.record(
            id: input.path.id,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no long prescription \(input.path.id)"), today: today)
        let object = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(json.utf8))
        return .ok(.init(body: .json(.init(additionalProperties: object))))
    }

    func voidLongPrescription(_ input: Operations.VoidLongPrescription.Input) async throws
        -> Operations.VoidLongPrescription.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let voided = try await longPrescriptions.void(
            id: input.path.id, reason: body.reason,
            consortiumID: try principal.scopedConsortiumID(orNotFound: "no long prescription \(input.path.id)"), today: today,
            by: principal)
        return .ok(.init(body: .json(try .init(voided))))
    }
}

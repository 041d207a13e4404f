internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// The long-prescription desk (长处方) for prescribers: the check form (patient pseudonym, diagnoses, drugs with
/// dose and days, assessment and confirmation), the decision with each reason and the days granted, issuing an
/// approved item, a patient's prescriptions across the consortium, and ending one with a reason. The check and the
/// issue are `LongPrescriptionUseCases`' (as the API's), the form's shape is `LongPrescriptionInput`'s.
struct ConsoleLongPrescriptionPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var longPrescriptions: LongPrescriptionUseCases { LongPrescriptionUseCases(database: database) }

    /// Rows of the form: enough for the chronic diseases and drugs of one visit.
    static let diagnosisRows = 3
    static let itemRows = 4

    func desk(_ c: ConsoleRequest) async throws -> Response {
        try c.principal.require(.runDeskChecks)
        return try await deskPage(c, form: DeskForm(c), result: nil)
    }

    func deskPage(
        _ c: ConsoleRequest, form: DeskForm, result: DeskResult?, refusal: ConsoleRefusal? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var values = refusal?.values ?? [:]
        values["form"] = form.view(refusal: refusal, language: c.language)
        if let result { values["result"] = result }
        return routes.render("desk", values, title: c.language.word("desk_title"), c, status: status)
    }

    /// Runs the check and shows the decision beside the form, as the person filled it.
    func check(_ c: ConsoleRequest) async throws -> Response {
        let form = DeskForm(c)
        return try await routes.change(c) {
            let (request, check) = try await longPrescriptions.deskCheck(by: c.principal, today: routes.clock.today()) {
                try form.request()
            }
            let names = try await DrugUseCases(database: database).find(codes: request.items.map(\.drugCode))
            let result = DeskResult(
                check, names: Dictionary(names.map { ($0.code, $0.genericName) }, uniquingKeysWith: { a, _ in a }),
                rows: form.itemRowsUsed, carried: form.carried, language: c.language)
            return try await deskPage(c, form: form, result: result)
        } again: { refusal, status in
            try await deskPage(c, form: form, result: nil, refusal: refusal, status: status)
        }
    }

    /// Issues one approved item of the form (`issue`, its row), for the days the check allows; the form's key makes
    /// a second click the same prescription.
    func issue(_ c: ConsoleRequest) async throws -> Response {
        let form = DeskForm(c)
        return try await routes.change(c) {
            let row = Int(c.form["issue"] ?? "") ?? -1
            let limits = (
                maxFills: Int(c.form["maxFills"] ?? ""), minDays: Int(c.form["minDaysBetweenFills"] ?? ""),
                validity: Int(c.form["validityDays"] ?? "")
            )
            let request = try form.request(
                onlyRow: row, maxFills: limits.maxFills ?? 0, minDays: limits.minDays ?? -1,
                validityDays: limits.validity ?? 0)
            let issued = try await longPrescriptions.issue(
                request, consortiumID: try c.principal.scopedConsortiumID(orNotFound: "no consortium"),
                maxFills: limits.maxFills ?? 0, minDaysBetweenFills: limits.minDays ?? 0, validityDays: limits.validity ?? 0,
                idempotencyKey: c.form.text("idempotencyKey"), today: routes.clock.today(), by: c.principal)
            return ConsoleRoutes.done(Self.patientPath(issued.institutionCode, issued.patientRef), "issued")
        } again: { refusal, status in
            try await deskPage(c, form: form, result: nil, refusal: refusal, status: status)
        }
    }

    static func patientPath(_ institution: String, _ ref: String) -> String {
        var components = URLComponents()
        components.path = "/console/long-prescriptions/patient"
        components.queryItems = [URLQueryItem(name: "institution", value: institution), URLQueryItem(name: "ref", value: ref)]
        return components.string ?? components.path
    }

    // MARK: - A patient across the consortium

    func patient(_ c: ConsoleRequest) async throws -> Response { try await patientPage(c) }

    func patientPage(_ c: ConsoleRequest, refusal: ConsoleRefusal? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortiumID = try c.principal.scopedConsortiumID(orNotFound: "no consortium")
        let institution = (c.form["institution"] ?? c.query("institution") ?? c.principal.institutionCode ?? "")
            .trimmingCharacters(in: .whitespaces)
        let ref = (c.form["ref"] ?? c.query("ref") ?? "").trimmingCharacters(in: .whitespaces)
        var values = refusal?.values ?? [:]
        values["searchInstitution"] = institution
        values["searchRef"] = ref
        if !ref.isEmpty {
            let prescriptions = try await longPrescriptions.patientPrescriptions(
                consortiumID: consortiumID, institutionCode: institution, memberPseudonym: ref, by: c.principal)
            let mayEnd =
                c.principal.institutionID.map {
                    c.principal.may(.issueLongPrescription(consortiumID: consortiumID, institutionID: $0))
                } ?? false
            values["prescriptions"] = prescriptions.map {
                PrescriptionRow(
                    $0, language: c.language,
                    mayEnd: mayEnd && $0.status == "active" && $0.institutionCode == c.principal.institutionCode)
            }
            values["searched"] = true
            values["endReasons"] = LongPrescriptionUseCases.EndReason.allCases.map {
                ["value": $0.rawValue, "label": c.language.word("end_" + $0.rawValue)]
            }
        }
        return routes.render("patient", values, title: c.language.word("patient_title"), c, status: status)
    }

    /// 长处方笺: a long prescription as printed for the patient's file, with the prescriber's and the reviewing
    /// pharmacist's signatures and the patient's confirmation that they were told how to take it and when to come
    /// back. Found among the patient's prescriptions, so read as the patient's page is (the same permission).
    func printed(_ c: ConsoleRequest) async throws -> Response {
        let consortiumID = try c.principal.scopedConsortiumID(orNotFound: "no consortium")
        let id = c.segment(2)
        let institution = c.query("institution") ?? ""
        let ref = c.query("ref") ?? ""
        guard !ref.isEmpty,
            let p = try await longPrescriptions.patientPrescriptions(
                consortiumID: consortiumID, institutionCode: institution, memberPseudonym: ref, by: c.principal
            ).first(where: { String($0.id) == id })
        else { throw DomainError.notFound("no long prescription \(id)") }
        let language = c.language
        let drug = try await DrugUseCases(database: routes.database).find(code: p.drugCode)
        let row = PrescriptionRow(p, language: language, mayEnd: false)
        return routes.render(
            "lrx_print",
            [
                "rx": row, "patientRef": p.patientRef,
                "drugName": [drug?.genericName, drug?.dosageForm, drug?.strength].compactMap { $0 }.joined(separator: " "),
                "quantity": DecimalText.plain(p.quantity),
                "limits": language.word("print_lrx_limits").replacingFirst(String(p.maxFills))
                    .replacingFirst(String(p.minDaysBetweenFills)).replacingFirst(String(p.validityDays)),
                "printTitle": language.word("print_lrx_title").replacingFirst(c.session.consortiumName ?? ""),
                "printedOn": language.word("print_on").replacingFirst(ConsoleFormat.date(routes.clock.today(), language)),
                "backHref": Self.patientPath(institution, ref),
            ], title: language.word("print_lrx_heading"), c)
    }

    func end(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no long prescription \(c.segment(2))") }
            guard let reason = LongPrescriptionUseCases.EndReason(rawValue: c.form["reason"] ?? "") else {
                throw DomainError.invalid("reason", "is required")
            }
            let ended = try await longPrescriptions.end(
                id: id, reason: reason, consortiumID: try c.principal.scopedConsortiumID(orNotFound: "no consortium"),
                today: routes.clock.today(), by: c.principal)
            return ConsoleRoutes.done(Self.patientPath(ended.institutionCode, ended.patientRef), "ended")
        } again: { refusal, status in
            try await patientPage(c, refusal: refusal, status: status)
        }
    }
}

// MARK: - The form and what it shows

/// The desk's form as posted: the institution and prescriber (the account's own when it has them), the patient,
/// up to `diagnosisRows` diagnoses and `itemRows` drugs; empty rows are skipped.
struct DeskForm: Sendable {
    var institutionCode: String
    var prescriber: String
    var institutionFixed: Bool
    var prescriberFixed: Bool
    var patientRef: String
    var familyDoctorContract: Bool
    var goodAdherence: Bool
    var diagnoses: [(icd: String, stable: Bool, lastAssessedOn: String)]
    var items: [(drugCode: String, dailyDose: String, days: String, assessmentRecorded: Bool, patientConfirmed: Bool)]
    /// The fields to send again with an issue: what was checked (not the CSRF token).
    var carried: [HiddenField]

    init(_ c: ConsoleRequest) {
        let f = c.form
        let posted = c.request.method == .post
        institutionFixed = c.principal.institutionCode != nil
        prescriberFixed = c.principal.prescriberPseudonym != nil
        institutionCode = c.principal.institutionCode ?? f.text("institutionCode") ?? ""
        prescriber = c.principal.prescriberPseudonym ?? f.text("prescriber") ?? ""
        patientRef = f.text("patient.ref") ?? ""
        familyDoctorContract = posted ? f["familyDoctorContract"] != nil : true
        goodAdherence = posted ? f["goodAdherence"] != nil : true
        diagnoses = (0..<ConsoleLongPrescriptionPages.diagnosisRows).map { i in
            (
                f.text("dx\(i).icd") ?? "", posted ? f["dx\(i).stable"] != nil : true,
                f.text("dx\(i).lastAssessedOn") ?? ""
            )
        }
        items = (0..<ConsoleLongPrescriptionPages.itemRows).map { i in
            (
                f.text("item\(i).drugCode") ?? "", f.text("item\(i).dailyDose") ?? "", f.text("item\(i).days") ?? "",
                f["item\(i).assessmentRecorded"] != nil, f["item\(i).patientConfirmed"] != nil
            )
        }
        carried = f.fields.filter { $0.0 != "csrf" && $0.0 != "issue" && $0.0 != "idempotencyKey" }.map {
            HiddenField(name: $0.0, value: $0.1)
        }
    }

    /// The rows of the form that name a drug, in order: the request's items are these.
    var itemRowsUsed: [Int] { items.indices.filter { !items[$0].drugCode.isEmpty } }
    var diagnosisRowsUsed: [Int] { diagnoses.indices.filter { !diagnoses[$0].icd.isEmpty } }

    /// The request the form asks for, held to the contract as the API's is (`LongPrescriptionInput`); with `onlyRow`,
    /// the one item an issue is for, with its fill limits.
    func request(onlyRow: Int? = nil, maxFills: Int? = nil, minDays: Int? = nil, validityDays: Int? = nil) throws
        -> LongPrescriptionRequest
    {
        let rows = onlyRow.map { row in itemRowsUsed.filter { $0 == row } } ?? itemRowsUsed
        guard !rows.isEmpty else { throw DomainError.invalid("items", "is required") }
        let field = { (row: Int) in onlyRow == nil ? "items[\(rows.firstIndex(of: row)!)]" : "item" }
        try LongPrescriptionInput.validate(
            prescriber: prescriber, patientRef: patientRef,
            items: rows.map { .init(field: field($0), dailyDose: items[$0].dailyDose, days: Int(items[$0].days) ?? 0) },
            maxFills: maxFills, minDaysBetweenFills: minDays, validityDays: validityDays)
        let dxRows = diagnosisRowsUsed
        return LongPrescriptionRequest(
            institutionCode: institutionCode, prescriberPseudonym: prescriber, patientRef: patientRef,
            patient: LongPrescriptionRules.Patient(
                hasFamilyDoctorContract: familyDoctorContract,
                diagnoses: try dxRows.enumerated().map { k, row in
                    .init(
                        icd: diagnoses[row].icd, stable: diagnoses[row].stable,
                        lastAssessedOn: try BusinessDate.parse(
                            diagnoses[row].lastAssessedOn.isEmpty ? nil : diagnoses[row].lastAssessedOn,
                            field: "patient.diagnoses[\(k)].lastAssessedOn"))
                },
                goodAdherence: goodAdherence),
            items: rows.map { row in
                .init(
                    drugCode: items[row].drugCode, dailyDose: LongPrescriptionInput.positiveQuantity(items[row].dailyDose)!,
                    days: Int(items[row].days)!, assessmentRecorded: items[row].assessmentRecorded,
                    patientConfirmed: items[row].patientConfirmed)
            })
    }

    /// The form's values for the template, each field's refusal beside it (the request's field names mapped back
    /// to the form's rows).
    func view(refusal: ConsoleRefusal?, language: ConsoleLanguage) -> [String: Any] {
        let errors = refusal?.fields ?? [:]
        let usedItems = itemRowsUsed
        let usedDiagnoses = diagnosisRowsUsed
        func itemError(_ row: Int, _ name: String) -> String {
            guard let k = usedItems.firstIndex(of: row) else { return "" }
            return errors["items[\(k)].\(name)"] ?? errors["item.\(name)"] ?? ""
        }
        return [
            "institutionCode": institutionCode, "prescriber": prescriber, "institutionFixed": institutionFixed,
            "prescriberFixed": prescriberFixed, "patientRef": patientRef, "familyDoctorContract": familyDoctorContract,
            "goodAdherence": goodAdherence, "refError": errors["patient.ref"] ?? "",
            "prescriberError": errors["prescriber"] ?? "", "itemsError": errors["items"] ?? "",
            "diagnoses": diagnoses.indices.map { row in
                [
                    "n": row, "label": row + 1, "icd": diagnoses[row].icd, "stable": diagnoses[row].stable,
                    "lastAssessedOn": diagnoses[row].lastAssessedOn,
                    "error": usedDiagnoses.firstIndex(of: row).flatMap {
                        errors["patient.diagnoses[\($0)].lastAssessedOn"]
                    } ?? "",
                ] as [String: Any]
            },
            "items": items.indices.map { row in
                [
                    "n": row, "label": row + 1, "drugCode": items[row].drugCode, "dailyDose": items[row].dailyDose,
                    "days": items[row].days, "assessmentRecorded": items[row].assessmentRecorded,
                    "patientConfirmed": items[row].patientConfirmed, "doseError": itemError(row, "dailyDose"),
                    "daysError": itemError(row, "days"),
                ] as [String: Any]
            },
        ]
    }
}

struct HiddenField: Sendable, Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = ["name": \.name, "value": \.value]

    var name: String
    var value: String
}

/// The check's decision as the desk shows it: the verdict, and per drug whether it may be prescribed long, the days
/// asked and granted, the quantity, each reason in the person's language, and the way to issue it.
struct DeskResult: Equatable {
    var decision: String
    var refused: Bool
    var answers: [Answer]
    var idempotencyKey: String

    struct Answer: Equatable, ConsoleViewModel {
        static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
            "row": \.row, "drugCode": \.drugCode, "name": \.name, "eligible": \.eligible, "verdict": \.verdict,
            "daysAsked": \.daysAsked, "daysGranted": \.daysGranted, "quantity": \.quantity, "reasons": \.reasons,
            "carried": \.carried,
        ]

        var row: Int
        var drugCode: String
        var name: String
        var eligible: Bool
        var verdict: String
        var daysAsked: Int
        var daysGranted: Int
        var quantity: String
        var reasons: [String]
        var carried: [HiddenField]
    }

    init(
        _ check: LongPrescriptionCheck, names: [String: String], rows: [Int], carried: [HiddenField],
        language: ConsoleLanguage
    ) {
        decision = language.word("decision_" + check.decision.rawValue)
        refused = check.decision == .refused
        idempotencyKey = UUID().uuidString
        answers = zip(rows, check.answers).map { row, answer in
            Answer(
                row: row, drugCode: answer.drugCode, name: names[answer.drugCode] ?? "", eligible: answer.eligible,
                verdict: language.word(answer.eligible ? "eligible_yes" : "eligible_no"), daysAsked: answer.daysAsked,
                daysGranted: answer.eligible ? min(answer.daysAsked, answer.maxDays) : 0,
                quantity: DecimalText.plain(answer.quantity),
                reasons: answer.reasons.map { language == .chinese ? $0.zh : $0.en }, carried: carried)
        }
    }
}

/// A patient's prescription across the consortium.
struct PrescriptionRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "institution": \.institution, "drugCode": \.drugCode, "dailyDose": \.dailyDose, "days": \.days,
        "startDate": \.startDate, "status": \.status, "active": \.active, "fills": \.fills, "dispensed": \.dispensed,
        "endReason": \.endReason, "mayEnd": \.mayEnd,
    ]

    var id: Int64
    var institution: String
    var drugCode: String
    var dailyDose: String
    var days: Int
    var startDate: String
    var status: String
    var active: Bool
    var fills: String
    var dispensed: String
    var endReason: String
    var mayEnd: Bool

    init(_ p: IssuedPrescription, language: ConsoleLanguage, mayEnd: Bool) {
        id = p.id
        institution = p.institutionCode
        drugCode = p.drugCode
        dailyDose = DecimalText.plain(p.dailyDose)
        days = p.days
        startDate = ConsoleFormat.date(p.startDate, language)
        status = language.word("lrx_" + p.status)
        active = p.status == "active"
        fills = "\(p.fills) / \(p.maxFills)"
        dispensed = DecimalText.plain(p.dispensed) + " / " + DecimalText.plain(p.quantity)
        endReason = p.endReason.map { language.word("end_" + $0) } ?? ""
        self.mayEnd = mayEnd
    }
}

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Extended prescriptions in the console (延伸处方, 集中配送): the queues by state, for a member the side it is on
/// (issued, to dispense, to collect), those past their delivery deadline marked; downloaded for Excel. Read through
/// `ExtendedPrescriptionUseCases.list` with its scope: a member's people see the prescriptions it is a side of, a token
/// of the whole consortium every member's. Patients appear by their reference only.
struct ConsoleExtendedPrescriptionPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }

    static let sides = ["issuer", "dispensing", "collecting"]

    func list(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        let state = try c.query("state").flatMap { text -> ExtendedPrescriptionState? in
            guard !text.isEmpty else { return nil }
            guard let state = ExtendedPrescriptionState(rawValue: text) else {
                throw DomainError.invalid(
                    "state", "must be one of \(ExtendedPrescriptionState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
        let side = try c.query("side").flatMap { text -> String? in
            guard !text.isEmpty else { return nil }
            guard Self.sides.contains(text) else {
                throw DomainError.invalid("side", "must be one of \(Self.sides.joined(separator: ", "))")
            }
            return text
        }
        let cases = ExtendedPrescriptionUseCases(database: database)
        let now = Date()
        if c.wantsCSV {
            let all = try await ConsolePager.everyItem { page in
                try await cases.list(consortiumID: consortium.id, state: state, side: side, page: page, by: c.principal)
            }
            var writer = CSVWriter.forExcel(
                header: [
                    "extended_no", "extended_issued", "extended_issuer", "extended_dispensing", "extended_collecting",
                    "stock_patient", "drug_code", "stock_quantity", "stock_unit", "extended_delivery", "status",
                    "extended_due", "extended_late",
                ].map(language.word))
            for p in all {
                let row = ExtendedPrescriptionRow(p, now: now, language)
                writer.append([
                    row.id, row.issued, row.issuer, row.dispensing, row.collecting, row.patient, row.drugCode, row.quantity,
                    row.unit, row.delivery, row.state, row.due, row.late.isEmpty ? "" : language.word("yes"),
                ])
            }
            return ConsoleRoutes.csv(
                writer.text, ascii: "extended-prescriptions.csv", named: language.word("csv_extended_name"))
        }
        let page = try await cases.list(
            consortiumID: consortium.id, state: state, side: side,
            page: try PageRequest(limit: 50, cursor: c.query("cursor")), by: c.principal)
        var values: [String: Any] = [
            "prescriptions": page.items.map { ExtendedPrescriptionRow($0, now: now, language) },
            "states": ExtendedPrescriptionState.allCases.map {
                [
                    "value": $0.rawValue, "label": language.word("extended_state_" + $0.rawValue),
                    "selected": state == $0 ? "selected" : "",
                ]
            },
            "sides": c.principal.institutionID == nil
                ? []
                : Self.sides.map {
                    ["value": $0, "label": language.word("extended_side_" + $0), "selected": side == $0 ? "selected" : ""]
                },
            "hasSides": c.principal.institutionID != nil,
            "csvHref": c.csvHref,
        ]
        if let next = page.nextCursor {
            values["next"] = ConsolePager.href(
                "/console/extended-prescriptions", [("state", state?.rawValue ?? ""), ("side", side ?? ""), ("cursor", next)])
        }
        return routes.render("extended", values, title: language.word("extended_title"), c)
    }

    func prescription(_ c: ConsoleRequest) async throws -> Response {
        try await prescriptionPage(c, refusal: nil)
    }

    /// One prescription: its facts (the patient by reference only), and the steps its state allows
    /// (`ExtendedPrescriptionRules.steps`) to whoever may take each: the dispensing member reviews and dispatches, the
    /// delivery is confirmed by either side, the collecting member hands it over or marks it not collected, and the
    /// issuer or the dispensing member cancels it with a reason.
    func prescriptionPage(_ c: ConsoleRequest, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let (consortium, p) = try await prescription(of: c)
        let language = c.language
        let id = consortium.id
        func may(_ step: ExtendedPrescriptionRules.Step) -> Bool {
            switch step {
            case .approve, .refuse:
                c.principal.may(.reviewExtendedPrescription(consortiumID: id, dispensingInstitutionID: p.dispensingInstitutionID))
            case .dispatch:
                c.principal.may(
                    .dispatchExtendedPrescription(consortiumID: id, dispensingInstitutionID: p.dispensingInstitutionID))
            case .deliver:
                c.principal.may(
                    .deliverExtendedPrescription(
                        consortiumID: id, dispensingInstitutionID: p.dispensingInstitutionID,
                        collectingInstitutionID: p.collectingInstitutionID))
            case .collect, .markNotCollected:
                c.principal.may(
                    .collectExtendedPrescription(consortiumID: id, collectingInstitutionID: p.collectingInstitutionID))
            case .cancel:
                c.principal.may(
                    .cancelExtendedPrescription(
                        consortiumID: id, institutionID: p.institutionID, dispensingInstitutionID: p.dispensingInstitutionID))
            }
        }
        var values: [String: Any] = [
            "row": ExtendedPrescriptionRow(p, now: Date(), language), "prescriber": p.prescriber, "days": String(p.days),
            "refusalReason": p.refusalReason ?? "", "cancelReason": p.cancelReason ?? "",
            "location": c.form["location"] ?? "", "lot": c.form["lot"] ?? "", "reason": c.form["reason"] ?? "",
            "refusal": refusal?.message as Any, "fieldErrors": refusal?.fields ?? [:],
        ]
        for step in ExtendedPrescriptionRules.steps(from: p.state) where may(step) { values["may_" + step.rawValue] = true }
        return routes.render(
            "extended_prescription", values, title: language.word("extended_one_title").replacingFirst(String(p.id)), c,
            status: status)
    }

    /// POST `/console/extended-prescriptions/{id}/{step}`: the step by its use case, back to the prescription.
    func step(_ c: ConsoleRequest) async throws -> Response {
        let (consortium, p) = try await prescription(of: c)
        let cases = ExtendedPrescriptionUseCases(database: database)
        let today = routes.clock.today()
        let form = c.form
        return try await routes.change(
            c,
            {
                guard let step = ExtendedPrescriptionRules.Step(rawValue: c.segment(3)) else {
                    throw DomainError.notFound("no step \(c.segment(3))")
                }
                switch step {
                case .approve, .refuse:
                    _ = try await cases.review(
                        id: p.id, approve: step == .approve, reason: form.text("reason"), consortiumID: consortium.id,
                        today: today, by: c.principal)
                case .dispatch:
                    _ = try await cases.dispatch(
                        id: p.id, locationCode: form.text("location"), lotNumber: form.text("lot"),
                        consortiumID: consortium.id, today: today, by: c.principal)
                case .deliver:
                    _ = try await cases.deliver(id: p.id, consortiumID: consortium.id, today: today, by: c.principal)
                case .collect, .markNotCollected:
                    _ = try await cases.handOver(
                        id: p.id, collected: step == .collect, consortiumID: consortium.id, today: today, by: c.principal)
                case .cancel:
                    _ = try await cases.cancel(
                        id: p.id, reason: form["reason"] ?? "", consortiumID: consortium.id, today: today, by: c.principal)
                }
                return ConsoleRoutes.done("/console/extended-prescriptions/\(p.id)", "extended_" + step.rawValue)
            },
            again: { refusal, status in try await prescriptionPage(c, refusal: refusal, status: status) })
    }

    /// The prescription of the address, in the person's consortium (as the API reads it).
    func prescription(of c: ConsoleRequest) async throws -> (Consortium, StoredExtendedPrescription) {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        guard let id = Int64(c.segment(2)) else { throw DomainError.notFound("no extended prescription \(c.segment(2))") }
        return (
            consortium,
            try await ExtendedPrescriptionUseCases(database: database).prescription(id: id, consortiumID: consortium.id)
        )
    }
}

/// An extended prescription as the queue lists it.
struct ExtendedPrescriptionRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "id": \.id, "issued": \.issued, "issuer": \.issuer, "dispensing": \.dispensing, "collecting": \.collecting,
        "patient": \.patient, "drugCode": \.drugCode, "quantity": \.quantity, "unit": \.unit, "delivery": \.delivery,
        "state": \.state, "due": \.due, "late": \.late,
    ]

    var id: String
    var issued: String
    var issuer: String
    var dispensing: String
    var collecting: String
    var patient: String
    var drugCode: String
    var quantity: String
    var unit: String
    var delivery: String
    var state: String
    var due: String
    /// "late" when the delivery deadline has passed undelivered (`ExtendedPrescriptionRules.isLate`).
    var late: String

    init(_ p: StoredExtendedPrescription, now: Date, _ language: ConsoleLanguage) {
        id = String(p.id)
        issued = ConsoleFormat.time(p.issuedAt, language)
        issuer = p.institutionCode
        dispensing = p.dispensingInstitutionCode
        collecting = p.collectingInstitutionCode
        patient = p.patientRef
        drugCode = p.drugCode
        quantity = DecimalText.plain(p.quantity)
        unit = p.unit
        delivery = language.words["extended_delivery_" + p.delivery] ?? p.delivery
        state = language.word("extended_state_" + p.state.rawValue)
        due = p.deliveryDueAt.map { ConsoleFormat.time($0, language) } ?? ""
        let open = !p.state.isFinal && p.deliveredAt == nil
        late = open && ExtendedPrescriptionRules.isLate(due: p.deliveryDueAt, deliveredAt: nil, now: now) ? "late" : ""
    }
}

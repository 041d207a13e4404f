internal import Foundation
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

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// Editing a drug's national master data (`manageDrugs`: the national `master_data_admin` only): names, manufacturer,
/// ATC code, essential-list editions, insurance and control classes, antimicrobial, cold chain. `DrugUseCases.update`
/// checks and audits it, as for the API's PATCH.
struct ConsoleDrugEditPage: Sendable {
    let routes: ConsoleRoutes
    var drugs: DrugUseCases { DrugUseCases(database: routes.database) }

    func edit(_ c: ConsoleRequest) async throws -> Response { try await editPage(c) }

    func editPage(_ c: ConsoleRequest, refusal: ConsoleRefusal? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        try c.principal.require(.manageDrugs)
        let code = c.segment(2)
        guard let drug = try await drugs.find(code: code) else { throw DomainError.notFound("no drug \(code)") }
        let language = c.language
        let f = refusal == nil ? nil : c.form
        let insurance = f?["insuranceClass"] ?? drug.insuranceClass.rawValue
        let control = f?["controlClass"] ?? drug.controlClass.rawValue
        var values = refusal?.values ?? [:]
        values.merge(
            [
                "code": drug.code, "genericName": f?["genericName"] ?? drug.genericName,
                "nameEn": f?["nameEn"] ?? drug.nameEn ?? "", "manufacturer": f?["manufacturer"] ?? drug.manufacturer ?? "",
                "atcCode": f?["atcCode"] ?? drug.atcCode ?? "",
                "essentialEditions": f?["essentialEditions"] ?? drug.essentialEditions.joined(separator: ", "),
                "antimicrobial": f.map { $0["antimicrobial"] != nil } ?? drug.antimicrobial,
                "coldChain": f.map { $0["coldChain"] != nil } ?? drug.coldChain,
                "insurances": InsuranceClass.allCases.map {
                    ["value": $0.rawValue, "label": language.insurance($0), "selected": $0.rawValue == insurance] as [String: Any]
                },
                "controls": ControlClass.allCases.map {
                    ["value": $0.rawValue, "label": language.word("control_" + $0.rawValue), "selected": $0.rawValue == control]
                        as [String: Any]
                },
            ]
        ) { $1 }
        return routes.render("drug_edit", values, title: drug.genericName, c, status: status)
    }

    func save(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            let f = c.form
            var change = DrugUpdate()
            change.genericName = f.text("genericName") ?? ""
            change.nameEn = f.text("nameEn")
            change.manufacturer = f.text("manufacturer")
            change.atcCode = f.text("atcCode")
            change.essentialEditions = (f["essentialEditions"] ?? "")
                .split(whereSeparator: { $0 == "," || $0 == "，" || $0.isWhitespace }).map(String.init)
            change.insuranceClass = try Self.choice(f["insuranceClass"], field: "insuranceClass")
            change.controlClass = try Self.choice(f["controlClass"], field: "controlClass")
            change.antimicrobial = f["antimicrobial"] != nil
            change.coldChain = f["coldChain"] != nil
            let drug = try await drugs.update(code: c.segment(2), with: change, by: c.principal)
            return ConsoleRoutes.done("/console/drugs/\(drug.code)", "drug_saved")
        } again: { refusal, status in
            try await editPage(c, refusal: refusal, status: status)
        }
    }

    /// A select's value as its enumeration, or 422 naming the field.
    static func choice<T: RawRepresentable<String>>(_ value: String?, field: String) throws -> T {
        guard let value, let choice = T(rawValue: value) else {
            throw DomainError.invalid(field, "'\(value ?? "")' is not a known \(field)")
        }
        return choice
    }
}

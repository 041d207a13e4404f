internal import Foundation
import RxDomain
import RxStore
import RxUseCases

/// The catalogue in effect as CSV (for Excel, in Chinese) and as a FHIR R4 Bundle of MedicationKnowledge resources.
enum CatalogueExport {
    /// The items as Excel on Chinese Windows opens them: Chinese headers and Chinese words for the classes
    /// (`CSVWriter.forExcel`). The API's `?format=csv` and the console's downloads are this file.
    static func csv(_ entries: [CatalogueEntry], language: ConsoleLanguage = .chinese) -> String {
        var writer = CSVWriter.forExcel(
            header: [
                "code", "generic_name", "dosage_form", "strength", "category", "essential_editions", "insurance_class",
                "levels", "note", "justification",
            ].map { language.word("csv_" + $0) })
        for e in entries {
            writer.append([
                e.drug.code, e.drug.genericName, e.drug.dosageForm, e.drug.strength ?? "", language.category(e.drug.category),
                e.drug.essentialEditions.joined(separator: "、"), language.insurance(e.drug.insuranceClass),
                language.levels(e.item.levels),
                e.item.note ?? "", e.item.justification ?? "",
            ])
        }
        return writer.text
    }

    /// The difference between two versions (目录调整对照表) for Excel: each added, removed (with why) and changed item,
    /// a changed one as two lines, before and after.
    static func diffCSV(_ diff: CatalogueUseCases.VersionDiff, language: ConsoleLanguage = .chinese) -> String {
        var writer = CSVWriter.forExcel(
            header: ["change", "code", "generic_name", "dosage_form", "strength", "levels", "note", "justification", "reason"]
                .map { language.word("csv_" + $0) })
        func line(_ change: String, _ e: CatalogueEntry, reason: String = "") {
            writer.append([
                language.word(change), e.drug.code, e.drug.genericName, e.drug.dosageForm, e.drug.strength ?? "",
                language.levels(e.item.levels),
                e.item.note ?? "", e.item.justification ?? "", reason,
            ])
        }
        for e in diff.added { line("added", e) }
        for e in diff.removed { line("removed", e, reason: diff.removalReasons[e.drug.code] ?? "") }
        for (before, after) in diff.changed {
            line("before", before)
            line("after", after)
        }
        return writer.text
    }

    /// `Content-Disposition` of a download: a plain ASCII name for old clients, the person's (Chinese) name as
    /// RFC 6266's `filename*`.
    static func disposition(ascii: String, named name: String) -> String {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._"))) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }

    struct Coding: Encodable { var system: String; var code: String; var display: String? }
    struct Concept: Encodable { var coding: [Coding]?; var text: String? }
    struct Classification: Encodable { var type: Concept; var classification: [Concept] }
    struct Knowledge: Encodable {
        var resourceType = "MedicationKnowledge"
        var id: String
        var code: Concept
        var status = "active"
        var doseForm: Concept
        var synonym: [String]?
        var productType: [Concept]
        var medicineClassification: [Classification]?
    }
    struct Entry: Encodable { var fullUrl: String; var resource: Knowledge }
    struct Bundle: Encodable {
        var resourceType = "Bundle"
        var id: String
        var type = "collection"
        var timestamp: String
        var entry: [Entry]
    }

    static let codeSystem = "https://consortiumrx.example/fhir/CodeSystem/drug-code"

    static func fhir(consortium: String, version: Int, entries: [CatalogueEntry], now: Date = Date()) throws -> Data {
        let bundle = Bundle(
            id: "\(consortium)-catalogue-\(version)".filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") },
            timestamp: ISO8601DateFormatter().string(from: now),
            entry: entries.map { e in
                let id = String(e.drug.code.map { $0 == "_" ? "-" : $0 }.prefix(64))
                var classes: [Classification] = []
                if let atc = e.drug.atcCode {
                    classes.append(
                        Classification(
                            type: Concept(coding: nil, text: "ATC"),
                            classification: [
                                Concept(coding: [Coding(system: "http://www.whocc.no/atc", code: atc, display: nil)], text: nil)
                            ]))
                }
                if !e.drug.essentialEditions.isEmpty {
                    classes.append(
                        Classification(
                            type: Concept(coding: nil, text: "国家基本药物目录"),
                            classification: e.drug.essentialEditions.map { Concept(coding: nil, text: "\($0)年版") }))
                }
                classes.append(
                    Classification(
                        type: Concept(coding: nil, text: "医保目录"),
                        classification: [Concept(coding: nil, text: e.drug.insuranceClass.rawValue)]))
                let knowledge = Knowledge(
                    id: id,
                    code: Concept(
                        coding: [Coding(system: codeSystem, code: e.drug.code, display: e.drug.genericName)],
                        text: [e.drug.genericName, e.drug.strength].compactMap { $0 }.joined(separator: " ")),
                    doseForm: Concept(coding: nil, text: e.drug.dosageForm),
                    synonym: e.drug.nameEn.map { [$0] },
                    productType: [Concept(coding: nil, text: e.drug.category.rawValue)],
                    medicineClassification: classes)
                return Entry(fullUrl: "\(codeSystem)/\(e.drug.code)", resource: knowledge)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(bundle)
    }
}

import Foundation
import RxDomain
import RxStore

/// The demo consortium's files under `seeds/demo/`, read and checked before anything is written.
struct DemoData {
    var consortium: SeedRecords.Consortium
    var suppliers: [Supplier]
    var drugs: [Drug]
    var catalogueItems: [CatalogueItem]
    var longPrescriptionRules: LongPrescriptionRuleSet?
    var prescribers: [SeedRecords.Prescriber]
    /// seeds/demo/provincial_bid_prices.csv, loaded by `ProvincialPriceImport` in the seed's transaction.
    var prices: Data
    var preparations: [SeedRecords.Preparation]
    var licences: [SeedRecords.Licence]

    var qualityLimits: [SeedRecords.QualityLimit]
    /// seeds/demo/traceability_code_prefixes.csv: demo product prefixes (药品标识码) of a few drugs.
    var traceabilityPrefixes: [SeedRecords.TraceabilityPrefix]
    /// seeds/demo/herb_usage_2025.csv, loaded by `HerbUsageImport` in the seed's transaction.
    var herbUsage: Data
    /// seeds/demo/drug_code_crosswalk.csv, loaded by `CrosswalkUseCases.seed` in the seed's transaction.
    var crosswalk: Data

    init(loader: SeedLoader) throws {
        let json = try Data(contentsOf: loader.directory.appendingPathComponent("demo/consortium.json"))
        consortium = try JSONDecoder().decode(SeedRecords.Consortium.self, from: json)

        let s = try loader.table(
            "demo/suppliers.csv",
            [
                "code", "name", "is_manufacturer", "is_distributor", "manufacturing_licence", "distribution_licence",
                "counts_as_manufacturer_code",
            ])
        suppliers = try s.rows.map { row in
            let supplier = Supplier(
                code: s.value(row, "code") ?? "", name: s.value(row, "name") ?? "",
                isManufacturer: s.value(row, "is_manufacturer") == "true",
                isDistributor: s.value(row, "is_distributor") == "true",
                manufacturingLicence: s.value(row, "manufacturing_licence"),
                distributionLicence: s.value(row, "distribution_licence"),
                countsAsManufacturerCode: s.value(row, "counts_as_manufacturer_code"))
            if let e = supplier.validationErrors().first {
                throw SeedLoader.Invalid(file: "demo/suppliers.csv", line: row.line, reason: "\(e.field): \(e.reason)")
            }
            return supplier
        }

        let d = try loader.table(
            "demo/drugs.csv",
            [
                "code", "generic_name", "name_en", "dosage_form", "strength", "package_size", "package_unit", "unit",
                "manufacturer", "atc_code", "category", "essential_editions", "insurance_class", "control_class",
                "antimicrobial", "cold_chain", "herb_name", "processing", "grade",
            ])
        drugs = try d.rows.map { row in
            func invalid(_ reason: String) -> SeedLoader.Invalid {
                SeedLoader.Invalid(file: "demo/drugs.csv", line: row.line, reason: reason)
            }
            func enumValue<T: RawRepresentable>(_ column: String, _ fallback: T? = nil) throws -> T where T.RawValue == String {
                guard let raw = d.value(row, column) else {
                    if let fallback { return fallback }
                    throw invalid("\(column) is required")
                }
                guard let v = T(rawValue: raw) else { throw invalid("\(column) '\(raw)' is not one of the known values") }
                return v
            }
            func flag(_ column: String) throws -> Bool {
                switch d.value(row, column) {
                case "true": return true
                case "false", nil: return false
                case let other?: throw invalid("\(column) '\(other)' is not true or false")
                }
            }
            guard let size = d.value(row, "package_size").flatMap(Int.init) else {
                throw invalid("package_size is not a whole number")
            }
            var piece: DecoctionPiece?
            if let herb = d.value(row, "herb_name") {
                piece = DecoctionPiece(
                    herbName: herb, processing: try enumValue("processing"), grade: d.value(row, "grade") ?? "统货")
            }
            let drug = Drug(
                code: d.value(row, "code") ?? "", genericName: d.value(row, "generic_name") ?? "",
                nameEn: d.value(row, "name_en"), dosageForm: d.value(row, "dosage_form") ?? "",
                strength: d.value(row, "strength"), packageSize: size, packageUnit: d.value(row, "package_unit") ?? "",
                unit: d.value(row, "unit") ?? "", manufacturer: d.value(row, "manufacturer"),
                atcCode: d.value(row, "atc_code"), category: try enumValue("category"),
                essentialEditions: (d.value(row, "essential_editions") ?? "").split(separator: ";").map {
                    $0.trimmingCharacters(in: .whitespaces)
                },
                insuranceClass: try enumValue("insurance_class", InsuranceClass.none),
                controlClass: try enumValue("control_class", ControlClass.none),
                antimicrobial: try flag("antimicrobial"), coldChain: try flag("cold_chain"), decoctionPiece: piece)
            if let e = drug.validationErrors().first { throw invalid("\(e.field): \(e.reason)") }
            return drug
        }

        let prepFile = "demo/hospital_preparations.csv"
        let p = try loader.table(
            prepFile,
            [
                "drug_code", "generic_name", "dosage_form", "strength", "package_size", "package_unit", "unit",
                "producer_institution_code", "registration_kind", "registration_number", "registration_valid_to",
                "reimbursable", "note",
            ])
        let members = consortium.institutions
        let memberCodes = Set(members.map(\.code))
        preparations = try p.rows.map { row in
            func invalid(_ reason: String) -> SeedLoader.Invalid {
                SeedLoader.Invalid(file: prepFile, line: row.line, reason: reason)
            }
            guard let size = p.value(row, "package_size").flatMap(Int.init) else {
                throw invalid("package_size is not a whole number")
            }
            guard let kind = p.value(row, "registration_kind").flatMap(RegistrationKind.init) else {
                throw invalid("registration_kind is approval_number or filing_number")
            }
            var validTo: BusinessDate?
            if let text = p.value(row, "registration_valid_to") {
                guard let date = BusinessDate(text) else { throw invalid("registration_valid_to is not a date") }
                validTo = date
            }
            guard let producer = p.value(row, "producer_institution_code"), memberCodes.contains(producer) else {
                throw invalid("producer_institution_code is not a member in consortium.json")
            }
            let number = p.value(row, "registration_number") ?? ""
            if let e = TransferRules.registrationErrors(kind: kind, number: number, validTo: validTo).first {
                throw invalid("\(e.field): \(e.reason)")
            }
            let producerName = members.first { $0.code == producer }?.name
            let drug = Drug(
                code: p.value(row, "drug_code") ?? "", genericName: p.value(row, "generic_name") ?? "",
                dosageForm: p.value(row, "dosage_form") ?? "", strength: p.value(row, "strength"), packageSize: size,
                packageUnit: p.value(row, "package_unit") ?? "", unit: p.value(row, "unit") ?? "",
                manufacturer: producerName, category: .hospitalPreparation)
            if let e = drug.validationErrors().first { throw invalid("\(e.field): \(e.reason)") }
            return SeedRecords.Preparation(
                drug: drug, producerCode: producer, registrationKind: kind, registrationNumber: number,
                registrationValidTo: validTo, reimbursable: p.value(row, "reimbursable") == "true")
        }
        drugs += preparations.map(\.drug)

        let licenceFile = "demo/preparation_licences.csv"
        let l = try loader.table(licenceFile, ["institution_code", "licence_number", "valid_from", "valid_to", "note"])
        licences = try l.rows.map { row in
            func invalid(_ reason: String) -> SeedLoader.Invalid {
                SeedLoader.Invalid(file: licenceFile, line: row.line, reason: reason)
            }
            guard let code = l.value(row, "institution_code"), memberCodes.contains(code) else {
                throw invalid("institution_code is not a member in consortium.json")
            }
            guard let from = l.value(row, "valid_from").flatMap(BusinessDate.init),
                let to = l.value(row, "valid_to").flatMap(BusinessDate.init)
            else { throw invalid("valid_from and valid_to are dates YYYY-MM-DD") }
            let number = l.value(row, "licence_number") ?? ""
            if let e = TransferRules.licenceErrors(number: number, validFrom: from, validTo: to).first {
                throw invalid("\(e.field): \(e.reason)")
            }
            return SeedRecords.Licence(institutionCode: code, number: number, validFrom: from, validTo: to)
        }

        let priceFile = "demo/provincial_bid_prices.csv"
        prices = try Data(contentsOf: loader.directory.appendingPathComponent(priceFile))

        struct RulesSeed: Decodable {
            struct Condition: Decodable {
                var icdFrom: String; var icdTo: String; var name: String; var maxDays: Int?; var allowsAntimicrobials: Bool?
            }
            var effectiveFrom: String
            var requiresFamilyDoctorContract: Bool
            var maxAssessmentAgeDays: Int
            var supplyOnHandToleranceDays: Int
            var maxDaysByLevel: [String: Int]
            var conditions: [Condition]
            var excludedDrugs: [String]
        }
        let rulesFile = loader.directory.appendingPathComponent("demo/long_prescription_rules.json")
        if let data = try? Data(contentsOf: rulesFile) {
            let seed = try JSONDecoder().decode(RulesSeed.self, from: data)
            var levels: [InstitutionLevel: Int] = [:]
            for (key, days) in seed.maxDaysByLevel {
                guard let level = InstitutionLevel(rawValue: key) else {
                    throw SeedLoader.Invalid(file: "demo/long_prescription_rules.json", line: 1, reason: "unknown level \(key)")
                }
                levels[level] = days
            }
            guard let from = BusinessDate(seed.effectiveFrom) else {
                throw SeedLoader.Invalid(
                    file: "demo/long_prescription_rules.json", line: 1, reason: "effectiveFrom is not a date")
            }
            longPrescriptionRules = LongPrescriptionRuleSet(
                effectiveFrom: from,
                conditions: seed.conditions.map {
                    QualifyingCondition(
                        icdFrom: $0.icdFrom, icdTo: $0.icdTo, name: $0.name, maxDays: $0.maxDays,
                        allowsAntimicrobials: $0.allowsAntimicrobials ?? false)
                },
                maxDaysByLevel: levels, requiresFamilyDoctorContract: seed.requiresFamilyDoctorContract,
                maxAssessmentAgeDays: seed.maxAssessmentAgeDays, supplyOnHandToleranceDays: seed.supplyOnHandToleranceDays,
                excludedDrugs: Set(seed.excludedDrugs))
        }
        let prescriberTable = try loader.table("demo/prescribers.csv", ["pseudonym", "institution_code", "title"])
        prescribers = try prescriberTable.rows.map { row in
            guard let pseudonym = prescriberTable.value(row, "pseudonym"),
                let institution = prescriberTable.value(row, "institution_code"),
                let title = prescriberTable.value(row, "title").flatMap(PrescriberTitle.init(rawValue:))
            else {
                throw SeedLoader.Invalid(
                    file: "demo/prescribers.csv", line: row.line,
                    reason: "pseudonym, institution_code and a known title are required")
            }
            return SeedRecords.Prescriber(pseudonym: pseudonym, institution: institution, title: title)
        }

        let limitsFile = "demo/herb_quality_limits.csv"
        let q = try loader.table(limitsFile, ["drug_code", "monograph"] + HerbQualityMeasure.allCases.map(\.limitColumn))
        let pieceCodes = Set(drugs.filter { $0.category == .decoctionPiece }.map(\.code))
        qualityLimits = try q.rows.map { row in
            let code = q.value(row, "drug_code") ?? ""
            guard pieceCodes.contains(code) else {
                throw SeedLoader.Invalid(
                    file: limitsFile, line: row.line, reason: "\(code) is not a decoction piece of demo/drugs.csv")
            }
            guard let monograph = q.value(row, "monograph") else {
                throw SeedLoader.Invalid(file: limitsFile, line: row.line, reason: "monograph is required")
            }
            var limits: [HerbQualityMeasure: Decimal] = [:]
            for measure in HerbQualityMeasure.allCases {
                guard let text = q.value(row, measure.limitColumn) else { continue }
                guard let value = Money(text, maxDecimals: 3)?.amount, value > 0 else {
                    throw SeedLoader.Invalid(
                        file: limitsFile, line: row.line, reason: "\(measure.limitColumn) '\(text)' is not a positive number")
                }
                limits[measure] = value
            }
            return SeedRecords.QualityLimit(drugCode: code, monograph: monograph, limits: limits)
        }

        let prefixFile = "demo/traceability_code_prefixes.csv"
        let tp = try loader.table(prefixFile, ["prefix", "drug_code", "package"])
        let drugCodes = Set(drugs.map(\.code))
        traceabilityPrefixes = try tp.rows.map { row in
            guard let prefix = tp.value(row, "prefix"), prefix.count == TraceabilityCode.prefixLength,
                prefix.allSatisfy({ $0.isASCII && $0.isNumber })
            else {
                throw SeedLoader.Invalid(file: prefixFile, line: row.line, reason: "prefix must be 7 digits")
            }
            guard let code = tp.value(row, "drug_code"), drugCodes.contains(code) else {
                throw SeedLoader.Invalid(file: prefixFile, line: row.line, reason: "drug_code must be a drug of demo/drugs.csv")
            }
            guard let package = tp.value(row, "package") else {
                throw SeedLoader.Invalid(file: prefixFile, line: row.line, reason: "package is required")
            }
            return SeedRecords.TraceabilityPrefix(prefix: prefix, drugCode: code, package: package)
        }

        let usageFile = "demo/herb_usage_2025.csv"
        herbUsage = try Data(contentsOf: loader.directory.appendingPathComponent(usageFile))
        crosswalk = try Data(contentsOf: loader.directory.appendingPathComponent("demo/drug_code_crosswalk.csv"))

        catalogueItems = []
        if let catalogue = consortium.catalogue {
            let file = "demo/" + catalogue.items
            let c = try loader.table(file, ["drug_code", "levels", "note", "justification"])
            let byCode = Dictionary(drugs.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            catalogueItems = try c.rows.map { row in
                let code = c.value(row, "drug_code") ?? ""
                guard let drug = byCode[code] else {
                    throw SeedLoader.Invalid(file: file, line: row.line, reason: "no drug \(code) in demo/drugs.csv")
                }
                let levels = try (c.value(row, "levels") ?? "").split(separator: ";").map { raw -> InstitutionLevel in
                    guard let level = InstitutionLevel(rawValue: String(raw)) else {
                        throw SeedLoader.Invalid(file: file, line: row.line, reason: "unknown level \(raw)")
                    }
                    return level
                }
                let item = CatalogueItem(
                    drugCode: code, levels: levels, note: c.value(row, "note"), justification: c.value(row, "justification"))
                if let e = CatalogueRules.justificationError(item: item, drug: drug) {
                    throw SeedLoader.Invalid(file: file, line: row.line, reason: e.reason)
                }
                return item
            }
        }
    }
}

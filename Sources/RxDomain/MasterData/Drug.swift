package enum DrugCategory: String, CaseIterable, Sendable, Codable {
    case western
    /// 中成药
    case chinesePatent = "chinese_patent"
    /// 中药饮片
    case decoctionPiece = "decoction_piece"
    /// 医疗机构制剂
    case hospitalPreparation = "hospital_preparation"
}

/// The national insurance list (医保目录): class A (甲), class B (乙), or not listed.
package enum InsuranceClass: String, CaseIterable, Sendable, Codable {
    case a = "A"
    case b = "B"
    case none
}

/// Special-control classes (特殊管理药品).
package enum ControlClass: String, CaseIterable, Sendable, Codable {
    case none
    /// 麻醉药品
    case narcotic
    /// 第一类精神药品
    case psychotropicI = "psychotropic_i"
    /// 第二类精神药品
    case psychotropicII = "psychotropic_ii"
    /// 医疗用毒性药品
    case medicalToxic = "medical_toxic"
    /// 放射性药品
    case radioactive
    /// 药品类易制毒化学品
    case precursorChemical = "precursor_chemical"
}

/// Processing of a decoction piece (炮制).
package enum Processing: String, CaseIterable, Sendable, Codable {
    case raw
    /// 炒
    case stirFried = "stir_fried"
    /// 蜜炙
    case honeyFried = "honey_fried"
    /// 酒制
    case wineProcessed = "wine_processed"
    /// 醋制
    case vinegarProcessed = "vinegar_processed"
    /// 盐制
    case saltProcessed = "salt_processed"
    /// 蒸
    case steamed
    /// 炒炭
    case charred
    /// 麸炒
    case branFried = "bran_fried"
    /// 姜制
    case gingerProcessed = "ginger_processed"
    /// 煅
    case calcined
    case other
}

package struct DecoctionPiece: Sendable, Equatable, Codable {
    package var herbName: String
    package var processing: Processing
    /// 统货, or a selected grade (一等, 选货 …).
    package var grade: String

    package init(herbName: String, processing: Processing, grade: String) {
        self.herbName = herbName
        self.processing = processing
        self.grade = grade
    }
}

package struct Drug: Sendable, Equatable, Codable {
    package var code: String
    package var genericName: String
    package var nameEn: String?
    package var dosageForm: String
    package var strength: String?
    package var packageSize: Int
    package var packageUnit: String
    /// The unit quantities are counted in (片, 粒, ml; g or kg for decoction pieces).
    package var unit: String
    package var manufacturer: String?
    package var atcCode: String?
    package var category: DrugCategory
    /// Editions of the national essential medicines list (国家基本药物目录) the drug is on.
    package var essentialEditions: [String]
    package var insuranceClass: InsuranceClass
    package var controlClass: ControlClass
    package var antimicrobial: Bool
    /// Special storage (cold chain).
    package var coldChain: Bool
    package var decoctionPiece: DecoctionPiece?

    package init(
        code: String, genericName: String, nameEn: String? = nil, dosageForm: String, strength: String? = nil,
        packageSize: Int, packageUnit: String, unit: String, manufacturer: String? = nil, atcCode: String? = nil,
        category: DrugCategory, essentialEditions: [String] = [], insuranceClass: InsuranceClass = .none,
        controlClass: ControlClass = .none, antimicrobial: Bool = false, coldChain: Bool = false,
        decoctionPiece: DecoctionPiece? = nil
    ) {
        self.code = code
        self.genericName = genericName
        self.nameEn = nameEn
        self.dosageForm = dosageForm
        self.strength = strength
        self.packageSize = packageSize
        self.packageUnit = packageUnit
        self.unit = unit
        self.manufacturer = manufacturer
        self.atcCode = atcCode
        self.category = category
        self.essentialEditions = essentialEditions
        self.insuranceClass = insuranceClass
        self.controlClass = controlClass
        self.antimicrobial = antimicrobial
        self.coldChain = coldChain
        self.decoctionPiece = decoctionPiece
    }

    /// On an edition of the national essential medicines list, or insurance-listed: the drugs the catalogue
    /// takes first.
    package var isEssentialOrInsured: Bool { !essentialEditions.isEmpty || insuranceClass != .none }

    /// The checks a drug must pass, all of them reported at once.
    package func validationErrors() -> [FieldError] {
        var errors: [FieldError] = []
        if let e = Codes.drugCodeError(code) { errors.append(FieldError(field: "code", reason: e)) }
        TextLimit.check(genericName, "genericName", 1...200, into: &errors)
        TextLimit.check(nameEn, "nameEn", 0...200, into: &errors)
        TextLimit.check(dosageForm, "dosageForm", 1...50, into: &errors)
        TextLimit.check(strength, "strength", 0...100, into: &errors)
        TextLimit.check(packageUnit, "packageUnit", 1...20, into: &errors)
        TextLimit.check(unit, "unit", 1...20, into: &errors)
        TextLimit.check(manufacturer, "manufacturer", 0...200, into: &errors)
        if let piece = decoctionPiece {
            TextLimit.check(piece.herbName, "decoctionPiece.herbName", 1...50, into: &errors)
            TextLimit.check(piece.grade, "decoctionPiece.grade", 1...20, into: &errors)
        }
        if packageSize < 1 { errors.append(FieldError(field: "packageSize", reason: "must be at least 1")) }
        for edition in essentialEditions where !(edition.count == 4 && edition.allSatisfy(\.isASCII) && Int(edition) != nil) {
            errors.append(FieldError(field: "essentialEditions", reason: "'\(edition)' is not a year"))
        }
        switch (category, decoctionPiece) {
        case (.decoctionPiece, nil):
            errors.append(FieldError(field: "decoctionPiece", reason: "a decoction piece names its herb, processing and grade"))
        case (.decoctionPiece, .some):
            if unit != "g" && unit != "kg" {
                errors.append(FieldError(field: "unit", reason: "decoction pieces are counted in g or kg"))
            }
        case (_, .some):
            errors.append(FieldError(field: "decoctionPiece", reason: "only a decoction piece names a herb"))
        default:
            break
        }
        return errors
    }
}

/// The lengths the contract gives text fields (`minLength`/`maxLength`), checked before anything is written:
/// the generated server does not enforce them, and a value stored longer would break every later response.
package enum TextLimit {
    /// Counts Unicode code points, as JSON Schema's `maxLength` and PostgreSQL's `length()` do.
    package static func check(_ value: String?, _ field: String, _ limits: ClosedRange<Int>, into errors: inout [FieldError]) {
        guard let value else { return }
        let length = value.unicodeScalars.count
        if length < limits.lowerBound {
            errors.append(
                FieldError(
                    field: field,
                    reason: limits.lowerBound == 1 ? "must not be empty" : "must be at least \(limits.lowerBound) characters"))
        } else if length > limits.upperBound {
            errors.append(FieldError(field: field, reason: "must be at most \(limits.upperBound) characters"))
        }
    }
}

package struct DrugUpdate: Sendable {
    package var genericName: String?
    package var nameEn: String?
    package var manufacturer: String?
    package var atcCode: String?
    package var essentialEditions: [String]?
    package var insuranceClass: InsuranceClass?
    package var controlClass: ControlClass?
    package var antimicrobial: Bool?
    package var coldChain: Bool?
    package init() {}

    /// The checks a change must pass, all of them reported at once.
    package func validationErrors() -> [FieldError] {
        var errors: [FieldError] = []
        TextLimit.check(genericName, "genericName", 1...200, into: &errors)
        TextLimit.check(nameEn, "nameEn", 0...200, into: &errors)
        TextLimit.check(manufacturer, "manufacturer", 0...200, into: &errors)
        for edition in essentialEditions ?? [] where !(edition.count == 4 && edition.allSatisfy(\.isASCII) && Int(edition) != nil)
        {
            errors.append(FieldError(field: "essentialEditions", reason: "'\(edition)' is not a year"))
        }
        return errors
    }
}

/// The rules of drug master data.
package enum DrugRules {
    /// A new drug's fields are valid (422 naming each bad field otherwise).
    package static func checkNew(_ drug: Drug) throws(DomainError) {
        let errors = drug.validationErrors()
        guard errors.isEmpty else { throw .unprocessable("the drug is not valid", errors) }
    }

    /// A change's fields are valid (422 naming each bad field otherwise).
    package static func checkChange(_ change: DrugUpdate) throws(DomainError) {
        let errors = change.validationErrors()
        guard errors.isEmpty else { throw .unprocessable("the change is not valid", errors) }
    }

    /// Every edition a drug names is a known edition of the essential medicines list (基本药物目录).
    package static func checkEditions(_ editions: [String], known: [String]) throws(DomainError) {
        if let unknown = editions.first(where: { !known.contains($0) }) {
            throw .invalid("essentialEditions", "\(unknown) is not a known edition of the essential medicines list")
        }
    }
}

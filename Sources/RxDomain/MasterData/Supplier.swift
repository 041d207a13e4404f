/// A manufacturer or a distributor (配送企业): national master data shared by every consortium.
package struct Supplier: Sendable, Equatable, Codable {
    package var code: String
    package var name: String
    package var isManufacturer: Bool
    package var isDistributor: Bool
    /// 药品生产许可证
    package var manufacturingLicence: String?
    /// 药品经营许可证
    package var distributionLicence: String?
    /// The manufacturer this supplier counts as under the two-invoice rule (两票制): a wholly-owned
    /// sales company, or an importer's national general agent.
    package var countsAsManufacturerCode: String?

    package init(
        code: String, name: String, isManufacturer: Bool, isDistributor: Bool,
        manufacturingLicence: String? = nil, distributionLicence: String? = nil,
        countsAsManufacturerCode: String? = nil
    ) {
        self.code = code
        self.name = name
        self.isManufacturer = isManufacturer
        self.isDistributor = isDistributor
        self.manufacturingLicence = manufacturingLicence
        self.distributionLicence = distributionLicence
        self.countsAsManufacturerCode = countsAsManufacturerCode
    }

    /// The checks a new supplier must pass, all of them reported at once.
    package func validationErrors() -> [FieldError] {
        var errors: [FieldError] = []
        if let e = Codes.institutionCodeError(code) { errors.append(FieldError(field: "code", reason: e)) }
        TextLimit.check(name, "name", 1...200, into: &errors)
        TextLimit.check(manufacturingLicence, "manufacturingLicence", 0...100, into: &errors)
        TextLimit.check(distributionLicence, "distributionLicence", 0...100, into: &errors)
        if !isManufacturer && !isDistributor {
            errors.append(FieldError(field: "isManufacturer", reason: "a supplier is a manufacturer, a distributor or both"))
        }
        if isManufacturer && (manufacturingLicence ?? "").isEmpty {
            errors.append(
                FieldError(field: "manufacturingLicence", reason: "a manufacturer needs its manufacturing licence number"))
        }
        if isDistributor && (distributionLicence ?? "").isEmpty {
            errors.append(FieldError(field: "distributionLicence", reason: "a distributor needs its distribution licence number"))
        }
        if countsAsManufacturerCode == code {
            errors.append(FieldError(field: "countsAsManufacturerCode", reason: "names the supplier itself"))
        }
        return errors
    }
}

/// The rules of registering a supplier (national master data).
package enum SupplierRules {
    /// The supplier a new one names as the manufacturer it counts as.
    package struct CountsAsCandidate: Sendable, Equatable {
        package var id: Int64
        package var isManufacturer: Bool

        package init(id: Int64, isManufacturer: Bool) {
            self.id = id
            self.isManufacturer = isManufacturer
        }
    }

    /// A supplier's fields are valid (422 naming each bad field otherwise).
    package static func checkNew(_ supplier: Supplier) throws(DomainError) {
        let errors = supplier.validationErrors()
        guard errors.isEmpty else { throw .unprocessable("the supplier is not valid", errors) }
    }

    /// 两票制: a supplier counts as a manufacturer only through a known manufacturer (422 naming
    /// `countsAsManufacturerCode` otherwise); the id to record, nil when it names none.
    package static func countsAsManufacturerID(_ candidate: CountsAsCandidate?, code: String?) throws(DomainError) -> Int64? {
        guard let code else { return nil }
        guard let candidate, candidate.isManufacturer else {
            throw .invalid("countsAsManufacturerCode", "\(code) is not a known manufacturer")
        }
        return candidate.id
    }
}

/// The shapes of the codes the service accepts.
package enum Codes {
    /// Consortium, institution and supplier codes: upper-case letters, digits, `-` and `_`, 2 to 32 long.
    package static func institutionCodeError(_ code: String) -> String? {
        let ok =
            (2...32).contains(code.utf8.count)
            && code.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
            && code.utf8.first.map { $0 != 45 && $0 != 95 } == true
        return ok ? nil : "must be 2 to 32 upper-case letters, digits, '-' or '_', starting with a letter or digit"
    }

    /// Drug codes: the national insurance code where one exists, kept as text (letters, digits, `.`, `-`, `_`).
    package static func drugCodeError(_ code: String) -> String? {
        let ok =
            (1...40).contains(code.utf8.count)
            && code.utf8.allSatisfy {
                ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95
                    || $0 == 46
            }
            && code.utf8.first.map { $0 != 45 && $0 != 95 && $0 != 46 } == true
        return ok ? nil : "must be 1 to 40 letters, digits, '.', '-' or '_', starting with a letter or digit"
    }
}

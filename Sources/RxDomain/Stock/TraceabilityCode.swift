import Foundation

/// Why a drug needs no traceability code (药品追溯码) under RULES.md.
package enum TraceabilityExemption: String, Sendable, Codable, CaseIterable {
    /// 中药饮片
    case decoctionPiece = "decoction_piece"
    /// 中药配方颗粒
    case formulaGranule = "formula_granule"
    /// 医疗机构制剂
    case hospitalPreparation = "hospital_preparation"
    /// 拆零: issued split from its package.
    case splitPackage = "split_package"
    /// 大输液
    case bulkInjection = "bulk_injection"
}

/// A drug traceability code (药品追溯码): 20 digits, the first 7 the product and package identifier (药品标识码).
package struct TraceabilityCode: Sendable, Hashable, Codable, CustomStringConvertible {
    package static let length = 20
    package static let prefixLength = 7

    package let value: String

    /// A code as scanned: surrounding spaces dropped, then exactly 20 ASCII digits (422 naming `field` otherwise).
    package init(parsing text: String, field: String) throws(DomainError) {
        let code = text.trimmingCharacters(in: .whitespaces)
        guard code.count == Self.length, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid(field, "'\(text)' is not a traceability code of \(Self.length) digits")
        }
        value = code
    }

    /// The product and package identifier (药品标识码).
    package var prefix: String { String(value.prefix(Self.prefixLength)) }
    package var description: String { value }
}

/// The rules of traceability codes: validation, the prefix's drug, exemptions, and the flag on a code dispensed
/// twice (回流药).
package enum TraceabilityRules {
    /// Why a drug needs no code: decoction pieces and hospital preparations by category; formula granules, split
    /// packages and bulk injections by what the store knows of the drug and the issue. nil when codes apply.
    package static func exemption(
        category: DrugCategory, formulaGranule: Bool, splitPackage: Bool, bulkInjection: Bool
    ) -> TraceabilityExemption? {
        if category == .decoctionPiece { return .decoctionPiece }
        if category == .hospitalPreparation { return .hospitalPreparation }
        if formulaGranule { return .formulaGranule }
        if bulkInjection { return .bulkInjection }
        if splitPackage { return .splitPackage }
        return nil
    }

    /// The codes of a receipt or a dispensing of `drugCode`: each 20 digits, none twice, each prefix in the prefix
    /// table (`prefixes`: 药品标识码 → drug code) mapping to this drug. Every broken rule at once, naming
    /// `field[i]`. Returns the parsed codes.
    package static func validate(
        _ codes: [String], drugCode: String, prefixes: [String: String], field: String = "traceabilityCodes"
    ) throws(DomainError) -> [TraceabilityCode] {
        var errors: [FieldError] = []
        var parsed: [TraceabilityCode] = []
        var seen: Set<TraceabilityCode> = []
        for (i, text) in codes.enumerated() {
            let name = "\(field)[\(i)]"
            let code: TraceabilityCode
            do {
                code = try TraceabilityCode(parsing: text, field: name)
            } catch {
                errors += error.fieldErrors
                continue
            }
            guard seen.insert(code).inserted else {
                errors.append(FieldError(field: name, reason: "\(code) is given twice"))
                continue
            }
            guard let mapped = prefixes[code.prefix] else {
                errors.append(FieldError(field: name, reason: "the product prefix \(code.prefix) maps to no drug"))
                continue
            }
            guard mapped == drugCode else {
                errors.append(FieldError(field: name, reason: "the product prefix \(code.prefix) is \(mapped), not \(drugCode)"))
                continue
            }
            parsed.append(code)
        }
        try TransferRules.refuse(errors, "the traceability codes are refused")
        return parsed
    }

    /// A purchase receipt's codes enter the consortium once: a code already received (`receivedAt`: code → the
    /// member that received it) is a package scanned twice or a copied code, refused with 409 naming each.
    package static func checkFirstReceipt(
        _ codes: [TraceabilityCode], receivedAt: [String: String], field: String = "traceabilityCodes"
    ) throws(DomainError) {
        let seen = codes.enumerated().compactMap { i, code in
            receivedAt[code.value].map { "\(field)[\(i)] \(code) → \($0)" }
        }
        guard seen.isEmpty else { throw .conflict("traceability codes already received: \(seen.joined(separator: ", "))") }
    }

    /// A code already dispensed before (its earlier dispensings, as the store finds them) is flagged: the mark of
    /// drugs flowing back into the market (回流药). Flagged, not refused: the dispensing happened; the flag is for
    /// the regulator and the auditor.
    package static func isReflow(previousDispensings: Int) -> Bool { previousDispensings > 0 }

    /// The codes among `codes` seen leaving the consortium before (`dispensedBefore`), in order.
    package static func reflowCodes(_ codes: [TraceabilityCode], dispensedBefore: Set<String>) -> [TraceabilityCode] {
        codes.filter { dispensedBefore.contains($0.value) }
    }
}

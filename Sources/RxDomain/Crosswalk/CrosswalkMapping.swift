import Foundation

/// One dated mapping of the crosswalk (药品编码对照): a code of some type means `drugCode`, and one of what the
/// code counts is `packageFactor` of the drug's unit, from `validFrom` up to (not including) `validTo`.
/// `consortiumID` nil is a national row, seen by every consortium; a consortium's own row for the same code wins.
package struct CrosswalkMapping: Sendable, Equatable, Codable {
    package var id: Int64?
    package var consortiumID: Int64?
    package var code: DrugCode
    /// The specification an approval number covers (one 批准文号 per specification); nil for the other types.
    package var specification: String?
    package var drugCode: String
    package var packageFactor: Quantity
    /// [validFrom, validTo): validTo is the day after the last day, nil while open. (The API and the files say the
    /// last day itself, as the price agreements' `effectiveTo` does: `lastDay`.)
    package var validFrom: BusinessDate
    package var validTo: BusinessDate?
    /// Where the mapping comes from: a file, the platform's list, a person's entry.
    package var source: String

    package init(
        id: Int64? = nil, consortiumID: Int64?, code: DrugCode, specification: String?, drugCode: String,
        packageFactor: Quantity, validFrom: BusinessDate, validTo: BusinessDate?, source: String
    ) {
        self.id = id
        self.consortiumID = consortiumID
        self.code = code
        self.specification = specification
        self.drugCode = drugCode
        self.packageFactor = packageFactor
        self.validFrom = validFrom
        self.validTo = validTo
        self.source = source
    }

    /// The last day the mapping holds, nil while open.
    package var lastDay: BusinessDate? { validTo?.adding(days: -1) }

    /// Whether the mapping holds on `date`.
    package func holds(on date: BusinessDate) -> Bool {
        validFrom <= date && (validTo.map { date < $0 } ?? true)
    }

    /// A quantity counted in this code's units, in the drug's unit.
    package func toDrugUnit(_ quantity: Quantity) -> Quantity {
        Quantity(quantity.value * packageFactor.value)
    }
}

/// A mapping as written (a request's body or a CSV line), not yet checked.
package struct CrosswalkMappingInput: Sendable, Equatable {
    package var codeType: String
    package var code: String
    package var specification: String?
    package var drugCode: String
    package var packageFactor: String
    package var validFrom: String
    /// The last day the mapping holds (inclusive), empty or nil while open.
    package var validTo: String?
    package var source: String

    package init(
        codeType: String, code: String, specification: String? = nil, drugCode: String, packageFactor: String,
        validFrom: String, validTo: String? = nil, source: String
    ) {
        self.codeType = codeType
        self.code = code
        self.specification = specification
        self.drugCode = drugCode
        self.packageFactor = packageFactor
        self.validFrom = validFrom
        self.validTo = validTo
        self.source = source
    }
}

/// The crosswalk's rules: a mapping's checks, its end, and which mapping a code finds on a date.
package enum CrosswalkRules {
    /// The largest package factor taken (a case of 10,000 units is the most the demo and the national list show,
    /// with room to spare); above it a factor is a typing slip.
    package static let maxPackageFactor = Decimal(1_000_000)

    /// Checks a mapping as written, every broken rule at once (422 naming each field; a file's loader prefixes the
    /// line). `drugExists` is whether the drug code names a drug of the master data.
    package static func validate(
        _ input: CrosswalkMappingInput, consortiumID: Int64?, drugExists: Bool
    ) throws(DomainError) -> CrosswalkMapping {
        var errors: [FieldError] = []
        let type = DrugCodeType(name: input.codeType)
        if type == nil {
            errors.append(FieldError(field: "codeType", reason: "must be one of \(DrugCodeType.names)"))
        }
        var code: DrugCode?
        if let damage = SpreadsheetCell.codeDamage(input.code.trimmingCharacters(in: .whitespaces)) {
            errors.append(FieldError(field: "code", reason: damage))
        } else if let type {
            do { code = try DrugCode(input.code, type: type, field: "code") } catch { errors += error.fieldErrors }
        }
        var specification = input.specification?.trimmingCharacters(in: .whitespaces)
        if specification?.isEmpty == true { specification = nil }
        if type == .approval {
            if specification == nil {
                errors.append(FieldError(field: "specification", reason: "is required for an approval number"))
            } else {
                TextLimit.check(specification, "specification", 1...50, into: &errors)
            }
        } else if type != nil, specification != nil {
            errors.append(FieldError(field: "specification", reason: "is given only with an approval number"))
        }
        let drugCode = input.drugCode.trimmingCharacters(in: .whitespaces)
        if drugCode.isEmpty {
            errors.append(FieldError(field: "drugCode", reason: "must not be empty"))
        } else if !drugExists {
            errors.append(FieldError(field: "drugCode", reason: "no drug \(drugCode)"))
        }
        let factor = Quantity(input.packageFactor.trimmingCharacters(in: .whitespaces))
        if factor == nil {
            errors.append(
                FieldError(field: "packageFactor", reason: "'\(input.packageFactor)' is not a decimal like 28 or 0.5"))
        } else if factor!.value <= 0 {
            errors.append(FieldError(field: "packageFactor", reason: "must be positive"))
        } else if factor!.value > maxPackageFactor {
            errors.append(FieldError(field: "packageFactor", reason: "must be at most 1000000"))
        }
        let from = date(input.validFrom, field: "validFrom", into: &errors)
        var to: BusinessDate?
        if let text = input.validTo?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
            let last = date(text, field: "validTo", into: &errors)
        {
            if let from, last < from {
                errors.append(FieldError(field: "validTo", reason: "must not be before validFrom (\(from))"))
            }
            to = last.adding(days: 1)
        }
        let source = input.source.trimmingCharacters(in: .whitespaces)
        TextLimit.check(source, "source", 1...200, into: &errors)
        guard errors.isEmpty, let code, let factor, let from else {
            throw .unprocessable(errors.map { "\($0.field): \($0.reason)" }.joined(separator: "; "), errors)
        }
        return CrosswalkMapping(
            consortiumID: consortiumID, code: code, specification: specification, drugCode: drugCode,
            packageFactor: factor, validFrom: from, validTo: to, source: source)
    }

    /// Ending a mapping after `lastDay` (the last day it holds): not before its start, and not later than an end
    /// it already has (a mapping is shortened, never reopened: a new mapping says what follows).
    package static func end(_ mapping: CrosswalkMapping, lastDay: BusinessDate) throws(DomainError) -> CrosswalkMapping {
        guard lastDay >= mapping.validFrom else {
            throw .invalid("validTo", "must not be before validFrom (\(mapping.validFrom))")
        }
        if let current = mapping.lastDay, lastDay > current {
            throw .conflict("the mapping already ends on \(current); a later end would reopen it")
        }
        var ended = mapping
        ended.validTo = lastDay.adding(days: 1)
        return ended
    }

    /// The mapping a code finds on `date` among `mappings` of that code: the consortium's own first, then the
    /// national one; nil when none holds (the line is unmapped).
    package static func resolve(_ mappings: [CrosswalkMapping], on date: BusinessDate) -> CrosswalkMapping? {
        let holding = mappings.filter { $0.holds(on: date) }
        return holding.first { $0.consortiumID != nil } ?? holding.first
    }

    static func date(_ text: String, field: String, into errors: inout [FieldError]) -> BusinessDate? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let date = BusinessDate(trimmed) else {
            errors.append(FieldError(field: field, reason: "'\(text)' is not a date YYYY-MM-DD"))
            return nil
        }
        guard date >= BusinessDate.earliest else {
            errors.append(FieldError(field: field, reason: "must not be before \(BusinessDate.earliest)"))
            return nil
        }
        return date
    }
}

/// A bad line of a crosswalk file: its number, the column's field and why.
package struct CrosswalkLineRefusal: Sendable, Equatable, Codable, CustomStringConvertible {
    package var line: Int
    package var field: String
    package var reason: String

    package init(line: Int, field: String, reason: String) {
        self.line = line
        self.field = field
        self.reason = reason
    }

    package var description: String { "line \(line): \(field): \(reason)" }
}

extension CrosswalkRules {
    /// The key no two mappings of one scope may share on a day.
    package struct Key: Hashable, Sendable {
        package var type: DrugCodeType
        package var code: String
        package var specification: String
    }

    package static func key(_ m: CrosswalkMapping) -> Key {
        Key(type: m.code.type, code: m.code.value, specification: m.specification ?? "")
    }

    static func overlap(_ a: CrosswalkMapping, _ b: CrosswalkMapping) -> Bool {
        let aEndsAfterBStarts = a.validTo.map { $0 > b.validFrom } ?? true
        let bEndsAfterAStarts = b.validTo.map { $0 > a.validFrom } ?? true
        return aEndsAfterBStarts && bEndsAfterAStarts
    }

    /// Checks every line of a file (`knownDrugs`: the drug codes of the master data among the file's), and that no
    /// two lines map the same code over overlapping dates. Each refusal names its line and field; the mappings
    /// are returned only when there is none (a file is loaded whole or not at all).
    package static func checkFile(
        _ lines: [(line: Int, input: CrosswalkMappingInput)], consortiumID: Int64?, knownDrugs: Set<String>
    ) -> (mappings: [(line: Int, mapping: CrosswalkMapping)], refusals: [CrosswalkLineRefusal]) {
        var refusals: [CrosswalkLineRefusal] = []
        var mappings: [(line: Int, mapping: CrosswalkMapping)] = []
        var byKey: [Key: [(line: Int, mapping: CrosswalkMapping)]] = [:]
        for (line, input) in lines {
            do {
                let drug = input.drugCode.trimmingCharacters(in: .whitespaces)
                let mapping = try validate(input, consortiumID: consortiumID, drugExists: knownDrugs.contains(drug))
                if let earlier = byKey[key(mapping)]?.first(where: { overlap($0.mapping, mapping) }) {
                    refusals.append(
                        CrosswalkLineRefusal(
                            line: line, field: "validFrom",
                            reason: "the code is already mapped on these dates by line \(earlier.line)"))
                    continue
                }
                byKey[key(mapping), default: []].append((line, mapping))
                mappings.append((line, mapping))
            } catch {
                refusals += error.fieldErrors.map { CrosswalkLineRefusal(line: line, field: $0.field, reason: $0.reason) }
            }
        }
        return (refusals.isEmpty ? mappings : [], refusals)
    }

    /// The refusal of a new mapping whose dates overlap a mapping already kept for the same code (`existing`).
    package static func overlapRefusal(existing: CrosswalkMapping) -> FieldError {
        let id = existing.id ?? 0
        guard let last = existing.lastDay else {
            return FieldError(
                field: "validFrom",
                reason: "the code is already mapped by mapping \(id) from \(existing.validFrom) with no end")
        }
        return FieldError(
            field: "validFrom",
            reason: "the code is already mapped by mapping \(id) from \(existing.validFrom) to \(last)")
    }
}

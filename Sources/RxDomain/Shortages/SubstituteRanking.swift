import Foundation

/// Alternatives to a short drug inside the catalogue (替代), ranked: the same generic name in another strength or form
/// first, then the same ATC group (the chemical subgroup, the ATC code's first five characters: C08CA for the
/// dihydropyridines), and only drugs with stock on hand in the consortium. A pharmacist signs the chosen one off
/// (`ShortageRules.act`).
package enum SubstituteRanking {
    /// A drug of the catalogue as the ranking sees it, with its stock on hand across the consortium.
    package struct Drug: Sendable, Equatable {
        package var code: String
        package var genericName: String
        package var dosageForm: String
        package var strength: String?
        package var atcCode: String?
        package var onHand: Quantity

        package init(
            code: String, genericName: String, dosageForm: String, strength: String?, atcCode: String?, onHand: Quantity = .zero
        ) {
            self.code = code
            self.genericName = genericName
            self.dosageForm = dosageForm
            self.strength = strength
            self.atcCode = atcCode
            self.onHand = onHand
        }
    }

    /// How close an alternative is.
    package enum Match: String, Sendable, Codable, CaseIterable, Comparable {
        /// 同通用名, same dosage form, another strength.
        case sameGenericSameForm = "same_generic_same_form"
        /// 同通用名, another dosage form.
        case sameGenericOtherForm = "same_generic_other_form"
        /// 同 ATC 药理学亚组
        case sameATCGroup = "same_atc_group"

        package static func < (a: Match, b: Match) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    package struct Candidate: Sendable, Equatable {
        package var drug: Drug
        package var match: Match
    }

    /// The ATC group a code belongs to: its first five characters (the fourth level), nil when shorter.
    package static func atcGroup(_ code: String?) -> String? {
        guard let code, code.count >= 5 else { return nil }
        return String(code.prefix(5))
    }

    /// The alternatives to `short` among `catalogue`: by match, then stock on hand (most first), then code.
    package static func rank(_ short: Drug, among catalogue: [Drug]) -> [Candidate] {
        let group = atcGroup(short.atcCode)
        var found: [Candidate] = []
        for drug in catalogue where drug.code != short.code && drug.onHand > .zero {
            if drug.genericName == short.genericName {
                found.append(
                    Candidate(
                        drug: drug, match: drug.dosageForm == short.dosageForm ? .sameGenericSameForm : .sameGenericOtherForm))
            } else if let group, atcGroup(drug.atcCode) == group {
                found.append(Candidate(drug: drug, match: .sameATCGroup))
            }
        }
        return found.sorted {
            ($0.match, $1.drug.onHand, $0.drug.code) < ($1.match, $0.drug.onHand, $1.drug.code)
        }
    }
}

import Foundation

/// The stated basis on which a member links its pseudonym of a patient to the consortium's (患者主索引).
package enum PatientLinkBasis: String, Sendable, Codable, CaseIterable {
    /// 医保电子凭证 / 社保卡 seen at the desk.
    case insuranceCard = "insurance_card"
    /// 居民电子健康卡
    case healthCard = "health_card"
    /// 转诊单: the referral names the patient at both members.
    case referral
    /// 家庭医生签约
    case familyDoctorContract = "family_doctor_contract"
}

/// A member's pseudonym of a patient (the `patient_ref` of its prescriptions), as the consortium sees it.
package struct MemberPatient: Sendable, Hashable {
    package var institutionID: Int64
    package var pseudonym: String

    package init(institutionID: Int64, pseudonym: String) {
        self.institutionID = institutionID
        self.pseudonym = pseudonym
    }
}

/// One link of the consortium patient index: a member's pseudonym to one consortium pseudonym, on a basis. Never a
/// name nor an ID number.
package struct PatientLink: Sendable, Equatable {
    package var member: MemberPatient
    package var consortiumPseudonym: String
    package var basis: PatientLinkBasis

    package init(member: MemberPatient, consortiumPseudonym: String, basis: PatientLinkBasis) {
        self.member = member
        self.consortiumPseudonym = consortiumPseudonym
        self.basis = basis
    }
}

/// One patient across the consortium (医联体患者主索引): each member's pseudonym links to one consortium pseudonym.
package enum PatientLinkRules {
    /// Whether a link is new or the same as the one already there.
    package enum Outcome: Sendable, Equatable {
        case new, unchanged
    }

    /// Checks a link as asked: both pseudonyms as the contract's `PatientRef` (never echoed: a name typed there must
    /// not reach a log), neither shaped like an 18-character ID card number, a known basis (every field at fault at
    /// once, 422); a member's pseudonym already linked elsewhere is 409.
    package static func check(
        memberPseudonym: String, consortiumPseudonym: String, basis: String, existing: PatientLink?
    ) throws(DomainError) -> (PatientLinkBasis, Outcome) {
        var errors: [FieldError] = []
        for (field, value) in [("memberPseudonym", memberPseudonym), ("consortiumPseudonym", consortiumPseudonym)] {
            if !LongPrescriptionInput.isPseudonym(value) {
                errors.append(FieldError(field: field, reason: "must be a pseudonym of 1 to 64 letters, digits, _ or -"))
            } else if looksLikeIDCardNumber(value) {
                errors.append(FieldError(field: field, reason: "looks like an ID card number; use a pseudonym"))
            }
        }
        let known = PatientLinkBasis(rawValue: basis)
        if known == nil {
            errors.append(
                FieldError(
                    field: "basis",
                    reason: "must be one of \(PatientLinkBasis.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        guard errors.isEmpty, let known else {
            throw .unprocessable("the patient link is refused: \(errors.map(\.field).joined(separator: ", "))", errors)
        }
        guard let existing else { return (known, .new) }
        guard existing.consortiumPseudonym == consortiumPseudonym else {
            throw .conflict("the member's pseudonym is already linked to another consortium patient")
        }
        return (known, .unchanged)
    }

    /// How a read names the patient whose links it wants: by the consortium pseudonym, or by a member's code and its
    /// pseudonym.
    package enum Query: Sendable, Equatable {
        case consortium(pseudonym: String)
        case member(institutionCode: String, pseudonym: String)
    }

    /// A read of a patient's links names the patient one way: `consortiumPseudonym`, or `institutionCode` with
    /// `memberPseudonym` (400 naming the fields otherwise); pseudonyms as `PatientRef`, never echoed.
    package static func query(
        consortiumPseudonym: String?, institutionCode: String?, memberPseudonym: String?
    ) throws(DomainError) -> Query {
        let oneWay = "name the patient one way: consortiumPseudonym, or institutionCode with memberPseudonym"
        for (field, value) in [("consortiumPseudonym", consortiumPseudonym), ("memberPseudonym", memberPseudonym)] {
            if let value, !LongPrescriptionInput.isPseudonym(value) {
                let reason = "must be a pseudonym of 1 to 64 letters, digits, _ or -"
                throw .badRequest("\(field): \(reason)", [FieldError(field: field, reason: reason)])
            }
        }
        switch (consortiumPseudonym, institutionCode, memberPseudonym) {
        case (let pseudonym?, nil, nil): return .consortium(pseudonym: pseudonym)
        case (nil, let code?, let pseudonym?): return .member(institutionCode: code, pseudonym: pseudonym)
        default:
            let given = [
                ("consortiumPseudonym", consortiumPseudonym), ("institutionCode", institutionCode),
                ("memberPseudonym", memberPseudonym),
            ]
            let named = given.filter { $0.1 != nil }.map(\.0)
            throw .badRequest(
                oneWay, (named.isEmpty ? given.map(\.0) : named).map { FieldError(field: $0, reason: oneWay) })
        }
    }

    /// 17 digits and a digit or X: the shape of a resident ID card number (居民身份证号码).
    package static func looksLikeIDCardNumber(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 18 else { return false }
        let digit = { (b: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
        return u[..<17].allSatisfy(digit) && (digit(u[17]) || u[17] == UInt8(ascii: "X") || u[17] == UInt8(ascii: "x"))
    }

    /// A patient's pseudonyms at every member: those linked to the same consortium pseudonym as `patient`, `patient`
    /// itself first (an unlinked patient is only itself, so existing prescriptions keep working).
    package static func pseudonyms(of patient: MemberPatient, links: [PatientLink]) -> [MemberPatient] {
        guard let linked = links.first(where: { $0.member == patient }) else { return [patient] }
        let others = links.filter { $0.consortiumPseudonym == linked.consortiumPseudonym && $0.member != patient }
            .map(\.member).sorted { ($0.institutionID, $0.pseudonym) < ($1.institutionID, $1.pseudonym) }
        return [patient] + others
    }
}

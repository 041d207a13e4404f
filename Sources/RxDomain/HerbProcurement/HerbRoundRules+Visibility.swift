/// Whose figures of a round a caller sees: the lead, auditors and regulators every member's, a member its own.
extension HerbRoundRules {
    /// The figures of a round a member sees only its own of.
    package enum MemberFigures: Sendable {
        case commitments, progress, missingCommitments
    }

    /// nil: every member's (`seesAll`); else the caller's own institution. A token naming no institution that does
    /// not see all is refused (403).
    package static func visibleMember(seesAll: Bool, institutionID: Int64?, figures: MemberFigures) throws(DomainError)
        -> Int64?
    {
        if seesAll { return nil }
        if let institutionID { return institutionID }
        switch figures {
        case .commitments: throw .forbidden("a member sees its own commitments; this token names no institution")
        case .progress: throw .forbidden("a member sees its own progress; this token names no institution")
        case .missingCommitments:
            throw .forbidden("a member sees its own missing commitments; this token names no institution")
        }
    }

    /// A member that asks for one institution's missing commitments names its own (`code` nil: it names none).
    package static func checkNamedMember(_ code: String?, own: String?) throws(DomainError) {
        if let code, code != own { throw .forbidden("a member sees its own missing commitments, not \(code)'s") }
    }
}

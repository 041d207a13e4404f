/// Who is calling: an API token's holder, or an operator at the command line.
package struct Principal: Sendable, Equatable {
    package var tokenID: Int64?
    package var role: Role?
    /// The token's consortium; nil for a national role (`master_data_admin`), which sees no consortium's data:
    /// every consortium-scoped comparison with nil fails, so such reads find nothing.
    package var consortiumID: Int64?
    package var consortiumCode: String?
    /// Set when the token is scoped to one institution.
    package var institutionID: Int64?
    package var institutionCode: String?
    /// A label for the audit trail: the token's name, or the operator's account.
    package var name: String
    /// The prescriber a prescriber token is bound to (their pseudonym; `token create --prescriber`): its checks and
    /// prescriptions are in that prescriber's name. Nil for an unbound token (those made before keep working).
    package var prescriberPseudonym: String?

    package init(
        tokenID: Int64?, role: Role?, consortiumID: Int64?, consortiumCode: String?,
        institutionID: Int64?, institutionCode: String?, name: String, prescriberPseudonym: String? = nil
    ) {
        self.tokenID = tokenID
        self.role = role
        self.consortiumID = consortiumID
        self.consortiumCode = consortiumCode
        self.institutionID = institutionID
        self.institutionCode = institutionCode
        self.name = name
        self.prescriberPseudonym = prescriberPseudonym
    }

    /// The token's consortium, for a read or write scoped to it; a token of no consortium finds nothing (404,
    /// naming what was asked for, as another consortium's token would).
    package func scopedConsortiumID(orNotFound what: @autoclosure () -> String) throws(DomainError) -> Int64 {
        guard let consortiumID else { throw .notFound(what()) }
        return consortiumID
    }
}

extension Principal {
    /// A token bound to a prescriber checks and issues long prescriptions in that prescriber's name only: naming
    /// another is 422 naming `prescriber`. An unbound token names any registered prescriber of the institution, as
    /// before binding existed.
    package func requireOwnPrescriber(_ named: String) throws(DomainError) {
        guard let bound = prescriberPseudonym, bound != named else { return }
        throw .invalid("prescriber", "this token is bound to its own prescriber and does not act in another's name")
    }
}

/// The author of a change as the audit trail records it.
package struct Actor: Sendable, Equatable {
    package var tokenID: Int64?
    package var label: String
    package var role: String?

    package init(tokenID: Int64?, label: String, role: String?) {
        self.tokenID = tokenID
        self.label = label
        self.role = role
    }

    package init(_ principal: Principal) {
        self.init(tokenID: principal.tokenID, label: principal.name, role: principal.role?.rawValue)
    }

    /// A command run at the console (migrate, seed, import) by the operating-system user.
    package static func console(_ command: String) -> Actor {
        Actor(tokenID: nil, label: "console:\(command)", role: nil)
    }
}

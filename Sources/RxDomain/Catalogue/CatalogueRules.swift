import Foundation

/// The consortium essential drug catalogue (基本用药目录): a version's lifecycle and its items.
package enum CatalogueStatus: String, Sendable, Codable, CaseIterable {
    /// Being edited by the pharmacy centre. At most one open (draft or proposed) version per consortium.
    case draft
    /// Put to the members for endorsement; no longer editable.
    case proposed
    /// Agreed and in force from its effective date; never changes again.
    case published
}

package struct CatalogueItem: Sendable, Equatable, Codable {
    package var drugCode: String
    /// The institution levels that may use the drug; empty means every level.
    package var levels: [InstitutionLevel]
    package var note: String?
    /// Why a drug that is neither on the essential list nor insurance-listed belongs in the catalogue.
    package var justification: String?

    package init(drugCode: String, levels: [InstitutionLevel] = [], note: String? = nil, justification: String? = nil) {
        self.drugCode = drugCode
        self.levels = levels
        self.note = note
        self.justification = justification
    }

    package func allows(_ level: InstitutionLevel) -> Bool { levels.isEmpty || levels.contains(level) }
}

package enum EndorsementDecision: String, Sendable, Codable, CaseIterable {
    case endorse
    case object
}

/// Why an institution has not endorsed a version put to it: it has not decided, or it objects.
package enum PendingEndorsementStatus: String, Sendable, Codable, CaseIterable {
    case undecided
    case objected
}

/// How many member endorsements a catalogue version needs: a consortium setting (`catalogue_quorum`).
package enum Quorum: Sendable, Equatable {
    /// More than half of the members.
    case simpleMajority
    /// At least two thirds of the members.
    case twoThirds
    case all
    /// A fixed number of members.
    case count(Int)

    package init?(setting: String) {
        switch setting {
        case "simple_majority": self = .simpleMajority
        case "two_thirds": self = .twoThirds
        case "all": self = .all
        default:
            guard let n = Int(setting), n >= 0 else { return nil }
            self = .count(n)
        }
    }

    /// Endorsements needed out of `members` (the lead's own endorsement is required besides).
    package func required(members: Int) -> Int {
        switch self {
        case .simpleMajority: members == 0 ? 0 : members / 2 + 1
        case .twoThirds: (2 * members + 2) / 3
        case .all: members
        case .count(let n): min(n, members)
        }
    }
}

package enum CatalogueRules {
    /// An item whose drug is neither on an essential-list edition nor insurance-listed needs a written
    /// justification (national essential medicines and insurance-listed drugs come first).
    package static func justificationError(item: CatalogueItem, drug: Drug) -> FieldError? {
        guard !drug.isEssentialOrInsured else { return nil }
        if let j = item.justification, !j.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return nil }
        return FieldError(
            field: "justification",
            reason:
                "\(drug.code) is neither on the national essential medicines list nor insurance-listed: give a written justification"
        )
    }

    package struct PublicationCheck: Sendable, Equatable {
        package var leadEndorsed: Bool
        package var endorsements: Int
        package var required: Int
        package var openObjections: [String]

        package init(leadEndorsed: Bool, endorsements: Int, required: Int, openObjections: [String]) {
            self.leadEndorsed = leadEndorsed
            self.endorsements = endorsements
            self.required = required
            self.openObjections = openObjections
        }

        package var problems: [String] {
            var p: [String] = []
            if !leadEndorsed { p.append("the lead institution has not endorsed it") }
            if endorsements < required { p.append("\(endorsements) of the \(required) member endorsements needed") }
            if !openObjections.isEmpty { p.append("open objections from \(openObjections.joined(separator: ", "))") }
            return p
        }
    }

    /// Whether a proposed version may be published: the lead and a quorum of members endorsed it, and no
    /// objection is left open.
    package static func publicationCheck(
        decisions: [String: EndorsementDecision], lead: String, members: [String], quorum: Quorum
    ) -> PublicationCheck {
        let memberSet = Set(members).subtracting([lead])
        let endorsed = memberSet.filter { decisions[$0] == .endorse }.count
        return PublicationCheck(
            leadEndorsed: decisions[lead] == .endorse, endorsements: endorsed,
            required: quorum.required(members: memberSet.count),
            openObjections: decisions.filter { $0.value == .object }.map(\.key).sorted())
    }

    /// Endorsements are awaited from a version put to the members (proposed, or published after them); a draft is put
    /// to no one yet: 409.
    package static func requirePutToMembers(_ status: CatalogueStatus, number: Int) throws(DomainError) {
        guard status != .draft else {
            throw .conflict("version \(number) is a draft; endorsements are awaited once it is proposed")
        }
    }

    /// The drugs a member may use: its own list when it has one, otherwise what its level allows of the
    /// consortium catalogue in effect.
    package static func memberDrugs(ownList: [String]?, level: InstitutionLevel, catalogue: [String: CatalogueItem]) -> [String] {
        ownList ?? catalogue.values.filter { $0.allows(level) }.map(\.drugCode).sorted()
    }

    /// A member list's drugs that the consortium catalogue does not hold, or holds for other levels only.
    package static func outOfLine(
        memberDrugs: [String], level: InstitutionLevel, catalogue: [String: CatalogueItem]
    ) -> [FieldError] {
        memberDrugs.sorted().compactMap { code in
            guard let item = catalogue[code] else {
                return FieldError(field: code, reason: "not in the consortium catalogue in effect")
            }
            guard item.allows(level) else {
                return FieldError(
                    field: code,
                    reason:
                        "restricted to \(item.levels.map(\.rawValue).joined(separator: ", ")) institutions, not \(level.rawValue)"
                )
            }
            return nil
        }
    }

    package struct Difference: Sendable, Equatable {
        package var added: [CatalogueItem]
        package var removed: [CatalogueItem]
        package var changed: [(before: CatalogueItem, after: CatalogueItem)]

        package static func == (a: Self, b: Self) -> Bool {
            a.added == b.added && a.removed == b.removed
                && a.changed.map(\.before) == b.changed.map(\.before) && a.changed.map(\.after) == b.changed.map(\.after)
        }
    }

    /// What `version` adds, removes and changes against `base`.
    package static func difference(_ version: [CatalogueItem], against base: [CatalogueItem]) -> Difference {
        let old = Dictionary(base.map { ($0.drugCode, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(version.map { ($0.drugCode, $0) }, uniquingKeysWith: { a, _ in a })
        return Difference(
            added: version.filter { old[$0.drugCode] == nil }.sorted { $0.drugCode < $1.drugCode },
            removed: base.filter { new[$0.drugCode] == nil }.sorted { $0.drugCode < $1.drugCode },
            changed: version.compactMap { item in
                guard let before = old[item.drugCode], before != item else { return nil }
                return (before, item)
            }.sorted { $0.after.drugCode < $1.after.drugCode })
    }

    /// Alternatives for a drug the receiving institution does not hold: the same generic name in another form
    /// or strength first, then the same ATC chemical subgroup (level 4, five characters), so a down-referred
    /// patient's treatment continues (用药目录衔接).
    package static func alternatives(for drug: Drug, among available: [Drug]) -> [Drug] {
        let sameGeneric = available.filter { $0.code != drug.code && $0.genericName == drug.genericName }
        guard let atc = drug.atcCode, atc.count >= 5 else { return sameGeneric }
        let group = atc.prefix(5)
        let sameGroup = available.filter {
            $0.code != drug.code && $0.genericName != drug.genericName && ($0.atcCode?.hasPrefix(group) ?? false)
        }
        return sameGeneric + sameGroup.sorted { ($0.genericName, $0.code) < ($1.genericName, $1.code) }
    }
}

/// What a catalogue version (目录版本) accepts as it is drafted, put to the members, endorsed and published: facts in
/// (what the store reads), a refusal out, in the order the store asks.
extension CatalogueRules {
    /// One open (draft or proposed) version per consortium: `open` is the open version's number, if any.
    package static func checkNoOpenVersion(_ open: Int?) throws(DomainError) {
        if let open { throw .conflict("version \(open) is still open; publish it first (one open draft at a time)") }
    }

    /// Only a draft's items change.
    package static func checkDraftChange(status: CatalogueStatus, number: Int) throws(DomainError) {
        guard status == .draft else { throw .conflict("version \(number) is \(status.rawValue); only a draft changes") }
    }

    /// An item names a known drug (nil: no drug by that code), with a justification when the drug is neither
    /// essential nor insurance-listed.
    @discardableResult
    package static func checkItem(_ item: CatalogueItem, drug: Drug?) throws(DomainError) -> Drug {
        guard let drug else { throw .invalid("drugCode", "no drug \(item.drugCode)") }
        if let error = justificationError(item: item, drug: drug) { throw .unprocessable(error.reason, [error]) }
        return drug
    }

    /// A version's move between drafting and the members.
    package enum Move: String, Sendable, Equatable {
        /// draft → proposed: put to the members for endorsement.
        case propose
        /// proposed → draft: back to drafting; the endorsements given to the old content are cleared.
        case reopen
    }

    /// A draft with items may be proposed, a proposed version reopened; nothing else moves this way.
    package static func move(
        from current: CatalogueStatus, to status: CatalogueStatus, number: Int, itemCount: Int
    ) throws(DomainError) -> Move {
        switch (current, status) {
        case (.draft, .proposed):
            guard itemCount > 0 else { throw .invalid("items", "an empty catalogue cannot be proposed") }
            return .propose
        case (.proposed, .draft):
            return .reopen
        default:
            throw .conflict("version \(number) is \(current.rawValue); it cannot become \(status.rawValue)")
        }
    }

    /// An objection says why (背书 / 异议).
    package static func checkEndorsement(_ decision: EndorsementDecision, comment: String?) throws(DomainError) {
        if decision == .object && (comment ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .invalid("comment", "an objection says why")
        }
    }

    /// An endorsement (背书) is recorded with a token scoped to the member institution (403 otherwise): its id and code.
    package static func endorsingInstitution(_ principal: Principal) throws(DomainError) -> (id: Int64, code: String) {
        guard let id = principal.institutionID, let code = principal.institutionCode else {
            throw .forbidden("an endorsement is recorded with a token scoped to the member institution")
        }
        return (id, code)
    }

    /// Members endorse a proposed version only.
    package static func checkEndorsable(status: CatalogueStatus, number: Int) throws(DomainError) {
        guard status == .proposed else {
            throw .conflict("version \(number) is \(status.rawValue); members endorse a proposed version")
        }
    }

    /// A catalogue takes effect today or later.
    package static func checkEffectiveFrom(_ effectiveFrom: BusinessDate, today: BusinessDate) throws(DomainError) {
        guard effectiveFrom >= today else {
            throw .invalid("effectiveFrom", "\(effectiveFrom) is in the past; a catalogue takes effect today or later")
        }
    }

    /// Only a proposed version is published, after the one in effect (`latestEffective`, if any), in a consortium
    /// with a lead institution; returns the lead's code.
    package static func checkPublishable(
        status: CatalogueStatus, number: Int, effectiveFrom: BusinessDate, latestEffective: BusinessDate?, lead: String?
    ) throws(DomainError) -> String {
        guard status == .proposed else {
            throw .conflict("version \(number) is \(status.rawValue); only a proposed version is published")
        }
        if let latestEffective, effectiveFrom <= latestEffective {
            throw .invalid("effectiveFrom", "must be after \(latestEffective), when the current version took effect")
        }
        guard let lead else { throw .unprocessable("the consortium has no lead institution") }
        return lead
    }

    /// The lead and a quorum of members endorsed the version and no objection is open (`publicationCheck`).
    package static func checkPublication(_ check: PublicationCheck, number: Int) throws(DomainError) {
        guard check.problems.isEmpty else {
            throw .unprocessable("version \(number) cannot be published: " + check.problems.joined(separator: "; "))
        }
    }
}

extension CatalogueRules {
    /// A member's own list (成员单位用药目录) lies inside the consortium catalogue in effect (`catalogue`, nil when
    /// none is), as its level allows.
    package static func checkMemberList(
        _ memberDrugs: [String], level: InstitutionLevel, catalogue: [String: CatalogueItem]?
    ) throws(DomainError) {
        guard let catalogue else {
            throw .unprocessable("the consortium has no catalogue in effect; a member's list must lie inside it")
        }
        let offending = outOfLine(memberDrugs: memberDrugs, level: level, catalogue: catalogue)
        guard offending.isEmpty else {
            throw .unprocessable(
                "\(offending.count) drug(s) lie outside the consortium catalogue for a \(level.rawValue) institution: "
                    + offending.map(\.field).joined(separator: ", "), offending)
        }
    }
}

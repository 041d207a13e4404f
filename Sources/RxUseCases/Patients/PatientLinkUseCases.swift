import Foundation
import RxDomain
import RxStore

/// One patient across the consortium (患者主索引): a member links its pseudonym of a patient to a consortium pseudonym
/// on a stated basis (audited), and a patient's links are read by either pseudonym. The long-prescription check and
/// issue read supply across every linked pseudonym (`LongPrescriptionUseCases`).
package struct PatientLinkUseCases: Sendable {
    let database: Database
    let links: PatientLinkStore

    package init(database: Database) {
        self.database = database
        self.links = PatientLinkStore(database: database)
    }

    /// A link and whether this call made it (false: the same link was already there).
    package struct Linked: Sendable {
        package var link: PatientLinkStore.Stored
        package var created: Bool
    }

    /// Links a member's pseudonym to a consortium pseudonym: every field at fault at once (422), a pseudonym already
    /// linked to another consortium patient 409, the same link again unchanged. Audited when new.
    package func link(
        institution: Institution, memberPseudonym: String, consortiumPseudonym: String, basis: String,
        by principal: Principal
    ) async throws -> Linked {
        try principal.require(.linkPatient(consortiumID: institution.consortiumID, institutionID: institution.id))
        // The input alone first: nothing is read for a refused link.
        _ = try PatientLinkRules.check(
            memberPseudonym: memberPseudonym, consortiumPseudonym: consortiumPseudonym, basis: basis, existing: nil)
        let consortiumID = institution.consortiumID
        let member = MemberPatient(institutionID: institution.id, pseudonym: memberPseudonym)
        return try await database.transaction { transaction in
            let existing = try await links.link(of: member, consortiumID: consortiumID, connection: transaction)
            let (known, outcome) = try PatientLinkRules.check(
                memberPseudonym: memberPseudonym, consortiumPseudonym: consortiumPseudonym, basis: basis,
                existing: existing?.link)
            if outcome == .unchanged, let existing { return Linked(link: existing, created: false) }
            let link = PatientLink(member: member, consortiumPseudonym: consortiumPseudonym, basis: known)
            guard try await links.insert(link, consortiumID: consortiumID, by: principal.tokenID, connection: transaction)
            else {
                // Linked meanwhile by a racing request: the same link is unchanged, another is 409.
                let raced = try await links.link(of: member, consortiumID: consortiumID, connection: transaction)
                    .orNotFound("no link of the member's pseudonym")
                _ = try PatientLinkRules.check(
                    memberPseudonym: memberPseudonym, consortiumPseudonym: consortiumPseudonym, basis: basis,
                    existing: raced.link)
                return Linked(link: raced, created: false)
            }
            let stored = try await links.link(of: member, consortiumID: consortiumID, connection: transaction)
                .orNotFound("no link of the member's pseudonym")
            struct Record: Encodable {
                var institution: String
                var memberPseudonym: String
                var consortiumPseudonym: String
                var basis: String
            }
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "link",
                entityType: "patient_link", entityKey: "\(institution.code)/\(memberPseudonym)", before: Record?.none,
                after: Record(
                    institution: institution.code, memberPseudonym: memberPseudonym,
                    consortiumPseudonym: consortiumPseudonym, basis: known.rawValue))
            return Linked(link: stored, created: true)
        }
    }

    /// A consortium patient's links, by member.
    package func links(consortiumID: Int64, consortiumPseudonym: String, by principal: Principal) async throws
        -> [PatientLinkStore.Stored]
    {
        try principal.require(.readPatientLinks(consortiumID: consortiumID))
        return try await database.read { connection in
            try await links.links(ofConsortiumPseudonym: consortiumPseudonym, consortiumID: consortiumID, connection: connection)
        }
    }

    /// The links of the consortium patient a member's pseudonym is linked to; none when it is not linked (the
    /// patient is then only that pseudonym).
    package func links(institution: Institution, memberPseudonym: String, by principal: Principal) async throws
        -> [PatientLinkStore.Stored]
    {
        try principal.require(.readPatientLinks(consortiumID: institution.consortiumID))
        return try await database.read { connection in
            guard
                let own = try await links.link(
                    of: MemberPatient(institutionID: institution.id, pseudonym: memberPseudonym),
                    consortiumID: institution.consortiumID, connection: connection)
            else { return [] }
            return try await links.links(
                ofConsortiumPseudonym: own.link.consortiumPseudonym, consortiumID: institution.consortiumID,
                connection: connection)
        }
    }
}

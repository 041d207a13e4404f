import Foundation
import RxDomain
import RxStore

/// API tokens: random, shown once, stored as their SHA-256. Creating and revoking one is audited.
package struct TokenUseCases: Sendable {
    let database: Database
    let tokens: TokenStore

    package init(database: Database) {
        self.database = database
        self.tokens = TokenStore(database: database)
    }

    /// Creates a token. A national role (`master_data_admin`) names no consortium; every other role names one. A
    /// prescriber token scoped to an institution may be bound to one of its registered prescribers (`prescriber`, a
    /// pseudonym): its checks and prescriptions are then in that prescriber's name only.
    package func create(
        role: Role, consortiumCode: String?, institutionCode: String?, prescriber: String? = nil, name: String,
        expiresAt: Date?, actor: Actor
    ) async throws -> TokenStore.Issued {
        try role.checkTokenScope(consortiumCode: consortiumCode, institutionCode: institutionCode, prescriber: prescriber)
        try ConsoleAccount.checkTokenName(name)
        let token = TokenStore.generate()
        let id = try await database.transaction { transaction -> Int64 in
            var consortiumID: Int64?
            if let consortiumCode {
                let id = try await tokens.consortiumID(code: consortiumCode, on: transaction).orNotFound(
                    "no consortium \(consortiumCode)")
                consortiumID = id
            }
            var institutionID: Int64?
            if let institutionCode, let consortiumCode {
                guard let id = try await tokens.institutionID(code: institutionCode, consortiumID: consortiumID, on: transaction)
                else { throw DomainError.notFound("no institution \(institutionCode) in \(consortiumCode)") }
                institutionID = id
            }
            var prescriberID: Int64?
            if let prescriber, let consortiumID, let institutionID, let institutionCode {
                guard
                    let id = try await tokens.prescriberID(
                        pseudonym: prescriber, consortiumID: consortiumID, institutionID: institutionID, on: transaction)
                else {
                    throw DomainError.invalid("prescriber", "\(prescriber) is not a registered prescriber of \(institutionCode)")
                }
                prescriberID = id
            }
            guard
                let id = try await tokens.insert(
                    role: role, consortiumID: consortiumID, institutionID: institutionID, prescriberID: prescriberID,
                    name: name, hash: TokenStore.hash(token), expiresAt: expiresAt, on: transaction)
            else { throw DomainError.conflict("token not created") }
            struct Record: Encodable {
                var id: Int64
                var role: String
                var institution: String?
                var prescriber: String?
                var name: String
            }
            // A national token's creation is recorded without a consortium.
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: actor, action: "create", entityType: "api_token",
                entityKey: String(id), before: Record?.none,
                after: Record(id: id, role: role.rawValue, institution: institutionCode, prescriber: prescriber, name: name))
            return id
        }
        return TokenStore.Issued(id: id, token: token)
    }

    /// The principal a token stands for, or nil when it is unknown, expired or revoked.
    package func principal(forToken token: String) async throws -> Principal? {
        try await tokens.principal(forToken: token)
    }

    /// The principal a token stands for with the token's own expiry (what `Authenticator` caches), nil as above.
    package func verify(token: String) async throws -> TokenStore.Verified? {
        try await tokens.verify(token: token)
    }

    package func revoke(id: Int64, actor: Actor) async throws {
        try await database.transaction { transaction in
            let revoked = try await tokens.revoke(id: id, on: transaction).orNotFound("no active token \(id)")
            struct Record: Encodable { var id: Int64; var revoked: Bool }
            try await database.audit.record(
                on: transaction, consortiumID: revoked.consortiumID, actor: actor, action: "revoke",
                entityType: "api_token", entityKey: String(id), before: Record(id: id, revoked: false),
                after: Record(id: id, revoked: true))
        }
    }

    /// A consortium's tokens, or with no consortium the national ones (bound to none).
    package func list(consortiumCode: String?) async throws -> [TokenStore.Listed] {
        try await tokens.list(consortiumCode: consortiumCode)
    }
}

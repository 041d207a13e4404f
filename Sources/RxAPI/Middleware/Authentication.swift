internal import Foundation
import Hummingbird
import RxDomain
import RxStore
import RxUseCases
import Synchronization

/// The principal of the request being handled, set by `AuthMiddleware` for every `/v1` call.
enum RequestPrincipal {
    @TaskLocal static var current: Principal?

    static func require() throws -> Principal {
        guard let principal = current else { throw DomainError.unauthorized("a bearer token is required") }
        return principal
    }
}

/// Verifies tokens against the database, remembering verified ones briefly so a hot endpoint costs one query,
/// not two. Revocations reach every server through LISTEN/NOTIFY (`crx_changes`); the short lifetime bounds the
/// delay if a notification is missed.
final class Authenticator: Sendable {
    /// `expiresAt` is the token's own expiry: a cached answer never outlives it.
    struct Entry { var principal: Principal?; var until: ContinuousClock.Instant; var expiresAt: Date? }

    let tokens: TokenUseCases
    let lifetime: Duration
    /// The wall clock a cached token's expiry is compared with (tests inject theirs).
    let now: @Sendable () -> Date
    private let cache = Mutex<[Data: Entry]>([:])

    init(tokens: TokenUseCases, lifetime: Duration = .seconds(10), now: @escaping @Sendable () -> Date = { Date() }) {
        self.tokens = tokens
        self.lifetime = lifetime
        self.now = now
    }

    func principal(forToken token: String) async throws -> Principal? {
        let key = TokenStore.hash(token)
        let now = ContinuousClock.now
        if let entry = cache.withLock({ $0[key] }), entry.until > now {
            guard let expiresAt = entry.expiresAt else { return entry.principal }
            if self.now() < expiresAt { return entry.principal }
            cache.withLock { $0[key] = nil }
            return nil
        }
        let verified = try await tokens.verify(token: token)
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll(keepingCapacity: true) }
            cache[key] = Entry(principal: verified?.principal, until: now.advanced(by: lifetime), expiresAt: verified?.expiresAt)
        }
        return verified?.principal
    }

    /// Forgets every verified token (a token was revoked somewhere).
    func forgetAll() { cache.withLock { $0.removeAll() } }
}

/// Requires `Authorization: Bearer TOKEN` on `/v1` and makes its principal the request's.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1" else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw DomainError.unauthorized("a bearer token is required (Authorization: Bearer TOKEN)")
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.count <= 200, let principal = try await authenticator.principal(forToken: token) else {
            throw DomainError.unauthorized("the token is unknown, expired or revoked")
        }
        return try await RequestPrincipal.$current.withValue(principal) {
            try await next(request, context)
        }
    }
}

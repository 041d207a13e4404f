import Foundation
import HummingbirdBcrypt
import NIOPosix
import RxDomain

/// Password hashing and checking (bcrypt, slow on purpose) off the server's threads, with a bound on how much may
/// wait: a flood of logins would otherwise queue without end in front of everyone's login. Past the bound a request
/// is refused at once with 503, which the person or client retries.
package actor PasswordWork {
    /// The server's own: the thread pool's threads, each with a few waiting behind it.
    package static let shared = PasswordWork(limit: 4 * ProcessInfo.processInfo.activeProcessorCount)

    let limit: Int
    package private(set) var inFlight = 0

    package init(limit: Int) {
        self.limit = max(1, limit)
    }

    package func hash(_ password: String, cost: UInt8) async throws -> String {
        try await run { Bcrypt.hash(password, cost: cost) }
    }

    package func verify(_ password: String, hash: String) async throws -> Bool {
        try await run { Bcrypt.verify(password, hash: hash) }
    }

    /// The work on the thread pool, or a 503 when `limit` are already waiting or running.
    package func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard inFlight < limit else { throw DomainError.unavailable("too many logins at once; try again in a moment") }
        inFlight += 1
        defer { inFlight -= 1 }
        return try await NIOThreadPool.singleton.runIfActive(work)
    }
}

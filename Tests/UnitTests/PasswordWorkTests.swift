import Dispatch
import RxDomain
import RxUseCases
import Testing

@Suite("Password work: bcrypt off the server's threads, bounded (issue 26)")
struct PasswordWorkTests {
    @Test("past the bound, a login is refused at once with 503 instead of queueing; the bound frees as work ends")
    func bounded() async throws {
        let work = PasswordWork(limit: 1)
        let release = DispatchSemaphore(value: 0)
        let first = Task { try await work.run { release.wait() } }
        while await work.inFlight == 0 { await Task.yield() }
        await #expect(throws: DomainError.unavailable("too many logins at once; try again in a moment")) {
            try await work.run { () }
        }
        release.signal()
        try await first.value
        #expect(await work.inFlight == 0)
        let hashed = try await work.hash("药房-密码-2026", cost: 4)
        #expect(try await work.verify("药房-密码-2026", hash: hashed))
        #expect(try await !work.verify("another", hash: hashed))
    }
}

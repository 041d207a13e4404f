import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import Testing

@Suite("Reliability: a busy or absent database")
struct ReliabilityTests {
    /// Waits (up to 30 s, for a loaded machine) until a count query finds something.
    static func until(_ app: TestApp, _ query: PostgresQuery) async throws {
        for _ in 0..<300 {
            if try await app.count(query) > 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(query.sql)")
    }

    @Test("every pooled connection busy: a request waits the bounded lease time, then gets 503 with Retry-After")
    func saturatedPool() async throws {
        try await TestApp.run(configure: { $0.poolSize = 1; $0.leaseTimeout = .milliseconds(300) }) { app in
            let token = try await app.token(.auditor)
            // Warm up: the token is verified and cached, the listener holds its own connection.
            try await app.call(.get, "/v1/consortia/JLTCM", token: token)
            try await Self.until(app, "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")

            let blocked: Task<Int, any Error> = try await app.database.transaction { connection in
                // The server's one pooled connection will wait on this lock inside its query.
                try await connection.sql("LOCK TABLE drugs IN ACCESS EXCLUSIVE MODE")
                let first = Task { try await app.call(.get, "/v1/drugs?q=%E9%BB%84%E8%8A%AA", token: token).status.code }
                try await Self.until(app, "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")

                let started = ContinuousClock.now
                let second = try await app.call(.get, "/v1/consortia/JLTCM", token: token)
                let waited = ContinuousClock.now - started
                second.expectProblem(.serviceUnavailable)
                #expect(second.headers[.retryAfter] != nil)
                #expect(waited >= .milliseconds(250) && waited < .seconds(10), "waited \(waited)")
                return first
            }
            // The lock is gone: the first request completes, and the pool serves again.
            #expect(try await blocked.value == 200)
            let again = try await app.call(.get, "/v1/consortia/JLTCM", token: token)
            #expect(again.status == .ok)
        }
    }
}

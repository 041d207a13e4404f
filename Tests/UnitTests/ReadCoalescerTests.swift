import Foundation
import PostgresNIO
import RxDomain
import Synchronization
import Testing

@testable import RxStore

/// `ReadCoalescer` shares one query among the reads that wait for it. Its own logic is tested with a query that the
/// test holds open; the drug lookup that uses it is tested against the database (`SharedDrugLookupTests`).
@Suite("Read coalescer")
struct ReadCoalescerTests {
    /// A stand-in query: records the keys it is asked for and answers when the test opens the gate.
    final class Queries: Sendable {
        let asked = Mutex<[[Int]]>([])
        let gate = Mutex<[CheckedContinuation<Void, Never>]>([])
        let held: Mutex<Bool>

        init(held: Bool) { self.held = Mutex(held) }

        func fetch(_ keys: [Int]) async throws -> [Int: String] {
            asked.withLock { $0.append(keys) }
            if held.withLock({ $0 }) {
                await withCheckedContinuation { continuation in gate.withLock { $0.append(continuation) } }
            }
            if keys.contains(-1) { throw DomainError.unavailable("test failure") }
            return Dictionary(uniqueKeysWithValues: keys.filter { $0 % 10 != 0 }.map { ($0, "v\($0)") })
        }

        func waitForQueries(_ count: Int) async {
            while gate.withLock({ $0.count }) < count { try? await Task.sleep(for: .milliseconds(1)) }
        }

        func open() {
            for continuation in gate.withLock({ gate in
                defer { gate.removeAll() }; return gate
            }) { continuation.resume() }
        }
    }

    @Test("an idle read runs at once, alone")
    func idle() async throws {
        let queries = Queries(held: false)
        let reads = ReadCoalescer<Int, String>(name: "test", concurrency: 2) { try await queries.fetch($0) }
        #expect(try await reads.value(for: 7) == "v7")
        #expect(try await reads.value(for: 10) == nil)
        #expect(queries.asked.withLock { $0 } == [[7], [10]])
    }

    @Test("reads that wait share the next query, and none joins one already running")
    func shared() async throws {
        let queries = Queries(held: true)
        let reads = ReadCoalescer<Int, String>(name: "test", concurrency: 1) { try await queries.fetch($0) }
        try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            group.addTask { (1, try await reads.value(for: 1)) }
            await queries.waitForQueries(1)
            // While the first query runs, 60 reads arrive (20 keys, each asked three times).
            for i in 0..<60 { group.addTask { (i % 20 + 2, try await reads.value(for: i % 20 + 2)) } }
            try await Task.sleep(for: .milliseconds(50))
            queries.open()
            await queries.waitForQueries(1)
            queries.open()
            var answers = 0
            for try await (key, value) in group {
                #expect(value == (key % 10 == 0 ? nil : "v\(key)"))
                answers += 1
            }
            #expect(answers == 61)
        }
        let asked = queries.asked.withLock { $0 }
        #expect(asked.count == 2)
        #expect(asked.first == [1])
        #expect(Set(asked.last ?? []) == Set(2...21))
        #expect(asked.last?.count == 20, "each key asked once")
    }

    @Test("a query's failure reaches every read in it, and the next query still runs")
    func failure() async throws {
        let queries = Queries(held: true)
        let reads = ReadCoalescer<Int, String>(name: "test", concurrency: 1) { try await queries.fetch($0) }
        @Sendable func outcome(_ key: Int) async -> Bool {
            (try? await reads.value(for: key)) != nil
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await outcome(1) }
            await queries.waitForQueries(1)
            group.addTask { await outcome(-1) }
            group.addTask { await outcome(3) }
            try await Task.sleep(for: .milliseconds(50))
            queries.open()
            await queries.waitForQueries(1)
            queries.open()
            var failed = 0
            for try await succeeded in group where !succeeded { failed += 1 }
            #expect(failed == 2, "-1 and 3 shared the failing query")
        }
        queries.held.withLock { $0 = false }
        #expect(try await reads.value(for: 5) == "v5")
    }

    @Test("a query asks for at most maxBatch keys; the rest wait for the next")
    func capped() async throws {
        let queries = Queries(held: true)
        let reads = ReadCoalescer<Int, String>(name: "test", concurrency: 1, maxBatch: 4) { try await queries.fetch($0) }
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { try await reads.value(for: 1) }
            await queries.waitForQueries(1)
            for key in 2...10 { group.addTask { try await reads.value(for: key) } }
            try await Task.sleep(for: .milliseconds(50))
            for _ in 1...4 {
                await queries.waitForQueries(1)
                queries.open()
            }
            for try await _ in group {}
        }
        let asked = queries.asked.withLock { $0 }
        #expect(asked.map(\.count) == [1, 4, 4, 1])
    }

    @Test("a read whose query was cancelled in another task reads again")
    func cancelledLeader() async throws {
        let queries = Queries(held: true)
        let reads = ReadCoalescer<Int, String>(name: "test", concurrency: 1) { keys in
            let answer = try await queries.fetch(keys)
            try Task.checkCancellation()
            return answer
        }
        let first = Task { try await reads.value(for: 1) }
        await queries.waitForQueries(1)
        let leader = Task { try await reads.value(for: 2) }
        try await Task.sleep(for: .milliseconds(20))
        let follower = Task { try await reads.value(for: 3) }
        try await Task.sleep(for: .milliseconds(20))
        queries.open()  // the first query answers; the leader of {2, 3} runs it
        await queries.waitForQueries(1)
        // Cancelled while its query runs (issue 19: a read cancelled while it still waits stops waiting at once,
        // so the cancellation comes once it leads).
        leader.cancel()
        queries.open()  // {2, 3} fails with CancellationError: the leader gives up, the follower reads again
        await queries.waitForQueries(1)
        queries.open()
        #expect(try await first.value == "v1")
        await #expect(throws: CancellationError.self) { try await leader.value }
        #expect(try await follower.value == "v3")
    }
}

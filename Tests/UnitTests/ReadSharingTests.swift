import Foundation
import RxDomain
import Synchronization
import Testing

@testable import RxStore

/// `ReadSharing` lets the reads of one key that arrive while it is read share the next read. Its logic is tested
/// with reads the test holds open; the pages that use it are tested against the database (`SharedPageTests`).
@Suite("Read sharing")
struct ReadSharingTests {
    /// Stand-in reads: each counts itself, waits until the test opens the gate, then answers with its number.
    final class Reads: Sendable {
        let started = Mutex<[Int]>([])
        let gate = Mutex<[CheckedContinuation<Void, Never>]>([])
        let held: Mutex<Bool>

        init(held: Bool) { self.held = Mutex(held) }

        /// The read of `key`: "key#n", n counting every read made so far; `-1` fails.
        func read(_ key: Int) async throws -> String {
            let n = started.withLock { started in
                started.append(key)
                return started.count
            }
            if held.withLock({ $0 }) {
                await withCheckedContinuation { continuation in gate.withLock { $0.append(continuation) } }
            }
            if key == -1 { throw DomainError.unavailable("test failure") }
            return "\(key)#\(n)"
        }

        func waitForReads(_ count: Int) async {
            while gate.withLock({ $0.count }) < count { try? await Task.sleep(for: .milliseconds(1)) }
        }

        func open() {
            for continuation in gate.withLock({ gate in
                defer { gate.removeAll() }; return gate
            }) { continuation.resume() }
        }
    }

    static func waitUntil(_ condition: @Sendable () -> Bool) async {
        while !condition() { try? await Task.sleep(for: .milliseconds(1)) }
    }

    @Test("an idle read runs at once, alone, and nothing is kept after it")
    func idle() async throws {
        let reads = Reads(held: false)
        let sharing = ReadSharing<Int, String>(name: "test")
        #expect(try await sharing.value(for: 7) { try await reads.read(7) } == "7#1")
        #expect(try await sharing.value(for: 7) { try await reads.read(7) } == "7#2", "read again, not kept")
        #expect(sharing.oldestQueryStart == nil)
    }

    @Test("reads of a key that arrive while it is read share the next read, never the running one")
    func shared() async throws {
        let reads = Reads(held: true)
        let sharing = ReadSharing<Int, String>(name: "test")
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask { try await sharing.value(for: 1) { try await reads.read(1) } }
            await reads.waitForReads(1)
            for _ in 0..<10 { group.addTask { try await sharing.value(for: 1) { try await reads.read(1) } } }
            await Self.waitUntil { sharing.waitingCount == 10 }
            reads.open()
            await reads.waitForReads(1)
            reads.open()
            var answers: [String: Int] = [:]
            for try await answer in group { answers[answer, default: 0] += 1 }
            #expect(answers == ["1#1": 1, "1#2": 10])
        }
        #expect(reads.started.withLock { $0 } == [1, 1])
        #expect(sharing.oldestQueryStart == nil)
    }

    @Test("reads of different keys never wait for each other")
    func keysApart() async throws {
        let reads = Reads(held: true)
        let sharing = ReadSharing<Int, String>(name: "test")
        try await withThrowingTaskGroup(of: String.self) { group in
            for key in 1...5 { group.addTask { try await sharing.value(for: key) { try await reads.read(key) } } }
            await reads.waitForReads(5)
            #expect(sharing.waitingCount == 0)
            reads.open()
            var answers: Set<String> = []
            for try await answer in group { answers.insert(String(answer.prefix { $0 != "#" })) }
            #expect(answers == ["1", "2", "3", "4", "5"])
        }
    }

    @Test("a read's failure reaches the reads it answers, and the key is read again after")
    func failure() async throws {
        let reads = Reads(held: true)
        let sharing = ReadSharing<Int, String>(name: "test")
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await sharing.value(for: -1) { try await reads.read(-1) }) != nil }
            await reads.waitForReads(1)
            for _ in 0..<3 { group.addTask { (try? await sharing.value(for: -1) { try await reads.read(-1) }) != nil } }
            await Self.waitUntil { sharing.waitingCount == 3 }
            reads.open()
            await reads.waitForReads(1)
            reads.open()
            var failed = 0
            for try await succeeded in group where !succeeded { failed += 1 }
            #expect(failed == 4)
        }
        reads.held.withLock { $0 = false }
        #expect(try await sharing.value(for: 5) { try await reads.read(5) } == "5#3")
    }

    @Test("a waiting read whose task is cancelled stops waiting at once; the others are still answered")
    func cancelledWaiter() async throws {
        let reads = Reads(held: true)
        let sharing = ReadSharing<Int, String>(name: "test")
        let first = Task { try await sharing.value(for: 1) { try await reads.read(1) } }
        await reads.waitForReads(1)
        let cancelled = Task { try await sharing.value(for: 1) { try await reads.read(1) } }
        await Self.waitUntil { sharing.waitingCount == 1 }
        let other = Task { try await sharing.value(for: 1) { try await reads.read(1) } }
        await Self.waitUntil { sharing.waitingCount == 2 }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(sharing.waitingCount == 1)
        reads.open()
        await reads.waitForReads(1)
        reads.open()
        #expect(try await first.value == "1#1")
        #expect(try await other.value == "1#2")
    }

    @Test("a read whose leader's task was cancelled reads again")
    func cancelledLeader() async throws {
        let reads = Reads(held: true)
        let sharing = ReadSharing<Int, String>(name: "test")
        @Sendable func read() async throws -> String {
            let answer = try await reads.read(1)
            try Task.checkCancellation()
            return answer
        }
        let first = Task { try await sharing.value(for: 1) { try await read() } }
        await reads.waitForReads(1)
        let leader = Task { try await sharing.value(for: 1) { try await read() } }
        await Self.waitUntil { sharing.waitingCount == 1 }
        let follower = Task { try await sharing.value(for: 1) { try await read() } }
        await Self.waitUntil { sharing.waitingCount == 2 }
        reads.open()  // the first read answers; the leader runs the next for itself and the follower
        await reads.waitForReads(1)
        leader.cancel()
        reads.open()  // the leader's read fails with CancellationError: the follower reads again
        await reads.waitForReads(1)
        reads.open()
        #expect(try await first.value == "1#1")
        await #expect(throws: CancellationError.self) { try await leader.value }
        #expect(try await follower.value == "1#3")
    }
}

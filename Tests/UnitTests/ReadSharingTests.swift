import Foundation
import RxDomain
import Synchronization
import Testing

@testable import RxStore

/// `ReadSharing` lets the reads of one key that arrive before its query begins share it, and those that arrive after
/// share the next. Its logic is tested with reads the test holds open; the pages that use it are tested over HTTP
/// against the database (`HotPathTests`).
@Suite("Read sharing")
struct ReadSharingTests {
    /// Stand-in reads: each counts itself, waits until the test opens the gate, then answers with its number. Its
    /// query begins before the gate (`beginsHeld`), as one that has its connection, or after, as one waiting for it.
    final class Reads: Sendable {
        let started = Mutex<[Int]>([])
        let gate = Mutex<[CheckedContinuation<Void, Never>]>([])
        let held: Mutex<Bool>
        let beginsHeld: Bool

        init(held: Bool, beginsHeld: Bool = true) {
            self.held = Mutex(held)
            self.beginsHeld = beginsHeld
        }

        /// The read of `key`: "key#n", n counting every read made so far; `-1` fails.
        func read(_ key: Int, _ began: ReadSharing<Int, String>.Began) async throws -> String {
            let n = started.withLock { started in
                started.append(key)
                return started.count
            }
            if beginsHeld { began() }
            if held.withLock({ $0 }) {
                await withCheckedContinuation { continuation in gate.withLock { $0.append(continuation) } }
            }
            if !beginsHeld { began() }
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
        #expect(try await sharing.value(for: 7) { try await reads.read(7, $0) } == "7#1")
        #expect(try await sharing.value(for: 7) { try await reads.read(7, $0) } == "7#2", "read again, not kept")
        #expect(sharing.oldestQueryStart == nil)
    }

    @Test("reads of a key that arrive before its query begins share it")
    func joined() async throws {
        let reads = Reads(held: true, beginsHeld: false)
        let sharing = ReadSharing<Int, String>(name: "test")
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask { try await sharing.value(for: 1) { try await reads.read(1, $0) } }
            await reads.waitForReads(1)
            for _ in 0..<10 { group.addTask { try await sharing.value(for: 1) { try await reads.read(1, $0) } } }
            await Self.waitUntil { sharing.waitingCount == 10 }
            reads.open()
            var answers: [String: Int] = [:]
            for try await answer in group { answers[answer, default: 0] += 1 }
            #expect(answers == ["1#1": 11])
        }
        #expect(reads.started.withLock { $0 } == [1])
    }

    @Test("reads of a key that arrive once its query has begun share the next read, never the running one")
    func shared() async throws {
        let reads = Reads(held: true)
        let sharing = ReadSharing<Int, String>(name: "test")
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask { try await sharing.value(for: 1) { try await reads.read(1, $0) } }
            await reads.waitForReads(1)
            for _ in 0..<10 { group.addTask { try await sharing.value(for: 1) { try await reads.read(1, $0) } } }
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
            for key in 1...5 { group.addTask { try await sharing.value(for: key) { try await reads.read(key, $0) } } }
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
            group.addTask { (try? await sharing.value(for: -1) { try await reads.read(-1, $0) }) != nil }
            await reads.waitForReads(1)
            for _ in 0..<3 { group.addTask { (try? await sharing.value(for: -1) { try await reads.read(-1, $0) }) != nil } }
            await Self.waitUntil { sharing.waitingCount == 3 }
            reads.open()
            await reads.waitForReads(1)
            reads.open()
            var failed = 0
            for try await succeeded in group where !succeeded { failed += 1 }
            #expect(failed == 4)
        }
        reads.held.withLock { $0 = false }
        #expect(try await sharing.value(for: 5) { try await reads.read(5, $0) } == "5#3")
    }

    @Test("a waiting read whose task is cancelled stops waiting at once; the others are still answered")
    func cancelledWaiter() async throws {
        let reads = Reads(held: true)
        let sharing = ReadSharing<Int, String>(name: "test")
        let first = Task { try await sharing.value(for: 1) { try await reads.read(1, $0) } }
        await reads.waitForReads(1)
        let cancelled = Task { try await sharing.value(for: 1) { try await reads.read(1, $0) } }
        await Self.waitUntil { sharing.waitingCount == 1 }
        let other = Task { try await sharing.value(for: 1) { try await reads.read(1, $0) } }
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
        @Sendable func read(_ began: @escaping ReadSharing<Int, String>.Began) async throws -> String {
            let answer = try await reads.read(1, began)
            try Task.checkCancellation()
            return answer
        }
        let first = Task { try await sharing.value(for: 1) { try await read($0) } }
        await reads.waitForReads(1)
        let leader = Task { try await sharing.value(for: 1) { try await read($0) } }
        await Self.waitUntil { sharing.waitingCount == 1 }
        let follower = Task { try await sharing.value(for: 1) { try await read($0) } }
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

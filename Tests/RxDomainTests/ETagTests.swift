import Testing

@testable import RxDomain

@Suite("If-Match: optimistic concurrency for drafts and lists")
struct ETagTests: RuleRefusals {
    @Test("the current ETag or * passes; none is 428; a stale one is 412 naming the current one")
    func check() throws {
        try ETag.check("\"3\"", current: "\"3\"")
        try ETag.check("\"2\", \"3\"", current: "\"3\"")
        try ETag.check("*", current: "\"3\"")
        guard case .preconditionRequired(let missing) = refusal({ try ETag.check(nil, current: "\"3\"") }) else {
            Issue.record("no If-Match is not a 428")
            return
        }
        #expect(missing.contains("\"3\""))
        guard case .preconditionFailed(let stale) = refusal({ try ETag.check("\"2\"", current: "\"3\"") }) else {
            Issue.record("a stale ETag is not a 412")
            return
        }
        #expect(stale.contains("\"3\""))
    }
}

import Testing

@testable import RxStore

/// `KeptAnswers` serves an answer again only at the stamp it was kept at, and lets the answers used longest ago go
/// past its budget. The page that uses it is tested over HTTP against the database (`HotPathTests`).
@Suite("Kept answers")
struct KeptAnswersTests {
    static func answers(budget: Int) -> KeptAnswers<Int, String> {
        KeptAnswers(name: "test", budget: budget) { $0.utf8.count }
    }

    @Test("an answer is served again at its stamp only, and the latest kept replaces the one before")
    func stamps() {
        let kept = Self.answers(budget: 100)
        #expect(kept.answer(for: 1, at: 7) == nil)
        kept.keep("seven", for: 1, at: 7)
        #expect(kept.answer(for: 1, at: 7) == "seven")
        #expect(kept.answer(for: 1, at: 8) == nil)
        #expect(kept.answer(for: 2, at: 7) == nil)
        // Stamps are not ordered: a slower request's answer replaces a later one, and costs the next request a read.
        kept.keep("eight", for: 1, at: 8)
        kept.keep("seven", for: 1, at: 7)
        #expect(kept.answer(for: 1, at: 8) == nil)
        #expect(kept.answer(for: 1, at: 7) == "seven")
        #expect(kept.size.count == 1 && kept.size.cost == 5)
    }

    @Test("past the budget the answers used longest ago go, down to three quarters of it; one larger than it is not kept")
    func budget() {
        let kept = Self.answers(budget: 40)
        for key in 0..<4 { kept.keep(String(repeating: "x", count: 10), for: key, at: 1) }
        #expect(kept.size.cost == 40)
        _ = kept.answer(for: 0, at: 1)
        kept.keep(String(repeating: "y", count: 10), for: 4, at: 1)
        // 50 > 40: keys 1 and 2 (used longest ago) go, leaving 30.
        #expect(kept.size.count == 3 && kept.size.cost == 30)
        #expect(kept.answer(for: 0, at: 1) != nil && kept.answer(for: 3, at: 1) != nil && kept.answer(for: 4, at: 1) != nil)
        #expect(kept.answer(for: 1, at: 1) == nil && kept.answer(for: 2, at: 1) == nil)
        kept.keep(String(repeating: "z", count: 41), for: 5, at: 1)
        #expect(kept.answer(for: 5, at: 1) == nil && kept.size.cost == 30)
        let none = Self.answers(budget: 0)
        none.keep("a", for: 1, at: 1)
        #expect(none.answer(for: 1, at: 1) == nil && none.size.count == 0)
    }
}

import Testing

@testable import RxDomain

/// An import's batch places its lines one after the other by `PriceTimeline.plan` (issue 20: the planning moved
/// out of the store).
@Suite("Price import batch")
struct PriceImportBatchTests {
    static func d(_ s: String) -> BusinessDate { BusinessDate(s)! }

    @Test("Lines in file order: a later start closes the open period, the same start supersedes it")
    func batch() {
        var periods = [PriceTimeline.Period(id: 1, from: Self.d("2026-01-01"), to: nil)]
        var changes = PriceTimeline.BatchChanges()
        changes.add(id: -2, from: Self.d("2026-03-01"), to: &periods)
        #expect(changes.closed == [1] && changes.superseded.isEmpty)
        #expect(periods.first { $0.id == 1 }?.to == Self.d("2026-03-01"))
        changes.add(id: -3, from: Self.d("2026-03-01"), to: &periods)
        #expect(changes.superseded == [-2])
        #expect(periods.map(\.id) == [1, -3])
        // An earlier start than a period in effect ends where that one begins.
        changes.add(id: -4, from: Self.d("2025-06-01"), to: &periods)
        #expect(periods.first { $0.id == -4 }?.to == Self.d("2026-01-01"))
    }
}

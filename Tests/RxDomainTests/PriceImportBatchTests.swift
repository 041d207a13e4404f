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

extension PriceImportBatchTests {
    @Test("A batch plan: what the lines close and supersede, and the period each new line keeps")
    func plan() {
        let agreements = ["A": [PriceTimeline.Period(id: 1, from: Self.d("2026-01-01"), to: nil)]]
        let ceilings = ["A": [PriceTimeline.Period(id: 7, from: Self.d("2026-03-01"), to: nil)]]
        let plan = PriceTimeline.planBatch(
            [
                .init(line: 3, drugCode: "A", from: Self.d("2026-03-01")),
                .init(line: 2, drugCode: "A", from: Self.d("2026-03-01")),
                .init(line: 4, drugCode: "B", from: Self.d("2026-05-01")),
            ], agreements: agreements, ceilings: ceilings)
        // Line 2 closes agreement 1 and supersedes ceiling 7 (same start); line 3 then supersedes line 2.
        #expect(plan.closedAgreements == [.init(id: 1, from: Self.d("2026-01-01"), to: Self.d("2026-03-01"))])
        #expect(plan.supersededAgreements.isEmpty)
        #expect(plan.supersededCeilings == [7] && plan.closedCeilings.isEmpty)
        #expect(plan.newAgreements[2] == nil && plan.newCeilings[2] == nil)
        #expect(plan.newAgreements[3] == .init(id: -3, from: Self.d("2026-03-01"), to: nil))
        #expect(plan.newCeilings[4] == .init(id: -4, from: Self.d("2026-05-01"), to: nil))
    }
}

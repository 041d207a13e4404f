import RxDomain
import RxStore

/// A new price's place in its drug's timeline (统一价格: no overlapping periods), decided by `PriceTimeline.plan`
/// over the periods the store reads, then written. The caller holds the drug's price lock.
extension PriceStore {
    /// Puts an agreement in effect from `start`: the price in effect then ends the day before, a later price
    /// already in effect ends this one.
    func putInEffect(_ agreement: PriceAgreement, from start: BusinessDate, consortiumID: Int64, connection: StoreConnection)
        async throws
    {
        let periods = try await periodsInEffect(consortiumID: consortiumID, drugCode: agreement.drugCode, connection: connection)
        try await takeEffect(
            agreementID: agreement.id, from: start, plan: PriceTimeline.plan(existing: periods, start: start),
            consortiumID: consortiumID, connection: connection)
    }

    /// The provincial price becomes the ceiling from its date (closing the previous ceiling the day before).
    func placeCeiling(_ draft: PriceAgreementDraft, consortiumID: Int64, connection: StoreConnection) async throws {
        let periods = try await ceilingPeriods(consortiumID: consortiumID, drugCode: draft.drugCode, connection: connection)
        try await insertCeiling(
            draft, plan: PriceTimeline.plan(existing: periods, start: draft.effectiveFrom), consortiumID: consortiumID,
            connection: connection)
    }
}

import Foundation

/// What the lead's lab measures on a lot of a decoction piece, as the monograph and general rule 0212 limit it.
/// The raw value is the field name in the API and the measure's column stem in SQL.
package enum HerbQualityMeasure: String, Sendable, Codable, CaseIterable {
    case moisturePct
    case totalAshPct
    case sulfurDioxideMgPerKg
    case leadMgPerKg
    case cadmiumMgPerKg
    case arsenicMgPerKg
    case mercuryMgPerKg
    case copperMgPerKg
    case aflatoxinB1UgPerKg
    case aflatoxinsTotalUgPerKg

    /// The column of `herb_quality_limits` (and of `seeds/demo/herb_quality_limits.csv`) holding its maximum.
    package var limitColumn: String {
        switch self {
        case .moisturePct: "moisture_max_pct"
        case .totalAshPct: "total_ash_max_pct"
        case .sulfurDioxideMgPerKg: "so2_max_mg_per_kg"
        case .leadMgPerKg: "lead_max_mg_per_kg"
        case .cadmiumMgPerKg: "cadmium_max_mg_per_kg"
        case .arsenicMgPerKg: "arsenic_max_mg_per_kg"
        case .mercuryMgPerKg: "mercury_max_mg_per_kg"
        case .copperMgPerKg: "copper_max_mg_per_kg"
        case .aflatoxinB1UgPerKg: "aflatoxin_b1_max_ug_per_kg"
        case .aflatoxinsTotalUgPerKg: "aflatoxins_total_max_ug_per_kg"
        }
    }

    /// The column of `herb_inspections` holding the measured value.
    package var measuredColumn: String {
        switch self {
        case .moisturePct: "moisture_pct"
        case .totalAshPct: "total_ash_pct"
        case .sulfurDioxideMgPerKg: "so2_mg_per_kg"
        case .leadMgPerKg: "lead_mg_per_kg"
        case .cadmiumMgPerKg: "cadmium_mg_per_kg"
        case .arsenicMgPerKg: "arsenic_mg_per_kg"
        case .mercuryMgPerKg: "mercury_mg_per_kg"
        case .copperMgPerKg: "copper_mg_per_kg"
        case .aflatoxinB1UgPerKg: "aflatoxin_b1_ug_per_kg"
        case .aflatoxinsTotalUgPerKg: "aflatoxins_total_ug_per_kg"
        }
    }
}

/// The pure rules of volume-based joint procurement of decoction pieces: proposals and minimums, the award
/// ranking, the quality check of a lot, and the pace of execution.
package enum HerbProcurementRules {
    // MARK: State

    /// The state an action moves a round to; 409 when the round's state does not allow it.
    package static func next(_ status: HerbRoundStatus, _ action: HerbRoundAction) throws(DomainError) -> HerbRoundStatus {
        switch (status, action) {
        case (.planning, .openCommitments): return .commitmentsOpen
        case (.commitmentsOpen, .openBidding): return .bidding
        case (.bidding, .award): return .awarded
        case (.awarded, .execute): return .executing
        case (.executing, .close): return .closed
        default:
            throw .conflict("a round that is \(status.rawValue) cannot \(action.rawValue)")
        }
    }

    /// Commitments can be made and changed while they are open; they lock when bidding opens. 409 naming the state.
    package static func requireCommitmentsOpen(_ status: HerbRoundStatus, roundID: Int64) throws(DomainError) {
        guard status == .commitmentsOpen else {
            throw .conflict("commitments are locked once bidding opens; round \(roundID) is \(status.rawValue)")
        }
    }

    /// A bid can be entered or withdrawn until bidding closes (the award). 409 naming the state.
    package static func requireBidding(_ status: HerbRoundStatus, roundID: Int64) throws(DomainError) {
        guard status == .bidding else {
            throw .conflict("bids are taken and withdrawn only while bidding; round \(roundID) is \(status.rawValue)")
        }
    }

    /// The reason a correction needs (changing a commitment, withdrawing a bid): required, at most 1000 characters.
    package static func correctionReason(_ reason: String?) throws(DomainError) -> String {
        let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !trimmed.isEmpty else { throw .invalid("reason", "is required: say why") }
        guard trimmed.count <= 1000 else { throw .invalid("reason", "at most 1000 characters") }
        return trimmed
    }

    // MARK: Commitments

    /// The proposed commitment: prior-year usage × the round's proposal percent, to the gram.
    package static func proposal(priorUsage: Decimal, proposalPercent: Decimal) -> Decimal {
        round(priorUsage * proposalPercent / 100, 3)
    }

    /// The least a member may commit without a reason: prior-year usage × the round's minimum percent.
    package static func minimum(priorUsage: Decimal, minimumPercent: Decimal) -> Decimal {
        round(priorUsage * minimumPercent / 100, 3)
    }

    /// A commitment at or above the minimum counts at once; below it, it needs a reason and waits for the lead.
    package static func commitmentStatus(
        quantity: Decimal, priorUsage: Decimal?, minimumPercent: Decimal, reason: String?
    ) throws(DomainError) -> HerbCommitmentStatus {
        guard quantity > 0 else { throw .invalid("quantityKg", "must be positive") }
        guard let priorUsage, priorUsage > 0 else { return .accepted }
        let least = minimum(priorUsage: priorUsage, minimumPercent: minimumPercent)
        if quantity >= least { return .accepted }
        guard let reason, !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalid(
                "quantityKg",
                "\(quantity) kg is below the round's minimum of \(minimumPercent)% of prior-year usage (\(least) kg of \(priorUsage) kg); give a reason for the lead to accept"
            )
        }
        return .pending
    }

    // MARK: Provincial price

    /// A provincial winning-bid price (省级中标价) of the piece, per kg, in effect over `[from, to)`.
    package struct ProvincialPrice: Sendable, Equatable {
        package var unitPrice: Money
        package var reference: String
        package var from: BusinessDate
        /// The day after the last day; nil while open.
        package var to: BusinessDate?
        package init(unitPrice: Money, reference: String, from: BusinessDate, to: BusinessDate?) {
            self.unitPrice = unitPrice
            self.reference = reference
            self.from = from
            self.to = to
        }
    }

    /// The most the round may set as the unified price of an item: its ceiling (最高有效申报价), and no more than any
    /// provincial winning-bid price in effect while the award would be (`provincial`: the periods overlapping the
    /// round's period). A piece without a provincial price is capped by its ceiling alone.
    package static func cap(ceiling: Money, provincial: [ProvincialPrice]) -> (price: Money, provincial: ProvincialPrice?) {
        guard let lowest = provincial.min(by: { $0.unitPrice < $1.unitPrice }), lowest.unitPrice < ceiling else {
            return (ceiling, nil)
        }
        return (lowest.unitPrice, lowest)
    }

    /// An item's ceiling above a provincial winning-bid price in effect during the round: 422 naming both prices.
    package static func checkCeiling(_ ceiling: Money, provincial: [ProvincialPrice]) throws(DomainError) {
        guard let above = provincial.filter({ ceiling > $0.unitPrice }).min(by: { $0.unitPrice < $1.unitPrice }) else { return }
        let reason =
            "the ceiling \(ceiling) per kg is above the provincial winning-bid price \(above.unitPrice) per kg (\(above.reference), in effect from \(above.from)); a round's price may not exceed it"
        throw .unprocessable(reason, [FieldError(field: "ceilingPrice", reason: reason)])
    }

    /// What is wrong with a bid's price per kg, if anything: above the item's ceiling (最高有效申报价), or above a
    /// provincial winning-bid price in effect during the round.
    package static func bidPriceProblem(_ price: Money, ceiling: Money, provincial: [ProvincialPrice]) -> FieldError? {
        if price > ceiling {
            return FieldError(field: "unitPrice", reason: "\(price) is above the ceiling \(ceiling) per kg (最高有效申报价)")
        }
        if let binding = cap(ceiling: ceiling, provincial: provincial).provincial, price > binding.unitPrice {
            return FieldError(
                field: "unitPrice",
                reason:
                    "\(price) is above the provincial winning-bid price \(binding.unitPrice) per kg (\(binding.reference)) in effect during the round"
            )
        }
        return nil
    }

    /// Ranks an item's bids against its ceiling and the provincial prices in effect during the round: a bid above
    /// the provincial price does not qualify, so the award never makes the unified price exceed it.
    package static func rank(
        _ bids: [Bid], rule: HerbAwardRule, marginPercent: Decimal, ceiling: Money, provincial: [ProvincialPrice]
    ) -> [RankedBid] {
        let limit = Self.cap(ceiling: ceiling, provincial: provincial)
        guard let binding = limit.provincial else {
            return rank(bids, rule: rule, marginPercent: marginPercent, ceiling: ceiling)
        }
        return rank(
            bids, rule: rule, marginPercent: marginPercent, ceiling: limit.price,
            ceilingName: "the provincial winning-bid price (\(binding.reference))")
    }

    // MARK: Award

    package struct Bid: Sendable, Equatable {
        package var id: Int64
        package var supplierCode: String
        package var unitPrice: Money
        package var qualityScore: Decimal
        package var suspended: Bool
        package init(id: Int64, supplierCode: String, unitPrice: Money, qualityScore: Decimal, suspended: Bool = false) {
            self.id = id
            self.supplierCode = supplierCode
            self.unitPrice = unitPrice
            self.qualityScore = qualityScore
            self.suspended = suspended
        }
    }

    package struct RankedBid: Sendable, Equatable {
        package var bidID: Int64
        package var supplierCode: String
        /// 1 for the best qualified bid; disqualified bids rank after every qualified one.
        package var rank: Int
        package var qualified: Bool
        package var winner: Bool
        /// The winner's share of the item's volume (0 for the others).
        package var share: Decimal
        package var reason: String
        package init(bidID: Int64, supplierCode: String, rank: Int, qualified: Bool, winner: Bool, share: Decimal, reason: String)
        {
            self.bidID = bidID
            self.supplierCode = supplierCode
            self.rank = rank
            self.qualified = qualified
            self.winner = winner
            self.share = share
            self.reason = reason
        }
    }

    /// Ranks an item's bids under the round's rule. Qualified bids are ordered by price, then higher quality
    /// score, then the earlier bid; a suspended supplier's bid or one above the ceiling does not qualify.
    /// `lowestPrice`: the first wins the whole volume. `multipleWithinMargin`: every qualified bid at most
    /// `marginPercent` above the lowest wins, the volume shared equally (the first takes the rounding remainder).
    package static func rank(
        _ bids: [Bid], rule: HerbAwardRule, marginPercent: Decimal, ceiling: Money, ceilingName: String = "the ceiling"
    ) -> [RankedBid] {
        var disqualified: [(Bid, String)] = []
        var qualified: [Bid] = []
        for bid in bids {
            if bid.suspended {
                disqualified.append((bid, "\(bid.supplierCode) is suspended in this round"))
            } else if bid.unitPrice > ceiling {
                disqualified.append((bid, "\(bid.unitPrice) is above \(ceilingName) \(ceiling)"))
            } else {
                qualified.append(bid)
            }
        }
        qualified.sort { a, b in
            if a.unitPrice != b.unitPrice { return a.unitPrice < b.unitPrice }
            if a.qualityScore != b.qualityScore { return a.qualityScore > b.qualityScore }
            return a.id < b.id
        }
        var ranked: [RankedBid] = []
        guard let lowest = qualified.first?.unitPrice else {
            return disqualified.sorted { $0.0.id < $1.0.id }.enumerated().map { i, d in
                RankedBid(
                    bidID: d.0.id, supplierCode: d.0.supplierCode, rank: i + 1, qualified: false, winner: false, share: 0,
                    reason: d.1)
            }
        }
        let limit = lowest * (1 + marginPercent / 100)
        let winners: Int
        switch rule {
        case .lowestPrice: winners = 1
        case .multipleWithinMargin: winners = qualified.filter { $0.unitPrice <= limit }.count
        }
        let each = round(Decimal(1) / Decimal(winners), 4)
        let remainder = 1 - each * Decimal(winners)
        for (i, bid) in qualified.enumerated() {
            let wins = i < winners
            let reason: String
            if wins {
                switch rule {
                case .lowestPrice:
                    if qualified.count > 1 && qualified[1].unitPrice == bid.unitPrice {
                        reason =
                            qualified[1].qualityScore == bid.qualityScore
                            ? "lowest qualified price \(bid.unitPrice); tie on price and quality broken by the earlier bid"
                            : "lowest qualified price \(bid.unitPrice); tie on price broken by the higher quality score \(bid.qualityScore)"
                    } else {
                        reason = "lowest qualified price \(bid.unitPrice)"
                    }
                case .multipleWithinMargin:
                    reason = "\(bid.unitPrice) is within \(marginPercent)% of the lowest qualified price \(lowest)"
                }
            } else {
                switch rule {
                case .lowestPrice:
                    let first = qualified[0]
                    reason =
                        bid.unitPrice > first.unitPrice
                        ? "\(bid.unitPrice) is above the lowest qualified price \(first.unitPrice)"
                        : bid.qualityScore < first.qualityScore
                            ? "same price as the winner, lower quality score \(bid.qualityScore) than \(first.qualityScore)"
                            : "same price and quality score as the winner, bid later"
                case .multipleWithinMargin:
                    reason = "\(bid.unitPrice) is more than \(marginPercent)% above the lowest qualified price \(lowest)"
                }
            }
            ranked.append(
                RankedBid(
                    bidID: bid.id, supplierCode: bid.supplierCode, rank: i + 1, qualified: true, winner: wins,
                    share: wins ? (i == 0 ? each + remainder : each) : 0, reason: reason))
        }
        for (i, d) in disqualified.sorted(by: { $0.0.id < $1.0.id }).enumerated() {
            ranked.append(
                RankedBid(
                    bidID: d.0.id, supplierCode: d.0.supplierCode, rank: qualified.count + i + 1, qualified: false,
                    winner: false, share: 0, reason: d.1))
        }
        return ranked
    }

    // MARK: Quality

    package struct QualityFinding: Sendable, Equatable {
        package var measure: HerbQualityMeasure
        package var measured: Decimal
        package var limit: Decimal
    }

    package struct QualityVerdict: Sendable, Equatable {
        package var result: HerbInspectionResult
        /// Each reason the lot failed, in words.
        package var failures: [String]
    }

    /// The measures the monograph limits must all be given (422 naming each missing one); identification must pass
    /// and every measured value must be within its limit, else the lot is rejected. Limits are data, never code.
    package static func inspect(
        identificationPassed: Bool, measured: [HerbQualityMeasure: Decimal], limits: [HerbQualityMeasure: Decimal]
    ) throws(DomainError) -> QualityVerdict {
        let missing = HerbQualityMeasure.allCases.filter { limits[$0] != nil && measured[$0] == nil }
        guard missing.isEmpty else {
            throw .unprocessable(
                "the monograph limits \(missing.map(\.rawValue).joined(separator: ", ")): measure them",
                missing.map {
                    FieldError(
                        field: $0.rawValue, reason: "the monograph sets a limit of \(limits[$0]!); the lot must be measured")
                })
        }
        for (measure, value) in measured where value < 0 {
            throw .invalid(measure.rawValue, "a measured value cannot be negative")
        }
        var failures: [String] = []
        if !identificationPassed { failures.append("identification (鉴别) failed") }
        for measure in HerbQualityMeasure.allCases {
            guard let limit = limits[measure], let value = measured[measure] else { continue }
            if value > limit { failures.append("\(measure.rawValue) \(value) exceeds the limit \(limit)") }
        }
        return QualityVerdict(result: failures.isEmpty ? .passed : .rejected, failures: failures)
    }

    /// A supplier whose rejected lots in a round reach the threshold (setting `herb_rejections_to_flag_supplier`) is
    /// flagged to the lead for review.
    package static func flagsSupplier(rejections: Int, threshold: Int) -> Bool { rejections >= threshold }

    // MARK: Execution

    package struct Pace: Sendable, Equatable {
        /// bought ÷ committed, four decimals; nil without a commitment.
        package var completionRate: Decimal?
        /// committed × elapsed days ÷ period days, to the gram.
        package var expected: Decimal
        package var behind: Bool
        package var overCommitment: Decimal
        package var elapsedDays: Int
        package var periodDays: Int
    }

    /// How far a member is with an item on a date: the period runs from `start` to `end`, both included.
    package static func pace(committed: Decimal, bought: Decimal, start: BusinessDate, end: BusinessDate, on date: BusinessDate)
        -> Pace
    {
        let periodDays = start.days(to: end) + 1
        let elapsed = min(max(start.days(to: date) + 1, 0), periodDays)
        let expected = round(committed * Decimal(elapsed) / Decimal(periodDays), 3)
        return Pace(
            completionRate: committed > 0 ? round(bought / committed, 4) : nil, expected: expected,
            behind: bought < expected, overCommitment: max(bought - committed, 0), elapsedDays: elapsed, periodDays: periodDays)
    }

    /// Rounded half-up to `places` decimals.
    package static func round(_ value: Decimal, _ places: Int) -> Decimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, places, .plain)
        return result
    }
}

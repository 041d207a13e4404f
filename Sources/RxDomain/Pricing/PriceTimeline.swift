import Foundation

/// Where a new price in effect fits among the periods already in effect for the same consortium and drug:
/// one price for every member, periods never overlapping.
package enum PriceTimeline {
    /// A period in effect, `[from, to)`; `to` is the day after the last day, nil while open.
    package struct Period: Sendable, Equatable {
        package var id: Int64
        package var from: BusinessDate
        package var to: BusinessDate?
        package init(id: Int64, from: BusinessDate, to: BusinessDate?) {
            self.id = id
            self.from = from
            self.to = to
        }
    }

    package struct Plan: Sendable, Equatable {
        /// Periods that now end the day before the new price starts.
        package var close: [(id: Int64, to: BusinessDate)]
        /// Periods that start on the same day: the new price replaces them before they begin.
        package var supersede: [Int64]
        /// The new period's end: the start of a later price already in effect, if any.
        package var newTo: BusinessDate?

        package static func == (a: Plan, b: Plan) -> Bool {
            a.close.map(\.id) == b.close.map(\.id) && a.close.map(\.to) == b.close.map(\.to)
                && a.supersede == b.supersede && a.newTo == b.newTo
        }
    }

    package static func plan(existing: [Period], start: BusinessDate) -> Plan {
        var plan = Plan(close: [], supersede: [], newTo: nil)
        for period in existing {
            if period.from == start {
                plan.supersede.append(period.id)
            } else if period.from > start {
                plan.newTo = min(plan.newTo ?? period.from, period.from)
            } else if period.to.map({ $0 > start }) ?? true {
                plan.close.append((period.id, start))
            }
        }
        return plan
    }
}

/// What patients pay: the unified purchase price plus the markup the rules in force allow (零差率 for drugs;
/// a capped markup on decoction pieces; hospital preparations as the province sets).
package enum PatientPricing {
    package struct Markups: Sendable, Equatable {
        package var drugPercent: Decimal
        package var decoctionPiecePercent: Decimal
        package var decoctionPieceCapPercent: Decimal
        package var hospitalPreparationPercent: Decimal
        package init(
            drugPercent: Decimal, decoctionPiecePercent: Decimal, decoctionPieceCapPercent: Decimal,
            hospitalPreparationPercent: Decimal
        ) {
            self.drugPercent = drugPercent
            self.decoctionPiecePercent = decoctionPiecePercent
            self.decoctionPieceCapPercent = decoctionPieceCapPercent
            self.hospitalPreparationPercent = hospitalPreparationPercent
        }
    }

    package struct Answer: Sendable, Equatable {
        package var markupPercent: Decimal
        package var patientPrice: Money
        /// The rule that applied, for the reader.
        package var rule: String
    }

    package static func price(unitPrice: Money, category: DrugCategory, markups: Markups) -> Answer {
        let percent: Decimal
        let rule: String
        switch category {
        case .western, .chinesePatent:
            percent = markups.drugPercent
            rule = percent == 0 ? "zero markup (零差率)" : "drug markup \(percent)%"
        case .decoctionPiece:
            percent = min(markups.decoctionPiecePercent, markups.decoctionPieceCapPercent)
            rule = "decoction-piece markup \(percent)% (capped at \(markups.decoctionPieceCapPercent)%)"
        case .hospitalPreparation:
            percent = markups.hospitalPreparationPercent
            rule = "hospital preparation markup \(percent)%"
        }
        return Answer(
            markupPercent: percent, patientPrice: (unitPrice * (1 + percent / 100)).rounded(4), rule: rule)
    }
}

extension PriceTimeline {
    /// The periods of one kind (agreements in effect, or ceilings) of the drugs of an import batch, as the plans
    /// of its lines change them, taken in file order: what was superseded and what was closed, by id.
    package struct BatchChanges: Sendable, Equatable {
        package var superseded: Set<Int64> = []
        package var closed: Set<Int64> = []

        package init() {}

        /// Places a new period (`id`) starting on `start` among `periods` by `plan`, and updates them.
        package mutating func add(id: Int64, from start: BusinessDate, to periods: inout [Period]) {
            let plan = PriceTimeline.plan(existing: periods, start: start)
            if !plan.supersede.isEmpty {
                superseded.formUnion(plan.supersede)
                periods.removeAll { plan.supersede.contains($0.id) }
            }
            for (closing, end) in plan.close {
                if let i = periods.firstIndex(where: { $0.id == closing }) { periods[i].to = end }
                closed.insert(closing)
            }
            periods.append(Period(id: id, from: start, to: plan.newTo))
        }
    }
}

extension PriceTimeline {
    /// A line of an import batch: a provincial price of `drugCode` from `from`, on line `line` of the file.
    package struct BatchLine: Sendable, Equatable {
        package var line: Int
        package var drugCode: String
        package var from: BusinessDate

        package init(line: Int, drugCode: String, from: BusinessDate) {
            (self.line, self.drugCode, self.from) = (line, drugCode, from)
        }
    }

    /// What an import batch does to the timelines of its drugs: each line is both a ceiling (provincial
    /// winning-bid price) and a price agreement, placed by `plan` in file order as if imported one after the other.
    /// The existing periods it supersedes or closes, and, by line number, the period each new one keeps (none when
    /// a later line of the batch superseded it).
    package struct BatchPlan: Sendable {
        package var supersededAgreements: [Int64] = []
        package var closedAgreements: [Period] = []
        package var supersededCeilings: [Int64] = []
        package var closedCeilings: [Period] = []
        package var newAgreements: [Int: Period] = [:]
        package var newCeilings: [Int: Period] = [:]
    }

    /// Plans a batch over the periods in effect of its drugs (`agreements`, `ceilings`: by drug code).
    package static func planBatch(
        _ lines: [BatchLine], agreements: [String: [Period]], ceilings: [String: [Period]]
    ) -> BatchPlan {
        var agreements = agreements
        var ceilings = ceilings
        // A new line's period carries the id -line until it is written.
        var agreementChanges = BatchChanges()
        var ceilingChanges = BatchChanges()
        for line in lines.sorted(by: { $0.line < $1.line }) {
            ceilingChanges.add(id: -Int64(line.line), from: line.from, to: &ceilings[line.drugCode, default: []])
            agreementChanges.add(id: -Int64(line.line), from: line.from, to: &agreements[line.drugCode, default: []])
        }
        func outcome(_ changes: BatchChanges, _ periods: [String: [Period]]) -> ([Int64], [Period], [Int: Period]) {
            let all = periods.values.joined()
            let superseded = changes.superseded.filter { $0 > 0 }.sorted()
            let closed = all.filter { $0.id > 0 && changes.closed.contains($0.id) && !changes.superseded.contains($0.id) }
                .sorted { $0.id < $1.id }
            let new = Dictionary(all.filter { $0.id < 0 }.map { (Int(-$0.id), $0) }, uniquingKeysWith: { a, _ in a })
            return (superseded, closed, new)
        }
        var plan = BatchPlan()
        (plan.supersededAgreements, plan.closedAgreements, plan.newAgreements) = outcome(agreementChanges, agreements)
        (plan.supersededCeilings, plan.closedCeilings, plan.newCeilings) = outcome(ceilingChanges, ceilings)
        return plan
    }
}

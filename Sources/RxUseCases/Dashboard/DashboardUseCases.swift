import Foundation
import RxDomain
import RxStore

/// The figures a consortium is assessed on, for its dashboard and each member's (`member`): the year to date, each
/// figure read through the same use case or rule as the list behind it. A figure the person may not read (money
/// owed, every member's shortages) is nil and not shown.
package struct DashboardUseCases: Sendable {
    package struct Figures: Sendable {
        package var from: BusinessDate
        package var to: BusinessDate
        /// The member whose dashboard this is; nil for the consortium's.
        package var member: Institution?
        /// The consortium's row first (nil code), then each member's that bought; only the member's on its dashboard.
        package var essential: [EssentialShare]
        package var payables: [PayableAge.Bucket]?
        package var coverage: [CatalogueCoverage]
        /// Open shortages by level, each level once, in order.
        package var shortages: [(level: ShortageLevel, count: Int)]?
        /// Extended prescriptions issued in the period: the whole (or the member's), and by issuing member.
        package var fulfilment: ExtendedFulfilment?
        package var fulfilmentByMember: [ExtendedFulfilment]
        /// Long prescriptions issued in each month of the period, `YYYY-MM`, every month listed.
        package var longPrescriptions: [(month: String, count: Int)]
        /// Stock by near-expiry class, valued; nil when the person may not read the stock.
        package var expiring: [ExpiringStockValue]?
        /// The thresholds the classes are (days), the wider first.
        package var expiryThresholds: (first: Int, second: Int)?
        /// Each volume-based procurement agreement in effect today, with each member's pace; nil when the person may
        /// not read them.
        package var volumes: [(batch: String, members: [VolumePace])]?
        /// Each decoction-piece round executing today whose progress the person may read, with each member's pace.
        package var herbRounds: [(round: String, members: [VolumePace])]
    }

    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// The period: 1 January of `today`'s year to `today`.
    package static func period(today: BusinessDate) -> (from: BusinessDate, to: BusinessDate) {
        (BusinessDate("\(today.year)-01-01")!, today)
    }

    package func figures(consortium: Consortium, member: Institution?, today: BusinessDate, by principal: Principal)
        async throws -> Figures
    {
        try principal.require(.readConsortium(consortiumID: consortium.id))
        if let member, member.consortiumID != consortium.id { throw DomainError.notFound("no institution \(member.code)") }
        let (from, to) = Self.period(today: today)
        let lead = consortium.leadInstitutionCode
        let dashboard = DashboardStore(database: database)
        let outcomesStore = ExtendedPrescriptionStore(database: database)
        let (essential, monthly, outcomes) = try await database.lagTolerant.read { connection in
            (
                try await dashboard.essentialShares(consortiumID: consortium.id, year: to.year, connection: connection),
                try await dashboard.longPrescriptionsByMonth(
                    consortiumID: consortium.id, institutionID: member?.id, from: from, to: to, connection: connection),
                try await outcomesStore.outcomes(consortiumID: consortium.id, from: from, to: to, connection: connection)
            )
        }
        var payables: [PayableAge.Bucket]?
        if principal.may(.readFinance(consortiumID: consortium.id, leadInstitutionCode: lead)) {
            let unpaid = try await SupplyCentreUseCases(database: database).payables(
                consortium: consortium, status: nil, institutionCode: member?.code, today: today, outstanding: true,
                by: principal)
            payables = PayableAge.buckets(unpaid.map { ($0.acceptedOn, $0.remaining) }, today: today)
        }
        var shortages: [(ShortageLevel, Int)]?
        let mayReadShortages =
            principal.may(.readAllShortages(consortiumID: consortium.id, leadInstitutionCode: lead))
            || member.map {
                principal.may(.readShortages(consortiumID: consortium.id, institutionID: $0.id, leadInstitutionCode: lead))
            } == true
        if mayReadShortages {
            let open = try await ShortageReadUseCases(database: database).openLevels(
                consortium: consortium, institutionCode: member?.code, today: today, by: principal)
            shortages = ShortageLevel.allCases.map { level in (level, open.filter { $0 == level }.count) }
        }
        var expiring: [ExpiringStockValue]?
        var thresholds: (Int, Int)?
        let mayReadStock =
            principal.may(.readAllStock(consortiumID: consortium.id, leadInstitutionCode: lead))
            || member.map {
                principal.may(.readStock(consortiumID: consortium.id, institutionID: $0.id, leadInstitutionCode: lead))
            } == true
        if mayReadStock {
            let stock = StockUseCases(database: database)
            let (t, days) = try await database.read { connection in
                let t = try await stock.thresholds(consortiumID: consortium.id, today: today, on: connection)
                return (
                    t,
                    try await dashboard.expiringStock(
                        consortiumID: consortium.id, institutionID: member?.id,
                        through: today.adding(days: max(t.first, t.second)),
                        connection: connection)
                )
            }
            expiring = ExpiringStockValue.buckets(days, today: today, firstDays: t.first, secondDays: t.second)
            thresholds = (max(t.first, t.second), min(t.first, t.second))
        }
        var volumes: [(String, [VolumePace])]?
        let mayReadVolumes = principal.may(
            .readVBPAgreements(consortiumID: consortium.id, institutionID: member?.id, leadInstitutionCode: lead))
        if mayReadVolumes {
            let vbp = VBPUseCases(database: database)
            volumes = []
            for agreement in try await vbp.list(consortium: consortium, by: principal)
            where agreement.periodStart <= today && today <= agreement.periodEnd {
                let completion = try await vbp.completion(
                    agreementID: agreement.id, asOf: today, consortium: consortium, by: principal
                ).completion
                volumes?.append(
                    (
                        agreement.batch,
                        VolumePace.byMember(completion.filter { member == nil || $0.institutionCode == member?.code })
                    ))
            }
        }
        var herbRounds: [(String, [VolumePace])] = []
        let herbProgress = HerbCommitmentUseCases(database: database)
        for round in try await HerbRoundUseCases(database: database).list(
            consortium: consortium, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: nil)
        ).items where round.status == .executing {
            // A round whose progress is not the person's to read (403) is left out, as its own page leaves it out.
            let rows: [HerbProgressRow]
            do { rows = try await herbProgress.progress(roundID: round.id, on: today, by: principal).1 } catch let error
                as DomainError
            {
                if case .forbidden = error { continue }
                throw error
            }
            let mine = rows.filter { member == nil || $0.institutionCode == member?.code }
            herbRounds.append((round.name, VolumePace.byMember(herb: mine.map { ($0.institutionCode, $0.pace) })))
        }
        let report = try await MemberCatalogueUseCases(database: database).report(consortiumID: consortium.id, on: today)
        let catalogueItems = report.categories.reduce(0) { $0 + $1.items }
        let coverage = report.members.filter { member == nil || $0.institutionCode == member?.code }.map {
            CatalogueCoverage(
                institutionCode: $0.institutionCode, listItems: $0.items, outOfLine: $0.outOfLine,
                catalogueItems: catalogueItems)
        }
        let issued = outcomes.filter { member == nil || $0.memberCode == member?.code }
        var months: [(String, Int)] = []
        for month in 1...to.month {
            let key = String(format: "%04d-%02d", to.year, month)
            months.append((key, monthly[key] ?? 0))
        }
        return Figures(
            from: from, to: to, member: member,
            essential: essential.filter { member == nil || $0.institutionCode == member?.code },
            payables: payables, coverage: coverage, shortages: shortages,
            fulfilment: ExtendedPrescriptionRules.fulfilment(issued, by: \.wholeConsortium).first,
            fulfilmentByMember: ExtendedPrescriptionRules.fulfilment(issued, by: \.memberCode).sorted { $0.key < $1.key },
            longPrescriptions: months, expiring: expiring, expiryThresholds: thresholds, volumes: volumes,
            herbRounds: herbRounds)
    }
}

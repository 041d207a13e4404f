import Foundation
import RxDomain
import RxStore

/// Days of stock (库存可用天数) of a drug at a member, with the drug's names for the reader.
package struct DaysOfStockLine: Sendable, Equatable {
    package var position: DaysOfStock
    package var genericName: String
    package var unit: String
}

/// The days of stock of a drug across the consortium: each member holding or using it, and the consortium as a whole.
package struct DrugDaysOfStock: Sendable, Equatable {
    package var window: ConsumptionWindow
    package var members: [DaysOfStockLine]
    package var consortium: DaysOfStock
}

/// Days of stock: the facts from `StockPositionStore`, the figures from `StockRules.daysOfStock` with the settings
/// `stock_consumption_window_days` and `stock_min_shelf_life_issue_days` on the day.
extension StockUseCases {
    func window(consortiumID: Int64, today: BusinessDate) async throws -> (ConsumptionWindow, minimumShelfLife: Int) {
        try await database.read { connection in
            let settings = Settings(logger: database.logger)
            let window = PolicySetting.stockConsumptionWindowDays
            let minimum = PolicySetting.stockMinimumShelfLifeForIssueDays
            let texts = try await settings.texts(
                [window.key, minimum.key], consortiumID: consortiumID, on: today, connection: connection)
            let days = try await settings.required(
                window, in: texts, consortiumID: consortiumID, on: today, connection: connection)
            let shelfLife = try await settings.required(
                minimum, in: texts, consortiumID: consortiumID, on: today, connection: connection)
            return (try StockRules.consumptionWindow(before: today, days: days), shelfLife)
        }
    }

    /// Every (member, drug) holding stock or consumed in the window, from the store's facts, by member and drug.
    func positions(
        consortiumID: Int64, institutionID: Int64?, drugCode: String?, window: ConsumptionWindow, today: BusinessDate,
        minimumShelfLife: Int
    ) async throws -> [DaysOfStockLine] {
        let positions = StockPositionStore(database: database)
        let lots = try await positions.lotBalances(
            consortiumID: consortiumID, institutionID: institutionID, drugCode: drugCode)
        let used = try await positions.consumption(
            consortiumID: consortiumID, institutionID: institutionID, drugCode: drugCode, from: window.from,
            to: window.to)
        struct Key: Hashable, Comparable {
            var institution: String
            var drug: String
            static func < (a: Key, b: Key) -> Bool { (a.institution, a.drug) < (b.institution, b.drug) }
        }
        var names: [Key: (String, String)] = [:]
        var balances: [Key: [StockRules.LotOnHand]] = [:]
        var consumed: [Key: Quantity] = [:]
        for lot in lots {
            let key = Key(institution: lot.institutionCode, drug: lot.drugCode)
            names[key] = (lot.genericName, lot.unit)
            balances[key, default: []].append(lot.lot)
        }
        for use in used {
            let key = Key(institution: use.institutionCode, drug: use.drugCode)
            names[key] = (use.genericName, use.unit)
            consumed[key] = use.consumed
        }
        return try names.keys.sorted().map { key in
            DaysOfStockLine(
                position: try StockRules.daysOfStock(
                    institutionCode: key.institution, drugCode: key.drug, lots: balances[key] ?? [],
                    consumed: consumed[key] ?? .zero, window: window, on: today, minimumShelfLifeDays: minimumShelfLife),
                genericName: names[key]!.0, unit: names[key]!.1)
        }
    }

    /// A member's days of stock of every drug it holds or consumed in the window (or of one drug): fewest days
    /// first, then the drugs nothing was consumed of, by drug code.
    package func daysOfStock(
        institution: Institution, consortium: Consortium, drugCode: String?, today: BusinessDate,
        by principal: Principal
    ) async throws -> (window: ConsumptionWindow, lines: [DaysOfStockLine]) {
        try principal.require(
            .readStock(
                consortiumID: consortium.id, institutionID: institution.id,
                leadInstitutionCode: consortium.leadInstitutionCode))
        let (window, shelfLife) = try await window(consortiumID: consortium.id, today: today)
        let lines = try await positions(
            consortiumID: consortium.id, institutionID: institution.id, drugCode: drugCode, window: window,
            today: today, minimumShelfLife: shelfLife)
        return (window, lines.sorted { StockRules.fewestDaysFirst($0.position, $1.position) })
    }

    /// A drug's days of stock at every member holding or using it, and at the consortium as a whole.
    package func drugDaysOfStock(drugCode: String, consortium: Consortium, today: BusinessDate, by principal: Principal)
        async throws -> DrugDaysOfStock
    {
        try principal.require(
            .readAllStock(consortiumID: consortium.id, leadInstitutionCode: consortium.leadInstitutionCode))
        let (window, shelfLife) = try await window(consortiumID: consortium.id, today: today)
        let members = try await positions(
            consortiumID: consortium.id, institutionID: nil, drugCode: drugCode, window: window, today: today,
            minimumShelfLife: shelfLife)
        return DrugDaysOfStock(
            window: window, members: members,
            consortium: try StockRules.consortiumDaysOfStock(
                drugCode: drugCode, members: members.map(\.position), window: window))
    }
}

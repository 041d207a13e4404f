import Foundation

/// A national or provincial volume-based procurement agreement (国家/省级集采协议) of a consortium: the batch (批次,
/// e.g. 第十一批), the agreement year it covers (协议期, both days included), the winning products (中选产品) of each
/// generic name with their winning price, the pre-procurement weighted average price of each generic name (the
/// retained savings' budget price), and per member the agreed volume (约定采购量) of each generic name. A batch
/// running several years is entered as one agreement per agreement year.
package struct VBPAgreement: Sendable, Equatable, Encodable {
    package var id: Int64
    package var batch: String
    package var periodStart: BusinessDate
    package var periodEnd: BusinessDate
    package var generics: [VBPGeneric]
    package var volumes: [VBPAgreedVolume]

    package init(
        id: Int64, batch: String, periodStart: BusinessDate, periodEnd: BusinessDate, generics: [VBPGeneric],
        volumes: [VBPAgreedVolume]
    ) {
        self.id = id
        self.batch = batch
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.generics = generics
        self.volumes = volumes
    }
}

/// A generic name of an agreement (通用名): its winning products and the price the budget is taken at.
package struct VBPGeneric: Sendable, Equatable, Encodable {
    package var genericName: String
    /// 集采前加权平均价, per unit of the drug: the budget's price.
    package var preProcurementAveragePrice: Money
    package var products: [VBPWinningProduct]

    package init(genericName: String, preProcurementAveragePrice: Money, products: [VBPWinningProduct]) {
        self.genericName = genericName
        self.preProcurementAveragePrice = preProcurementAveragePrice
        self.products = products
    }
}

/// A winning product (中选产品) and its winning price per unit of the drug (中选价).
package struct VBPWinningProduct: Sendable, Equatable, Encodable {
    package var drugCode: String
    package var winningPrice: Money

    package init(drugCode: String, winningPrice: Money) {
        self.drugCode = drugCode
        self.winningPrice = winningPrice
    }
}

/// A member's agreed volume of a generic name, in the drug's unit (片, 支 …), with the proposal it came from.
package struct VBPAgreedVolume: Sendable, Equatable, Encodable {
    package var institutionCode: String
    package var genericName: String
    package var volume: Decimal
    /// Prior-year usage × the proposal percent, when the member had usage; nil when typed without one.
    package var proposed: Decimal?

    package init(institutionCode: String, genericName: String, volume: Decimal, proposed: Decimal?) {
        self.institutionCode = institutionCode
        self.genericName = genericName
        self.volume = volume
        self.proposed = proposed
    }
}

/// How far a member is with a generic name on a day (完成进度): what it received of the winning products in the
/// agreement year, its share of the agreed volume, the pace against the days elapsed, what it bought over the
/// agreed volume, and purchases of products of the same generic name that did not win (a warning).
package struct VBPCompletion: Sendable, Equatable, Encodable {
    package var institutionCode: String
    package var genericName: String
    package var agreed: Decimal
    package var completed: Decimal
    /// completed ÷ agreed, four decimals; nil without an agreed volume.
    package var share: Decimal?
    /// agreed × elapsed days ÷ the year's days.
    package var expected: Decimal
    package var behindPace: Bool
    package var overVolume: Decimal
    /// Received of the generic name's products that did not win: 非中选产品 (a warning, never counted).
    package var nonWinning: Decimal
    /// Dispensed of the generic name at the member over the period so far (every product, less patient returns;
    /// the stock ledger's consumption): how much of what was bought reached patients. Shown, never counted.
    package var dispensed: Decimal
    package var elapsedDays: Int
    package var periodDays: Int
}

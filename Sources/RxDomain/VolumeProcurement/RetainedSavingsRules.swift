import Foundation

/// A member's assessment grade for retained savings (考核等级), from its score.
package enum AssessmentGrade: String, Sendable, Codable, CaseIterable, Comparable {
    case a = "A"
    case b = "B"
    case c = "C"
    case d = "D"

    package static func < (x: Self, y: Self) -> Bool { allCases.firstIndex(of: x)! > allCases.firstIndex(of: y)! }
}

/// The numbers of the retained-savings formula in force for an agreement year: settings with effective dates
/// (`vbp_fund_payment_ratio_pct`, `vbp_insured_share_pct`, `vbp_grade_a_min_score` …; RULES.md's defaults), so a
/// province's change of formula is a new setting, never code.
package struct RetainedSavingsSettings: Sendable, Equatable, Codable {
    /// 医保基金支付比例, percent.
    package var fundPaymentRatioPercent: Decimal
    /// 参保人员占比, percent: the share of the volume used by insured patients.
    package var insuredSharePercent: Decimal
    /// The least score of grades A, B and C (80, 70, 60); below C's is D.
    package var gradeAMinScore: Decimal
    package var gradeBMinScore: Decimal
    package var gradeCMinScore: Decimal
    /// The retained share of the savings base per grade, percent (50, 40, 30, 0).
    package var retainedPercentA: Decimal
    package var retainedPercentB: Decimal
    package var retainedPercentC: Decimal
    package var retainedPercentD: Decimal

    package init(
        fundPaymentRatioPercent: Decimal, insuredSharePercent: Decimal, gradeAMinScore: Decimal, gradeBMinScore: Decimal,
        gradeCMinScore: Decimal, retainedPercentA: Decimal, retainedPercentB: Decimal, retainedPercentC: Decimal,
        retainedPercentD: Decimal
    ) {
        self.fundPaymentRatioPercent = fundPaymentRatioPercent
        self.insuredSharePercent = insuredSharePercent
        self.gradeAMinScore = gradeAMinScore
        self.gradeBMinScore = gradeBMinScore
        self.gradeCMinScore = gradeCMinScore
        self.retainedPercentA = retainedPercentA
        self.retainedPercentB = retainedPercentB
        self.retainedPercentC = retainedPercentC
        self.retainedPercentD = retainedPercentD
    }

    /// Settings that cannot make a formula (a percent outside 0–100, grades out of order) are the operator's to
    /// fix (503 naming them), never the caller's.
    package func check() throws(DomainError) {
        for (key, value) in [
            ("vbp_fund_payment_ratio_pct", fundPaymentRatioPercent), ("vbp_insured_share_pct", insuredSharePercent),
            ("vbp_retained_pct_a", retainedPercentA), ("vbp_retained_pct_b", retainedPercentB),
            ("vbp_retained_pct_c", retainedPercentC), ("vbp_retained_pct_d", retainedPercentD),
        ] where value < 0 || value > 100 {
            throw .unavailable("the setting \(key) must be a percent from 0 to 100, not \(value)")
        }
        guard gradeAMinScore > gradeBMinScore, gradeBMinScore > gradeCMinScore else {
            throw .unavailable(
                "the settings vbp_grade_a_min_score > vbp_grade_b_min_score > vbp_grade_c_min_score do not hold")
        }
    }
}

/// One member's retained savings of one generic name for an agreement year, with every input it came from.
package struct RetainedSavings: Sendable, Equatable, Codable {
    package var institutionCode: String
    package var genericName: String
    // The inputs.
    package var agreedVolume: Decimal
    package var purchasedVolume: Decimal
    package var preProcurementAveragePrice: Money
    package var winningPrice: Money
    package var score: Decimal?
    package var settings: RetainedSavingsSettings
    // The result.
    /// Purchases counted: up to the agreed volume (over-volume is excluded).
    package var countedVolume: Decimal
    /// agreed volume × pre-procurement price × fund payment ratio × insured share.
    package var budget: Money
    /// counted volume × winning price × fund payment ratio × insured share.
    package var actual: Money
    /// max(budget − actual, 0).
    package var savingsBase: Money
    /// nil until the member has a score for the year.
    package var grade: AssessmentGrade?
    package var retainedPercent: Decimal?
    package var retained: Money?

    package init(
        institutionCode: String, genericName: String, agreedVolume: Decimal, purchasedVolume: Decimal,
        preProcurementAveragePrice: Money, winningPrice: Money, score: Decimal?, settings: RetainedSavingsSettings,
        countedVolume: Decimal, budget: Money, actual: Money, savingsBase: Money, grade: AssessmentGrade?,
        retainedPercent: Decimal?, retained: Money?
    ) {
        self.institutionCode = institutionCode
        self.genericName = genericName
        self.agreedVolume = agreedVolume
        self.purchasedVolume = purchasedVolume
        self.preProcurementAveragePrice = preProcurementAveragePrice
        self.winningPrice = winningPrice
        self.score = score
        self.settings = settings
        self.countedVolume = countedVolume
        self.budget = budget
        self.actual = actual
        self.savingsBase = savingsBase
        self.grade = grade
        self.retainedPercent = retainedPercent
        self.retained = retained
    }
}

/// 集采医保资金结余留用 (RULES.md, Shenzhen's 2024 draft as the default formula).
package enum RetainedSavingsRules {
    /// The grade of `score`: A from `gradeAMinScore` up, B from B's, C from C's, D below (a score on a boundary
    /// takes the higher grade).
    package static func grade(score: Decimal, settings: RetainedSavingsSettings) -> AssessmentGrade {
        if score >= settings.gradeAMinScore { return .a }
        if score >= settings.gradeBMinScore { return .b }
        if score >= settings.gradeCMinScore { return .c }
        return .d
    }

    package static func retainedPercent(_ grade: AssessmentGrade, settings: RetainedSavingsSettings) -> Decimal {
        switch grade {
        case .a: settings.retainedPercentA
        case .b: settings.retainedPercentB
        case .c: settings.retainedPercentC
        case .d: settings.retainedPercentD
        }
    }

    /// The formula: budget = agreed volume × pre-procurement weighted average price × fund payment ratio × insured
    /// share; actual = the insurance spending on the winning product, its volume counted only up to the agreed
    /// volume (priced at the winning price, with the same ratio and share); savings base = max(budget − actual, 0);
    /// retained = base × the share of the member's grade. Amounts in yuan to the fen, rounded half-up at each
    /// result.
    package static func savings(
        institutionCode: String, genericName: String, agreedVolume: Decimal, purchasedVolume: Decimal,
        preProcurementAveragePrice: Money, winningPrice: Money, score: Decimal?, settings: RetainedSavingsSettings
    ) -> RetainedSavings {
        let insured = settings.fundPaymentRatioPercent / 100 * settings.insuredSharePercent / 100
        let counted = min(max(purchasedVolume, 0), agreedVolume)
        let budget = (preProcurementAveragePrice * (agreedVolume * insured)).rounded(2)
        let actual = (winningPrice * (counted * insured)).rounded(2)
        let base = budget > actual ? budget - actual : Money(0)
        let grade = score.map { self.grade(score: $0, settings: settings) }
        let percent = grade.map { retainedPercent($0, settings: settings) }
        return RetainedSavings(
            institutionCode: institutionCode, genericName: genericName, agreedVolume: agreedVolume,
            purchasedVolume: purchasedVolume, preProcurementAveragePrice: preProcurementAveragePrice,
            winningPrice: winningPrice, score: score, settings: settings, countedVolume: counted, budget: budget,
            actual: actual, savingsBase: base, grade: grade, retainedPercent: percent,
            retained: percent.map { (base * ($0 / 100)).rounded(2) })
    }
}

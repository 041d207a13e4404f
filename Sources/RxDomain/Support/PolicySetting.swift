import Foundation

/// A number or choice a policy sets, kept as data (`policy_defaults`, overridden per consortium by
/// `consortium_settings`, each from a date), never as a Swift literal: its key and how its text reads.
/// Every setting the service reads is named here, so a newcomer finds them in one place.
package struct PolicySetting<Value: Sendable>: Sendable {
    package let key: String
    package let read: @Sendable (String) -> Value?

    package init(key: String, read: @escaping @Sendable (String) -> Value?) {
        self.key = key
        self.read = read
    }
}

extension PolicySetting {
    /// The setting's value from what the database holds: `text`, its value in force on `date`, else
    /// `firstEffective`, the date its first value takes effect. A date before that is the caller's (422 naming
    /// `field`); a setting with no value at all means the seeds were not loaded, and a text that does not read as
    /// the setting's type means they are wrong (503 naming the setting either way).
    package func value(text: String?, firstEffective: String?, on date: BusinessDate, field: String) throws(DomainError)
        -> Value
    {
        guard let text else {
            guard let firstEffective else {
                throw .unavailable("the setting \(key) is missing: load seeds/reference (consortiumrx seed)")
            }
            throw .invalid(field, "\(date) is before \(key) takes effect (\(firstEffective))")
        }
        guard let value = read(text) else { throw .unavailable("the setting \(key) is not understood: \(text)") }
        return value
    }
}

extension PolicySetting where Value == Int {
    static func whole(_ key: String) -> Self { .init(key: key) { Int($0) } }

    /// 回款周期: days from the latest accepted delivery until an invoice falls due.
    package static var paymentTermDays: Self { whole("payment_term_days") }
    /// 近效期: the shortest remaining shelf life a lot may have when received.
    package static var minimumRemainingShelfLifeMonths: Self { whole("min_remaining_shelf_life_months") }
    /// 长处方: the national ceiling of a long prescription's days.
    package static var longPrescriptionNationalMaxDays: Self { whole("long_rx_national_max_days") }
    /// 长处方: the days a prescription may cover without the assessment and the patient's confirmation (4 weeks).
    package static var longPrescriptionStandardMaxDays: Self { whole("long_rx_standard_max_days") }
    /// 中药饮片质量: rejected lots of a supplier within a round that flag it for the lead's review.
    package static var herbRejectionsToFlagSupplier: Self { whole("herb_rejections_to_flag_supplier") }
    /// 近效期: the first (wider) near-expiry threshold, in days to expiry.
    package static var stockNearExpiryDaysFirst: Self { whole("stock_near_expiry_days_first") }
    /// 近效期: the second (narrower) near-expiry threshold, in days to expiry.
    package static var stockNearExpiryDaysSecond: Self { whole("stock_near_expiry_days_second") }
    /// 发药效期: the fewest days to expiry a lot may have to be issued to a patient.
    package static var stockMinimumShelfLifeForIssueDays: Self { whole("stock_min_shelf_life_issue_days") }
    /// 库存可用天数: the window of consumption whose daily average days of stock divide by.
    package static var stockConsumptionWindowDays: Self { whole("stock_consumption_window_days") }
    /// 延伸处方配送时限: hours from approval within which an extended prescription is delivered.
    package static var extendedPrescriptionDeliveryDeadlineHours: Self { whole("extended_rx_delivery_deadline_hours") }
    /// 延伸处方取药时限: days after delivery within which the patient collects; after them the stock goes back.
    package static var extendedPrescriptionCollectionDeadlineDays: Self { whole("extended_rx_collection_deadline_days") }
    /// 补录: how many days back a check or an issue may be dated.
    package static var prescriptionLateEntryDays: Self { whole("prescription_late_entry_days") }
    /// 短缺: days of stock below which a member (or the consortium as a whole) is short.
    package static var shortageLowStockDays: Self { whole("shortage_low_stock_days") }
    /// 短缺: days after an order's submission by which its lines are delivered; later is a late-delivery signal.
    package static var shortageDeliveryDeadlineDays: Self { whole("shortage_delivery_deadline_days") }
    /// 调剂: days of stock above which a member has surplus to give to members short.
    package static var shortageSurplusDays: Self { whole("shortage_surplus_days") }
    /// 短缺: days after its close within which a shortage that returns continues the same record.
    package static var shortageReopenWindowDays: Self { whole("shortage_reopen_window_days") }
    /// 登录失败锁定: wrong passwords in a row that lock a console account (`LoginLockout`).
    package static var consoleLoginMaxFailures: Self { positive("console_login_max_failures") }
    /// 登录失败锁定: how long a locked console account stays locked.
    package static var consoleLockoutMinutes: Self { positive("console_lockout_minutes") }
    /// 会话超时: minutes without use after which a console session has ended (`ConsoleSessionIdle`).
    package static var consoleSessionIdleMinutes: Self { positive("console_session_idle_minutes") }
    /// 密码规则: the fewest characters of a console password.
    package static var consolePasswordMinimumLength: Self { positive("console_password_min_length") }
    /// bcrypt's work factor for console passwords, 4 to 31 (each step doubles the time to check one).
    package static var consoleBcryptCost: Self {
        .init(key: "console_bcrypt_cost") { Int($0).flatMap { (4...31).contains($0) ? $0 : nil } }
    }

    static func positive(_ key: String) -> Self { .init(key: key) { Int($0).flatMap { $0 > 0 ? $0 : nil } } }
}

extension PolicySetting where Value == Decimal {
    static func percent(_ key: String) -> Self {
        .init(key: key) { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
    }

    /// 加成率: the markup on a drug's purchase price (0 under zero-markup policy).
    package static var drugMarkupPercent: Self { percent("drug_markup_pct") }
    /// 中药饮片加成: the markup on decoction pieces, and its cap.
    package static var decoctionPieceMarkupPercent: Self { percent("decoction_piece_markup_pct") }
    package static var decoctionPieceMarkupCapPercent: Self { percent("decoction_piece_markup_cap_pct") }
    /// 医疗机构制剂加成.
    package static var hospitalPreparationMarkupPercent: Self { percent("hospital_preparation_markup_pct") }
    /// 带量采购: a member's proposed commitment and its floor, as percents of its prior-year usage.
    package static var herbCommitmentProposalPercent: Self { percent("herb_commitment_proposal_pct") }
    package static var herbCommitmentMinimumPercent: Self { percent("herb_commitment_minimum_pct") }
    /// 国家集采: a member's proposed agreed volume, as a percent of its prior-year usage.
    package static var vbpVolumeProposalPercent: Self { percent("vbp_volume_proposal_pct") }
    /// 结余留用: the fund payment ratio and the insured share of the budget; the least score of grades A, B and C;
    /// the share of the savings base each grade retains (`RetainedSavingsSettings`).
    package static var vbpFundPaymentRatioPercent: Self { percent("vbp_fund_payment_ratio_pct") }
    package static var vbpInsuredSharePercent: Self { percent("vbp_insured_share_pct") }
    package static var vbpGradeAMinScore: Self { percent("vbp_grade_a_min_score") }
    package static var vbpGradeBMinScore: Self { percent("vbp_grade_b_min_score") }
    package static var vbpGradeCMinScore: Self { percent("vbp_grade_c_min_score") }
    package static var vbpRetainedPercentA: Self { percent("vbp_retained_pct_a") }
    package static var vbpRetainedPercentB: Self { percent("vbp_retained_pct_b") }
    package static var vbpRetainedPercentC: Self { percent("vbp_retained_pct_c") }
    package static var vbpRetainedPercentD: Self { percent("vbp_retained_pct_d") }
}

extension PolicySetting where Value == Bool {
    /// 制剂调剂: whether a transfer needs the regulator's approval.
    package static var preparationTransferRequiresApproval: Self {
        .init(key: "preparation_transfer_requires_approval") { ["true": true, "false": false][$0] }
    }
}

extension PolicySetting where Value == Quorum {
    /// 目录共识: how many members' endorsements publish a catalogue version.
    package static var catalogueQuorum: Self { .init(key: "catalogue_quorum") { Quorum(setting: $0) } }
}

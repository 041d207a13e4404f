import Foundation
import Testing

@testable import RxDomain

@Suite("Policy settings are data, read through one typed accessor (issue 20)")
struct PolicySettingTests: RuleRefusals {
    static let keys = [
        PolicySetting.paymentTermDays.key, PolicySetting.minimumRemainingShelfLifeMonths.key,
        PolicySetting.longPrescriptionNationalMaxDays.key, PolicySetting.longPrescriptionStandardMaxDays.key,
        PolicySetting.herbRejectionsToFlagSupplier.key, PolicySetting.drugMarkupPercent.key,
        PolicySetting.decoctionPieceMarkupPercent.key, PolicySetting.decoctionPieceMarkupCapPercent.key,
        PolicySetting.hospitalPreparationMarkupPercent.key, PolicySetting.herbCommitmentProposalPercent.key,
        PolicySetting.herbCommitmentMinimumPercent.key, PolicySetting.preparationTransferRequiresApproval.key,
        PolicySetting.catalogueQuorum.key, PolicySetting.stockNearExpiryDaysFirst.key,
        PolicySetting.stockNearExpiryDaysSecond.key, PolicySetting.stockMinimumShelfLifeForIssueDays.key,
        PolicySetting.stockConsumptionWindowDays.key, PolicySetting.extendedPrescriptionDeliveryDeadlineHours.key,
        PolicySetting.extendedPrescriptionCollectionDeadlineDays.key, PolicySetting.prescriptionLateEntryDays.key,
        PolicySetting.shortageLowStockDays.key,
        PolicySetting.shortageDeliveryDeadlineDays.key, PolicySetting.shortageSurplusDays.key,
        PolicySetting.shortageReopenWindowDays.key, PolicySetting.consoleLoginMaxFailures.key,
        PolicySetting.consoleLockoutMinutes.key, PolicySetting.consoleSessionIdleMinutes.key,
        PolicySetting.consolePasswordMinimumLength.key, PolicySetting.consoleBcryptCost.key,
    ]

    @Test("every setting the service reads has a national default in seeds/reference/policy_defaults.csv")
    func everySettingIsSeeded() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("seeds/reference/policy_defaults.csv")
        let seeded = Set(
            try String(contentsOf: seeds, encoding: .utf8).split(separator: "\n").dropFirst()
                .map { String($0.prefix { $0 != "," }) })
        for key in Self.keys { #expect(seeded.contains(key), "\(key) is read but not seeded") }
    }

    @Test("a setting's text reads as its type, or not at all")
    func reading() {
        #expect(PolicySetting.paymentTermDays.read("30") == 30)
        #expect(PolicySetting.paymentTermDays.read("30.5") == nil && PolicySetting.paymentTermDays.read("") == nil)
        #expect(PolicySetting.drugMarkupPercent.read("12.5") == Decimal(string: "12.5"))
        #expect(PolicySetting.drugMarkupPercent.read("twelve") == nil)
        #expect(PolicySetting.preparationTransferRequiresApproval.read("false") == false)
        #expect(PolicySetting.preparationTransferRequiresApproval.read("yes") == nil)
        #expect(PolicySetting.catalogueQuorum.read("simple_majority") != nil)
        #expect(PolicySetting.catalogueQuorum.read("most") == nil)
        #expect(PolicySetting.consoleBcryptCost.read("12") == 12 && PolicySetting.consoleBcryptCost.read("4") == 4)
        #expect(PolicySetting.consoleBcryptCost.read("3") == nil && PolicySetting.consoleBcryptCost.read("32") == nil)
        #expect(PolicySetting.consoleLockoutMinutes.read("0") == nil)
    }

    @Test("a supplier is flagged when its rejected lots reach the setting's threshold")
    func flagging() {
        #expect(!HerbProcurementRules.flagsSupplier(rejections: 1, threshold: 2))
        #expect(HerbProcurementRules.flagsSupplier(rejections: 2, threshold: 2))
        #expect(HerbProcurementRules.flagsSupplier(rejections: 1, threshold: 1))
    }

    @Test(
        "a setting's value in force: the text read; before its first value a 422 naming the field; none at all or unreadable, 503"
    )
    func valueInForce() throws {
        let day = BusinessDate("2026-03-01")!
        let setting = PolicySetting.paymentTermDays
        #expect(try setting.value(text: "30", firstEffective: nil, on: day, field: "date") == 30)
        #expect(
            field { _ = try setting.value(text: nil, firstEffective: "2026-06-01", on: day, field: "orderDate") } == "orderDate")
        guard
            case .unavailable(let missing) = refusal({
                _ = try setting.value(text: nil, firstEffective: nil, on: day, field: "date")
            })
        else { Issue.record("no seeds is not a 503"); return }
        #expect(missing.contains("payment_term_days"))
        guard
            case .unavailable(let wrong) = refusal({
                _ = try setting.value(text: "thirty", firstEffective: nil, on: day, field: "date")
            })
        else { Issue.record("an unreadable setting is not a 503"); return }
        #expect(wrong.contains("thirty"))
    }
}

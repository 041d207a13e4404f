import Foundation
import Testing

@testable import RxDomain

@Suite("Transfer rules")
struct TransferRulesTests {
    let today = BusinessDate("2026-06-15")!

    func q(_ text: String) -> Quantity { Quantity(text)! }

    func shipment(
        receiverNamed: Bool = true, shippedOn: String = "2026-06-15", registrationValidTo: String? = "2027-01-01",
        licensed: Bool = true, produced: String = "2026-05-01", expires: String = "2028-05-01", quantity: String = "2",
        shipped: String = "0"
    ) -> TransferRules.ShipmentCheck {
        TransferRules.ShipmentCheck(
            receiverNamed: receiverNamed, shippedOn: BusinessDate(shippedOn)!, today: today,
            approvalValidFrom: BusinessDate("2026-06-01")!, approvalValidTo: BusinessDate("2026-12-31")!,
            registrationValidTo: registrationValidTo.flatMap(BusinessDate.init), producerLicensed: licensed,
            productionDate: BusinessDate(produced)!, expiryDate: BusinessDate(expires)!, quantity: q(quantity),
            approved: q("10"), alreadyShipped: q(shipped))
    }

    func fields(_ c: TransferRules.ShipmentCheck) -> [String] { TransferRules.shipmentErrors(c).map(\.field) }

    @Test("a shipment inside the approval passes; each broken rule names its field")
    func shipmentRules() {
        #expect(fields(shipment()).isEmpty)
        #expect(fields(shipment(receiverNamed: false)) == ["receiverInstitutionCode"])
        #expect(fields(shipment(shippedOn: "2026-05-31")) == ["shippedOn"])
        #expect(fields(shipment(shippedOn: "2026-06-01")).isEmpty)
        #expect(fields(shipment(shippedOn: "2026-06-16")) == ["shippedOn"])  // the future
        #expect(fields(shipment(registrationValidTo: "2026-06-14")) == ["registrationValidTo"])
        #expect(fields(shipment(registrationValidTo: "2026-06-15")).isEmpty)  // valid through its last day
        #expect(fields(shipment(registrationValidTo: nil)).isEmpty)  // a filing
        #expect(fields(shipment(licensed: false)) == ["preparationLicence"])
        #expect(fields(shipment(expires: "2026-06-15")) == ["expiryDate"])
        #expect(fields(shipment(produced: "2026-06-16", expires: "2028-01-01")).contains("productionDate"))
    }

    @Test("the shipped total may reach the approved quantity, never pass it")
    func quantityLimit() {
        #expect(fields(shipment(quantity: "2", shipped: "8")).isEmpty)
        #expect(fields(shipment(quantity: "2.0001", shipped: "8")) == ["quantity"])
        #expect(fields(shipment(quantity: "0.5", shipped: "10")) == ["quantity"])
    }

    func approval(
        kind: TransferApprovalKind = .regulatorApproval, required: Bool = true, supplier: Int64 = 1, producer: Int64 = 1,
        lead: Int64? = 1, receivers: [Int64] = [2, 3], from: String = "2026-06-01", to: String = "2026-12-31",
        document: Bool = true
    ) -> [String] {
        TransferRules.approvalErrors(
            TransferRules.ApprovalCheck(
                kind: kind, authority: document ? "吉林省药品监督管理局" : nil, documentNumber: document ? "吉药监制调〔2026〕12号" : nil,
                documentDate: document ? BusinessDate("2026-05-20") : nil, approvalRequired: required,
                supplierInstitutionID: supplier, producerInstitutionID: producer, leadInstitutionID: lead,
                receiverInstitutionIDs: receivers, validFrom: BusinessDate(from)!, validTo: BusinessDate(to)!)
        ).map(\.field)
    }

    @Test("an approval: producer supplies, distinct receivers other than itself, a period, the regulator's document")
    func approvalRules() {
        #expect(approval().isEmpty)
        #expect(approval(supplier: 2, receivers: [3]) == ["supplierInstitutionCode"])
        #expect(approval(receivers: []) == ["receiverInstitutionCodes"])
        #expect(approval(receivers: [2, 2]) == ["receiverInstitutionCodes"])
        #expect(approval(receivers: [1, 2]) == ["receiverInstitutionCodes"])
        #expect(approval(to: "2026-05-31") == ["validTo"])
        #expect(Set(approval(document: false)) == ["authority", "documentNumber", "documentDate"])
    }

    @Test("a standing scope only when the setting waives approval, and only from the lead")
    func standingScope() {
        #expect(approval(kind: .standingScope, required: true, document: false) == ["kind"])
        #expect(approval(kind: .standingScope, required: false, document: false).isEmpty)
        #expect(approval(kind: .standingScope, required: false, lead: 9, document: false) == ["kind"])
        #expect(
            approval(kind: .standingScope, required: false, receivers: [99, 1], document: false) == ["receiverInstitutionCodes"])
    }

    @Test("balances: remaining, days left counting today, status, report filters")
    func balances() {
        let b = TransferBalance(
            approved: q("20"), shipped: q("9"), received: q("8.5"),
            validFrom: BusinessDate("2026-06-01")!, validTo: BusinessDate("2026-06-30")!, today: today)
        #expect(b.remaining == q("11"))
        #expect(b.daysLeft == 16)
        #expect(b.remainingPercent == 55)
        #expect(b.status == .valid)
        #expect(b.expires(within: 15))
        #expect(!b.expires(within: 14))
        #expect(b.nearlyUsedUp(below: 56))
        #expect(!b.nearlyUsedUp(below: 55))
        var used = b
        used.shipped = q("20")
        #expect(used.status == .usedUp && !used.expires(within: 30) && !used.nearlyUsedUp(below: 10))
        var ended = b
        ended.today = BusinessDate("2026-07-01")!
        #expect(ended.status == .expired && ended.daysLeft == 0 && !ended.expires(within: 30))
    }

    @Test("discrepancy: received minus shipped")
    func discrepancy() {
        #expect(TransferRules.discrepancy(shipped: q("6"), received: q("5")) == Quantity(-1))
        #expect(TransferRules.discrepancy(shipped: q("3"), received: q("3.5")) == q("0.5"))
        #expect(TransferRules.discrepancy(shipped: q("3"), received: q("3")) == .zero)
    }

    @Test("quantities: decimal strings, four decimals at most, shortest text")
    func quantities() {
        #expect(Quantity("10")?.description == "10")
        #expect(Quantity("2.50")?.description == "2.5")
        #expect(Quantity("0.0001")?.description == "0.0001")
        #expect(Quantity("1.00001") == nil)
        #expect(Quantity("-1") == nil)
        #expect(Quantity("1e3") == nil)
        #expect(throws: DomainError.self) { try Quantity.parse("0", field: "quantity") }
        #expect((try? Quantity.parse("0", field: "quantityReceived", allowZero: true)) == .zero)
    }

    @Test("expiry warnings: due within the window, lapsed included, soonest first; licences five years at most")
    func expiry() {
        let warnings = [
            ExpiryWarning(
                subject: .registration, institutionCode: "A", drugCode: "H-1", number: "吉药制字Z20160012",
                validTo: BusinessDate("2026-07-15")!, today: today),
            ExpiryWarning(
                subject: .licence, institutionCode: "A", drugCode: nil, number: "吉20220018HZ",
                validTo: BusinessDate("2026-06-10")!, today: today),
            ExpiryWarning(
                subject: .registration, institutionCode: "A", drugCode: "H-2", number: "吉药制字Z20180005",
                validTo: BusinessDate("2027-06-15")!, today: today),
        ]
        let due = ExpiryWarning.due(warnings, within: 90)
        #expect(due.map(\.number) == ["吉20220018HZ", "吉药制字Z20160012"])
        #expect(due[0].lapsed && due[0].daysLeft == -5)
        #expect(due[1].daysLeft == 30)
        let from = BusinessDate("2022-03-01")!
        #expect(TransferRules.licenceErrors(number: "吉20220018HZ", validFrom: from, validTo: BusinessDate("2027-02-28")!).isEmpty)
        #expect(
            TransferRules.licenceErrors(number: "吉20220018HZ", validFrom: from, validTo: BusinessDate("2027-03-01")!).map(\.field)
                == ["validTo"])
        #expect(
            TransferRules.registrationErrors(kind: .approvalNumber, number: "吉药制字Z20160012", validTo: nil).map(\.field) == [
                "registrationValidTo"
            ])
        #expect(TransferRules.registrationErrors(kind: .filingNumber, number: "吉药制备字Z20190003000", validTo: nil).isEmpty)
    }
}

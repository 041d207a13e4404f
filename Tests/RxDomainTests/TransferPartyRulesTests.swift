import Foundation
import Testing

@testable import RxDomain

@Suite("Transfer party rules: the preparation, its producer, supplier and receivers, and the receipt (TransferRules)")
struct TransferPartyRulesTests: RuleRefusals {
    let preparation = TransferRules.RegisteredPreparation(unit: "bottle", producerInstitutionID: 1)

    func parties(
        preparation: TransferRules.RegisteredPreparation?? = nil, supplierID: Int64? = 1,
        receivers: [(code: String, id: Int64?)] = [("M2", 2), ("M3", 3)], unit: String? = nil
    ) throws -> TransferRules.ApprovalParties {
        try TransferRules.approvalParties(
            drugCode: "P1", preparation: preparation ?? self.preparation, supplierCode: "LEAD", supplierID: supplierID,
            receivers: receivers, unit: unit, consortiumCode: "JL")
    }

    @Test("an approval names a registered preparation, a member supplier, member receivers and the preparation's unit")
    func approvalParties() throws {
        #expect(
            try parties()
                == TransferRules.ApprovalParties(
                    unit: "bottle", producerInstitutionID: 1, supplierInstitutionID: 1, receiverInstitutionIDs: [2, 3]))
        #expect(try parties(unit: "bottle").unit == "bottle")
        #expect(field { _ = try parties(preparation: .some(nil)) } == "drugCode")
        #expect(field { _ = try parties(supplierID: nil) } == "supplierInstitutionCode")
        #expect(
            refusal { _ = try parties(receivers: [("M2", 2), ("X", nil), ("Y", nil)]) }
                == .invalid("receiverInstitutionCodes", "X is not a member of JL"))
        #expect(field { _ = try parties(unit: "box") } == "unit")
        // The checks keep their order: the preparation first, the unit last.
        #expect(
            field { _ = try parties(preparation: .some(nil), supplierID: nil, receivers: [("X", nil)], unit: "box") }
                == "drugCode")
        #expect(field { _ = try parties(receivers: [("X", nil)], unit: "box") } == "receiverInstitutionCodes")
    }

    @Test("a shipment is received once, not in the future and not before it left")
    func receipt() {
        let shipped = BusinessDate("2026-06-10")!
        let today = BusinessDate("2026-06-15")!
        func check(received: Bool = false, on: String) -> DomainError? {
            refusal {
                try TransferRules.checkReceipt(
                    shipmentID: 8, alreadyReceived: received, receivedOn: BusinessDate(on)!, shippedOn: shipped, today: today)
            }
        }
        #expect(check(on: "2026-06-10") == nil)
        #expect(check(on: "2026-06-15") == nil)
        #expect(check(received: true, on: "2026-06-12") == .conflict("shipment 8 has been received already"))
        #expect(check(on: "2026-06-16") == .invalid("receivedOn", "2026-06-16 is in the future"))
        #expect(check(on: "2026-06-09") == .invalid("receivedOn", "2026-06-09 is before the shipment left on 2026-06-10"))
    }

    @Test("a preparation is a drug of that category, made by a member")
    func preparationProducer() throws {
        func producer(category: String?, id: Int64? = 5) throws -> Int64 {
            try TransferRules.preparationProducer(
                drugCode: "P1", category: category, producerCode: "LEAD", producerID: id, consortiumCode: "JL")
        }
        #expect(try producer(category: DrugCategory.hospitalPreparation.rawValue) == 5)
        #expect(refusal { _ = try producer(category: nil) } == .invalid("drugCode", "no drug P1"))
        #expect(
            refusal { _ = try producer(category: "western", id: nil) }
                == .invalid("drugCode", "P1 is a western drug, not a hospital preparation"))
        #expect(
            field { _ = try producer(category: DrugCategory.hospitalPreparation.rawValue, id: nil) } == "producerInstitutionCode")
    }
}

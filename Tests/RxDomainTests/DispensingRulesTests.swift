import Foundation
import Testing

@testable import RxDomain

@Suite("Stock ledger: dispensing recipients, disposals, releases, preparation shipments, exemptions (issue 21)")
struct DispensingRulesTests: RuleRefusals {
    @Test("a dispensing goes to a pseudonymous patient or to a ward, exactly one")
    func recipients() throws {
        #expect(try DispensingRules.recipient(patientRef: "P-0001", ward: nil) == .patient("P-0001"))
        #expect(try DispensingRules.recipient(patientRef: nil, ward: " 心内科病区 ") == .ward("心内科病区"))
        #expect(field { _ = try DispensingRules.recipient(patientRef: nil, ward: nil) } == "patientRef")
        #expect(field { _ = try DispensingRules.recipient(patientRef: "P1", ward: "ICU") } == "ward")
        #expect(field { _ = try DispensingRules.recipient(patientRef: "张三", ward: nil) } == "patientRef")
        // Shaped like a resident ID card number: never a patient reference.
        #expect(field { _ = try DispensingRules.recipient(patientRef: "22010219800101123X", ward: nil) } == "patientRef")
        #expect(field { _ = try DispensingRules.recipient(patientRef: nil, ward: "  ") } == "ward")
        #expect(DispensingRules.isPseudonymous("a_b-9"))
        #expect(!DispensingRules.isPseudonymous(String(repeating: "a", count: 65)))
    }

    @Test("a retried key with the same body replays; another body is 422 naming Idempotency-Key; a held key is 409")
    func idempotency() throws {
        let hash = Data([1, 2, 3])
        #expect(try DispensingRules.replayedDispensingID(.init(requestHash: hash, orderID: 7), requestHash: hash) == 7)
        #expect(
            field { _ = try DispensingRules.replayedDispensingID(.init(requestHash: hash, orderID: 7), requestHash: Data([9])) }
                == "Idempotency-Key")
        #expect(isConflict { _ = try DispensingRules.replayedDispensingID(nil, requestHash: hash) })
    }

    @Test("destruction only of quarantined stock, under a document, at most what is held; a return of any stock")
    func disposals() throws {
        let q = Quantity(5)
        #expect(
            fields {
                try DispensingRules.checkDisposal(
                    kind: .destruction, documentReference: "XH-2026-01", quantity: q, held: Quantity(5), state: .expired,
                    lot: "L1")
            }.isEmpty)
        #expect(
            fields {
                try DispensingRules.checkDisposal(
                    kind: .destruction, documentReference: "XH", quantity: q, held: Quantity(9), state: .blocked(.recall),
                    lot: "L1")
            }.isEmpty)
        #expect(
            field {
                try DispensingRules.checkDisposal(
                    kind: .destruction, documentReference: "XH", quantity: q, held: Quantity(9), state: .issuable, lot: "L1")
            } == "lotNumber")
        #expect(
            fields {
                try DispensingRules.checkDisposal(
                    kind: .supplierReturn, documentReference: "TH-1", quantity: q, held: Quantity(9), state: .issuable,
                    lot: "L1")
            }.isEmpty)
        #expect(
            fields {
                try DispensingRules.checkDisposal(
                    kind: .supplierReturn, documentReference: " ", quantity: Quantity(10), held: Quantity(9),
                    state: .issuable, lot: "L1")
            } == ["documentReference", "quantity"])
        #expect(
            field {
                try DispensingRules.checkDisposal(
                    kind: .supplierReturn, documentReference: "TH", quantity: q, held: nil, state: .issuable, lot: "L1")
            } == "lotNumber")
        #expect(StockDisposalKind.destruction.reason == .destruction)
        #expect(StockDisposalKind.supplierReturn.reason == .returnToSupplier)
    }

    @Test("a release ends a standing block only, with a reason")
    func release() throws {
        #expect(fields { try DispensingRules.checkRelease(blockID: 1, released: false, reason: "通知撤回") }.isEmpty)
        #expect(isConflict { try DispensingRules.checkRelease(blockID: 1, released: true, reason: "again") })
        #expect(field { try DispensingRules.checkRelease(blockID: 1, released: false, reason: " ") } == "reason")
    }

    @Test("a preparation shipment takes what the producer holds of the lot and enters the rest as made")
    func preparationShipment() {
        func split(_ held: Decimal) -> [Decimal] {
            let s = DispensingRules.preparationShipment(held: Quantity(held), shipped: Quantity(4))
            return [s.produced.value, s.shipped.value]
        }
        #expect(split(0) == [4, 4])
        #expect(split(1) == [3, 4])
        #expect(split(10) == [0, 4])
    }

    @Test("traceability exemptions: decoction pieces, preparations, formula granules, bulk injections, split packages")
    func exemptions() {
        #expect(
            DispensingRules.traceabilityExemption(category: .decoctionPiece, dosageForm: "饮片", splitPackage: false)
                == .decoctionPiece)
        #expect(
            DispensingRules.traceabilityExemption(category: .hospitalPreparation, dosageForm: "颗粒剂", splitPackage: false)
                == .hospitalPreparation)
        #expect(
            DispensingRules.traceabilityExemption(category: .chinesePatent, dosageForm: "中药配方颗粒", splitPackage: false)
                == .formulaGranule)
        #expect(
            DispensingRules.traceabilityExemption(category: .western, dosageForm: "大容量注射液", splitPackage: false)
                == .bulkInjection)
        #expect(
            DispensingRules.traceabilityExemption(category: .western, dosageForm: "片剂", splitPackage: true) == .splitPackage)
        #expect(DispensingRules.traceabilityExemption(category: .western, dosageForm: "片剂", splitPackage: false) == nil)
    }

    @Test("stock access: a member's pharmacist its own; the admin and the supply centre all; regulators and auditors read")
    func access() {
        func token(_ role: Role, _ institution: Int64? = nil, _ code: String? = nil) -> Principal {
            Principal(
                tokenID: nil, role: role, consortiumID: 1, consortiumCode: "C", institutionID: institution,
                institutionCode: code, name: "t")
        }
        let ownPharmacist = token(.institutionPharmacist, 2, "M")
        let otherPharmacist = token(.institutionPharmacist, 3, "N")
        let supplyCentre = token(.procurementOfficer, 1, "LEAD")
        let memberPurchaser = token(.procurementOfficer, 2, "M")
        let read = Permission.readStock(consortiumID: 1, institutionID: 2, leadInstitutionCode: "LEAD")
        let all = Permission.readAllStock(consortiumID: 1, leadInstitutionCode: "LEAD")
        let manage = Permission.manageStock(consortiumID: 1, institutionID: 2, leadInstitutionCode: "LEAD")
        let dispense = Permission.dispenseStock(consortiumID: 1, institutionID: 2)
        #expect(ownPharmacist.may(read) && ownPharmacist.may(dispense) && ownPharmacist.may(manage))
        #expect(!ownPharmacist.may(all))
        #expect(!otherPharmacist.may(read) && !otherPharmacist.may(dispense) && !otherPharmacist.may(manage))
        #expect(supplyCentre.may(all) && supplyCentre.may(read) && supplyCentre.may(manage) && !supplyCentre.may(dispense))
        #expect(!memberPurchaser.may(read) && !memberPurchaser.may(manage))
        for overseer in [token(.regulator), token(.auditor)] {
            #expect(overseer.may(read) && overseer.may(all) && !overseer.may(manage) && !overseer.may(dispense))
        }
        let admin = token(.consortiumAdmin)
        #expect(admin.may(all) && admin.may(manage) && admin.may(.recallLot(consortiumID: 1)) && !admin.may(dispense))
        #expect(!supplyCentre.may(.recallLot(consortiumID: 1)) && !token(.regulator).may(.recallLot(consortiumID: 1)))
        #expect(!admin.may(.recallLot(consortiumID: 2)))
    }
}

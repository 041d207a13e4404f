import Foundation
import Testing

@testable import RxDomain

/// The response's own decisions (issue 22, part B): closing judged by the signals a record holds, the owner, a
/// proposal decided once and a rejection's reason, who may act, and an emergency purchase's invoice line flagged.
@Suite("Shortage response rules (短缺应对)")
struct ShortageHandRulesTests {
    static let day = BusinessDate("2026-06-01")!

    static func record(signals: [ShortageSignal]) -> ShortageRecord {
        ShortageRecord(
            id: 7, drugCode: "D1", level: .member, openedOn: day.adding(days: -10),
            affected: signals.compactMap { s in
                s.institutionCode.map {
                    MemberStockPosition(institutionCode: $0, onHand: s.onHand ?? .zero, daysOfStock: s.daysOfStock)
                }
            }, signals: signals)
    }

    @Test("closing by hand judges recovery by the signals the record holds")
    func closeFromRecord() throws {
        let short = Self.record(signals: [
            ShortageSignal(kind: .lowStock, institutionCode: "M1", onHand: Quantity(3), daysOfStock: 4)
        ])
        let assessment = ShortageAssessment(record: short, on: Self.day)
        #expect(assessment.isShort && assessment.level == .member && assessment.affected.map(\.institutionCode) == ["M1"])
        #expect(throws: DomainError.self) {
            _ = try ShortageRules.close(short, outcome: .recovered, note: nil, assessment: assessment)
        }
        let closed = try ShortageRules.close(short, outcome: .substituted, note: "改用同类药品", assessment: assessment)
        #expect(closed.status == .closed && closed.closedOn == Self.day && closed.outcome == .substituted)

        let quiet = Self.record(signals: [])
        let recovered = try ShortageRules.close(
            quiet, outcome: .recovered, note: nil, assessment: ShortageAssessment(record: quiet, on: Self.day))
        #expect(recovered.outcome == .recovered)
        // The consortium's own signal (no member) makes the assessment consortium-wide.
        let whole = Self.record(signals: [ShortageSignal(kind: .stockOut, onHand: .zero, daysOfStock: 0)])
        #expect(ShortageAssessment(record: whole, on: Self.day).level == .consortium)
    }

    @Test("the owner is the supply centre's; a proposal is decided once; a rejection says why")
    func ownerProposalRejection() throws {
        try ShortageRules.checkOwner(role: .consortiumAdmin)
        try ShortageRules.checkOwner(role: .procurementOfficer)
        for role: Role? in [nil, .institutionPharmacist, .auditor, .finance] {
            do {
                try ShortageRules.checkOwner(role: role)
                Issue.record("\(String(describing: role)) may own a shortage")
            } catch {
                #expect(error.fieldErrors.map(\.field) == ["ownerTokenId"])
            }
        }
        try ShortageRules.checkProposalOpen(status: "proposed", id: 1)
        for status in ["accepted", "rejected", "superseded"] {
            do {
                try ShortageRules.checkProposalOpen(status: status, id: 1)
                Issue.record("\(status) was decided again")
            } catch {
                guard case .conflict = error else { Issue.record("\(error)"); continue }
            }
        }
        try ShortageRules.checkRejection(reason: "另有安排")
        for blank in [nil, "", "   "] {
            do {
                try ShortageRules.checkRejection(reason: blank)
                Issue.record("a rejection without a reason passed")
            } catch {
                #expect(error.fieldErrors.map(\.field) == ["reason"])
            }
        }
    }

    @Test("the supply centre acts on a shortage; a member's pharmacist signs off a substitute; others do neither")
    func access() {
        #expect(Permission.Kind.actOnShortage.holders == [.consortiumAdmin, .procurementOfficer])
        #expect(Permission.Kind.signOffSubstitute.holders == [.institutionPharmacist])
        let lead = Principal(
            tokenID: 1, role: .procurementOfficer, consortiumID: 1, consortiumCode: "C", institutionID: 1,
            institutionCode: "LEAD", name: "x")
        let member = Principal(
            tokenID: 2, role: .procurementOfficer, consortiumID: 1, consortiumCode: "C", institutionID: 2,
            institutionCode: "M", name: "x")
        #expect(lead.may(.actOnShortage(consortiumID: 1, leadInstitutionCode: "LEAD")))
        #expect(!member.may(.actOnShortage(consortiumID: 1, leadInstitutionCode: "LEAD")))
        #expect(!lead.may(.actOnShortage(consortiumID: 2, leadInstitutionCode: "LEAD")))
        let pharmacist = Principal(
            tokenID: 3, role: .institutionPharmacist, consortiumID: 1, consortiumCode: "C", institutionID: 2,
            institutionCode: "M", name: "x")
        #expect(pharmacist.may(.signOffSubstitute(consortiumID: 1)) && !pharmacist.may(.signOffSubstitute(consortiumID: 2)))
    }

    @Test("every discrepancy of an emergency purchase's invoice line names the shortage; other lines do not")
    func emergencyInvoiceLine() {
        let line = InvoiceFileLine(
            lineNumber: 1, distributorCode: "DST-X", invoiceNumber: "INV-1", invoiceDate: Self.day,
            manufacturerInvoiceNumber: nil, manufacturerCode: nil, institutionCode: "M1", drugCode: "D1", lotNumber: "L1",
            quantity: 10, unitPrice: Money(Decimal(string: "3.00")!), amount: Money(Decimal(string: "30.00")!))
        func facts(_ shortage: Int64?) -> InvoiceLineFacts {
            InvoiceLineFacts(
                orderLine: InvoicedOrderLine(
                    orderID: 5, lineNo: 1, unifiedPrice: Money(Decimal(string: "2.50")!), suppliedByInvoicingDistributor: true,
                    line: ReceiptBalance(received: 10, billed: 0), emergencyShortageID: shortage))
        }
        let flagged = ReconciliationRules.classify(line, facts(42))
        #expect(!flagged.isEmpty && flagged.allSatisfy { $0.detail["emergencyShortageId"] == "42" })
        let plain = ReconciliationRules.classify(line, facts(nil))
        #expect(!plain.isEmpty && plain.allSatisfy { $0.detail["emergencyShortageId"] == nil })
    }
}

import Foundation
import Testing

@testable import RxDomain

@Suite("Extended prescriptions: the national insurance e-prescription record (EPrescriptionRecord)")
struct ExtendedPrescriptionRecordTests: RuleRefusals {
    let issued = BusinessDate(year: 2027, month: 3, day: 1)

    var record: EPrescriptionRecord {
        EPrescriptionRecord(
            traceCode: "RX2027030100000001AB", insuranceRxNumber: nil, issuedOn: issued, validityDays: 28, refillable: true,
            maxRefills: 2, refills: 0, minDaysBetweenRefills: 25, renewal: false, initialRxNumber: nil, longPrescription: true,
            lines: [
                .init(
                    insuranceCode: "XC08CAA001A001010100001", inHouseCode: "X-AMLO", quantity: Quantity(56), unit: "片", days: 28,
                    hospitalPreparation: false),
                .init(
                    insuranceCode: "ZZ0001", inHouseCode: "P-\"QING\"", quantity: Quantity(Decimal(string: "2.5")!), unit: "瓶",
                    days: 28, hospitalPreparation: true),
            ])
    }

    @Test("a void of an extended prescription: cancels one not yet dispatched, keeps a final state, 409 while on its way")
    func voidByState() throws {
        for state in [ExtendedPrescriptionState.requested, .approved] {
            let voided = try ExtendedPrescriptionRules.void(record, state: state, reason: "处方信息错误", id: 7)
            #expect(voided.cancels && voided.record.voided && voided.record.revoked, "\(state)")
        }
        for state in [ExtendedPrescriptionState.collected, .refused, .notCollected, .cancelled] {
            let voided = try ExtendedPrescriptionRules.void(record, state: state, reason: "医保结算错误", id: 7)
            #expect(!voided.cancels && voided.record.status(on: issued) == .voided, "\(state)")
        }
        for state in [ExtendedPrescriptionState.dispatched, .delivered] {
            let refusal = error { _ = try ExtendedPrescriptionRules.void(record, state: state, reason: "x", id: 7) }
            #expect(
                refusal.map { "\($0)".contains(state.rawValue) } == true
                    && isConflict {
                        _ = try ExtendedPrescriptionRules.void(record, state: state, reason: "x", id: 7)
                    })
        }
        #expect(field { _ = try ExtendedPrescriptionRules.void(record, state: .approved, reason: " ", id: 7) } == "reason")
        let once = try ExtendedPrescriptionRules.void(record, state: .collected, reason: "x", id: 7).record
        #expect(isConflict { _ = try ExtendedPrescriptionRules.void(once, state: .collected, reason: "again", id: 7) })
    }

    @Test("the JSON of a known prescription, in the platform's field names")
    func json() throws {
        try record.check()
        #expect(
            record.json(on: BusinessDate(year: 2027, month: 3, day: 10))
                == #"{"rxTraceCode":"RX2027030100000001AB","hiRxno":"","valiDays":28,"valiEndTime":"2027-03-29","#
                + #""reptFlag":"1","maxReptCnt":2,"reptdCnt":0,"minInrvDays":25,"rxCotnFlag":"0","initRxno":"","longRxFlag":"1","#
                + #""rxStasCodg":1,"rxdrugdetail":[{"medListCodg":"XC08CAA001A001010100001","fixmedinsHilistId":"X-AMLO","#
                + #""drugTotlcnt":"56","drugTotlcntEmp":"片","prdDays":28,"hospPrepFlag":"0"},{"medListCodg":"ZZ0001","#
                + #""fixmedinsHilistId":"P-\"QING\"","drugTotlcnt":"2.5","drugTotlcntEmp":"瓶","prdDays":28,"hospPrepFlag":"1"}]}"#
        )
        var renewed = record
        renewed.insuranceRxNumber = String(repeating: "9", count: 30)
        renewed.renewal = true
        renewed.initialRxNumber = "H0001"
        let text = renewed.json(on: issued)
        #expect(
            text.contains(#""hiRxno":"999999999999999999999999999999""#) && text.contains(#""rxCotnFlag":"1","initRxno":"H0001""#)
        )
    }

    @Test("the status on a date: valid until valid-to, then expired; voided and revoked whatever the date")
    func status() throws {
        #expect(record.validTo == BusinessDate(year: 2027, month: 3, day: 29))
        #expect(record.status(on: record.validTo) == .valid)
        #expect(record.status(on: record.validTo.adding(days: 1)) == .expired)
        var revoked = record
        revoked.revoked = true
        #expect(revoked.status(on: issued) == .revoked)
        let voided = try record.void(reason: "开错剂量")
        #expect(voided.status(on: issued) == .voided && voided.status(on: issued.adding(days: 99)) == .voided)
        #expect(EPrescriptionStatus.allCases.map(\.rawValue) == [1, 2, 3, 4])
    }

    @Test("a local void and the insurance revoke are one step: both or neither, once, with a reason")
    func voidAndRevoke() throws {
        let voided = try record.void(reason: "开错剂量")
        #expect(voided.voided && voided.revoked)
        #expect(isConflict { _ = try voided.void(reason: "again") })
        var revoked = record
        revoked.revoked = true
        #expect(isConflict { _ = try revoked.void(reason: "again") })
        #expect(field { _ = try record.void(reason: " ") } == "reason")
    }

    @Test("the record's own rules: code lengths, refill counts, a renewal naming its original, at least one line")
    func check() {
        var bad = record
        bad.traceCode = "SHORT"
        bad.insuranceRxNumber = String(repeating: "9", count: 31)
        bad.validityDays = 0
        bad.refills = 3
        bad.minDaysBetweenRefills = -1
        bad.renewal = true
        bad.lines = []
        #expect(
            fields { try bad.check() } == ["rxTraceCode", "hiRxno", "valiDays", "reptdCnt", "minInrvDays", "initRxno", "lines"])
        var notRefillable = record
        notRefillable.refillable = false
        #expect(fields { try notRefillable.check() } == ["reptdCnt"])
    }
}

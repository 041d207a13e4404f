import Foundation
import Testing

@testable import RxDomain

/// Issue 18.9 and 18.11 in the domain core: dates that cannot be true, and what the contract forbids in a
/// long-prescription check or issue.
@Suite("Input rules")
struct InputRulesTests {
    static let today = BusinessDate("2026-12-01")!

    static func field(_ body: () throws -> Void) -> (status: String, fields: [String])? {
        do {
            try body()
            return nil
        } catch {
            guard let error = error as? DomainError else { return ("other", []) }
            switch error {
            case .badRequest(_, let e): return ("400", e.map(\.field))
            case .unprocessable(_, let e): return ("422", e.map(\.field))
            default: return ("other", [])
            }
        }
    }

    @Test("18.9: a date before 2000-01-01 is refused where it is parsed, 422 naming the field; a malformed one stays 400")
    func floor() throws {
        #expect(Self.field { _ = try BusinessDate.parse("1999-12-31", field: "receivedOn") }! == ("422", ["receivedOn"]))
        #expect(Self.field { _ = try BusinessDate.parse("0202-11-20", field: "on") }! == ("422", ["on"]))
        #expect(Self.field { _ = try BusinessDate.parse("2026-02-30", field: "on") }! == ("400", ["on"]))
        #expect(try BusinessDate.parse("2000-01-01", field: "on") == BusinessDate("2000-01-01"))
        #expect(try BusinessDate.parse(nil, field: "on") == nil)
    }

    @Test("18.9: what happened is not after today, not before what it follows; today and the day it follows are fine")
    func happened() {
        let ordered = Self.today.adding(days: -3)
        let order = (ordered, "the date order 7 was placed")
        #expect(
            Self.field {
                try Self.today.adding(days: 1).requireHappened(field: "receivedOn", today: Self.today, notBefore: order)
            }! == ("422", ["receivedOn"]))
        #expect(
            Self.field { try ordered.adding(days: -1).requireHappened(field: "receivedOn", today: Self.today, notBefore: order) }!
                == ("422", ["receivedOn"]))
        #expect(
            Self.field { try BusinessDate("1999-06-01")!.requireHappened(field: "filledOn", today: Self.today) }! == (
                "422", ["filledOn"]
            ))
        #expect(Self.field { try Self.today.requireHappened(field: "receivedOn", today: Self.today, notBefore: order) } == nil)
        #expect(Self.field { try ordered.requireHappened(field: "receivedOn", today: Self.today, notBefore: order) } == nil)
        // Today is the Asia/Shanghai date: 16:30 UTC on 30 November is already 1 December there.
        let shanghaiMidnight = Date(timeIntervalSince1970: 1_796_054_400 + 1800)  // 2026-11-30T16:30:00Z
        #expect(BusinessDate.today(now: shanghaiMidnight) == Self.today)
    }

    @Test("18.9: a stability assessment after today names its diagnosis")
    func assessments() {
        let patient = LongPrescriptionRules.Patient(
            hasFamilyDoctorContract: true,
            diagnoses: [
                .init(icd: "I10", stable: true, lastAssessedOn: Self.today),
                .init(icd: "E11", stable: true, lastAssessedOn: Self.today.adding(days: 1)),
            ],
            goodAdherence: true)
        #expect(
            Self.field { try patient.requireAssessmentsHappened(today: Self.today) }! == (
                "422", ["patient.diagnoses[1].lastAssessedOn"]
            ))
    }

    @Test(
        "18.11: days outside 1–366, doses of zero or less and names as references are 400, every field named, no value repeated")
    func longPrescriptionInput() {
        func problems(
            _ ref: String = "P-1", prescriber: String = "DR-1", dose: String = "1", days: Int = 28,
            maxFills: Int? = nil, validityDays: Int? = nil
        ) -> [String] {
            LongPrescriptionInput.problems(
                prescriber: prescriber, patientRef: ref, items: [.init(field: "items[0]", dailyDose: dose, days: days)],
                maxFills: maxFills, validityDays: validityDays
            ).map(\.field)
        }
        #expect(problems() == [])
        #expect(problems(days: 1) == [] && problems(days: 366) == [])
        for days in [-1, 0, 367, Int.min] { #expect(problems(days: days) == ["items[0].days"], "\(days)") }
        for dose in ["0", "0.0", "0.0000", "-1", "01", "1.00001", "", "1e3", "12345678901"] {
            #expect(problems(dose: dose) == ["items[0].dailyDose"], "\(dose)")
        }
        for dose in ["0.0001", "0.5", "2.5", "1000000000"] { #expect(problems(dose: dose) == [], "\(dose)") }
        for ref in ["张三", "Zhang San", "", String(repeating: "a", count: 65), "P.1", "ＰＡ１"] {
            #expect(problems(ref) == ["patient.ref"], "\(ref)")
        }
        #expect(problems(String(repeating: "a", count: 64)) == [])
        #expect(
            problems("张三", prescriber: "李医生", dose: "0", days: 0, maxFills: 13, validityDays: 0)
                == ["prescriber", "patient.ref", "items[0].dailyDose", "items[0].days", "maxFills", "validityDays"])
        do throws(DomainError) {
            try LongPrescriptionInput.validate(prescriber: "DR-1", patientRef: "张三", items: [])
            Issue.record("a name was accepted")
        } catch {
            #expect(error.fieldErrors.map(\.field) == ["patient.ref"])
            #expect(!error.message.contains("张三"))
        }
    }
}

import Foundation
import Testing

@testable import RxDomain

@Suite("Long prescriptions: issuing one drug, fills and ending (LongPrescriptionRules)")
struct LongPrescriptionRecordRulesTests {
    let start = BusinessDate(year: 2027, month: 3, day: 1)

    func issued(status: String = "active", fills: Int = 0, dispensed: Decimal = 0) -> IssuedPrescription {
        IssuedPrescription(
            id: 11, institutionCode: "CY-BJL-CHC", patientRef: "P-1", drugCode: "D", dailyDose: 1, days: 84, quantity: 84,
            startDate: start, status: status, maxFills: 3, minDaysBetweenFills: 25, validityDays: 84, dispensed: dispensed,
            fills: fills)
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as DomainError {
            return error.fieldErrors.first?.field ?? String(describing: error)
        } catch { return String(describing: error) }
        return nil
    }

    @Test("a long prescription is issued for one drug at a time")
    func oneDrug() throws {
        let item = LongPrescriptionRequest.Item(
            drugCode: "D", dailyDose: 1, days: 56, assessmentRecorded: true, patientConfirmed: true)
        let patient = LongPrescriptionRules.Patient(
            hasFamilyDoctorContract: true, diagnoses: [.init(icd: "I10", stable: true, lastAssessedOn: start)],
            goodAdherence: true)
        func request(_ items: [LongPrescriptionRequest.Item]) -> LongPrescriptionRequest {
            LongPrescriptionRequest(
                institutionCode: "CY-BJL-CHC", prescriberPseudonym: "DR", patientRef: "P-1", patient: patient, items: items)
        }
        #expect(try LongPrescriptionRules.issuedItem(request([item])).drugCode == "D")
        #expect(refusal { _ = try LongPrescriptionRules.issuedItem(request([])) } == "items")
        #expect(refusal { _ = try LongPrescriptionRules.issuedItem(request([item, item])) } == "items")
    }

    @Test(
        "fills: a positive quantity, an active prescription, within its fills, validity and interval, never beyond what was issued"
    )
    func fills() throws {
        #expect(refusal { try LongPrescriptionRules.checkFillQuantity(0) } == "quantity")
        #expect(refusal { try LongPrescriptionRules.checkFill(issued(), quantity: 28, filledOn: start, lastFill: nil) } == nil)
        #expect(
            refusal { try LongPrescriptionRules.checkFill(issued(status: "ended"), quantity: 28, filledOn: start, lastFill: nil) }
                != nil)
        #expect(
            refusal { try LongPrescriptionRules.checkFill(issued(fills: 3), quantity: 28, filledOn: start, lastFill: nil) } != nil
        )
        #expect(
            refusal {
                try LongPrescriptionRules.checkFill(issued(), quantity: 28, filledOn: start.adding(days: 84), lastFill: nil)
            } == "filledOn")
        #expect(
            refusal {
                try LongPrescriptionRules.checkFill(issued(), quantity: 28, filledOn: start.adding(days: -1), lastFill: nil)
            } == "filledOn")
        #expect(
            refusal {
                try LongPrescriptionRules.checkFill(
                    issued(fills: 1), quantity: 28, filledOn: start.adding(days: 24), lastFill: start)
            } == "filledOn")
        #expect(
            refusal {
                try LongPrescriptionRules.checkFill(
                    issued(fills: 1), quantity: 28, filledOn: start.adding(days: 25), lastFill: start)
            } == nil)
        #expect(
            refusal {
                try LongPrescriptionRules.checkFill(
                    issued(fills: 2, dispensed: 60), quantity: 25, filledOn: start.adding(days: 60),
                    lastFill: start.adding(days: 30))
            } == "quantity")
    }

    @Test("a prescription is ended once")
    func end() {
        #expect(refusal { try LongPrescriptionRules.checkEnd(issued()) } == nil)
        #expect(refusal { try LongPrescriptionRules.checkEnd(issued(status: "ended")) } != nil)
    }
}

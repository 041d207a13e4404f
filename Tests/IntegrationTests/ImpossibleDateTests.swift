import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Issue 18.9: dates that cannot be true are refused with 422 naming the field, and nothing is written. "Today" is
/// the Asia/Shanghai date (`BusinessDate.today()`); no business date before 2000-01-01 is accepted anywhere.
@Suite("Impossible dates")
struct ImpossibleDateTests {
    static let base = "/v1/consortia/JLTCM"
    static var today: BusinessDate { BusinessDate.today() }

    @Test("18.9: a delivery received before its order was placed, after today or before 2000 is 422 naming receivedOn")
    func deliveryDates() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            // The order is placed today.
            let orderID = try await ProcurementTests.consolidatedOrder(
                app, member: member, admin: admin, drug: drug, quantity: "10")
            func deliver(_ receivedOn: String) async throws -> TestResponse {
                try await app.call(
                    .post, "\(Self.base)/orders/\(orderID)/deliveries", token: member,
                    json:
                        #"{"lineNo": 1, "lotNumber": "D-2026-1", "expiryDate": "\#(Self.today.adding(months: 24))", "quantity": "2", "receivedOn": "\#(receivedOn)"}"#
                )
            }
            for day in [
                Self.today.adding(days: -1).description, Self.today.adding(days: 1).description, "1999-12-31", "0202-11-20",
            ] {
                try await deliver(day).expectProblem(.unprocessableContent, naming: "receivedOn")
            }
            // Not even as an exception: a date that cannot be true is not an exception to a rule.
            try await app.call(
                .post, "\(Self.base)/orders/\(orderID)/deliveries", token: member,
                json:
                    #"{"lineNo": 1, "lotNumber": "D-2026-1", "expiryDate": "\#(Self.today.adding(months: 24))", "quantity": "2", "receivedOn": "\#(Self.today.adding(days: 3))", "exceptionReason": "补录"}"#
            ).expectProblem(.unprocessableContent, naming: "receivedOn")
            #expect(try await app.count("SELECT count(*)::int FROM deliveries WHERE order_id = \(orderID)") == 0)
            #expect(try await deliver(Self.today.description).status == .created)
        }
    }

    @Test("18.9: a long-prescription fill dated after today, and a stability assessment after today, are 422 naming the field")
    func longPrescriptionDates() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let tomorrow = Self.today.adding(days: 1)
            // lastAssessedOn after today: the check and the issue refuse it, on both routes of the check.
            let check = """
                {"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
                 "patient": {"ref": "P-DATE", "familyDoctorContract": true, "goodAdherence": true,
                             "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(tomorrow)"}]},
                 "items": [{"drugCode": "\(drug)", "dailyDose": "1", "days": 28}]}
                """
            try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: check)
                .expectProblem(.unprocessableContent, naming: "patient.diagnoses[0].lastAssessedOn")
            try await app.call(
                .post, "/v1/long-prescriptions/check", token: prescriber, json: check,
                headers: [.accept: "application/json, text/plain"]
            )
            .expectProblem(.unprocessableContent, naming: "patient.diagnoses[0].lastAssessedOn")
            let future = LongPrescriptionTests.body(drug: drug, patient: "P-DATE").replacingOccurrences(
                of: Self.today.adding(days: -5).description, with: tomorrow.description)
            try await app.call(.post, "/v1/long-prescriptions", token: prescriber, json: future)
                .expectProblem(.unprocessableContent, naming: "patient.diagnoses[0].lastAssessedOn")
            let ancient = LongPrescriptionTests.body(drug: drug, patient: "P-DATE").replacingOccurrences(
                of: Self.today.adding(days: -5).description, with: "1999-12-31")
            try await app.call(.post, "/v1/long-prescriptions", token: prescriber, json: ancient)
                .expectProblem(.unprocessableContent, naming: "patient.diagnoses[0].lastAssessedOn")
            #expect(try await app.count("SELECT count(*)::int FROM long_prescriptions WHERE patient_ref = 'P-DATE'") == 0)

            // A fill dated after today.
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber,
                json: LongPrescriptionTests.body(drug: drug, days: 56, confirmed: true))
            let id = try #require(issued.json["id"] as? Int, "\(issued.text)")
            let pharmacist = try await app.token(.institutionPharmacist, institution: "SL-PA-THC")
            try await app.call(
                .post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist,
                json: #"{"quantity": "28", "filledOn": "\#(tomorrow)"}"#
            )
            .expectProblem(.unprocessableContent, naming: "filledOn")
            #expect(try await app.count("SELECT count(*)::int FROM long_prescription_fills WHERE prescription_id = \(id)") == 0)
            #expect(
                try await app.call(
                    .post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist,
                    json: #"{"quantity": "28", "filledOn": "\#(Self.today)"}"#
                ).status == .created)
        }
    }

    @Test("18.9: a price reported on a date after today is 422 naming reportedOn; the agreement waits")
    func priceReportDate() async throws {
        try await TestApp.run { app in
            let (code, ceiling) = try await PricingTests.pricedDrug(app)
            let officer = try await app.token(.procurementOfficer)
            let agreed = try await PricingTests.negotiate(app, officer, code, Money(ceiling).description, from: Self.today)
            let id = try #require(agreed.json["id"] as? Int, "\(agreed.text)")
            for day in [Self.today.adding(days: 1).description, "1999-12-31"] {
                try await app.call(
                    .post, "\(Self.base)/price-agreements/\(id)/report", token: officer,
                    json: #"{"platformReference": "JL-PT-1", "reportedOn": "\#(day)"}"#
                )
                .expectProblem(.unprocessableContent, naming: "reportedOn")
            }
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM price_agreements WHERE id = \(id) AND status = 'agreed' AND reported_on IS NULL")
                    == 1)
            let reported = try await app.call(
                .post, "\(Self.base)/price-agreements/\(id)/report", token: officer,
                json: #"{"platformReference": "JL-PT-1", "reportedOn": "\#(Self.today)"}"#)
            #expect(reported.status == .ok, "\(reported.text)")
        }
    }

    @Test("18.9: no business date before 2000-01-01 is accepted, in a body or a query, whatever the operation")
    func floorEverywhere() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let officer = try await app.token(.procurementOfficer, institution: "JL-TCMH")
            let (code, _) = try await PricingTests.pricedDrug(app)
            try await app.call(.get, "\(Self.base)/prices/\(code)?on=1999-12-31", token: admin).expectProblem(
                .unprocessableContent, naming: "on")
            try await PricingTests.negotiate(app, admin, code, "1.00", from: BusinessDate("1999-01-01")!)
                .expectProblem(.unprocessableContent, naming: "effectiveFrom")
            try await app.call(
                .post, "\(Self.base)/herb-rounds", token: officer,
                json:
                    #"{"name": "1999", "leadInstitutionCode": "JL-TCMH", "periodStart": "1999-01-01", "periodEnd": "\#(Self.today)", "awardRule": "lowest_price"}"#
            ).expectProblem(.unprocessableContent, naming: "periodStart")
            // 2000-01-01 itself is a business date.
            #expect(
                try await app.call(.get, "\(Self.base)/prices/\(code)?on=2000-01-01", token: admin).status
                    != .unprocessableContent)
        }
    }
}

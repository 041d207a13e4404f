import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOFoundationEssentialsCompat
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import Testing

/// Issue 18.11: the long-prescription check and issue refuse with 400, naming the field, what the contract forbids:
/// days outside 1–366, a dose of zero or less, a patient reference that is not a pseudonym. The direct route of the
/// check and the generated route answer alike (one validation, in the one handler both call).
@Suite("Long-prescription input")
struct LongPrescriptionInputTests {
    static func check(drug: String, patient: String = "P-IN", dose: String = "1", days: String = "28") -> String {
        """
        {"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
         "patient": {"ref": "\(patient)", "familyDoctorContract": true, "goodAdherence": true,
                     "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(BusinessDate.today().adding(days: -5))"}]},
         "items": [{"drugCode": "\(drug)", "dailyDose": "\(dose)", "days": \(days)}]}
        """
    }

    /// The check on the direct route and on the generated server (an Accept that names another type goes there).
    static func bothRoutes(_ app: TestApp, _ token: String, _ body: String) async throws -> (
        direct: TestResponse, generated: TestResponse
    ) {
        let direct = try await app.call(.post, "/v1/long-prescriptions/check", token: token, json: body)
        let generated = try await app.call(
            .post, "/v1/long-prescriptions/check", token: token, json: body, headers: [.accept: "application/json, text/plain"])
        return (direct, generated)
    }

    @Test("18.11: the check refuses days outside 1–366 and a dose of zero or less with 400 naming the field, on both routes")
    func checkLimits() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let cases: [(dose: String, days: String, field: String)] = [
                ("1", "-1", "items[0].days"), ("1", "0", "items[0].days"), ("1", "367", "items[0].days"),
                ("0", "28", "items[0].dailyDose"), ("0.0000", "28", "items[0].dailyDose"), ("-1", "28", "items[0].dailyDose"),
            ]
            for c in cases {
                let body = Self.check(drug: drug, dose: c.dose, days: c.days)
                #expect(HotPathTests.fast(body) != nil, "the direct route reads \(body)")
                let (direct, generated) = try await Self.bothRoutes(app, prescriber, body)
                direct.expectProblem(.badRequest, naming: c.field)
                generated.expectProblem(.badRequest, naming: c.field)
                #expect(try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)))
            }
            // The edges of the contract are answers, not problems.
            for days in ["1", "366"] {
                let (direct, generated) = try await Self.bothRoutes(app, prescriber, Self.check(drug: drug, days: days))
                #expect(direct.status == .ok && generated.status == .ok, "\(days): \(direct.text) \(generated.text)")
            }
        }
    }

    @Test(
        "18.11: a patient's name as the reference (张三, Zhang San) is 400 naming patient.ref, before anything is stored or logged")
    func namesAreRefused() async throws {
        LogCapture.install()
        try await TestApp.run(configure: { $0.logLevel = .debug }) { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let stored = try await app.count("SELECT count(*)::int FROM long_prescriptions")
            let audited = try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'long_prescription'")
            for name in ["张三", "Zhang San", "", String(repeating: "P", count: 65)] {
                let (direct, generated) = try await Self.bothRoutes(app, prescriber, Self.check(drug: drug, patient: name))
                direct.expectProblem(.badRequest, naming: "patient.ref")
                generated.expectProblem(.badRequest, naming: "patient.ref")
                #expect(try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)))
                try await app.call(
                    .post, "/v1/long-prescriptions", token: prescriber,
                    json: LongPrescriptionTests.body(drug: drug, patient: name)
                )
                .expectProblem(.badRequest, naming: "patient.ref")
                if !name.isEmpty { #expect(!direct.text.contains(name) && !generated.text.contains(name)) }
            }
            // The issue: the same limits, and its own (fills, interval, validity).
            try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber, json: LongPrescriptionTests.body(drug: drug, days: 0)
            )
            .expectProblem(.badRequest, naming: "item.days")
            try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber, json: LongPrescriptionTests.body(drug: drug, days: -1)
            )
            .expectProblem(.badRequest, naming: "item.days")
            try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber,
                json: LongPrescriptionTests.body(drug: drug, extra: #", "maxFills": 0, "validityDays": 0"#)
            )
            .expectProblem(.badRequest, naming: "maxFills")
            try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber,
                json: LongPrescriptionTests.body(drug: drug, prescriber: "李医生")
            )
            .expectProblem(.badRequest, naming: "prescriber")
            #expect(try await app.count("SELECT count(*)::int FROM long_prescriptions") == stored)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'long_prescription'") == audited)
            #expect(!LogCapture.text.contains("张三") && !LogCapture.text.contains("Zhang San"))
        }
    }
}

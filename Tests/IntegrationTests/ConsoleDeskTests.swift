import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// The long-prescription desk through the console's forms: the check with its reasons, issuing, a patient's
/// prescriptions across the consortium, ending one (issue 26).
@Suite("The console's long-prescription desk over HTTP (issue 26)")
struct ConsoleDeskTests {
    typealias Jar = ConsoleTests.Jar

    /// A prescriber's account bound to DR-CY-0001 at CY-BJL-CHC, logged in.
    static func doctor(_ app: TestApp) async throws -> (Jar, String) {
        try await ConsoleTests.account(app, "doc", .prescriber, institution: "CY-BJL-CHC", prescriber: "DR-CY-0001")
        var jar = Jar()
        _ = try await ConsoleTests.login(app, "doc", jar: &jar)
        let desk = try await ConsoleTests.get(app, "/console/long-prescriptions", jar: &jar)
        #expect(desk.status == .ok && desk.text.contains(#"<span id="desk-prescriber">DR-CY-0001</span>"#))
        return (jar, ConsoleTests.csrf(in: desk.text))
    }

    static func checkForm(_ csrf: String, drug: String, other: String, ref: String = "P-DESK-1") -> [(String, String)] {
        let assessed = BusinessDate.today().adding(days: -5).description
        return [
            ("csrf", csrf), ("patient.ref", ref), ("familyDoctorContract", "on"), ("goodAdherence", "on"),
            ("dx0.icd", "I10"), ("dx0.stable", "on"), ("dx0.lastAssessedOn", assessed), ("item0.drugCode", drug),
            ("item0.dailyDose", "1"), ("item0.days", "56"), ("item0.assessmentRecorded", "on"),
            ("item0.patientConfirmed", "on"), ("item1.drugCode", other), ("item1.dailyDose", "1"), ("item1.days", "28"),
        ]
    }

    @Test(
        "the check shows the decision, each item's reasons in Chinese and the days granted; bad input is refused beside its field"
    )
    func check() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let narcotic = try await app.database.rows(
                "SELECT code FROM drugs WHERE control_class = 'narcotic' LIMIT 1", as: String.self)[0]
            var (jar, csrf) = try await Self.doctor(app)
            let checked = try await ConsoleCatalogueTests.post(
                app, "/console/long-prescriptions/check", Self.checkForm(csrf, drug: drug, other: narcotic), jar: &jar)
            #expect(checked.status == .ok)
            #expect(checked.text.contains(#"<span id="desk-decision">不同意</span>"#))
            #expect(checked.text.contains(#"<tr class="answer" id="answer-0"><td>\#(drug)</td>"#))
            #expect(checked.text.contains(#"<td class="granted">56</td>"#))
            #expect(checked.text.contains(#"<tr class="answer refused" id="answer-1">"#))
            #expect(checked.text.contains("<li>特殊管理药品（narcotic）不得开具长期处方</li>"))
            #expect(checked.text.contains(#"class="issue-form""#))
            // The form is shown again as filled, and nothing on it is marked wrong.
            #expect(checked.text.contains(#"name="patient.ref" value="P-DESK-1""#))
            #expect(!checked.text.contains("aria-invalid") && !checked.text.contains(#"class="refusal""#))
            let empty = try await ConsoleTests.get(app, "/console/long-prescriptions", jar: &jar)
            #expect(!empty.text.contains("aria-invalid") && !empty.text.contains(#"class="refusal""#))

            var bad = Self.checkForm(csrf, drug: drug, other: narcotic, ref: "张三")
            bad[bad.firstIndex { $0.0 == "item0.dailyDose" }!].1 = "0"
            let refused = try await ConsoleCatalogueTests.post(app, "/console/long-prescriptions/check", bad, jar: &jar)
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains(#"id="patient-ref-error""#) && refused.text.contains(#"id="item0-dose-error""#))
            #expect(!refused.text.contains("张三\u{201D}"), "the refusal never repeats the name typed")
            #expect(try await app.count("SELECT count(*)::int FROM long_prescriptions") == 0)
        }
    }

    @Test(
        "an approved item is issued once (the form's key), shows on the patient's page across the consortium, and is ended with a reason"
    )
    func issueAndEnd() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            var (jar, csrf) = try await Self.doctor(app)
            let form = Self.checkForm(csrf, drug: drug, other: "")
            let checked = try await ConsoleCatalogueTests.post(app, "/console/long-prescriptions/check", form, jar: &jar)
            #expect(checked.text.contains(#"<span id="desk-decision">同意</span>"#))
            let key = ConsoleCatalogueTests.hidden("idempotencyKey", in: checked.text)
            let issue =
                form + [
                    ("issue", "0"), ("idempotencyKey", key), ("maxFills", "3"), ("minDaysBetweenFills", "0"),
                    ("validityDays", "90"),
                ]
            let issued = try await ConsoleCatalogueTests.post(app, "/console/long-prescriptions/issue", issue, jar: &jar)
            #expect(issued.status == .seeOther)
            #expect(
                issued.headers[.location]
                    == "/console/long-prescriptions/patient?institution=CY-BJL-CHC&ref=P-DESK-1&done=issued")
            let again = try await ConsoleCatalogueTests.post(app, "/console/long-prescriptions/issue", issue, jar: &jar)
            #expect(again.status == .seeOther)
            #expect(try await app.count("SELECT count(*)::int FROM long_prescriptions") == 1)
            let badLimits = try await ConsoleCatalogueTests.post(
                app, "/console/long-prescriptions/issue",
                form + [("issue", "0"), ("maxFills", "99"), ("minDaysBetweenFills", "0"), ("validityDays", "90")],
                jar: &jar)
            #expect(badLimits.status == .badRequest && badLimits.text.contains(#"id="refusal""#))

            let patient = try await ConsoleTests.get(
                app, "/console/long-prescriptions/patient?institution=CY-BJL-CHC&ref=P-DESK-1&done=issued", jar: &jar)
            #expect(patient.status == .ok && patient.text.contains("长处方已开具。"))
            let id = try await app.database.rows("SELECT id FROM long_prescriptions", as: Int64.self)[0]
            #expect(patient.text.contains(#"<tr class="prescription" id="rx-\#(id)">"#))
            #expect(patient.text.contains(#"<td class="status">有效</td>"#), "an active one's status has no empty reason")
            // 长处方笺, printable: the prescription, the limits, the signatures and the patient's confirmation.
            let printed = try await ConsoleTests.get(
                app, "/console/long-prescriptions/\(id)/print?institution=CY-BJL-CHC&ref=P-DESK-1", jar: &jar)
            #expect(printed.status == .ok && printed.text.contains(#"<dd id="lrx-no">\#(id)</dd>"#))
            #expect(printed.text.contains(#"<dd id="lrx-patient">P-DESK-1</dd>"#) && printed.text.contains("长期处方笺"))
            #expect(printed.text.contains("可分 3 次调剂") && printed.text.contains("患者或家属（签字）"))
            let unknown = try await ConsoleTests.get(
                app, "/console/long-prescriptions/999999/print?institution=CY-BJL-CHC&ref=P-DESK-1", jar: &jar)
            #expect(unknown.status == .notFound)
            #expect(patient.text.contains(#"action="/console/long-prescriptions/\#(id)/end""#))
            // A pharmacist elsewhere in the consortium sees it, and may not end it.
            try await ConsoleTests.account(app, "pharm", .institutionPharmacist, institution: "YJ-TCMH")
            var other = Jar()
            _ = try await ConsoleTests.login(app, "pharm", jar: &other)
            let seen = try await ConsoleTests.get(
                app, "/console/long-prescriptions/patient?institution=CY-BJL-CHC&ref=P-DESK-1", jar: &other)
            #expect(seen.text.contains(#"id="rx-\#(id)""#) && !seen.text.contains("/end\""))

            let noReason = try await ConsoleCatalogueTests.post(
                app, "/console/long-prescriptions/\(id)/end",
                [("csrf", csrf), ("institution", "CY-BJL-CHC"), ("ref", "P-DESK-1")], jar: &jar)
            #expect(noReason.status == .unprocessableContent && noReason.text.contains(#"id="refusal""#))
            let ended = try await ConsoleCatalogueTests.post(
                app, "/console/long-prescriptions/\(id)/end",
                [("csrf", csrf), ("institution", "CY-BJL-CHC"), ("ref", "P-DESK-1"), ("reason", "targets_not_met")],
                jar: &jar)
            #expect(ended.status == .seeOther)
            let after = try await ConsoleTests.get(
                app, "/console/long-prescriptions/patient?institution=CY-BJL-CHC&ref=P-DESK-1", jar: &jar)
            #expect(after.text.contains("已终止（控制目标未达到）"))
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'long_prescription' AND action IN ('issue', 'end')")
                    == 2)
        }
    }
}

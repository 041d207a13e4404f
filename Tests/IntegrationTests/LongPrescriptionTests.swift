import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

@Suite("Long prescriptions")
struct LongPrescriptionTests {
    static func chronicDrug(_ app: TestApp) async throws -> String {
        try await app.database.rows(
            """
            SELECT d.code FROM drugs d JOIN catalogue_items c ON c.drug_code = d.code
            WHERE d.category = 'western' AND d.control_class = 'none' AND NOT d.antimicrobial AND NOT d.cold_chain
              AND cardinality(c.levels) = 0 AND d.atc_code LIKE 'C%' ORDER BY d.code LIMIT 1
            """, as: String.self)[0]
    }

    static func body(
        drug: String, patient: String = "P-0001", days: Int = 28, confirmed: Bool = false, prescriber: String = "DR-CY-0001",
        institution: String = "CY-BJL-CHC", extra: String = ""
    ) -> String {
        """
        {"institutionCode": "\(institution)", "prescriber": "\(prescriber)",
         "patient": {"ref": "\(patient)", "familyDoctorContract": true, "goodAdherence": true,
                     "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(BusinessDate.today().adding(days: -5))"}]},
         "item": {"drugCode": "\(drug)", "dailyDose": "1", "days": \(days), "assessmentRecorded": \(confirmed), "patientConfirmed": \(confirmed)}\(extra)}
        """
    }

    @Test("the desk check answers per item with days, quantity and every reason; a shortened grant is an answer")
    func check() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let narcotic = try await app.database.rows(
                "SELECT code FROM drugs WHERE control_class = 'narcotic' LIMIT 1", as: String.self)[0]
            let auditor = try await app.token(.auditor)
            let response = try await app.call(
                .post, "/v1/long-prescriptions/check", token: auditor,
                json: """
                    {"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
                     "patient": {"ref": "P-0001", "familyDoctorContract": true, "goodAdherence": true,
                                 "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(BusinessDate.today().adding(days: -5))"}]},
                     "items": [{"drugCode": "\(drug)", "dailyDose": "2", "days": 84, "assessmentRecorded": true, "patientConfirmed": true},
                               {"drugCode": "\(narcotic)", "dailyDose": "1", "days": 28}]}
                    """)
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.json["decision"] as? String == "refused")
            let items = (response.json["items"] as? [[String: Any]]) ?? []
            #expect(items[0]["eligible"] as? Bool == true)
            #expect(items[0]["maxDays"] as? Int == 60)
            #expect(items[0]["quantity"] as? String == "120")
            #expect(
                ((items[0]["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String } == ["EXCEEDS_MAX_DAYS"])
            let narcoticReasons = ((items[1]["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
            #expect(narcoticReasons.contains("CONTROLLED_DRUG"))
            #expect(narcoticReasons.contains("NOT_IN_CATALOGUE"))
            #expect(((items[1]["reasons"] as? [[String: Any]]) ?? []).allSatisfy { ($0["zh"] as? String)?.isEmpty == false })
        }
    }

    @Test("issuing: the check runs again, supply on hand is 409 naming the earlier one, retries and racing issues make one")
    func issue() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let first = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug, days: 84, confirmed: true),
                headers: [.init("Idempotency-Key")!: "rx-1"])
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["days"] as? Int == 60)
            let id = try #require(first.json["id"] as? Int)
            let retry = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug, days: 84, confirmed: true),
                headers: [.init("Idempotency-Key")!: "rx-1"])
            #expect(retry.json["id"] as? Int == id)
            let second = try await app.call(.post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug))
            second.expectProblem(.conflict)
            #expect((second.json["detail"] as? String)?.contains("\(id)") == true)

            // Another patient: eight concurrent issues of the same prescription leave one.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        _ = try await app.call(
                            .post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug, patient: "P-RACE"))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await app.count("SELECT count(*)::int FROM long_prescriptions WHERE patient_ref = 'P-RACE'") == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'long_prescription' AND action = 'issue'") == 2)

            // Not eligible: 422 with the reasons.
            try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber,
                json: Self.body(drug: drug, patient: "P-0002", prescriber: "DR-CY-0002")
            )
            .expectProblem(.unprocessableContent, naming: "PRESCRIBER_NOT_QUALIFIED")
        }
    }

    @Test(
        "late entry (补录): a check and an issue may carry a business date up to the setting back, never the future; the prescription starts on it"
    )
    func lateEntry() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let today = BusinessDate.today()
            func day(_ offset: Int) -> String { #", "businessDate": "\#(today.adding(days: offset))""# }
            func check(_ offset: Int) -> String {
                """
                {"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
                 "patient": {"ref": "P-LATE", "familyDoctorContract": true, "goodAdherence": true,
                             "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(today.adding(days: -5))"}]},
                 "items": [{"drugCode": "\(drug)", "dailyDose": "1", "days": 28}]\(day(offset))}
                """
            }
            let checked = try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: check(-2))
            #expect(checked.status == .ok, "\(checked.text)")
            for offset in [-4, 1] {
                try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: check(offset))
                    .expectProblem(.unprocessableContent, naming: "businessDate")
                try await app.call(
                    .post, "/v1/long-prescriptions", token: prescriber,
                    json: Self.body(drug: drug, patient: "P-LATE", extra: day(offset))
                ).expectProblem(.unprocessableContent, naming: "businessDate")
            }
            #expect(try await app.count("SELECT count(*)::int FROM long_prescriptions WHERE patient_ref = 'P-LATE'") == 0)
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber,
                json: Self.body(drug: drug, patient: "P-LATE", extra: day(-3)))
            #expect(issued.status == .created, "\(issued.text)")
            #expect(issued.json["startDate"] as? String == today.adding(days: -3).description, "\(issued.text)")
        }
    }

    @Test("concurrent desk checks share the supply-on-hand query and each sees its own patient's supply")
    func concurrentChecks() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            for patient in ["P-S1", "P-S2", "P-S3"] {
                let issued = try await app.call(
                    .post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug, patient: patient))
                #expect(issued.status == .created, "\(issued.text)")
            }
            let patients = (1...8).map { "P-S\($0)" }
            let answers = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
                for round in 0..<40 {
                    let patient = patients[round % patients.count]
                    group.addTask {
                        let response = try await app.call(
                            .post, "/v1/long-prescriptions/check", token: prescriber,
                            json: """
                                {"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
                                 "patient": {"ref": "\(patient)", "familyDoctorContract": true, "goodAdherence": true,
                                             "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(BusinessDate.today().adding(days: -5))"}]},
                                 "items": [{"drugCode": "\(drug)", "dailyDose": "1", "days": 28}]}
                                """)
                        let items = (response.json["items"] as? [[String: Any]]) ?? []
                        return (
                            patient, ((items.first?["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
                        )
                    }
                }
                return try await group.reduce(into: [(String, [String])]()) { $0.append($1) }
            }
            #expect(answers.count == 40)
            for (patient, reasons) in answers {
                #expect(
                    reasons.contains("SUPPLY_ON_HAND") == ["P-S1", "P-S2", "P-S3"].contains(patient), "\(patient): \(reasons)")
            }
        }
    }

    @Test("supply on hand at the edge of the tolerance")
    func toleranceEdges() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            // Earlier prescriptions whose last day is 7 and 8 days from today (tolerance 7).
            for (patient, lastDay) in [("P-EDGE7", 7), ("P-EDGE8", 8)] {
                let start = BusinessDate.today().adding(days: lastDay - 27)
                try await app.database.transaction { c in
                    try await c.sql(
                        """
                        INSERT INTO long_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref, drug_code, daily_dose, days,
                            quantity, start_date, supply_guard, max_fills, min_days_between_fills, validity_days)
                        SELECT i.consortium_id, i.id, p.id, \(patient), \(drug), 1, 28, 28, \(start.description)::date,
                               daterange(\(start.description)::date, \(start.description)::date + 20), 1, 0, 90
                        FROM institutions i JOIN prescribers p ON p.institution_id = i.id AND p.pseudonym = 'DR-CY-0001'
                        WHERE i.code = 'CY-BJL-CHC'
                        """)
                }
            }
            #expect(
                try await app.call(
                    .post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug, patient: "P-EDGE7")
                ).status == .created)
            try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug, patient: "P-EDGE8")
            ).expectProblem(.conflict)
        }
    }

    @Test("split fills never exceed what was issued; ending stops later fills; roles")
    func fillsAndEnding() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber,
                json: Self.body(drug: drug, days: 56, confirmed: true, extra: #", "maxFills": 3, "minDaysBetweenFills": 0"#))
            let id = try #require(issued.json["id"] as? Int, "\(issued.text)")
            let pharmacist = try await app.token(.institutionPharmacist, institution: "SL-PA-THC")
            try await app.call(.post, "/v1/long-prescriptions/\(id)/fills", token: prescriber, json: #"{"quantity": "28"}"#)
                .expectProblem(.forbidden)
            #expect(
                try await app.call(.post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist, json: #"{"quantity": "28"}"#)
                    .status == .created)
            try await app.call(.post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist, json: #"{"quantity": "29"}"#)
                .expectProblem(.unprocessableContent, naming: "quantity")
            let second = try await app.call(
                .post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist, json: #"{"quantity": "20"}"#)
            #expect(second.json["dispensed"] as? String == "48")
            #expect(second.json["fills"] as? Int == 2)

            let other = try await app.token(.prescriber, institution: "JL-TCMH")
            try await app.call(.post, "/v1/long-prescriptions/\(id)/end", token: other, json: #"{"reason": "admitted"}"#)
                .expectProblem(.forbidden)
            let ended = try await app.call(
                .post, "/v1/long-prescriptions/\(id)/end", token: prescriber, json: #"{"reason": "admitted"}"#)
            #expect(ended.json["status"] as? String == "ended")
            try await app.call(.post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist, json: #"{"quantity": "1"}"#)
                .expectProblem(.conflict)
            // After a stop, a restart counts as a first prescription (and supply is no longer on hand).
            #expect(
                try await app.call(.post, "/v1/long-prescriptions", token: prescriber, json: Self.body(drug: drug)).status
                    == .created)
            let auditor = try await app.token(.auditor)
            try await app.call(.post, "/v1/long-prescriptions", token: auditor, json: Self.body(drug: drug, patient: "P-9"))
                .expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'long_prescription'") == 5)
        }
    }

    @Test(
        "the e-prescription record of a long prescription; its void with the insurance revoke in one step ends it, once, with a reason, audited"
    )
    func recordAndVoid() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber,
                json: Self.body(drug: drug, days: 56, confirmed: true, extra: #", "maxFills": 3, "minDaysBetweenFills": 0"#))
            let id = try #require(issued.json["id"] as? Int, "\(issued.text)")
            let pharmacist = try await app.token(.institutionPharmacist, institution: "SL-PA-THC")
            #expect(
                try await app.call(.post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist, json: #"{"quantity": "28"}"#)
                    .status == .created)
            #expect(
                try await app.call(.post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist, json: #"{"quantity": "14"}"#)
                    .status == .created)
            let record = try await app.call(.get, "/v1/long-prescriptions/\(id)/e-prescription", token: prescriber)
            #expect(record.status == .ok, "\(record.text)")
            #expect((record.json["rxTraceCode"] as? String)?.count == 20 && record.json["longRxFlag"] as? String == "1")
            #expect(record.json["maxReptCnt"] as? Int == 2 && record.json["reptdCnt"] as? Int == 1, "\(record.text)")
            #expect(record.json["rxStasCodg"] as? Int == 1, "\(record.text)")
            let lines = record.json["rxdrugdetail"] as? [[String: Any]] ?? []
            #expect(lines.count == 1 && lines.first?["fixmedinsHilistId"] as? String == drug, "\(record.text)")

            try await app.call(.post, "/v1/long-prescriptions/\(id)/void", token: prescriber, json: #"{"reason": " "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            let other = try await app.token(.prescriber, institution: "JL-TCMH")
            try await app.call(.post, "/v1/long-prescriptions/\(id)/void", token: other, json: #"{"reason": "x"}"#)
                .expectProblem(.forbidden)
            let voided = try await app.call(
                .post, "/v1/long-prescriptions/\(id)/void", token: prescriber, json: #"{"reason": "医保结算信息有误"}"#)
            #expect(voided.status == .ok, "\(voided.text)")
            #expect(voided.json["status"] as? String == "ended" && voided.json["endReason"] as? String == "other")
            let after = try await app.call(.get, "/v1/long-prescriptions/\(id)/e-prescription", token: prescriber)
            #expect(after.json["rxStasCodg"] as? Int == 4, "\(after.text)")
            try await app.call(.post, "/v1/long-prescriptions/\(id)/void", token: prescriber, json: #"{"reason": "again"}"#)
                .expectProblem(.conflict)
            try await app.call(.post, "/v1/long-prescriptions/\(id)/fills", token: pharmacist, json: #"{"quantity": "1"}"#)
                .expectProblem(.conflict)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM audit_log WHERE entity_type = 'long_prescription' AND action = 'void'
                      AND entity_key = \(String(id)) AND (after ->> 'voided')::boolean AND NOT (before ->> 'voided')::boolean
                    """) == 1)
            try await app.call(.get, "/v1/long-prescriptions/999999/e-prescription", token: prescriber)
                .expectProblem(.notFound)
        }
    }

    @Test("a consortium rule set may be stricter than the national limits, never looser")
    func ruleSets() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let loose = """
                {"effectiveFrom": "2027-01-01", "requiresFamilyDoctorContract": true, "maxAssessmentAgeDays": 90, "supplyOnHandToleranceDays": 7,
                 "maxDaysByLevel": {"tertiary": 90}, "conditions": [{"icdFrom": "I10", "icdTo": "I15", "name": "高血压"}]}
                """
            try await app.call(.post, "/v1/consortia/JLTCM/long-prescription-rules", token: admin, json: loose)
                .expectProblem(.unprocessableContent, naming: "maxDaysByLevel.tertiary")
            let strict = loose.replacingOccurrences(of: #""tertiary": 90"#, with: #""tertiary": 28"#)
            #expect(
                try await app.call(.post, "/v1/consortia/JLTCM/long-prescription-rules", token: admin, json: strict).status
                    == .created)
            let prescriber = try await app.token(.prescriber)
            try await app.call(.post, "/v1/consortia/JLTCM/long-prescription-rules", token: prescriber, json: strict)
                .expectProblem(.forbidden)
            let now = try await app.call(.get, "/v1/consortia/JLTCM/long-prescription-rules", token: prescriber)
            #expect((now.json["maxDaysByLevel"] as? [String: Any])?["tertiary"] as? Int == 60)
            let later = try await app.call(.get, "/v1/consortia/JLTCM/long-prescription-rules?on=2027-01-01", token: prescriber)
            #expect((later.json["maxDaysByLevel"] as? [String: Any])?["tertiary"] as? Int == 28)
        }
    }

    @Test("the check's cached rules and catalogues are forgotten on every server when they change")
    func cacheRefreshesOnChange() async throws {
        try await TestApp.run { app in
            let drug = try await Self.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let checkBody = Self.body(drug: drug).replacingOccurrences(of: #""item": {"#, with: #""items": [{"#)
                .replacingOccurrences(of: "\"patientConfirmed\": false}", with: "\"patientConfirmed\": false}]")
            let before = try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: checkBody)
            #expect(before.json["decision"] as? String == "approved", "\(before.text)")
            let admin = try await app.token(.consortiumAdmin)
            let rules = """
                {"effectiveFrom": "\(BusinessDate.today())", "requiresFamilyDoctorContract": true, "maxAssessmentAgeDays": 90,
                 "supplyOnHandToleranceDays": 7, "maxDaysByLevel": {"primary": 60},
                 "conditions": [{"icdFrom": "I10", "icdTo": "I15", "name": "高血压", "maxDays": 60}], "excludedDrugs": ["\(drug)"]}
                """
            #expect(
                try await app.call(.post, "/v1/consortia/JLTCM/long-prescription-rules", token: admin, json: rules).status
                    == .created)
            // The notification reaches the server's listener soon; on a loaded machine, perhaps not within a second.
            let decisions = try await poll(within: .seconds(20), every: .milliseconds(50), until: { $0 == "refused" }) {
                try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: checkBody).json["decision"]
                    as? String
            }
            #expect(decisions.last == "refused")
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import RxAPI
import RxDomain
import Testing

@Suite("Security: hostile input and what the logs keep")
struct SecurityTests {
    /// Strings that break hand-built SQL, LIKE patterns, JSON or PostgreSQL's text type.
    static let hostile = [
        "'; DROP TABLE drugs; --", "' OR '1'='1", "\" OR \"\"=\"", "\\", "%", "_%_", "$1", "::text", "/* */",
        "\u{0}", "a\u{0}b", "😀💊", "\u{202E}evil", String(repeating: "长", count: 5000),
    ]

    static func json(_ value: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed]), as: UTF8.self)
            .dropFirst().dropLast().description
    }

    @Test(
        "SQL metacharacters, NUL, and oversized strings in query, path and body fields get 2xx or 4xx, never 5xx, and change nothing they should not"
    )
    func hostileStrings() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let drugsBefore = try await app.count("SELECT count(*)::int FROM drugs")
            for value in Self.hostile {
                let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let json = Self.json(value)
                let calls: [(HTTPRequest.Method, String, String?)] = [
                    (.get, "/v1/drugs?q=\(encoded)", nil),
                    (.get, "/v1/drugs?code=\(encoded)", nil),
                    (.get, "/v1/drugs/\(encoded)", nil),
                    (.get, "/v1/consortia/\(encoded)", nil),
                    (.get, "/v1/consortia/JLTCM/prices/\(encoded)", nil),
                    (.get, "/v1/audit?entityType=\(encoded)&entityKey=\(encoded)", nil),
                    (.patch, "/v1/consortia/JLTCM", #"{"name": \#(json)}"#),
                    (.patch, "/v1/institutions/YJ-TCMH", #"{"name": \#(json)}"#),
                    (
                        .post, "/v1/suppliers",
                        #"{"code": \#(json), "name": \#(json), "kind": "distributor", "licenceNumber": \#(json)}"#
                    ),
                    (
                        .post, "/v1/consortia/JLTCM/institutions",
                        #"{"code": \#(json), "name": "x", "level": "primary", "type": "community_health_centre"}"#
                    ),
                    (.post, "/v1/consortia/JLTCM/catalogue/versions", nil),
                    (
                        .put, "/v1/consortia/JLTCM/catalogue/versions/2/items/\(encoded)",
                        #"{"note": \#(json), "justification": \#(json)}"#
                    ),
                    (
                        .post, "/v1/long-prescriptions/check",
                        #"{"institutionCode": \#(json), "prescriber": \#(json), "patient": {"ref": \#(json), "familyDoctorContract": true, "goodAdherence": true, "diagnoses": [{"icd": \#(json), "stable": true, "lastAssessedOn": "2026-11-01"}]}, "items": [{"drugCode": \#(json), "dailyDose": "1", "days": 28}]}"#
                    ),
                ]
                for (method, uri, body) in calls {
                    let response = try await app.call(method, uri, token: admin, json: body)
                    #expect(
                        response.status.code < 500,
                        "\(method) \(uri) with \(value.prefix(20).debugDescription): \(response.status) \(response.text.prefix(300))"
                    )
                    if response.status.code >= 400 {
                        #expect(response.contentType == "application/problem+json", "\(method) \(uri)")
                    }
                }
            }
            // The drugs table is still there and whole; a name with a quote is stored as it was given.
            #expect(try await app.count("SELECT count(*)::int FROM drugs") == drugsBefore)
            let renamed = try await app.call(
                .patch, "/v1/consortia/JLTCM", token: admin, json: #"{"name": "O'Brien; DROP TABLE x"}"#)
            #expect(renamed.status == .ok, "\(renamed.text)")
            #expect(try await app.count("SELECT count(*)::int FROM consortia WHERE name = 'O''Brien; DROP TABLE x'") == 1)
        }
    }

    @Test("a body over the cap gets 413 before any handler reads it, with or without a Content-Length")
    func oversizedBody() async throws {
        try await TestApp.run(configure: { $0.maximumBodyBytes = 64 * 1024 }) { app in
            let admin = try await app.token(.consortiumAdmin)
            let big = #"{"name": "\#(String(repeating: "x", count: 200_000))"}"#
            let response = try await app.call(.patch, "/v1/consortia/JLTCM", token: admin, json: big)
            response.expectProblem(.contentTooLarge)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'consortium'") == 0)
        }
    }

    @Test("no token and no patient id reaches the logs, even at debug level")
    func logsKeepNoSecrets() async throws {
        LogCapture.install()
        try await TestApp.run(configure: { $0.logLevel = .debug }) { app in
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let patient = "PT-LOGCHECK-\(UUID().uuidString.prefix(8))"
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let check = try await app.call(
                .post, "/v1/long-prescriptions/check", token: prescriber,
                json: LongPrescriptionTests.body(drug: drug, patient: patient).replacingOccurrences(
                    of: #""item":"#, with: #""items": ["#
                )
                .replacingOccurrences(of: "}}", with: "}]}"))
            #expect(check.status == .ok, "\(check.text)")
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber, json: LongPrescriptionTests.body(drug: drug, patient: patient)
            )
            #expect(issued.status == .created, "\(issued.text)")
            // The same again: a 409 whose problem names the earlier prescription, an error path that logs.
            let twice = try await app.call(
                .post, "/v1/long-prescriptions", token: prescriber, json: LongPrescriptionTests.body(drug: drug, patient: patient)
            )
            #expect(twice.status == .conflict, "\(twice.text)")
            // A token that is wrong, and one in a query string where it does not belong.
            try await app.call(.get, "/v1/drugs?token=\(prescriber)", token: prescriber + "x").expectProblem(.unauthorized)
            try await app.call(.get, "/v1/long-prescriptions?patient=\(patient)", token: prescriber)

            let logs = LogCapture.text
            #expect(logs.contains("request"), "the request log lines were captured")
            #expect(!logs.contains(prescriber), "a token reached the logs")
            #expect(!logs.contains(patient), "a patient id reached the logs")
        }
    }
}

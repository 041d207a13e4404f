import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Prescribers bound to their tokens (issue 23): `token create --role prescriber --prescriber ID`; a bound token's
/// long-prescription checks and issues are in its prescriber's name, naming another is 422 naming `prescriber`;
/// unbound tokens made before keep working.
@Suite("Prescriber tokens")
struct PrescriberTokenTests {
    static func checkBody(drug: String, prescriber: String) -> String {
        """
        {"institutionCode": "CY-BJL-CHC", "prescriber": "\(prescriber)",
         "patient": {"ref": "P-0001", "familyDoctorContract": true, "goodAdherence": true,
                     "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(BusinessDate.today().adding(days: -5))"}]},
         "items": [{"drugCode": "\(drug)", "dailyDose": "1", "days": 28}]}
        """
    }

    @Test("a bound token checks and issues in its prescriber's name; naming another is 422 naming prescriber, writing nothing")
    func bound() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let bound = try await app.token(.prescriber, institution: "CY-BJL-CHC", prescriber: "DR-CY-0001")
            let own = try await app.call(
                .post, "/v1/long-prescriptions/check", token: bound, json: Self.checkBody(drug: drug, prescriber: "DR-CY-0001"))
            #expect(own.status == .ok, "\(own.text)")
            // Both the direct route and the generated one (an Accept with two types sends the request to the latter).
            for accept in ["application/json", "application/json, text/plain"] {
                let other = try await app.call(
                    .post, "/v1/long-prescriptions/check", token: bound,
                    json: Self.checkBody(drug: drug, prescriber: "DR-CY-0002"),
                    headers: [.acceptLanguage: "zh", .accept: accept])
                other.expectProblem(.unprocessableContent, naming: "prescriber")
                #expect((other.json["detail"] as? String)?.contains("处方医师") == true, "\(other.text)")
            }
            let before = try await app.count("SELECT count(*)::int FROM long_prescriptions")
            let refused = try await app.call(
                .post, "/v1/long-prescriptions", token: bound,
                json: LongPrescriptionTests.body(drug: drug, prescriber: "DR-CY-0002"))
            refused.expectProblem(.unprocessableContent, naming: "prescriber")
            #expect(try await app.count("SELECT count(*)::int FROM long_prescriptions") == before)
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: bound, json: LongPrescriptionTests.body(drug: drug))
            #expect(issued.status == .created, "\(issued.text)")
            let id = try #require(issued.json["id"] as? Int)
            #expect(
                try await app.database.rows(
                    """
                    SELECT p.pseudonym FROM long_prescriptions lp
                    JOIN prescribers p ON p.consortium_id = lp.consortium_id AND p.id = lp.prescriber_id
                    WHERE lp.id = \(Int64(id))
                    """, as: String.self) == ["DR-CY-0001"])
        }
    }

    @Test("an unbound prescriber token made before binding keeps naming any registered prescriber of its institution")
    func unbound() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let unbound = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            for prescriber in ["DR-CY-0001", "DR-CY-0002"] {
                let check = try await app.call(
                    .post, "/v1/long-prescriptions/check", token: unbound,
                    json: Self.checkBody(drug: drug, prescriber: prescriber))
                #expect(check.status == .ok, "\(check.text)")
            }
            let issued = try await app.call(
                .post, "/v1/long-prescriptions", token: unbound, json: LongPrescriptionTests.body(drug: drug))
            #expect(issued.status == .created, "\(issued.text)")
        }
    }

    @Test("binding: only a prescriber token of an institution, to a registered prescriber of that institution; audited")
    func creating() async throws {
        try await TestApp.run { app in
            let tokens = TokenUseCases(database: app.database)
            func refusal(_ role: Role, institution: String?, prescriber: String) async -> DomainError? {
                do {
                    _ = try await tokens.create(
                        role: role, consortiumCode: "JLTCM", institutionCode: institution, prescriber: prescriber,
                        name: "t", expiresAt: nil, actor: .console("test"))
                    return nil
                } catch let error as DomainError { return error } catch { return nil }
            }
            for (role, institution, prescriber) in [
                (Role.institutionPharmacist, "CY-BJL-CHC", "DR-CY-0001"),  // not a prescriber token
                (.prescriber, nil, "DR-CY-0001"),  // no institution
                (.prescriber, "CY-BJL-CHC", "DR-JL-0001"),  // another institution's prescriber
                (.prescriber, "CY-BJL-CHC", "DR-NOBODY"),  // not registered
                (.prescriber, "CY-BJL-CHC", "张三"),  // not a pseudonym
            ] {
                let error = await refusal(role, institution: institution, prescriber: prescriber)
                #expect(
                    error?.fieldErrors.map(\.field) == ["prescriber"],
                    "\(role) \(String(describing: institution)): \(String(describing: error))")
                if let error {
                    #expect(
                        (ChineseMessages.translate(error.message) ?? ChineseMessages.translateFieldMessage(error.message)) != nil,
                        "\(error.message)")
                }
            }
            let issued = try await tokens.create(
                role: .prescriber, consortiumCode: "JLTCM", institutionCode: "CY-BJL-CHC", prescriber: "DR-CY-0001",
                name: "bound", expiresAt: nil, actor: .console("test"))
            let principal = try #require(try await tokens.principal(forToken: issued.token))
            #expect(principal.prescriberPseudonym == "DR-CY-0001")
            let audit = try await app.database.rows(
                "SELECT after::text FROM audit_log WHERE entity_type = 'api_token' AND entity_key = \(String(issued.id))",
                as: String.self)
            #expect(audit.count == 1 && audit[0].contains("DR-CY-0001"), "\(audit)")
        }
    }

    @Test("consortiumrx token create --prescriber binds the token; on another role it is a usage error (64)")
    func command() async throws {
        try await CLITests.withCommand { cli in
            let created = try cli.run([
                "token", "create", "--role", "prescriber", "--consortium", "JLTCM", "--institution", "CY-BJL-CHC",
                "--prescriber", "DR-CY-0001",
            ])
            #expect(created.status == 0, "\(created.err)")
            #expect(created.out.hasPrefix("crx_"))
            let misused = try cli.run([
                "token", "create", "--role", "auditor", "--consortium", "JLTCM", "--prescriber", "DR-CY-0001",
            ])
            #expect(misused.status == 64, "\(misused.err)")
            #expect(misused.err.contains("--prescriber"), "\(misused.err)")
            let unregistered = try cli.run([
                "token", "create", "--role", "prescriber", "--consortium", "JLTCM", "--institution", "CY-BJL-CHC",
                "--prescriber", "DR-JL-0001",
            ])
            #expect(unregistered.status == 2, "\(unregistered.err)")
            #expect(unregistered.err.contains("--prescriber"), "\(unregistered.err)")
            #expect(unregistered.out.isEmpty)
        }
    }
}

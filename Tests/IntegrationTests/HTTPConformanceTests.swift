import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import Testing

/// HTTP as RFC 9110 and the contract's YAML mean it (issue 19, points 8 and 10).
@Suite("HTTP conformance: methods, entity-tags, the contract's YAML")
struct HTTPConformanceTests {
    static let contract = RoleMatrixTests.contract

    @Test("19.8: a method the path does not have is 405 with Allow; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let wrong = try await app.call(.delete, "/v1/consortia/JLTCM/payables", token: admin)
            wrong.expectProblem(.methodNotAllowed)
            #expect(wrong.headers[.allow] == "GET, HEAD", "\(wrong.headers)")
            let post = try await app.call(.put, "/v1/consortia/JLTCM/invoices", token: admin, json: "{}")
            post.expectProblem(.methodNotAllowed)
            #expect(post.headers[.allow] == "POST")
            try await app.call(.get, "/v1/consortia/JLTCM/no-such-thing", token: admin).expectProblem(.notFound)
            #expect(try await app.call(.get, "/v1/consortia/JLTCM/payables", token: admin).status == .ok)
        }
    }

    @Test("19.8: every path of the contract is read with its methods; the parameter On is quoted for YAML 1.1 loaders")
    func contractPaths() {
        let paths = ContractPaths(contract: Self.contract)
        #expect(paths.paths.count >= 60)
        #expect(paths.methods(of: "/v1/consortia/JLTCM/invoices/7/payment") == [.post])
        #expect(paths.methods(of: "/v1/consortia/JLTCM/invoices//payment") == nil)
        #expect(Self.contract.contains("\n    'On':\n"))
        #expect(!Self.contract.contains("\n    On:\n"))
    }

    @Test("19.10: ETag is an RFC 9110 entity-tag, and If-Match takes it back as sent")
    func entityTags() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let etag = try await CatalogueTests.openDraft(app, admin: admin)
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && !etag.contains("%"), "\(etag)")
            let drug = try await CatalogueTests.someDrug(
                app, "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1")
            let changed = try await app.call(
                .put, "\(CatalogueTests.base)/versions/2/items/\(drug)", token: admin,
                json: #"{"note": "a"}"#, headers: [.ifMatch: etag])
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(changed.headers[.eTag]?.hasPrefix("\"") == true)
        }
    }
}

extension HTTPConformanceTests {
    @Test("19.9: a violated constraint is explained by field and reason; its name, its table and the SQLSTATE stay in the log")
    func constraintsExplained() async throws {
        try await TestApp.run { app in
            let s = try await BillingTests.received(app)
            #expect(
                try await app.call(
                    .post, "\(ProcurementTests.base)/invoices", token: s.admin,
                    json: BillingTests.invoice(s, "INV-1", quantity: 4)
                ).status == .created)
            let again = try await app.call(
                .post, "\(ProcurementTests.base)/invoices", token: s.admin,
                json: BillingTests.invoice(s, "INV-1", quantity: 4))
            again.expectProblem(.conflict)
            let detail = again.json["detail"] as? String ?? ""
            #expect(detail.contains("invoiceNumber"), "\(again.text)")
            for name in ["invoices", "_key", "23505", "consortium_id", "constraint"] {
                #expect(!again.text.contains(name), "\(name) in \(again.text)")
            }
        }
    }

    @Test("19.9: every constraint the explanations name exists in the migrated schema")
    func explainedConstraintsExist() async throws {
        try await TestApp.run { app in
            let names = try await app.database.rows(
                """
                SELECT conname::text FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                UNION SELECT relname::text FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace
                -- the names a trigger raises its check_violation under (the stock ledger's, sql/020)
                UNION SELECT m[1] FROM pg_proc p, regexp_matches(p.prosrc, 'CONSTRAINT = ''([a-z0-9_]+)''', 'g') AS m
                      WHERE p.pronamespace = 'public'::regnamespace
                """, as: String.self)
            let missing = Set(ConstraintExplanations.byName.keys).subtracting(names)
            #expect(missing.isEmpty, "explained but not in the schema: \(missing.sorted())")
        }
    }
}

extension HTTPConformanceTests {
    @Test("19.7: what the contract forbids is a 400 naming each field, for every operation by one mechanism; nothing is written")
    func contractEnforced() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let audits = try await app.count("SELECT count(*)::int FROM audit_log")
            func fields(_ r: TestResponse) -> [String] {
                ((r.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }
            }
            // A minimum in the query (withinDays), an unknown query parameter, an over-long q.
            let negative = try await app.call(.get, "/v1/consortia/JLTCM/preparations/expiring?withinDays=-16922", token: admin)
            negative.expectProblem(.badRequest, naming: "withinDays")
            let unknown = try await app.call(.get, "/v1/consortia/JLTCM/payables?institution=YJ-TCMH", token: admin)
            unknown.expectProblem(.badRequest, naming: "institution")
            try await app.call(.get, "/v1/drugs?q=" + String(repeating: "a", count: 500), token: admin).expectProblem(
                .badRequest, naming: "q")
            // An enum in the query.
            try await app.call(.get, "/v1/consortia/JLTCM/payables?status=late", token: admin).expectProblem(
                .badRequest, naming: "status")
            // In a body: null for a non-nullable field, an empty string where minLength is 1, a number below its minimum,
            // all named at once.
            let body = try await app.call(
                .post, "/v1/consortia/JLTCM/invoices", token: admin,
                json: """
                    {"distributorCode": null, "invoiceNumber": "", "invoiceDate": "2026-11-30", "institutionCode": "YJ-TCMH",
                     "upstreamSupplierCode": "MFR-001", "upstreamInvoiceNumber": "M-1",
                     "lines": [{"orderId": 0, "orderLineNo": 1, "quantity": "1", "unitPrice": "1.00", "amount": "1.00"}]}
                    """)
            body.expectProblem(.badRequest)
            #expect(Set(fields(body)) == ["distributorCode", "invoiceNumber", "lines[0].orderId"], "\(body.text)")
            // A header the contract bounds (Idempotency-Key: 1 to 200 characters).
            let key = try await app.call(
                .post, "/v1/institutions/YJ-TCMH/orders", token: member, json: #"{"lines": []}"#,
                headers: [.init("Idempotency-Key")!: String(repeating: "k", count: 201)])
            key.expectProblem(.badRequest, naming: "Idempotency-Key")
            // A malformed one (spaces, control or non-ASCII characters) is 400 too, not a key of the idempotency table.
            for malformed in ["two words", "tab\tkey", "键-1"] {
                let refused = try await app.call(
                    .post, "/v1/institutions/YJ-TCMH/orders", token: member, json: #"{"lines": []}"#,
                    headers: [.init("Idempotency-Key")!: malformed])
                refused.expectProblem(.badRequest, naming: "Idempotency-Key")
            }
            #expect(try await app.count("SELECT count(*)::int FROM audit_log") == audits)
        }
    }

    @Test("19.7: the contract's schemas are read with their refs, lengths, patterns and enums")
    func validatorReadsTheContract() throws {
        let validator = try ContractValidator(contract: Self.contract)
        #expect(validator.operationCount >= 80)
        let problems = validator.bodyProblems(operationID: "recordInvoice", json: #"{"lines": [{"orderId": 1.5}]}"#)
        #expect(problems.contains { $0.field == "lines[0].orderId" && $0.reason == "must be a whole number" }, "\(problems)")
        #expect(problems.contains { $0.field == "distributorCode" && $0.reason == "is required" })
        // A date before 2000-01-01 is a 422 (18.9): every operation taking a date declares it (make fuzz found one
        // that did not).
        #expect(validator.datedOperationsWithout422.isEmpty, "\(validator.datedOperationsWithout422)")
    }
}

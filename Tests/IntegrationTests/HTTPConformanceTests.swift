import Foundation
import Hummingbird
import HummingbirdTesting
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
            let drug = try await CatalogueTests.someDrug(app, "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1")
            let changed = try await app.call(.put, "\(CatalogueTests.base)/versions/2/items/\(drug)", token: admin,
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
            #expect(try await app.call(.post, "\(ProcurementTests.base)/invoices", token: s.admin,
                                       json: BillingTests.invoice(s, "INV-1", quantity: 4)).status == .created)
            let again = try await app.call(.post, "\(ProcurementTests.base)/invoices", token: s.admin,
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
                """, as: String.self)
            let missing = Set(ConstraintExplanations.byName.keys).subtracting(names)
            #expect(missing.isEmpty, "explained but not in the schema: \(missing.sorted())")
        }
    }
}

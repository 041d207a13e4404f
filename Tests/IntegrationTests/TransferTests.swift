import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxDomain
import RxStore
import Synchronization
import Testing

@Suite("Transfers of hospital preparations")
struct TransferTests {
    static let base = "/v1/consortia/JLTCM"
    /// 复方黄芪颗粒, a seeded preparation of the lead JL-TCMH, counted in 袋.
    static let prep = "H-JLTCMH-001"
    static var today: BusinessDate { BusinessDate.today() }

    /// Makes the seeded registration and licence valid around today, whatever day the tests run.
    static func freshen(_ app: TestApp) async throws {
        let today = Self.today
        try await app.database.transaction { c in
            try await c.exec(
                "UPDATE hospital_preparations SET registration_valid_to = \(today.adding(days: 400).description)::date WHERE drug_code = \(Self.prep)"
            )
            try await c.exec(
                """
                UPDATE preparation_licences SET valid_from = \(today.adding(days: -100).description)::date,
                       valid_to = \(today.adding(days: 1000).description)::date
                """)
        }
    }

    /// Each approval its own document number, the same ones in every run.
    static let documentNumbers = Counter()

    final class Counter: Sendable {
        private let value = Mutex(0)
        func next() -> Int {
            value.withLock {
                $0 += 1; return $0
            }
        }
    }

    static func approve(
        _ app: TestApp, _ token: String, quantity: String = "10", receivers: [String] = ["YJ-TCMH", "SL-TCMH"],
        supplier: String = "JL-TCMH", drug: String = prep, from: BusinessDate? = nil, to: BusinessDate? = nil,
        kind: String = "regulator_approval", extra: String = ""
    ) async throws -> TestResponse {
        let from = from ?? today.adding(days: -10)
        let to = to ?? today.adding(days: 180)
        let doc =
            kind == "regulator_approval"
            ? #""authority": "吉林省药品监督管理局", "documentNumber": "吉药监制调\#(documentNumbers.next())", "documentDate": "\#(from)","#
            : ""
        return try await app.call(
            .post, "\(base)/transfer-approvals", token: token,
            json: """
                {"kind": "\(kind)", \(doc) \(extra) "drugCode": "\(drug)", "supplierInstitutionCode": "\(supplier)",
                 "receiverInstitutionCodes": [\(receivers.map { "\"\($0)\"" }.joined(separator: ","))],
                 "approvedQuantity": "\(quantity)", "validFrom": "\(from)", "validTo": "\(to)"}
                """)
    }

    static func ship(
        _ app: TestApp, _ token: String, approval: Int, to receiver: String = "YJ-TCMH", quantity: String = "2",
        lot: String = "20261101", produced: BusinessDate? = nil, expires: BusinessDate? = nil, on: BusinessDate? = nil
    ) async throws -> TestResponse {
        let produced = produced ?? today.adding(days: -20)
        let expires = expires ?? today.adding(days: 700)
        let shippedOn = on.map { #", "shippedOn": "\#($0)""# } ?? ""
        return try await app.call(
            .post, "/v1/transfer-approvals/\(approval)/shipments", token: token,
            json: """
                {"receiverInstitutionCode": "\(receiver)", "lotNumber": "\(lot)", "productionDate": "\(produced)",
                 "expiryDate": "\(expires)", "quantity": "\(quantity)"\(shippedOn)}
                """)
    }

    static func otherConsortium(_ app: TestApp) async throws {
        try await app.database.transaction { c in
            try await c.exec("INSERT INTO consortia (code, name, kind) VALUES ('OTHER', '其他医共体', 'county_medical_community')")
            try await c.exec(
                """
                INSERT INTO institutions (consortium_id, code, name, level, type)
                SELECT id, 'OTHER-H', '其他医院', 'secondary', 'general' FROM consortia WHERE code = 'OTHER'
                """)
        }
    }

    @Test("the demo seed has the lead's preparations, with registrations and its preparation licence")
    func seeded() async throws {
        try await TestApp.run { app in
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM hospital_preparations p JOIN drugs d ON d.code = p.drug_code
                    JOIN institutions i ON i.id = p.producer_institution_id
                    WHERE d.category = 'hospital_preparation' AND i.code = 'JL-TCMH'
                    """) >= 3)
            #expect(
                try await app.count("SELECT count(*)::int FROM hospital_preparations WHERE registration_number LIKE '吉药制字Z20%'")
                    >= 3)
            #expect(try await app.count("SELECT count(*)::int FROM preparation_licences") == 1)
            let list = try await app.call(.get, "\(Self.base)/preparations", token: try await app.token(.prescriber))
            let items = (list.json["items"] as? [[String: Any]]) ?? []
            #expect(items.count == 4)
            #expect(items.first?["unit"] as? String == "袋")
            #expect(items.contains { $0["registrationKind"] as? String == "filing_number" && $0["registrationValidTo"] == nil })
        }
    }

    @Test("registering a preparation: only a hospital-preparation drug, a member producer, an approval number with its date")
    func registerPreparation() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let drug = try await app.call(
                .post, "/v1/drugs", token: try await app.token(.masterDataAdmin),
                json: """
                    {"code": "H-YJTCMH-001", "genericName": "益气养血膏", "dosageForm": "煎膏剂", "packageSize": 1, "packageUnit": "瓶",
                     "unit": "瓶", "category": "hospital_preparation", "essentialEditions": [], "insuranceClass": "none",
                     "controlClass": "none", "antimicrobial": false, "coldChain": false}
                    """)
            #expect(drug.status == .created, "\(drug.text)")
            let western = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1", as: String.self)[0]
            func register(
                _ code: String, producer: String = "YJ-TCMH", kind: String = "approval_number",
                validTo: String? = "2029-12-31", number: String = "吉药制字Z20250101", token: String? = nil
            ) async throws -> TestResponse {
                try await app.call(
                    .post, "\(Self.base)/preparations", token: token ?? admin,
                    json: """
                        {"drugCode": "\(code)", "producerInstitutionCode": "\(producer)", "registrationKind": "\(kind)",
                         "registrationNumber": "\(number)"\(validTo.map { #", "registrationValidTo": "\#($0)""# } ?? ""), "reimbursable": true}
                        """)
            }
            try await register(western).expectProblem(.unprocessableContent, naming: "drugCode")
            try await register("H-YJTCMH-001", validTo: nil).expectProblem(.unprocessableContent, naming: "registrationValidTo")
            try await register("H-YJTCMH-001", producer: "NO-SUCH").expectProblem(
                .unprocessableContent, naming: "producerInstitutionCode")
            try await register("H-YJTCMH-001", token: try await app.token(.institutionPharmacist, institution: "YJ-TCMH"))
                .expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM hospital_preparations WHERE drug_code = 'H-YJTCMH-001'") == 0)
            let created = try await register("H-YJTCMH-001")
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["producerInstitutionCode"] as? String == "YJ-TCMH")
            try await register("H-YJTCMH-001").expectProblem(.conflict)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'hospital_preparation' AND entity_key = 'H-YJTCMH-001'"
                ) == 1)
        }
    }

    @Test("an approval: the supplier must be the producer, receivers members of the same consortium; regulator or admin only")
    func approvalRules() async throws {
        try await TestApp.run { app in
            try await Self.otherConsortium(app)
            let regulator = try await app.token(.regulator)
            let ok = try await Self.approve(app, regulator)
            #expect(ok.status == .created, "\(ok.text)")
            #expect(ok.json["unit"] as? String == "袋")
            #expect(ok.json["approvedQuantity"] as? String == "10")
            #expect(ok.json["remainingQuantity"] as? String == "10")
            #expect(ok.json["status"] as? String == "valid")
            #expect(ok.json["receiverInstitutionCodes"] as? [String] == ["SL-TCMH", "YJ-TCMH"])

            try await Self.approve(app, regulator, receivers: ["SL-TCMH"], supplier: "YJ-TCMH")
                .expectProblem(.unprocessableContent, naming: "supplierInstitutionCode")
            try await Self.approve(app, regulator, receivers: ["YJ-TCMH", "OTHER-H"])
                .expectProblem(.unprocessableContent, naming: "receiverInstitutionCodes")
            try await Self.approve(app, regulator, receivers: [])
                .expectProblem(.unprocessableContent, naming: "receiverInstitutionCodes")
            try await Self.approve(app, regulator, receivers: ["JL-TCMH"])
                .expectProblem(.unprocessableContent, naming: "receiverInstitutionCodes")
            try await Self.approve(app, regulator, from: Self.today, to: Self.today.adding(days: -1))
                .expectProblem(.unprocessableContent, naming: "validTo")
            try await Self.approve(app, regulator, extra: #""unit": "瓶","#).expectProblem(.unprocessableContent, naming: "unit")
            let western = try await app.database.rows(
                "SELECT code FROM drugs WHERE category = 'western' ORDER BY code LIMIT 1", as: String.self)[0]
            try await Self.approve(app, regulator, drug: western).expectProblem(.unprocessableContent, naming: "drugCode")
            try await app.call(
                .post, "\(Self.base)/transfer-approvals", token: regulator,
                json: """
                    {"drugCode": "\(Self.prep)", "supplierInstitutionCode": "JL-TCMH", "receiverInstitutionCodes": ["YJ-TCMH"],
                     "approvedQuantity": "10", "validFrom": "\(Self.today)", "validTo": "\(Self.today.adding(days: 9))"}
                    """
            ).expectProblem(.unprocessableContent, naming: "documentNumber")
            try await Self.approve(app, regulator, quantity: "0").expectProblem(.unprocessableContent, naming: "approvedQuantity")
            for role in [Role.prescriber, .auditor, .procurementOfficer] {
                try await Self.approve(app, try await app.token(role)).expectProblem(.forbidden)
            }
            try await Self.approve(app, try await app.token(.institutionPharmacist, institution: "JL-TCMH")).expectProblem(
                .forbidden)
            try await app.call(.get, "/v1/consortia/OTHER/transfer-approvals", token: regulator).expectProblem(.notFound)
            let byAdmin = try await Self.approve(app, try await app.token(.consortiumAdmin))
            #expect(byAdmin.status == .created, "\(byAdmin.text)")

            #expect(try await app.count("SELECT count(*)::int FROM transfer_approvals") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM transfer_approval_receivers") == 4)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'transfer_approval' AND action = 'create'") == 2)
            let list = try await app.call(
                .get, "\(Self.base)/transfer-approvals?drugCode=\(Self.prep)", token: try await app.token(.auditor))
            #expect((list.json["items"] as? [Any])?.count == 2)
        }
    }

    @Test("a standing scope only where the setting waives approval, and only from the lead")
    func standingScope() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            try await Self.approve(app, admin, kind: "standing_scope").expectProblem(.unprocessableContent, naming: "kind")
            try await app.database.transaction { c in
                try await c.exec(
                    """
                    INSERT INTO consortium_settings (consortium_id, key, value, effective_from)
                    SELECT id, 'preparation_transfer_requires_approval', 'false', '2017-01-01' FROM consortia WHERE code = 'JLTCM'
                    """)
                try await c.exec(
                    "UPDATE consortia SET lead_institution_id = (SELECT id FROM institutions WHERE code = 'YJ-TCMH')")
            }
            // The producer is no longer the lead: no standing scope for it.
            try await Self.approve(app, admin, kind: "standing_scope").expectProblem(.unprocessableContent, naming: "kind")
            try await app.database.transaction { c in
                try await c.exec(
                    "UPDATE consortia SET lead_institution_id = (SELECT id FROM institutions WHERE code = 'JL-TCMH')")
            }
            let scope = try await Self.approve(app, admin, receivers: ["YJ-CLH-THC", "SL-PA-HQ-VC"], kind: "standing_scope")
            #expect(scope.status == .created, "\(scope.text)")
            #expect(scope.json["kind"] as? String == "standing_scope")
            #expect(scope.json["documentNumber"] == nil)
            // The same limits on who receives.
            try await Self.approve(app, admin, receivers: ["NOT-A-MEMBER"], kind: "standing_scope")
                .expectProblem(.unprocessableContent, naming: "receiverInstitutionCodes")
        }
    }

    @Test(
        "a shipment is refused for an unnamed receiver, a date outside the period, a lapsed registration, an expired lot, too much"
    )
    func shipmentRefusals() async throws {
        try await TestApp.run { app in
            try await Self.freshen(app)
            let regulator = try await app.token(.regulator)
            let producer = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let approval = try #require(try await Self.approve(app, regulator, receivers: ["YJ-TCMH"]).json["id"] as? Int)

            try await Self.ship(app, producer, approval: approval, to: "SL-TCMH")
                .expectProblem(.unprocessableContent, naming: "receiverInstitutionCode")
            try await Self.ship(app, producer, approval: approval, on: Self.today.adding(days: -11))
                .expectProblem(.unprocessableContent, naming: "shippedOn")
            try await Self.ship(app, producer, approval: approval, on: Self.today.adding(days: 1))
                .expectProblem(.unprocessableContent, naming: "shippedOn")
            try await Self.ship(app, producer, approval: approval, expires: Self.today.adding(days: -1))
                .expectProblem(.unprocessableContent, naming: "expiryDate")
            try await Self.ship(app, producer, approval: approval, quantity: "10.0001")
                .expectProblem(.unprocessableContent, naming: "quantity")
            try await Self.ship(app, producer, approval: approval, quantity: "0").expectProblem(
                .unprocessableContent, naming: "quantity")

            // An approval whose period has ended.
            let ended = try #require(
                try await Self.approve(
                    app, regulator, receivers: ["YJ-TCMH"], from: Self.today.adding(days: -60), to: Self.today.adding(days: -1)
                ).json["id"] as? Int)
            try await Self.ship(app, producer, approval: ended).expectProblem(.unprocessableContent, naming: "shippedOn")

            let first = try await Self.ship(app, producer, approval: approval, quantity: "6")
            #expect(first.status == .created, "\(first.text)")
            let over = try await Self.ship(app, producer, approval: approval, quantity: "4.5")
            over.expectProblem(.unprocessableContent, naming: "quantity")
            #expect((over.json["detail"] as? String ?? "").contains("remaining 4"))
            #expect(try await Self.ship(app, producer, approval: approval, quantity: "4").status == .created)

            // A lapsed registration stops shipments; so does a lapsed licence.
            let again = try #require(try await Self.approve(app, regulator, receivers: ["YJ-TCMH"]).json["id"] as? Int)
            try await app.database.transaction { c in
                try await c.exec(
                    "UPDATE hospital_preparations SET registration_valid_to = \(Self.today.adding(days: -1).description)::date WHERE drug_code = \(Self.prep)"
                )
            }
            try await Self.ship(app, producer, approval: again).expectProblem(
                .unprocessableContent, naming: "registrationValidTo")
            try await Self.freshen(app)
            try await app.database.transaction { c in
                try await c.exec("UPDATE preparation_licences SET valid_to = \(Self.today.adding(days: -1).description)::date")
            }
            try await Self.ship(app, producer, approval: again).expectProblem(.unprocessableContent, naming: "preparationLicence")

            #expect(try await app.count("SELECT count(*)::int FROM transfer_shipments") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'transfer_shipment'") == 2)
            #expect(try await app.count("SELECT shipped_quantity::int FROM transfer_approvals WHERE id = \(approval)") == 10)
            // The database's own guard: the shipped total never passes the approved quantity.
            await #expect(throws: (any Error).self) {
                try await app.database.transaction { c in
                    try await c.exec("UPDATE transfer_approvals SET shipped_quantity = 11 WHERE id = \(approval)")
                }
            }
        }
    }

    @Test("only the producer ships, only a named receiver receives; the regulator reads; another consortium sees nothing")
    func roles() async throws {
        try await TestApp.run { app in
            try await Self.freshen(app)
            try await Self.otherConsortium(app)
            let regulator = try await app.token(.regulator)
            let approval = try #require(
                try await Self.approve(app, regulator, receivers: ["YJ-TCMH", "SL-TCMH"]).json["id"] as? Int)
            for token in [
                try await app.token(.consortiumAdmin), regulator,
                try await app.token(.institutionPharmacist, institution: "YJ-TCMH"),
                try await app.token(.prescriber, institution: "JL-TCMH"),
                try await app.token(.procurementOfficer),
            ] {
                try await Self.ship(app, token, approval: approval).expectProblem(.forbidden)
            }
            let outsider = try await app.token(.consortiumAdmin, consortium: "OTHER")
            // An admin may not ship at all (the contract's x-roles): 403 before the approval is even looked up.
            try await Self.ship(app, outsider, approval: approval).expectProblem(.forbidden)
            // A role that may ship, of another consortium, finds no such approval.
            let outsidePharmacist = try await app.token(.institutionPharmacist, consortium: "OTHER", institution: "OTHER-H")
            try await Self.ship(app, outsidePharmacist, approval: approval).expectProblem(.notFound)
            try await app.call(.get, "/v1/transfer-approvals/\(approval)", token: outsider).expectProblem(.notFound)
            try await app.call(.get, "\(Self.base)/transfer-approvals", token: outsider).expectProblem(.notFound)
            try await app.call(.get, "/v1/transfer-approvals/999999", token: regulator).expectProblem(.notFound)

            let pharmacist = try await Self.ship(
                app, try await app.token(.institutionPharmacist, institution: "JL-TCMH"), approval: approval)
            #expect(pharmacist.status == .created, "\(pharmacist.text)")
            let purchasing = try await Self.ship(
                app, try await app.token(.procurementOfficer, institution: "JL-TCMH"), approval: approval)
            #expect(purchasing.status == .created, "\(purchasing.text)")
            let shipment = try #require(pharmacist.json["id"] as? Int)

            let receipt = #"{"quantityReceived": "2", "condition": "intact"}"#
            for token in [
                try await app.token(.institutionPharmacist, institution: "JL-TCMH"),
                try await app.token(.institutionPharmacist, institution: "SL-TCMH"),
                try await app.token(.consortiumAdmin), regulator,
            ] {
                try await app.call(.post, "/v1/transfer-shipments/\(shipment)/receipts", token: token, json: receipt)
                    .expectProblem(.forbidden)
            }
            try await app.call(.post, "/v1/transfer-shipments/\(shipment)/receipts", token: outsider, json: receipt)
                .expectProblem(.forbidden)
            let received = try await app.call(
                .post, "/v1/transfer-shipments/\(shipment)/receipts",
                token: try await app.token(.institutionPharmacist, institution: "YJ-TCMH"), json: receipt)
            #expect(received.status == .created, "\(received.text)")
            try await app.call(
                .post, "/v1/transfer-shipments/\(shipment)/receipts",
                token: try await app.token(.procurementOfficer, institution: "YJ-TCMH"), json: receipt
            ).expectProblem(.conflict)

            let read = try await app.call(.get, "/v1/transfer-approvals/\(approval)", token: regulator)
            #expect(read.status == .ok, "\(read.text)")
            #expect(read.json["shippedQuantity"] as? String == "4")
            #expect(read.json["receivedQuantity"] as? String == "2")
            #expect(try await app.count("SELECT count(*)::int FROM transfer_receipts") == 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'transfer_shipment' AND action = 'receive' AND entity_key = \(String(shipment))"
                ) == 1)
        }
    }

    @Test("two shipments racing for the last units never both succeed")
    func raceForTheLastUnits() async throws {
        try await TestApp.run { app in
            try await Self.freshen(app)
            let approval = try #require(
                try await Self.approve(app, try await app.token(.regulator), quantity: "10").json["id"] as? Int)
            let producer = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        let r = try await Self.ship(
                            app, producer, approval: approval, to: i % 2 == 0 ? "YJ-TCMH" : "SL-TCMH",
                            quantity: "2", lot: "RACE-\(i)")
                        #expect(r.status == .created || r.status == .unprocessableContent || r.status == .conflict, "\(r.text)")
                        return Int(r.status.code)
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == 201 }.count == 5)
            #expect(try await app.count("SELECT count(*)::int FROM transfer_shipments WHERE approval_id = \(approval)") == 5)
            #expect(
                try await app.count("SELECT sum(quantity)::int FROM transfer_shipments WHERE approval_id = \(approval)") == 10)
            #expect(try await app.count("SELECT shipped_quantity::int FROM transfer_approvals WHERE id = \(approval)") == 10)
            let read = try await app.call(.get, "/v1/transfer-approvals/\(approval)", token: producer)
            #expect(read.json["remainingQuantity"] as? String == "0")
            #expect(read.json["status"] as? String == "used_up")
        }
    }

    @Test("receipts keep shortfalls and excess as discrepancies; the approval shows its balance")
    func discrepanciesAndBalance() async throws {
        try await TestApp.run { app in
            try await Self.freshen(app)
            let validTo = Self.today.adding(days: 45)
            let approval = try #require(
                try await Self.approve(
                    app, try await app.token(.regulator), quantity: "20", receivers: ["YJ-TCMH"], to: validTo
                ).json["id"] as? Int)
            let producer = try await app.token(.procurementOfficer, institution: "JL-TCMH")
            let receiver = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let a = try #require(try await Self.ship(app, producer, approval: approval, quantity: "6").json["id"] as? Int)
            let b = try #require(
                try await Self.ship(app, producer, approval: approval, quantity: "3", lot: "20261102").json["id"] as? Int)

            let short = try await app.call(
                .post, "/v1/transfer-shipments/\(a)/receipts", token: receiver,
                json: #"{"quantityReceived": "5", "condition": "damaged", "note": "一袋破损"}"#)
            #expect(short.status == .created, "\(short.text)")
            let shortReceipt = try #require(short.json["receipt"] as? [String: Any])
            #expect(shortReceipt["discrepancy"] as? String == "-1")
            #expect(shortReceipt["discrepancyKind"] as? String == "shortfall")
            let excess = try await app.call(
                .post, "/v1/transfer-shipments/\(b)/receipts", token: receiver,
                json: #"{"quantityReceived": "3.5", "condition": "intact"}"#)
            #expect((excess.json["receipt"] as? [String: Any])?["discrepancyKind"] as? String == "excess")
            #expect((excess.json["receipt"] as? [String: Any])?["discrepancy"] as? String == "0.5")
            try await app.call(
                .post, "/v1/transfer-shipments/\(b)/receipts", token: receiver,
                json: #"{"quantityReceived": "3", "condition": "intact", "receivedOn": "\#(Self.today.adding(days: 1))"}"#
            )
            .expectProblem(.conflict)
            #expect(try await app.count("SELECT count(*)::int FROM transfer_receipts WHERE discrepancy <> 0") == 2)

            let read = try await app.call(.get, "/v1/transfer-approvals/\(approval)", token: try await app.token(.auditor))
            #expect(read.json["approvedQuantity"] as? String == "20")
            #expect(read.json["shippedQuantity"] as? String == "9")
            #expect(read.json["receivedQuantity"] as? String == "8.5")
            #expect(read.json["remainingQuantity"] as? String == "11")
            #expect(read.json["remainingPercent"] as? String == "55.00")
            #expect(read.json["daysLeft"] as? Int == 46)
            let shipments = (read.json["shipments"] as? [[String: Any]]) ?? []
            #expect(shipments.count == 2)
            #expect(shipments.allSatisfy { $0["receipt"] != nil })
        }
    }

    @Test("the report lists approvals ending soon and those nearly used up")
    func report() async throws {
        try await TestApp.run { app in
            try await Self.freshen(app)
            let regulator = try await app.token(.regulator)
            let producer = try await app.token(.institutionPharmacist, institution: "JL-TCMH")
            let soon = try #require(
                try await Self.approve(app, regulator, quantity: "100", to: Self.today.adding(days: 10)).json["id"] as? Int)
            let almost = try #require(
                try await Self.approve(app, regulator, quantity: "10", to: Self.today.adding(days: 200)).json["id"] as? Int)
            let plenty = try #require(
                try await Self.approve(app, regulator, quantity: "10", to: Self.today.adding(days: 200)).json["id"] as? Int)
            _ = try #require(
                try await Self.approve(
                    app, regulator, quantity: "10", from: Self.today.adding(days: -60), to: Self.today.adding(days: -1)
                ).json["id"] as? Int)
            #expect(try await Self.ship(app, producer, approval: almost, quantity: "9.5").status == .created)
            #expect(try await Self.ship(app, producer, approval: plenty, quantity: "5").status == .created)

            let report = try await app.call(
                .get, "\(Self.base)/transfer-approvals/report?withinDays=30&remainingBelowPct=10", token: regulator)
            #expect(report.status == .ok, "\(report.text)")
            #expect(((report.json["expiring"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int } == [soon])
            #expect(((report.json["nearlyUsedUp"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int } == [almost])
            let wider = try await app.call(
                .get, "\(Self.base)/transfer-approvals/report?withinDays=365&remainingBelowPct=60", token: regulator)
            #expect(
                ((wider.json["expiring"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int } == [soon, almost, plenty])
            #expect(
                Set(((wider.json["nearlyUsedUp"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int }) == [almost, plenty])
        }
    }

    @Test("registrations and the producer's licence are warned of ahead of expiry; a licence runs five years at most")
    func expiring() async throws {
        try await TestApp.run { app in
            let today = Self.today
            try await app.database.transaction { c in
                try await c.exec(
                    "UPDATE hospital_preparations SET registration_valid_to = \(today.adding(days: 30).description)::date WHERE drug_code = 'H-JLTCMH-001'"
                )
                try await c.exec(
                    "UPDATE hospital_preparations SET registration_valid_to = \(today.adding(days: -5).description)::date WHERE drug_code = 'H-JLTCMH-002'"
                )
                try await c.exec(
                    "UPDATE hospital_preparations SET registration_valid_to = \(today.adding(days: 365).description)::date WHERE drug_code = 'H-JLTCMH-003'"
                )
                try await c.exec(
                    """
                    UPDATE preparation_licences SET valid_from = \(today.adding(days: -1000).description)::date,
                           valid_to = \(today.adding(days: 45).description)::date
                    """)
            }
            let token = try await app.token(.regulator)
            let warnings = try await app.call(.get, "\(Self.base)/preparations/expiring?withinDays=90", token: token)
            #expect(warnings.status == .ok, "\(warnings.text)")
            let items = (warnings.json["items"] as? [[String: Any]]) ?? []
            #expect(
                items.map { $0["drugCode"] as? String ?? $0["subject"] as? String } == [
                    "H-JLTCMH-002", "H-JLTCMH-001", "licence",
                ])
            #expect(items.first?["lapsed"] as? Bool == true)
            #expect(items.first?["daysLeft"] as? Int == -5)
            #expect(items.last?["daysLeft"] as? Int == 45)
            #expect(items.last?["number"] as? String == "吉20220018HZ")

            // A renewal replaces the licence in the warnings.
            let admin = try await app.token(.consortiumAdmin)
            let renewed = try await app.call(
                .post, "/v1/institutions/JL-TCMH/preparation-licences", token: admin,
                json: """
                    {"licenceNumber": "吉20260031HZ", "validFrom": "\(today)", "validTo": "\(today.adding(months: 60).adding(days: -1))"}
                    """)
            #expect(renewed.status == .created, "\(renewed.text)")
            let after = try await app.call(.get, "\(Self.base)/preparations/expiring?withinDays=90", token: token)
            #expect(((after.json["items"] as? [[String: Any]]) ?? []).allSatisfy { $0["subject"] as? String == "registration" })
            try await app.call(
                .post, "/v1/institutions/JL-TCMH/preparation-licences", token: admin,
                json: """
                    {"licenceNumber": "吉20260032HZ", "validFrom": "\(today)", "validTo": "\(today.adding(months: 60))"}
                    """
            ).expectProblem(.unprocessableContent, naming: "validTo")
            try await app.call(
                .post, "/v1/institutions/JL-TCMH/preparation-licences", token: token,
                json: """
                    {"licenceNumber": "吉20260033HZ", "validFrom": "\(today)", "validTo": "\(today.adding(days: 10))"}
                    """
            ).expectProblem(.forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'preparation_licence'") == 1)
        }
    }
}

extension PostgresConnection {
    /// Runs one statement with its values bound (interpolation into `PostgresQuery`, never into a plain string).
    fileprivate func exec(_ query: PostgresQuery) async throws {
        try await self.query(query, logger: Logger(label: "test"))
    }
}

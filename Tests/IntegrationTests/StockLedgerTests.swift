import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import Synchronization
import Testing

@Suite("Stock ledger: dispensing, FEFO, quarantine, recalls, traceability codes, receipts (issue 21)")
struct StockLedgerTests {
    /// 阿莫西林胶囊 0.25g, counted in 粒.
    static let drug = "XJ01CAA040B005010100006"
    static let member = "YJ-TCMH"
    static let otherMember = "SL-TCMH"
    static let base = "/v1/consortia/JLTCM"

    /// "Today" as the server sees it, movable inside a test (the injected clock).
    final class Today: Sendable {
        private let day: Mutex<BusinessDate>
        init(_ day: BusinessDate) { self.day = Mutex(day) }
        var value: BusinessDate { day.withLock { $0 } }
        func set(_ new: BusinessDate) { day.withLock { $0 = new } }

        var clock: BusinessClock {
            BusinessClock { [self] in
                ISO8601DateFormatter().date(from: "\(self.value)T12:00:00+08:00")!
            }
        }
    }

    /// Runs `body` on an app whose business date is `today` (movable).
    static func run(today: Today, _ body: @escaping @Sendable (TestApp) async throws -> Void) async throws {
        try await TestApp.run(configure: { $0.clock = today.clock }, body)
    }

    /// Opening stock of a lot at a member's stock outside locations.
    static func stock(
        _ app: TestApp, _ institution: String = member, lot: String, expiry: BusinessDate, quantity: Int,
        drug: String = drug, on day: BusinessDate
    ) async throws {
        try await app.database.transaction { c in
            try await c.query(
                """
                INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                                             direction, quantity, document_type, business_date)
                SELECT i.consortium_id, i.id, \(drug), \(lot), \(expiry.description)::date, '106', 'in', \(quantity),
                       'opening', \(day.description)::date
                FROM institutions i WHERE i.code = \(institution)
                """, logger: Logger(label: "test"))
        }
    }

    static func onHand(_ app: TestApp, _ institution: String = member, lot: String, drug: String = drug) async throws -> Decimal {
        try await app.database.rows(
            """
            SELECT COALESCE(sum(h.quantity), 0) FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
            WHERE i.code = \(institution) AND h.drug_code = \(drug) AND h.lot_key = lot_key(\(lot))
            """, as: Decimal.self)[0]
    }

    static func dispense(
        _ app: TestApp, _ token: String, _ institution: String = member, quantity: String, lot: String? = nil,
        patient: String? = "P-0001", codes: [String] = [], key: String? = nil, drug: String = drug
    ) async throws -> TestResponse {
        var fields = [#""drugCode": "\#(drug)""#, #""quantity": "\#(quantity)""#]
        if let lot { fields.append(#""lotNumber": "\#(lot)""#) }
        if let patient { fields.append(#""patientRef": "\#(patient)""#) } else { fields.append(#""ward": "内科一病区""#) }
        if !codes.isEmpty { fields.append(#""traceabilityCodes": [\#(codes.map { "\"\($0)\"" }.joined(separator: ","))]"#) }
        return try await app.call(
            .post, "/v1/institutions/\(institution)/dispensings", token: token, json: "{\(fields.joined(separator: ", "))}",
            headers: key.map { [HTTPField.Name("Idempotency-Key")!: $0] } ?? [:])
    }

    /// The dispensing's audit row is the dispensing as read back from its tables (its movements' ids included): the
    /// row written in the dispensing's own statement must not drift from what is stored.
    static func expectAuditedAsStored(_ app: TestApp, _ response: TestResponse) async throws {
        let id = try #require(response.json["id"] as? Int)
        let consortiumID = try await app.count("SELECT id::int FROM consortia WHERE code = 'JLTCM'")
        let record = try #require(
            try await app.database.read { c in
                try await StockStore(database: app.database).dispensing(
                    id: Int64(id), consortiumID: Int64(consortiumID), on: c)
            })
        let json = try AuditLog.json(record)
        #expect(
            try await app.count(
                """
                SELECT count(*)::int FROM audit_log
                WHERE entity_type = 'dispensing' AND action = 'dispense' AND entity_key = \(String(id))
                  AND before IS NULL AND after = \(json)::jsonb
                """) == 1, "\(json)")
        #expect(
            try await app.count(
                """
                SELECT count(*)::int FROM stock_movements m
                JOIN dispensings d ON d.consortium_id = m.consortium_id AND d.id = m.document_id
                WHERE m.document_type = 'dispensing' AND d.id = \(id)
                  AND m.actor_token_id = d.dispensed_by AND d.dispensed_by IS NOT NULL
                """) == record.lines.count)
    }

    static func lots(_ response: TestResponse) -> [String: String] {
        let lots = response.json["lots"] as? [[String: Any]] ?? []
        return Dictionary(
            uniqueKeysWithValues: lots.map { ($0["lotNumber"] as? String ?? "?", $0["quantity"] as? String ?? "?") })
    }

    static func counts(_ app: TestApp) async throws -> [Int] {
        [
            try await app.count("SELECT count(*)::int FROM stock_movements"),
            try await app.count("SELECT count(*)::int FROM dispensings"),
            try await app.count("SELECT count(*)::int FROM dispensed_traceability_codes"),
            try await app.count("SELECT count(*)::int FROM lot_blocks"),
            try await app.count("SELECT count(*)::int FROM stock_disposals"),
            try await app.count("SELECT count(*)::int FROM audit_log"),
        ]
    }

    @Test("16 concurrent issues of the last 5 units: exactly 5 succeed, the rest are refused naming the lot, none below 0")
    func lastUnitsRace() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            try await Self.stock(app, lot: "RACE1", expiry: BusinessDate("2027-06-01")!, quantity: 5, on: today.value)
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let r = try await Self.dispense(app, token, quantity: "1", lot: "RACE1")
                        return (r.status, r.text)
                    }
                }
                var all: [(HTTPResponse.Status, String)] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.filter { $0.0 == .created }.count == 5, "\(statuses)")
            let refused = statuses.filter { $0.0 != .created }
            #expect(refused.count == 11)
            for (status, text) in refused {
                #expect([409, 422].contains(status.code), "\(text)")
                #expect(text.contains("lotNumber") && text.contains("RACE1"), "\(text)")
            }
            #expect(try await Self.onHand(app, lot: "RACE1") == 0)
            // (the demo seed holds dispensings of its own: only this lot's count)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM stock_movements WHERE reason_code = 'dispensing' AND lot_key = 'RACE1'") == 5)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM dispensings WHERE id IN
                        (SELECT document_id FROM stock_movements WHERE document_type = 'dispensing' AND lot_key = 'RACE1')
                    """) == 5)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'dispensing' AND action = 'dispense'")
                    == 5)
            // Without a named lot (FEFO) the same holds: nothing left, nothing issued, 422 naming the quantity.
            try await Self.dispense(app, token, quantity: "1").expectProblem(.unprocessableContent, naming: "quantity")
        }
    }

    @Test("16 concurrent FEFO issues while the earliest lot runs out under them: each is decided again, all are served")
    func lotEmptiedUnderConcurrentIssues() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            let d = today.value
            try await Self.stock(app, lot: "SOON", expiry: d.adding(days: 200), quantity: 3, on: d)
            try await Self.stock(app, lot: "LATER", expiry: d.adding(days: 400), quantity: 20, on: d)
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<16 { group.addTask { try await Self.dispense(app, token, quantity: "1") } }
                var all: [TestResponse] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(responses.allSatisfy { $0.status == .created }, "\(responses.map(\.text))")
            let served = responses.flatMap { Self.lots($0).keys }
            #expect(served.filter { $0 == "SOON" }.count == 3)
            #expect(served.filter { $0 == "LATER" }.count == 13)
            #expect(try await Self.onHand(app, lot: "SOON") == 0)
            #expect(try await Self.onHand(app, lot: "LATER") == 7)
            for response in responses.prefix(3) { try await Self.expectAuditedAsStored(app, response) }
        }
    }

    @Test("a dispensing decided from facts read before another movement emptied the lot is refused whole, to decide again")
    func staleFactsRefusedWhole() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            let d = today.value
            try await Self.stock(app, lot: "STALE", expiry: d.adding(days: 200), quantity: 2, on: d)
            let store = StockStore(database: app.database)
            let ids = try await app.database.rows(
                "SELECT consortium_id, id FROM institutions WHERE code = \(Self.member)", as: (Int64, Int64).self)[0]
            let facts = try await app.database.autocommit { c in
                try await store.issueFacts(
                    consortiumID: ids.0, institutionID: ids.1, locationCode: nil, drugCode: Self.drug,
                    settingKey: PolicySetting.stockMinimumShelfLifeForIssueDays.key, on: d, connection: c)
            }
            let lot = try #require(facts.lots.first { $0.lot.lotNumber == "STALE" })
            #expect(lot.quantity == Quantity(2))
            // Another dispensing takes one unit after the facts were read.
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            #expect(try await Self.dispense(app, token, quantity: "1", lot: "STALE").status == .created)
            let before = try await Self.counts(app)
            await #expect(throws: StockChangedSinceRead.self) {
                try await app.database.autocommit { c in
                    try await store.writeDispensing(
                        id: facts.dispensingID, consortiumID: ids.0, institutionID: ids.1, locationID: nil,
                        drugCode: Self.drug, quantity: Quantity(2),
                        recipient: try DispensingRules.recipient(patientRef: "P-0002", ward: nil), requestedLot: nil,
                        businessDate: d,
                        issues: [(movementID: facts.movementIDs["STALE"]!, lot: lot.lot, quantity: Quantity(2))],
                        actor: Actor(tokenID: nil, label: "test", role: nil),
                        audit: ("dispense", "dispensing", "{}"), on: c)
                }
            }
            #expect(try await Self.counts(app) == before)
            #expect(try await Self.onHand(app, lot: "STALE") == 1)
        }
    }

    /// `036_stock_on_hand_hot_updates.sql`: an index naming `quantity` (or a predicate on it) would make every movement
    /// write index entries again; this holds the schema to it.
    @Test("a movement changes its lot's stock on hand in place while the lot keeps stock; emptying it leaves the lots with stock")
    func stockOnHandUpdatesInPlace() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            try await Self.stock(app, lot: "HOT1", expiry: BusinessDate("2027-06-01")!, quantity: 10, on: today.value)
            /// Takes `quantity` of the lot by a movement; returns the updates of stock on hand it made and how many of
            /// them were in place (heap-only). The counters of a session include what it has not yet reported, so the
            /// movement's are the difference across it, inside its transaction.
            func take(_ quantity: Int) async throws -> (updates: Int, inPlace: Int) {
                try await app.database.transaction { c in
                    func counters() async throws -> (Int, Int) {
                        try await c.rows(
                            """
                            SELECT n_tup_upd::int, n_tup_hot_upd::int FROM pg_stat_xact_user_tables
                            WHERE relname = 'stock_on_hand'
                            """, as: (Int, Int).self, logger: Logger(label: "test"))[0]
                    }
                    let before = try await counters()
                    try await c.run(
                        """
                        INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date,
                                                     reason_code, direction, quantity, document_type, document_id,
                                                     business_date)
                        SELECT i.consortium_id, i.id, \(Self.drug), 'HOT1', '2027-06-01', 'dispensing', 'out', \(quantity),
                               'dispensing', -1, \(today.value.description)::date
                        FROM institutions i WHERE i.code = \(Self.member)
                        """, logger: Logger(label: "test"))
                    let after = try await counters()
                    return (after.0 - before.0, after.1 - before.1)
                }
            }
            let kept = try await take(3)
            #expect(kept.updates == 1 && kept.inPlace == 1, "\(kept)")
            let emptied = try await take(7)
            #expect(emptied.updates == 1 && emptied.inPlace == 0, "\(emptied)")
            #expect(try await Self.onHand(app, lot: "HOT1") == 0)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM stock_on_hand WHERE lot_key = 'HOT1' AND (in_stock OR quantity > 0)
                    """) == 0)
        }
    }

    @Test("first expiry first out across lots; a named lot only that lot (by its key); ties by lot key")
    func fefoAndNamedLot() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            let d = today.value
            try await Self.stock(app, lot: "LATE", expiry: d.adding(days: 400), quantity: 10, on: d)
            try await Self.stock(app, lot: "EARLY", expiry: d.adding(days: 200), quantity: 10, on: d)
            try await Self.stock(app, lot: "MIDDLE", expiry: d.adding(days: 300), quantity: 10, on: d)
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let first = try await Self.dispense(app, token, quantity: "15")
            #expect(first.status == .created, "\(first.text)")
            #expect(Self.lots(first) == ["EARLY": "10", "MIDDLE": "5"])
            try await Self.expectAuditedAsStored(app, first)
            #expect((first.json["lots"] as? [[String: Any]])?.first?["lotNumber"] as? String == "EARLY")
            let named = try await Self.dispense(app, token, quantity: "2", lot: "ｌａｔｅ")
            #expect(named.status == .created, "\(named.text)")
            #expect(Self.lots(named) == ["LATE": "2"])
            #expect(try await Self.onHand(app, lot: "LATE") == 8)
            #expect(try await Self.onHand(app, lot: "MIDDLE") == 5)
            // More than the named lot holds: 422 naming the quantity; nothing written.
            let before = try await Self.counts(app)
            try await Self.dispense(app, token, quantity: "9", lot: "LATE").expectProblem(
                .unprocessableContent, naming: "quantity")
            try await Self.dispense(app, token, quantity: "1", lot: "NOSUCH").expectProblem(
                .unprocessableContent, naming: "lotNumber")
            #expect(try await Self.counts(app) == before)
            // Each dispensing's movements: one per lot, with the document.
            let id = try #require(first.json["id"] as? Int)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM stock_movements WHERE document_type = 'dispensing' AND document_id = \(id)") == 2)
        }
    }

    @Test(
        "a dispensing from a named location issues that location's lots only; a location the member does not have is 422 naming locationCode and writes nothing"
    )
    func dispensingFromLocation() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            // A demo lot held in a member's location, issuable today.
            let rows = try await app.database.rows(
                """
                SELECT i.code, l.code FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
                JOIN stock_locations l ON l.id = h.location_id WHERE h.quantity >= 1 ORDER BY h.id
                """, as: (String, String).self)
            var picked: (member: String, location: String, line: [String: Any])?
            for (member, location) in rows where picked == nil {
                let list = try await app.call(
                    .get, "/v1/institutions/\(member)/stock?locationCode=\(location)&limit=200", token: admin)
                let lines = list.json["items"] as? [[String: Any]] ?? []
                if let line = lines.first(where: { $0["issueability"] as? String == "issuable" }) {
                    picked = (member, location, line)
                }
            }
            let (member, location, line) = try #require(picked, "no issuable lot in a demo location")
            let drug = try #require(line["drugCode"] as? String)
            let pharmacist = try await app.token(.institutionPharmacist, institution: member)
            func body(_ location: String) -> String {
                #"{"drugCode": "\#(drug)", "quantity": "1", "patientRef": "P-LOC", "splitPackage": true, "locationCode": "\#(location)"}"#
            }
            let dispensings = try await app.count("SELECT count(*)::int FROM dispensings")
            let unknown = try await app.call(
                .post, "/v1/institutions/\(member)/dispensings", token: pharmacist, json: body("NO-SUCH-PLACE"))
            unknown.expectProblem(.unprocessableContent, naming: "locationCode")
            #expect(try await app.count("SELECT count(*)::int FROM dispensings") == dispensings)
            let issued = try await app.call(
                .post, "/v1/institutions/\(member)/dispensings", token: pharmacist, json: body(location))
            #expect(issued.status == .created, "\(issued.text)")
            #expect(issued.json["locationCode"] as? String == location)
            // Every lot issued is one the location holds.
            let held = try await app.call(
                .get, "/v1/institutions/\(member)/stock?locationCode=\(location)&drugCode=\(drug)&limit=200", token: admin)
            let heldLots = Set((held.json["items"] as? [[String: Any]] ?? []).compactMap { $0["lotNumber"] as? String })
            let issuedLots = (issued.json["lots"] as? [[String: Any]] ?? []).compactMap { $0["lotNumber"] as? String }
            #expect(!issuedLots.isEmpty && issuedLots.allSatisfy(heldLots.contains), "\(issuedLots) \(heldLots)")
            let movements = try await app.database.rows(
                """
                SELECT count(*)::int FROM stock_movements m JOIN stock_locations l ON l.id = m.location_id
                WHERE m.document_type = 'dispensing' AND m.document_id = \(issued.json["id"] as? Int ?? 0) AND l.code = \(location)
                """, as: Int.self)
            #expect(movements.first == issuedLots.count)
        }
    }

    @Test("a lot under the minimum remaining shelf life is skipped by FEFO and refused when named")
    func shelfLifeFloor() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            let d = today.value
            // The seeded setting: 30 days.
            try await Self.stock(app, lot: "SHORT", expiry: d.adding(days: 20), quantity: 10, on: d)
            try await Self.stock(app, lot: "LONG", expiry: d.adding(days: 200), quantity: 10, on: d)
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let fefo = try await Self.dispense(app, token, quantity: "3")
            #expect(Self.lots(fefo) == ["LONG": "3"], "\(fefo.text)")
            try await Self.dispense(app, token, quantity: "1", lot: "SHORT").expectProblem(
                .unprocessableContent, naming: "lotNumber")
            try await Self.dispense(app, token, quantity: "8").expectProblem(.unprocessableContent, naming: "quantity")
            // The stock list says so.
            let list = try await app.call(.get, "/v1/institutions/\(Self.member)/stock?drugCode=\(Self.drug)", token: token)
            let items = list.json["items"] as? [[String: Any]] ?? []
            let short = items.first { $0["lotNumber"] as? String == "SHORT" }
            #expect(short?["issueability"] as? String == "short_shelf_life", "\(list.text)")
            #expect(short?["expiryClass"] as? String == "near_expiry_second")
        }
    }

    @Test("expired stock is quarantined on its expiry date (injected clock): issued the day before, refused on the day")
    func quarantineOnExpiryDate() async throws {
        let expiry = BusinessDate("2026-06-10")!
        let today = Today(expiry.adding(days: -1))
        try await Self.run(today: today) { app in
            try await app.database.transaction { c in
                try await c.query(
                    """
                    INSERT INTO consortium_settings (consortium_id, key, value, effective_from)
                    SELECT id, 'stock_min_shelf_life_issue_days', '0', '2017-01-01' FROM consortia WHERE code = 'JLTCM'
                    """, logger: Logger(label: "test"))
            }
            try await Self.stock(app, lot: "EXP1", expiry: expiry, quantity: 10, on: today.value.adding(days: -30))
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let dayBefore = try await Self.dispense(app, token, quantity: "2", lot: "EXP1")
            #expect(dayBefore.status == .created, "\(dayBefore.text)")
            today.set(expiry)
            let before = try await Self.counts(app)
            let named = try await Self.dispense(app, token, quantity: "1", lot: "EXP1")
            named.expectProblem(.unprocessableContent, naming: "lotNumber")
            #expect(named.text.contains("EXP1"))
            try await Self.dispense(app, token, quantity: "1").expectProblem(.unprocessableContent, naming: "quantity")
            #expect(try await Self.counts(app) == before)
            let expired = try await app.call(
                .get, "/v1/institutions/\(Self.member)/stock?expiry=expired", token: token)
            let items = expired.json["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["lotNumber"] as? String } == ["EXP1"], "\(expired.text)")
            #expect(items.first?["issueability"] as? String == "expired")
            // Quarantined stock leaves only destroyed or returned, under a document.
            let destroyed = try await app.call(
                .post, "/v1/institutions/\(Self.member)/stock/disposals", token: token,
                json:
                    #"{"kind": "destruction", "documentReference": "XH-2026-001", "drugCode": "\#(Self.drug)", "lotNumber": "EXP1", "quantity": "8"}"#
            )
            #expect(destroyed.status == .created, "\(destroyed.text)")
            #expect(try await Self.onHand(app, lot: "EXP1") == 0)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM stock_movements WHERE reason_code = '105' AND document_type = 'destruction'")
                    == 1)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'stock_disposal'") == 1)
        }
    }

    @Test("destruction only of quarantined stock; a return to the supplier of any; every refusal names its field")
    func disposals() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            let d = today.value
            try await Self.stock(app, lot: "GOOD", expiry: d.adding(days: 300), quantity: 10, on: d)
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let uri = "/v1/institutions/\(Self.member)/stock/disposals"
            func body(_ kind: String, _ doc: String, _ lot: String, _ q: String) -> String {
                #"{"kind": "\#(kind)", "documentReference": "\#(doc)", "drugCode": "\#(Self.drug)", "lotNumber": "\#(lot)", "quantity": "\#(q)"}"#
            }
            let other = try await app.token(.institutionPharmacist, institution: Self.otherMember)
            let before = try await Self.counts(app)
            try await app.call(.post, uri, token: token, json: body("destruction", "XH-1", "GOOD", "1"))
                .expectProblem(.unprocessableContent, naming: "lotNumber")
            try await app.call(.post, uri, token: token, json: body("supplier_return", " ", "GOOD", "11"))
                .expectProblem(.unprocessableContent, naming: "documentReference")
            try await app.call(.post, uri, token: token, json: body("supplier_return", "TH-1", "GOOD", "11"))
                .expectProblem(.unprocessableContent, naming: "quantity")
            // Another member's pharmacist may not touch this stock.
            try await app.call(.post, uri, token: other, json: body("supplier_return", "TH-1", "GOOD", "1"))
                .expectProblem(.forbidden)
            #expect(try await Self.counts(app) == before)
            let returned = try await app.call(.post, uri, token: token, json: body("supplier_return", "TH-1", "GOOD", "4"))
            #expect(returned.status == .created, "\(returned.text)")
            #expect(returned.json["kind"] as? String == "supplier_return")
            #expect(try await Self.onHand(app, lot: "GOOD") == 6)
            #expect(try await app.count("SELECT count(*)::int FROM stock_movements WHERE reason_code = '109'") == 1)
        }
    }

    @Test("a recalled lot is refused at every member and located at every member; released, it issues again")
    func recall() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            let d = today.value
            try await Self.stock(app, Self.member, lot: "RC01", expiry: d.adding(days: 300), quantity: 10, on: d)
            try await Self.stock(app, Self.otherMember, lot: "rc01", expiry: d.adding(days: 300), quantity: 4, on: d)
            let admin = try await app.token(.consortiumAdmin)
            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.member)
            let otherPharmacist = try await app.token(.institutionPharmacist, institution: Self.otherMember)
            // Dispensed once before the recall, so where-is-lot shows where it went.
            #expect(try await Self.dispense(app, pharmacist, quantity: "1", lot: "RC01").status == .created)

            // A recall without the regulator's notice number writes nothing.
            let before = try await Self.counts(app)
            try await app.call(
                .post, "\(Self.base)/lot-blocks", token: admin,
                json: #"{"drugCode": "\#(Self.drug)", "lotNumber": "RC01", "noticeNumber": " ", "reason": "质量问题"}"#
            ).expectProblem(.unprocessableContent, naming: "noticeNumber")
            // Only the consortium admin recalls.
            try await app.call(
                .post, "\(Self.base)/lot-blocks", token: pharmacist,
                json: #"{"drugCode": "\#(Self.drug)", "lotNumber": "RC01", "noticeNumber": "吉药监召〔2026〕1号", "reason": "质量问题"}"#
            ).expectProblem(.forbidden)
            #expect(try await Self.counts(app) == before)

            let recalled = try await app.call(
                .post, "\(Self.base)/lot-blocks", token: admin,
                json: #"{"drugCode": "\#(Self.drug)", "lotNumber": "RC01", "noticeNumber": "吉药监召〔2026〕1号", "reason": "质量问题"}"#)
            #expect(recalled.status == .created, "\(recalled.text)")
            let block = try #require((recalled.json["block"] as? [String: Any])?["id"] as? Int)
            let holdings = ((recalled.json["whereabouts"] as? [String: Any])?["holdings"] as? [[String: Any]]) ?? []
            #expect(Set(holdings.compactMap { $0["institutionCode"] as? String }) == [Self.member, Self.otherMember])
            try await app.call(
                .post, "\(Self.base)/lot-blocks", token: admin,
                json: #"{"drugCode": "\#(Self.drug)", "lotNumber": "ＲＣ０１", "noticeNumber": "N2", "reason": "again"}"#
            ).expectProblem(.conflict)

            // Refused at every member, named or by FEFO.
            try await Self.dispense(app, pharmacist, quantity: "1", lot: "RC01").expectProblem(
                .unprocessableContent, naming: "lotNumber")
            try await Self.dispense(app, otherPharmacist, Self.otherMember, quantity: "1", lot: "RC01").expectProblem(
                .unprocessableContent, naming: "lotNumber")
            try await Self.dispense(app, otherPharmacist, Self.otherMember, quantity: "1").expectProblem(
                .unprocessableContent, naming: "quantity")

            // Located at every member, with its dispensing, by the regulator.
            let regulator = try await app.token(.regulator)
            let where_ = try await app.call(.get, "\(Self.base)/lots/\(Self.drug)/RC01/whereabouts", token: regulator)
            #expect(where_.status == .ok, "\(where_.text)")
            let found = (where_.json["holdings"] as? [[String: Any]] ?? []).map {
                "\($0["institutionCode"] as? String ?? "?")=\($0["quantity"] as? String ?? "?")"
            }
            #expect(Set(found) == ["\(Self.member)=9", "\(Self.otherMember)=4"], "\(where_.text)")
            #expect((where_.json["dispensings"] as? [[String: Any]])?.count == 1)
            #expect((where_.json["blocks"] as? [[String: Any]])?.count == 1)
            // A member's pharmacist does not see the other members' stock.
            try await app.call(.get, "\(Self.base)/lots/\(Self.drug)/RC01/whereabouts", token: pharmacist)
                .expectProblem(.forbidden)

            // Released: issues again.
            try await app.call(.post, "\(Self.base)/lot-blocks/\(block)/release", token: admin, json: #"{"reason": " "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            let released = try await app.call(
                .post, "\(Self.base)/lot-blocks/\(block)/release", token: admin, json: #"{"reason": "通知撤回"}"#)
            #expect(released.status == .ok, "\(released.text)")
            try await app.call(.post, "\(Self.base)/lot-blocks/\(block)/release", token: admin, json: #"{"reason": "x"}"#)
                .expectProblem(.conflict)
            #expect(
                try await Self.dispense(app, otherPharmacist, Self.otherMember, quantity: "1", lot: "RC01").status == .created)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'lot_block' AND action IN ('recall', 'release')")
                    == 2)
        }
    }

    @Test("traceability codes: validated against the prefix table; a code dispensed twice is recorded and flagged 回流药")
    func traceabilityCodes() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            let d = today.value
            try await Self.stock(app, lot: "TC01", expiry: d.adding(days: 300), quantity: 10, on: d)
            let other = try await app.database.rows(
                "SELECT code FROM drugs WHERE code <> \(Self.drug) AND category = 'western' ORDER BY code LIMIT 1",
                as: String.self)[0]
            try await app.database.transaction { c in
                try await c.query(
                    """
                    INSERT INTO traceability_code_prefixes (prefix, drug_code, package) VALUES
                        ('8123450', \(Self.drug), '24粒/盒'), ('8123451', \(other), '10支/盒')
                    """, logger: Logger(label: "test"))
            }
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let code = "81234500000000000001"
            let before = try await Self.counts(app)
            try await Self.dispense(app, token, quantity: "1", codes: ["123"]).expectProblem(
                .unprocessableContent, naming: "traceabilityCodes[0]")
            try await Self.dispense(app, token, quantity: "1", codes: [code, "81234510000000000001"]).expectProblem(
                .unprocessableContent, naming: "traceabilityCodes[1]")
            try await Self.dispense(app, token, quantity: "1", codes: ["81234590000000000001"]).expectProblem(
                .unprocessableContent, naming: "traceabilityCodes[0]")
            try await Self.dispense(app, token, quantity: "2", codes: [code, code]).expectProblem(
                .unprocessableContent, naming: "traceabilityCodes[1]")
            #expect(try await Self.counts(app) == before)
            #expect(try await Self.onHand(app, lot: "TC01") == 10)

            let first = try await Self.dispense(app, token, quantity: "1", codes: [code])
            #expect(first.status == .created, "\(first.text)")
            #expect((first.json["traceabilityCodes"] as? [[String: Any]])?.first?["reflow"] as? Bool == false)
            let again = try await Self.dispense(app, token, quantity: "1", patient: "P-0002", codes: [code])
            #expect(again.status == .created, "\(again.text)")
            #expect((again.json["traceabilityCodes"] as? [[String: Any]])?.first?["reflow"] as? Bool == true)
            try await Self.expectAuditedAsStored(app, first)
            try await Self.expectAuditedAsStored(app, again)
            #expect(try await app.count("SELECT count(*)::int FROM dispensed_traceability_codes WHERE reflow") == 1)
            #expect(first.json["traceabilityExemption"] == nil)
        }
    }

    @Test("a retried Idempotency-Key answers the first dispensing and issues nothing new; a ward is a recipient too")
    func idempotencyAndWard() async throws {
        let today = Today(BusinessDate("2026-06-01")!)
        try await Self.run(today: today) { app in
            try await Self.stock(app, lot: "ID01", expiry: today.value.adding(days: 300), quantity: 10, on: today.value)
            let token = try await app.token(.institutionPharmacist, institution: Self.member)
            let first = try await Self.dispense(app, token, quantity: "3", patient: nil, key: "k-1")
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["ward"] as? String == "内科一病区")
            let retry = try await Self.dispense(app, token, quantity: "3", patient: nil, key: "k-1")
            #expect(retry.json["id"] as? Int == first.json["id"] as? Int)
            #expect(retry.json["replayed"] as? Bool == true)
            try await Self.dispense(app, token, quantity: "4", patient: nil, key: "k-1").expectProblem(
                .unprocessableContent, naming: "Idempotency-Key")
            #expect(try await Self.onHand(app, lot: "ID01") == 7)
            // Neither or both recipients: 422 naming the field; nothing written.
            try await app.call(
                .post, "/v1/institutions/\(Self.member)/dispensings", token: token,
                json: #"{"drugCode": "\#(Self.drug)", "quantity": "1"}"#
            ).expectProblem(.unprocessableContent, naming: "patientRef")
            // Only the member's own pharmacist dispenses from its stock.
            let other = try await app.token(.institutionPharmacist, institution: Self.otherMember)
            try await Self.dispense(app, other, quantity: "1").expectProblem(.forbidden)
            #expect(try await Self.onHand(app, lot: "ID01") == 7)
        }
    }

    @Test("a delivery against an order posts a purchase receipt (108) at the ordering member; the stock card shows it")
    func deliveryReceipt() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: Self.member)
            let admin = try await app.token(.consortiumAdmin)
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            let id = try await ProcurementTests.consolidatedOrder(
                app, member: officer, admin: admin, drug: drug, quantity: "10")
            let expiry = BusinessDate.today().adding(months: 24)
            let received = try await app.call(
                .post, "\(Self.base)/orders/\(id)/deliveries", token: officer,
                json: #"{"lineNo": 1, "lotNumber": "DL2026A", "expiryDate": "\#(expiry)", "quantity": "4"}"#)
            #expect(received.status == .created || received.status == .ok, "\(received.text)")
            // The ledger counts the drug's own unit: 4 packages are 4 × the package size (StockRules.receipt).
            let units = try await app.count(
                """
                SELECT (CASE l.quantity_unit WHEN 'package' THEN 4 * d.package_size ELSE 4 END)::int
                FROM purchase_order_lines l JOIN drugs d ON d.code = l.drug_code
                WHERE l.order_id = \(id) AND l.line_no = 1
                """)
            #expect(try await Self.onHand(app, lot: "DL2026A", drug: drug) == Decimal(units))
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM stock_movements WHERE reason_code = '108' AND document_type = 'delivery'") == 1)
            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.member)
            let today = BusinessDate.today()
            let card = try await app.call(
                .get,
                "/v1/institutions/\(Self.member)/stock/card?drugCode=\(drug)&lot=DL2026A&from=\(today.adding(days: -1))&to=\(today)",
                token: pharmacist)
            #expect(card.status == .ok, "\(card.text)")
            #expect(card.json["opening"] as? String == "0")
            #expect(card.json["closing"] as? String == "\(units)")
            #expect((card.json["lines"] as? [[String: Any]])?.first?["reasonCode"] as? String == "108")
            // The drug across the consortium: the supply centre reads it, a member's pharmacist does not.
            let across = try await app.call(.get, "\(Self.base)/stock/drugs/\(drug)", token: admin)
            // The demo's opening stock may hold the drug too (StockImportExportTests.demoStock): the receipt more.
            let demo: Decimal =
                try await app.database.rows(
                    "SELECT coalesce(sum(quantity), 0) FROM stock_movements WHERE drug_code = \(drug) AND reason_code = 'opening'",
                    as: Decimal.self
                ).first ?? Decimal(0)
            #expect(across.json["total"] as? String == "\(demo + Decimal(units))", "\(across.text)")
            try await app.call(.get, "\(Self.base)/stock/drugs/\(drug)", token: pharmacist).expectProblem(.forbidden)
        }
    }

    @Test("a preparation's shipment posts out of the producer (102) and its receipt into the receiver (101)")
    func preparationTransferReceipt() async throws {
        try await TestApp.run { app in
            try await TransferTests.freshen(app)
            let regulator = try await app.token(.regulator)
            let approval = try #require(
                try await TransferTests.approve(app, regulator, receivers: [Self.member]).json["id"] as? Int)
            let shipped = try await TransferTests.ship(
                app, try await app.token(.institutionPharmacist, institution: "JL-TCMH"), approval: approval, to: Self.member,
                quantity: "3", lot: "PT01")
            #expect(shipped.status == .created, "\(shipped.text)")
            let shipment = try #require(shipped.json["id"] as? Int)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM stock_movements
                    WHERE document_type = 'preparation_transfer' AND document_id = \(shipment) AND reason_code IN ('106', '102')
                    """) == 2)
            #expect(try await Self.onHand(app, "JL-TCMH", lot: "PT01", drug: TransferTests.prep) == 0)
            let received = try await app.call(
                .post, "/v1/transfer-shipments/\(shipment)/receipts",
                token: try await app.token(.institutionPharmacist, institution: Self.member),
                json: #"{"quantityReceived": "2", "condition": "intact"}"#)
            #expect(received.status == .created, "\(received.text)")
            #expect(try await Self.onHand(app, lot: "PT01", drug: TransferTests.prep) == 2)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM stock_movements WHERE reason_code = '101' AND document_id = \(shipment)") == 1)
        }
    }
}

extension StockLedgerTests {
    @Test(
        "traceability codes at a purchase receipt: validated against the line's drug, entered once (409 naming the code), followed to their dispensing"
    )
    func receiptCodes() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: Self.member)
            let admin = try await app.token(.consortiumAdmin)
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            let id = try await ProcurementTests.consolidatedOrder(
                app, member: officer, admin: admin, drug: drug, quantity: "10")
            try await app.database.transaction { c in
                try await c.query(
                    """
                    INSERT INTO traceability_code_prefixes (prefix, drug_code, package) VALUES
                        ('8123460', \(drug), '1盒'), ('8123461', \(Self.drug), '24粒/盒')
                    """, logger: Logger(label: "test"))
            }
            let expiry = BusinessDate.today().adding(months: 24)
            func deliver(_ lot: String, _ codes: [String]) async throws -> TestResponse {
                let list = codes.map { "\"\($0)\"" }.joined(separator: ",")
                return try await app.call(
                    .post, "\(Self.base)/orders/\(id)/deliveries", token: officer,
                    json:
                        #"{"lineNo": 1, "lotNumber": "\#(lot)", "expiryDate": "\#(expiry)", "quantity": "1", "traceabilityCodes": [\#(list)]}"#
                )
            }
            let a = "81234600000000000001"
            let b = "81234600000000000002"
            let moves: PostgresQuery = "SELECT count(*)::int FROM stock_movements WHERE reason_code = '108'"
            let before = try await app.count(moves)
            // Another drug's prefix, a malformed code, a code given twice: 422 naming each; nothing written.
            try await deliver("RC1", [a, "81234610000000000001"]).expectProblem(
                .unprocessableContent, naming: "traceabilityCodes[1]")
            try await deliver("RC1", ["8123460"]).expectProblem(.unprocessableContent, naming: "traceabilityCodes[0]")
            try await deliver("RC1", [a, a]).expectProblem(.unprocessableContent, naming: "traceabilityCodes[1]")
            #expect(try await app.count(moves) == before)

            let first = try await deliver("RC1", [a, b])
            #expect(first.status == .created, "\(first.text)")
            #expect(try await app.count("SELECT count(*)::int FROM received_traceability_codes") == 2)
            // The same package received again: 409 naming the code and where it came in; nothing written.
            let again = try await deliver("RC2", ["81234600000000000003", b])
            again.expectProblem(.conflict, naming: "traceabilityCodes[1]")
            #expect(again.text.contains(Self.member), "\(again.text)")
            #expect(try await app.count(moves) == before + 1)
            #expect(try await app.count("SELECT count(*)::int FROM received_traceability_codes") == 2)
            let audit = try await app.count(
                "SELECT count(*)::int FROM audit_log WHERE entity_type = 'delivery' AND after ->> 'traceabilityCodes' LIKE \("%" + a + "%")"
            )
            #expect(audit == 1)

            // Followed: received at the member; dispensed there.
            let pharmacist = try await app.token(.institutionPharmacist, institution: Self.member)
            let dispensed = try await Self.dispense(app, pharmacist, quantity: "1", lot: "RC1", codes: [a], drug: drug)
            #expect(dispensed.status == .created, "\(dispensed.text)")
            let history = try await app.call(.get, "\(Self.base)/traceability-codes/\(a)", token: admin)
            #expect(history.status == .ok, "\(history.text)")
            let events = history.json["events"] as? [[String: Any]] ?? []
            #expect(events.map { $0["event"] as? String } == ["received", "dispensed"], "\(history.text)")
            #expect(events.allSatisfy { $0["institutionCode"] as? String == Self.member && $0["lotNumber"] as? String == "RC1" })
            #expect(events.first?["documentType"] as? String == "delivery")
            let unknown = try await app.call(.get, "\(Self.base)/traceability-codes/81234600000000000009", token: admin)
            #expect((unknown.json["events"] as? [Any])?.isEmpty == true, "\(unknown.text)")
            try await app.call(.get, "\(Self.base)/traceability-codes/12345", token: admin).expectProblem(
                .unprocessableContent, naming: "traceabilityCode")
            try await app.call(.get, "\(Self.base)/traceability-codes/\(a)", token: pharmacist).expectProblem(.forbidden)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// Extended prescriptions from dispatch to the patient (延伸处方, 集中配送; issue 23): dispatched by lot from the
/// dispensing member's stock, delivered into the collecting member's, collected by the patient, or not collected by
/// the deadline and sent back; cancelled with the stock sent back.
@Suite("Extended prescriptions: dispatch, delivery, collection, not collected, cancelled after dispatch")
struct ExtendedPrescriptionDispatchTests {
    typealias Ledger = StockLedgerTests
    static let path = ExtendedPrescriptionTests.path
    static let centre = "JL-TCMH"
    static let clinic = "CY-BJL-CHC"

    /// Business days run ten days behind the calendar, so a deadline passed on the injected clock has also passed
    /// on the database's (its CHECKs stamp the calendar's time).
    static func start() -> Ledger.Today { Ledger.Today(BusinessDate.today().adding(days: -10)) }

    /// An issue at the community centre, its assessment five days before the business day.
    static func body(drug: String, patient: String, day: BusinessDate) -> String {
        """
        {"institutionCode": "\(clinic)", "prescriber": "DR-CY-0001", "dispensingInstitutionCode": "\(centre)",
         "chronic": true,
         "patient": {"ref": "\(patient)", "familyDoctorContract": true, "goodAdherence": true,
                     "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "\(day.adding(days: -5))"}]},
         "item": {"drugCode": "\(drug)", "dailyDose": "2", "days": 28}}
        """
    }

    struct Parties {
        let drug: String
        let prescriber: String
        let centre: String
        let clinic: String
    }

    /// The drug, the centre's two lots of it (EARLY 30 units, LATE 100), and the parties' tokens.
    static func setUp(_ app: TestApp, today: Ledger.Today) async throws -> Parties {
        let drug = try await ExtendedPrescriptionTests.drugOutOfStock(app)
        let d = today.value
        try await Ledger.stock(app, centre, lot: "EARLY", expiry: d.adding(days: 200), quantity: 30, drug: drug, on: d)
        try await Ledger.stock(app, centre, lot: "LATE", expiry: d.adding(days: 400), quantity: 100, drug: drug, on: d)
        return Parties(
            drug: drug, prescriber: try await app.token(.prescriber, institution: clinic),
            centre: try await app.token(.institutionPharmacist, institution: centre),
            clinic: try await app.token(.institutionPharmacist, institution: clinic))
    }

    /// Issued (56 units) and approved; its id.
    static func approved(_ app: TestApp, _ p: Parties, patient: String, today: Ledger.Today) async throws -> Int {
        let issued = try await app.call(
            .post, path, token: p.prescriber, json: body(drug: p.drug, patient: patient, day: today.value))
        let id = try #require(issued.json["id"] as? Int, "\(issued.text)")
        let review = try await app.call(.post, "\(path)/\(id)/review", token: p.centre, json: #"{"decision": "approve"}"#)
        #expect(review.status == .ok, "\(review.text)")
        return id
    }

    /// A move; a dispatch without a body names no location nor lot (`{}`).
    static func move(_ app: TestApp, _ id: Int, _ step: String, token: String, json: String? = nil) async throws
        -> TestResponse
    {
        try await app.call(.post, "\(path)/\(id)/\(step)", token: token, json: json ?? (step == "dispatch" ? "{}" : nil))
    }

    static func lots(_ response: TestResponse) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: (response.json["lots"] as? [[String: Any]] ?? []).map {
                ($0["lotNumber"] as? String ?? "?", $0["quantity"] as? String ?? "?")
            })
    }

    static func onHand(_ app: TestApp, _ institution: String, _ p: Parties) async throws -> [Decimal] {
        [
            try await Ledger.onHand(app, institution, lot: "EARLY", drug: p.drug),
            try await Ledger.onHand(app, institution, lot: "LATE", drug: p.drug),
        ]
    }

    static func movements(_ app: TestApp, _ id: Int) async throws -> [String] {
        try await app.database.rows(
            """
            SELECT i.code || ' ' || m.reason_code || ' ' || m.lot_number || ' ' || m.quantity::int
            FROM stock_movements m JOIN institutions i ON i.id = m.institution_id
            WHERE m.document_type = 'extended_prescription' AND m.document_id = \(id)
            ORDER BY m.id
            """, as: String.self)
    }

    @Test(
        "dispatch first expiry first out from the dispensing stock, deliver into the collecting member's, collect to the patient; each move by its member only, once, audited"
    )
    func wholeWay() async throws {
        let today = Self.start()
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            let id = try await Self.approved(app, p, patient: "P-0001", today: today)
            // Only the dispensing member's pharmacist dispatches; a location it does not have is 422.
            try await Self.move(app, id, "dispatch", token: p.prescriber).expectProblem(.forbidden)
            try await Self.move(app, id, "dispatch", token: p.clinic).expectProblem(.forbidden)
            try await Self.move(app, id, "dispatch", token: p.centre, json: #"{"locationCode": "NOPE"}"#)
                .expectProblem(.unprocessableContent, naming: "locationCode")
            try await Self.move(app, id, "dispatch", token: p.centre, json: #"{"lotNumber": "NOSUCH"}"#)
                .expectProblem(.unprocessableContent, naming: "lotNumber")
            // Nothing is collected or delivered before it is dispatched.
            try await Self.move(app, id, "deliver", token: p.clinic).expectProblem(.conflict)
            try await Self.move(app, id, "collect", token: p.clinic).expectProblem(.conflict)
            #expect(try await Self.movements(app, id).isEmpty)

            // Two pharmacists dispatching at once: one wins, the other finds it dispatched.
            async let a = Self.move(app, id, "dispatch", token: p.centre)
            async let b = Self.move(app, id, "dispatch", token: p.centre)
            let both = [try await a, try await b]
            #expect(both.map(\.status.code).sorted() == [200, 409], "\(both.map(\.text))")
            let dispatched = try #require(both.first { $0.status == .ok })
            #expect(dispatched.json["state"] as? String == "dispatched")
            #expect(dispatched.json["dispatchedAt"] != nil)
            #expect(Self.lots(dispatched) == ["EARLY": "30", "LATE": "26"], "\(dispatched.text)")
            let conflict = try #require(both.first { $0.status != .ok })
            #expect((conflict.json["detail"] as? String)?.contains("dispatched") == true, "\(conflict.text)")
            // In transit: out of the centre, not yet at the clinic.
            #expect(try await Self.onHand(app, Self.centre, p) == [0, 74])
            #expect(try await Self.onHand(app, Self.clinic, p) == [0, 0])
            #expect(try await Self.movements(app, id) == ["\(Self.centre) 102 EARLY 30", "\(Self.centre) 102 LATE 26"])

            // Delivered by the clinic's pharmacist: into its stock, with the last day to collect.
            try await Self.move(app, id, "collect", token: p.clinic).expectProblem(.conflict)
            let delivered = try await Self.move(app, id, "deliver", token: p.clinic)
            #expect(delivered.status == .ok, "\(delivered.text)")
            #expect(delivered.json["state"] as? String == "delivered")
            #expect(delivered.json["collectBy"] as? String == today.value.adding(days: 7).description)
            #expect(try await Self.onHand(app, Self.clinic, p) == [30, 26])
            try await Self.move(app, id, "deliver", token: p.clinic).expectProblem(.conflict)

            // Collected at the clinic: out to the patient, the clinic's consumption; only the clinic's pharmacist.
            try await Self.move(app, id, "collect", token: p.centre).expectProblem(.forbidden)
            let collected = try await Self.move(app, id, "collect", token: p.clinic)
            #expect(collected.status == .ok, "\(collected.text)")
            #expect(collected.json["state"] as? String == "collected")
            #expect(collected.json["collectedAt"] != nil)
            #expect(try await Self.onHand(app, Self.clinic, p) == [0, 0])
            #expect(
                try await app.count(
                    """
                    SELECT sum(c.quantity)::int FROM stock_daily_consumption c JOIN institutions i ON i.id = c.institution_id
                    WHERE i.code = \(Self.clinic) AND c.drug_code = \(p.drug)
                    """) == 56)
            try await Self.move(app, id, "cancel", token: p.prescriber, json: #"{"reason": "太晚了"}"#)
                .expectProblem(.conflict)
            try await Self.move(app, id, "not-collected", token: p.clinic).expectProblem(.conflict)
            #expect(try await Self.movements(app, id).count == 6)
            for action in ["dispatch", "deliver", "collect"] {
                #expect(
                    try await app.count(
                        """
                        SELECT count(*)::int FROM audit_log WHERE entity_type = 'extended_prescription'
                          AND entity_key = \(String(id)) AND action = \(action) AND before IS NOT NULL AND after IS NOT NULL
                        """) == 1, "\(action)")
            }
            let read = try await app.call(.get, "\(Self.path)/\(id)", token: p.prescriber)
            #expect(read.json["state"] as? String == "collected" && Self.lots(read) == ["EARLY": "30", "LATE": "26"])
            try await Self.move(app, 999_999, "dispatch", token: p.centre).expectProblem(.notFound)
        }
    }

    @Test("not collected: 409 until the last day to collect has passed, then the lots go back to the dispensing stock")
    func notCollected() async throws {
        let today = Self.start()
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            let id = try await Self.approved(app, p, patient: "P-0002", today: today)
            #expect(try await Self.move(app, id, "dispatch", token: p.centre, json: #"{"lotNumber": "late"}"#).status == .ok)
            #expect(try await Self.onHand(app, Self.centre, p) == [30, 44])
            #expect(try await Self.move(app, id, "deliver", token: p.centre).status == .ok)
            let deadline = today.value.adding(days: 7)
            today.set(deadline)
            let early = try await Self.move(app, id, "not-collected", token: p.clinic)
            early.expectProblem(.conflict)
            #expect((early.json["detail"] as? String)?.contains(deadline.description) == true, "\(early.text)")
            today.set(deadline.adding(days: 1))
            try await Self.move(app, id, "not-collected", token: p.centre).expectProblem(.forbidden)
            let marked = try await Self.move(app, id, "not-collected", token: p.clinic)
            #expect(marked.status == .ok, "\(marked.text)")
            #expect(marked.json["state"] as? String == "not_collected")
            #expect(try await Self.onHand(app, Self.clinic, p) == [0, 0])
            #expect(try await Self.onHand(app, Self.centre, p) == [30, 100])
            #expect(
                try await Self.movements(app, id) == [
                    "\(Self.centre) 102 LATE 56", "\(Self.clinic) 101 LATE 56", "\(Self.clinic) 102 LATE 56",
                    "\(Self.centre) 101 LATE 56",
                ])
            try await Self.move(app, id, "collect", token: p.clinic).expectProblem(.conflict)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM audit_log WHERE entity_type = 'extended_prescription'
                      AND entity_key = \(String(id)) AND action = 'mark_not_collected'
                    """) == 1)
        }
    }

    @Test("cancelled once dispatched, the lots go back to the dispensing stock; once delivered, from the collecting member")
    func cancelAfterDispatch() async throws {
        let today = Self.start()
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            let first = try await Self.approved(app, p, patient: "P-0003", today: today)
            #expect(try await Self.move(app, first, "dispatch", token: p.centre).status == .ok)
            let cancelled = try await Self.move(app, first, "cancel", token: p.centre, json: #"{"reason": "配送车辆故障"}"#)
            #expect(cancelled.json["state"] as? String == "cancelled", "\(cancelled.text)")
            #expect(try await Self.onHand(app, Self.centre, p) == [30, 100])
            #expect(
                try await Self.movements(app, first) == [
                    "\(Self.centre) 102 EARLY 30", "\(Self.centre) 102 LATE 26", "\(Self.centre) 101 EARLY 30",
                    "\(Self.centre) 101 LATE 26",
                ])
            let second = try await Self.approved(app, p, patient: "P-0004", today: today)
            #expect(try await Self.move(app, second, "dispatch", token: p.centre).status == .ok)
            #expect(try await Self.move(app, second, "deliver", token: p.clinic).status == .ok)
            #expect(try await Self.onHand(app, Self.clinic, p) == [30, 26])
            let withdrawn = try await Self.move(app, second, "cancel", token: p.prescriber, json: #"{"reason": "患者住院"}"#)
            #expect(withdrawn.json["state"] as? String == "cancelled", "\(withdrawn.text)")
            #expect(try await Self.onHand(app, Self.clinic, p) == [0, 0])
            #expect(try await Self.onHand(app, Self.centre, p) == [30, 100])
            try await Self.move(app, second, "deliver", token: p.clinic).expectProblem(.conflict)
        }
    }

    @Test(
        "void: the e-prescription voided and revoked in one step with a reason; cancels one not dispatched, 409 while on its way or voided, audited"
    )
    func void() async throws {
        let today = Self.start()
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            let waiting = try await Self.approved(app, p, patient: "P-0005", today: today)
            let moving = try await Self.approved(app, p, patient: "P-0006", today: today)
            #expect(try await Self.move(app, moving, "dispatch", token: p.centre).status == .ok)
            try await Self.move(app, waiting, "void", token: p.prescriber, json: #"{"reason": " "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            let voided = try await Self.move(app, waiting, "void", token: p.prescriber, json: #"{"reason": "处方信息错误"}"#)
            #expect(voided.status == .ok, "\(voided.text)")
            #expect(voided.json["voidReason"] as? String == "处方信息错误" && voided.json["cancelReason"] as? String == "处方信息错误")
            let read = try await app.call(.get, "\(Self.path)/\(waiting)", token: p.prescriber)
            #expect(read.json["state"] as? String == "cancelled" && read.json["voidedAt"] != nil, "\(read.text)")
            let record = try await app.call(.get, "\(Self.path)/\(waiting)/e-prescription", token: p.prescriber)
            #expect(record.json["rxStasCodg"] as? Int == 4, "\(record.text)")
            try await Self.move(app, waiting, "void", token: p.prescriber, json: #"{"reason": "again"}"#)
                .expectProblem(.conflict)
            let onTheWay = try await Self.move(app, moving, "void", token: p.prescriber, json: #"{"reason": "x"}"#)
            onTheWay.expectProblem(.conflict)
            #expect((onTheWay.json["detail"] as? String)?.contains("dispatched") == true, "\(onTheWay.text)")
            let other = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            try await Self.move(app, moving, "void", token: other, json: #"{"reason": "x"}"#).expectProblem(.forbidden)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM audit_log WHERE entity_type = 'extended_prescription' AND action = 'void'
                      AND entity_key = \(String(waiting))
                    """) == 1)
        }
    }

    @Test(
        "late: approved or dispatched past the deadline stamped at approval, soonest first, each side sees its own; fulfilment per member and drug over a window"
    )
    func lateAndFulfilment() async throws {
        let today = Self.start()
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            let approvedOnly = try await Self.approved(app, p, patient: "P-0007", today: today)
            let dispatched = try await Self.approved(app, p, patient: "P-0008", today: today)
            let collected = try await Self.approved(app, p, patient: "P-0009", today: today)
            #expect(
                try await Self.move(app, dispatched, "dispatch", token: p.centre, json: #"{"lotNumber": "LATE"}"#).status == .ok)
            #expect(try await Self.move(app, collected, "dispatch", token: p.centre).status == .ok)
            #expect(try await Self.move(app, collected, "deliver", token: p.clinic).status == .ok)
            #expect(try await Self.move(app, collected, "collect", token: p.clinic).status == .ok)
            let admin = try await app.token(.consortiumAdmin)
            let late = "/v1/consortia/JLTCM/extended-prescriptions/late"
            // The deadline (48 hours after approval, stamped by the database's clock) has not passed on the calendar.
            today.set(BusinessDate.today())
            let none = try await app.call(.get, late, token: admin)
            #expect(none.status == .ok && ExtendedPrescriptionTests.ours(none).isEmpty, "\(none.text)")
            today.set(BusinessDate.today().adding(days: 3))
            let listed = try await app.call(.get, late, token: admin)
            let ids = ExtendedPrescriptionTests.ours(listed).compactMap { $0["id"] as? Int }
            #expect(Set(ids) == [approvedOnly, dispatched], "\(listed.text)")
            let other = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            let elsewhere = try await app.call(.get, late, token: other)
            #expect(ExtendedPrescriptionTests.ours(elsewhere).isEmpty, "\(elsewhere.text)")
            let clinicSide = try await app.call(.get, late, token: p.clinic)
            #expect(ExtendedPrescriptionTests.ours(clinicSide).count == 2, "\(clinicSide.text)")

            // Fulfilment: of the three issued, one collected, none uncollected yet; a window before them holds none.
            today.set(BusinessDate.today().adding(days: -10))
            let fulfilment = "/v1/consortia/JLTCM/extended-prescriptions/fulfilment"
            let report = try await app.call(.get, fulfilment, token: admin)
            #expect(report.status == .ok, "\(report.text)")
            let members = report.json["byMember"] as? [[String: Any]] ?? []
            let clinic = try #require(members.first { $0["key"] as? String == Self.clinic }, "\(report.text)")
            #expect(clinic["collected"] as? Int == 1 && clinic["notCollected"] as? Int == 0)
            #expect(clinic["rate"] as? String == "1.0000" && clinic["medianHoursToCollection"] != nil, "\(clinic)")
            let drugs = report.json["byDrug"] as? [[String: Any]] ?? []
            #expect(drugs.map { $0["key"] as? String } == [p.drug], "\(report.text)")
            let d = today.value
            let before = try await app.call(
                .get, "\(fulfilment)?from=\(d.adding(days: -40))&to=\(d.adding(days: -1))", token: admin)
            #expect((before.json["byMember"] as? [Any])?.isEmpty == true, "\(before.text)")
            try await app.call(.get, "\(fulfilment)?from=\(d)&to=\(d.adding(days: -1))", token: admin)
                .expectProblem(.unprocessableContent, naming: "from")
            try await app.call(.get, "\(fulfilment)?from=\(d.adding(days: -400))&to=\(d)", token: admin)
                .expectProblem(.unprocessableContent, naming: "to")
        }
    }

    @Test(
        "a recalled lot at the collecting member: never collected; cancelled, it stays there quarantined and the other lot goes back"
    )
    func recalledAtCollectingMember() async throws {
        let today = Self.start()
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            let id = try await Self.approved(app, p, patient: "P-0011", today: today)
            #expect(try await Self.move(app, id, "dispatch", token: p.centre).status == .ok)
            #expect(try await Self.move(app, id, "deliver", token: p.clinic).status == .ok)
            #expect(try await Self.onHand(app, Self.clinic, p) == [30, 26])
            let admin = try await app.token(.consortiumAdmin)
            let recall = try await app.call(
                .post, "/v1/consortia/JLTCM/lot-blocks", token: admin,
                json: #"{"drugCode": "\#(p.drug)", "lotNumber": "EARLY", "noticeNumber": "NMPA-2026-009", "reason": "召回"}"#)
            #expect(recall.status == .created, "\(recall.text)")
            try await Self.move(app, id, "collect", token: p.clinic)
                .expectProblem(.unprocessableContent, naming: "lotNumber")
            let cancelled = try await Self.move(app, id, "cancel", token: p.clinic, json: #"{"reason": "批号召回"}"#)
            #expect(cancelled.status == .ok && cancelled.json["state"] as? String == "cancelled", "\(cancelled.text)")
            // The recalled 30 stay at the clinic for its destruction or return; the other 26 are back at the centre.
            #expect(try await Self.onHand(app, Self.clinic, p) == [30, 0])
            #expect(try await Self.onHand(app, Self.centre, p) == [0, 100])
            #expect(
                try await Self.movements(app, id) == [
                    "\(Self.centre) 102 EARLY 30", "\(Self.centre) 102 LATE 26", "\(Self.clinic) 101 EARLY 30",
                    "\(Self.clinic) 101 LATE 26", "\(Self.clinic) 102 LATE 26", "\(Self.centre) 101 LATE 26",
                ])
        }
    }

    @Test(
        "a late one feeds the shortage signals: at the collecting member the day after its deadline's date, cleared once delivered"
    )
    func lateIntoShortageSignals() async throws {
        let today = Ledger.Today(BusinessDate.today())
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            let id = try await Self.approved(app, p, patient: "P-0010", today: today)
            #expect(try await Self.move(app, id, "dispatch", token: p.centre).status == .ok)
            // The deadline is 48 hours after approval: its date is two days on.
            let d = today.value
            _ = try await ShortageScanTests.scan(app, on: d.adding(days: 2))
            #expect(try await ShortageScanTests.records(app, p.drug).isEmpty)
            _ = try await ShortageScanTests.scan(app, on: d.adding(days: 4))
            let record = try #require(try await ShortageScanTests.records(app, p.drug).last)
            #expect(record.status == "open" && record.level == "member")
            let admin = try await app.token(.consortiumAdmin)
            let shown = try await app.call(.get, "/v1/consortia/JLTCM/shortages/\(record.id)", token: admin)
            let signals = shown.json["signals"] as? [[String: Any]] ?? []
            #expect(signals.count == 1, "\(shown.text)")
            #expect(signals.first?["kind"] as? String == "late_extended_prescription", "\(shown.text)")
            #expect(signals.first?["extendedPrescriptionId"] as? Int == id && signals.first?["daysLate"] as? Int == 2)
            #expect(signals.first?["institutionCode"] as? String == Self.clinic, "\(shown.text)")

            #expect(try await Self.move(app, id, "deliver", token: p.clinic).status == .ok)
            _ = try await ShortageScanTests.scan(app, on: d.adding(days: 5))
            let after = try await app.call(.get, "/v1/consortia/JLTCM/shortages/\(record.id)", token: admin)
            let cleared = after.json["signals"] as? [[String: Any]] ?? []
            #expect(cleared.first?["clearedOn"] as? String == d.adding(days: 5).description, "\(after.text)")
            #expect(try await ShortageScanTests.records(app, p.drug).last?.status == "closed")
        }
    }

    @Test("the demo: a patient of the community centre in every state, their stock where each state leaves it, audited")
    func demo() async throws {
        try await TestApp.run { app in
            let states = try await app.database.rows(
                "SELECT state FROM extended_prescriptions ORDER BY state", as: String.self)
            #expect(Set(states) == Set(ExtendedPrescriptionState.allCases.map(\.rawValue)), "\(states)")
            // Delivered and waiting: its lots are at the community centre; every other one's stock is back or gone.
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM extended_prescriptions e
                    JOIN stock_movements m ON m.document_type = 'extended_prescription' AND m.document_id = e.id
                    WHERE e.state = 'not_collected' AND m.reason_code = '101' AND m.institution_id <> e.collecting_institution_id
                    """) >= 1)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM audit_log
                    WHERE entity_type = 'extended_prescription' AND actor = 'console:seed'
                    """) >= 20)
        }
    }

    @Test(
        "a patient's supply across the consortium by a member's pseudonym: the extended prescription's drug with its earliest renewal; who may read it"
    )
    func patientSupply() async throws {
        let today = Self.start()
        try await Ledger.run(today: today) { app in
            let p = try await Self.setUp(app, today: today)
            _ = try await Self.approved(app, p, patient: "P-0010", today: today)
            let url = "/v1/consortia/JLTCM/patient-supply?institutionCode=\(Self.clinic)&memberPseudonym=P-0010"
            let read = try await app.call(.get, url, token: p.prescriber)
            #expect(read.status == .ok, "\(read.text)")
            let item = try #require((read.json["items"] as? [[String: Any]])?.first { $0["drugCode"] as? String == p.drug })
            #expect(item["lastDay"] as? String == today.value.adding(days: 27).description, "\(item)")
            let tolerance = try await app.count(
                """
                SELECT supply_on_hand_tolerance_days FROM long_rx_rule_sets r JOIN consortia c ON c.id = r.consortium_id
                WHERE c.code = 'JLTCM' ORDER BY r.effective_from DESC LIMIT 1
                """)
            #expect(item["earliestRenewal"] as? String == today.value.adding(days: 27 - tolerance).description, "\(item)")
            #expect((item["prescriptions"] as? [[String: Any]])?.first?["kind"] as? String == "extended")
            // A pseudonym of no one holds nothing; an unknown member is 422; a procurement officer 403.
            let other = try await app.call(
                .get, "/v1/consortia/JLTCM/patient-supply?institutionCode=YJ-TCMH&memberPseudonym=P-NOBODY", token: p.prescriber)
            #expect((other.json["items"] as? [Any])?.isEmpty == true, "\(other.text)")
            try await app.call(
                .get, "/v1/consortia/JLTCM/patient-supply?institutionCode=NOPE&memberPseudonym=P-0010", token: p.prescriber
            ).expectProblem(.unprocessableContent, naming: "institutionCode")
            try await app.call(.get, url, token: try await app.token(.procurementOfficer)).expectProblem(.forbidden)
            try await app.call(.get, "/v1/consortia/JLTCM/patient-supply?institutionCode=\(Self.clinic)", token: p.prescriber)
                .expectProblem(.badRequest, naming: "memberPseudonym")
        }
    }
}

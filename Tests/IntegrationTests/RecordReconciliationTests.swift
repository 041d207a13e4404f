import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxCLI
import RxDomain
import RxStore
import RxUseCases
import Testing

/// `consortiumrx reconcile herbs|transfers|catalogues` through their store entry points (as the invoice tests do),
/// on the demo seed plus the rows each test adds: every classification, exit statuses 0/1/2, the JSON shape, the
/// run and its discrepancies recorded and listed by the API.
@Suite("Reconciliation reports: herbs, transfers, catalogues")
struct RecordReconciliationTests {
    static let base = "/v1/consortia/JLTCM"
    static var today: BusinessDate { BusinessDate.today() }

    /// The report's JSON, with the keys every kind shares.
    static func json(_ output: String) throws -> [String: Any] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        for key in ["kind", "runId", "subject", "asOf", "lines", "inLine", "counts", "entries"] {
            #expect(object[key] != nil, "no \(key) in \(output)")
        }
        for entry in (object["entries"] as? [[String: Any]]) ?? [] {
            for key in ["row", "subject", "classifications", "inLine", "detail"] {
                #expect(entry[key] != nil, "no \(key) in \(entry)")
            }
        }
        return object
    }

    static func classes<C: RecordClassification>(_ report: RecordReconciliationReport<C>?, _ subjectPrefix: String) -> [String] {
        report?.entries.first { $0.subject.hasPrefix(subjectPrefix) }?.classifications.map(\.rawValue) ?? [
            "(no entry \(subjectPrefix))"
        ]
    }

    static func field<C: RecordClassification>(_ report: RecordReconciliationReport<C>?, _ subjectPrefix: String, _ name: String)
        -> String?
    {
        report?.entries.first { $0.subject.hasPrefix(subjectPrefix) }?.fields.first { $0.name == name }?.value
    }

    /// The API lists the run with its kind and counts, and shows its discrepancies.
    static func expectListed(_ app: TestApp, runID: Int64, kind: String, count: (String, Int), discrepancies: Int) async throws {
        let admin = try await app.token(.consortiumAdmin)
        let list = try await app.call(.get, "\(base)/reconciliations", token: admin)
        let item = ((list.json["items"] as? [[String: Any]]) ?? []).first { ($0["id"] as? Int).map(Int64.init) == runID }
        #expect(item?["kind"] as? String == kind, "\(list.text)")
        #expect((item?["counts"] as? [String: Any])?[count.0] as? Int == count.1, "\(list.text)")
        let one = try await app.call(.get, "\(base)/reconciliations/\(runID)", token: try await app.token(.auditor))
        #expect((one.json["discrepancies"] as? [Any])?.count == discrepancies, "\(one.text)")
        #expect((one.json["inputChecksum"] as? String)?.count == 64)
    }

    // MARK: herbs

    @Test(
        "herbs: on pace, completed, behind pace, over commitment, a rejected lot received; as of before the period: 0; unknown round: 2"
    )
    func herbs() async throws {
        try await TestApp.run { app in
            typealias H = HerbProcurementTests
            let t = try await H.tokens(app)
            // Today is the 50th of 100 days. YJ-TCMH committed 336 kg of 黄芪, SL-TCMH 300 kg of 黄芪 and 100 of 陈皮.
            let round = try await H.awardedRound(app, t)
            #expect(try await H.move(app, t.leadOfficer, round: round, "execute").status == .ok)
            // CHY-YAJ-CHC committed 20 kg of 黄芪 (entered directly: commitments are locked now).
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO herb_commitments (consortium_id, round_id, item_id, institution_id, quantity_kg, status)
                    SELECT i.consortium_id, i.round_id, i.id, m.id, 20, 'accepted'
                    FROM herb_round_items i, institutions m
                    WHERE i.round_id = \(round) AND i.drug_code = \(H.astragalus) AND m.code = 'CHY-YAJ-CHC'
                    """)
            }
            // Before any buying, as of the day before the period: nothing is expected yet, all in line.
            let early = try await RecordReconciliations(database: app.database).herbs(
                roundID: Int64(round), asOf: H.start.adding(days: -1), format: .json, createdBy: "tester")
            #expect(early.status == 0, "\(early.output)")
            #expect(early.report?.entries.count == 4 && early.report?.inLine == 4)

            // YJ-TCMH: 350 kg ordered (over 336 by 14), 120 received as lot HQ-BAD, which the lab then rejects.
            let yjOrder = try await ProcurementTests.consolidatedOrder(
                app, member: t.yj, admin: t.admin, drug: H.astragalus, quantity: "350")
            let delivered = try await app.call(
                .post, "\(Self.base)/orders/\(yjOrder)/deliveries", token: t.yj,
                json:
                    #"{"lineNo": 1, "lotNumber": "HQ-BAD", "expiryDate": "\#(Self.today.adding(months: 24))", "quantity": "120"}"#
            )
            #expect(delivered.status == .created, "\(delivered.text)")
            let inspected = try await app.call(
                .post, "/v1/herb-rounds/\(round)/inspections", token: t.leadPharmacist,
                json:
                    #"{"drugCode": "\#(H.astragalus)", "lotNumber": "HQ-BAD", "supplierCode": "MFR-029", "identificationPassed": true, "measurements": {"moisturePct": "9.0", "totalAshPct": "5.2", "sulfurDioxideMgPerKg": "20", "leadMgPerKg": "1.2", "cadmiumMgPerKg": "0.1", "arsenicMgPerKg": "0.5", "mercuryMgPerKg": "0.05", "copperMgPerKg": "6"}}"#
            )
            #expect(inspected.json["result"] as? String == "rejected", "\(inspected.text)")
            // SL-TCMH: 50 kg of 黄芪 (behind: 150 expected), all 100 kg of 陈皮 (completed).
            #expect(
                try await ProcurementTests.order(app, t.sl, institution: "SL-TCMH", [(H.astragalus, "50"), (H.tangerine, "100")])
                    .status == .created)
            // CHY-YAJ-CHC: 10 of its 20 kg, just what half the period asks.
            let chy = try await app.token(.procurementOfficer, institution: "CHY-YAJ-CHC")
            #expect(
                try await ProcurementTests.order(app, chy, institution: "CHY-YAJ-CHC", [(H.astragalus, "10")]).status == .created)

            let out = try await RecordReconciliations(database: app.database).herbs(
                roundID: Int64(round), asOf: Self.today, format: .json, createdBy: "tester")
            #expect(out.status == 1, "\(out.errors)")
            let report = out.report
            #expect(Self.classes(report, "YJ-TCMH \(H.astragalus)") == ["over_commitment"])
            #expect(Self.field(report, "YJ-TCMH \(H.astragalus)", "overCommitmentKg") == "14.000")
            #expect(Self.field(report, "YJ-TCMH \(H.astragalus)", "receivedKg") == "120.000")
            #expect(Self.classes(report, "SL-TCMH \(H.astragalus)") == ["behind_pace"])
            #expect(Self.field(report, "SL-TCMH \(H.astragalus)", "completionPercent") == "16.67")
            #expect(Self.field(report, "SL-TCMH \(H.astragalus)", "expectedKg") == "150.000")
            #expect(Self.classes(report, "SL-TCMH \(H.tangerine)") == ["completed"])
            #expect(Self.classes(report, "CHY-YAJ-CHC \(H.astragalus)") == ["on_pace"])
            let lot = try #require(report?.entries.first { $0.subject.contains("lot HQ-BAD") })
            #expect(lot.classifications == [.rejectedBatchReceived] && lot.subject.hasPrefix("YJ-TCMH"))
            #expect(lot.moneyAtStake == Money("9000.00")!)  // 120 kg × 75
            // 14 × 75 + 100 × 75 + 120 × 75
            #expect(report?.moneyAtStake == Money("17550.00")!)
            #expect(report?.lines == 5 && report?.inLine == 2)

            let json = try Self.json(out.output)
            #expect(json["kind"] as? String == "herbs" && json["moneyAtStake"] as? String == "17550.00")
            #expect((json["counts"] as? [String: Any])?["behind_pace"] as? Int == 1)
            let rows = (json["entries"] as? [[String: Any]]) ?? []
            #expect(rows.count == 5 && rows.allSatisfy { $0["moneyAtStake"] is String })

            let runID = try #require(report?.runID)
            try await Self.expectListed(app, runID: runID, kind: "herbs", count: ("over_commitment", 1), discrepancies: 3)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM reconciliation_discrepancies WHERE run_id = \(runID) AND classification = 'rejected_batch_received' AND money_at_stake = 9000"
                ) == 1)
            // A snapshot: the same report again is a new run.
            let again = try await RecordReconciliations(database: app.database).herbs(
                roundID: Int64(round), asOf: Self.today, createdBy: "tester")
            #expect(again.status == 1 && again.report?.runID != runID)
            #expect(again.output.contains("summary (herbs run") && again.output.contains("17550.00"))
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE kind = 'herbs'") == 3)

            let unknown = try await RecordReconciliations(database: app.database).herbs(
                roundID: 999_999, asOf: Self.today, createdBy: "tester")
            #expect(unknown.status == 2 && unknown.output.isEmpty && unknown.errors.contains("no herb round 999999"))
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs") == 3)
        }
    }

    // MARK: transfers

    @Test("transfers: balances per approval; every shipment outside its approval; all in line: 0; unknown consortium: 2")
    func transfers() async throws {
        try await TestApp.run { app in
            typealias T = TransferTests
            try await T.freshen(app)
            let today = Self.today
            let regulator = try await app.token(.regulator)
            let producer = try await app.token(.procurementOfficer, institution: "JL-TCMH")
            let receiver = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            // A: 20 袋 to YJ-TCMH and SL-TCMH, valid from 10 days ago for 45 days; B: 10 袋 to YJ-TCMH.
            let a = try #require(
                try await T.approve(app, regulator, quantity: "20", to: today.adding(days: 45)).json["id"] as? Int)
            let b = try #require(try await T.approve(app, regulator, quantity: "10", receivers: ["YJ-TCMH"]).json["id"] as? Int)
            let s1 = try #require(try await T.ship(app, producer, approval: a, quantity: "6").json["id"] as? Int)
            let s2 = try #require(try await T.ship(app, producer, approval: a, quantity: "3", lot: "20261102").json["id"] as? Int)
            let sb = try #require(try await T.ship(app, producer, approval: b, quantity: "2").json["id"] as? Int)
            #expect(
                try await app.call(
                    .post, "/v1/transfer-shipments/\(sb)/receipts", token: receiver,
                    json: #"{"quantityReceived": "2", "condition": "intact"}"#
                ).status == .created)

            let inLine = try await RecordReconciliations(database: app.database).transfers(
                consortiumCode: "JLTCM", asOf: today, format: .csv, createdBy: "tester")
            #expect(inLine.status == 0, "\(inLine.output)")
            #expect(inLine.output.hasPrefix("row,subject,classification,detail\n"))
            #expect(Self.classes(inLine.report, "approval \(a) ") == ["active"])
            #expect(Self.field(inLine.report, "approval \(a) ", "inTransit") == "9")
            #expect(Self.field(inLine.report, "approval \(a) ", "remaining") == "11")
            #expect(Self.field(inLine.report, "approval \(b) ", "received") == "2")
            #expect(inLine.report?.lines == 5 && inLine.report?.entries.count == 2)

            // A short and an excess receipt, through the API.
            #expect(
                try await app.call(
                    .post, "/v1/transfer-shipments/\(s1)/receipts", token: receiver,
                    json: #"{"quantityReceived": "5", "condition": "damaged"}"#
                ).status == .created)
            #expect(
                try await app.call(
                    .post, "/v1/transfer-shipments/\(s2)/receipts", token: receiver,
                    json: #"{"quantityReceived": "3.5", "condition": "intact"}"#
                ).status == .created)
            // What the API refuses, loaded around it: a shipment before A's validity (and before the licence), one
            // taking A over its quantity and recorded as received the day before it was shipped; A's running total
            // no longer matches. C (清肺止咳合剂, SQL only) expired three days ago and shipped after that, its
            // registration lapsed.
            let prep2 = "H-JLTCMH-002"
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO transfer_shipments (consortium_id, approval_id, receiver_institution_id, lot_number, production_date,
                                                    expiry_date, quantity, shipped_on)
                    SELECT a.consortium_id, a.id, i.id, 'EARLY-1', \(today.adding(days: -160).description)::date,
                           \(today.adding(days: 500).description)::date, 1, \(today.adding(days: -150).description)::date
                    FROM transfer_approvals a, institutions i WHERE a.id = \(a) AND i.code = 'SL-TCMH'
                    """)
                try await c.sql(
                    """
                    INSERT INTO transfer_shipments (consortium_id, approval_id, receiver_institution_id, lot_number, production_date,
                                                    expiry_date, quantity, shipped_on)
                    SELECT a.consortium_id, a.id, i.id, 'OVER-1', \(today.adding(days: -20).description)::date,
                           \(today.adding(days: 500).description)::date, 15, \(today.description)::date
                    FROM transfer_approvals a, institutions i WHERE a.id = \(a) AND i.code = 'YJ-TCMH'
                    """)
                try await c.sql(
                    """
                    INSERT INTO transfer_receipts (consortium_id, shipment_id, received_on, quantity_received, discrepancy, condition)
                    SELECT consortium_id, id, \(today.adding(days: -1).description)::date, 15, 0, 'intact'
                    FROM transfer_shipments WHERE lot_number = 'OVER-1'
                    """)
                try await c.sql(
                    "UPDATE hospital_preparations SET registration_valid_to = \(today.adding(days: -5).description)::date WHERE drug_code = \(prep2)"
                )
                try await c.sql(
                    """
                    INSERT INTO transfer_approvals (consortium_id, kind, authority, document_number, document_date, drug_code,
                                                    supplier_institution_id, approved_quantity, unit, shipped_quantity, valid_from, valid_to)
                    SELECT p.consortium_id, 'regulator_approval', '吉林省药品监督管理局', '吉药监制调C', \(today.adding(days: -30).description)::date,
                           p.drug_code, p.producer_institution_id, 50, '瓶', 4, \(today.adding(days: -30).description)::date,
                           \(today.adding(days: -3).description)::date
                    FROM hospital_preparations p WHERE p.drug_code = \(prep2)
                    """)
                try await c.sql(
                    """
                    INSERT INTO transfer_approval_receivers (consortium_id, approval_id, institution_id)
                    SELECT a.consortium_id, a.id, i.id FROM transfer_approvals a, institutions i
                    WHERE a.document_number = '吉药监制调C' AND i.code = 'SL-TCMH'
                    """)
                try await c.sql(
                    """
                    INSERT INTO transfer_shipments (consortium_id, approval_id, receiver_institution_id, lot_number, production_date,
                                                    expiry_date, quantity, shipped_on)
                    SELECT a.consortium_id, a.id, r.institution_id, 'LATE-1', \(today.adding(days: -20).description)::date,
                           \(today.adding(days: 300).description)::date, 4, \(today.adding(days: -2).description)::date
                    FROM transfer_approvals a JOIN transfer_approval_receivers r ON r.approval_id = a.id
                    WHERE a.document_number = '吉药监制调C'
                    """)
            }
            let c = try #require(
                try await app.database.rows(
                    "SELECT id FROM transfer_approvals WHERE document_number = '吉药监制调C'", as: Int64.self
                ).first)

            let out = try await RecordReconciliations(database: app.database).transfers(
                consortiumCode: "JLTCM", asOf: today, format: .json, createdBy: "tester")
            #expect(out.status == 1, "\(out.errors)")
            let r = out.report
            #expect(Self.classes(r, "approval \(a) ") == ["shipped_total_differs"])
            #expect(
                Self.field(r, "approval \(a) ", "runningShippedTotal") == "9"
                    && Self.field(r, "approval \(a) ", "shipmentsTotal") == "25")
            #expect(Self.classes(r, "approval \(b) ") == ["active"])
            #expect(Self.classes(r, "approval \(c) ") == ["expired"])
            #expect(Self.classes(r, "shipment \(s1) ") == ["receipt_short"])
            #expect(Self.classes(r, "shipment \(s2) ") == ["receipt_over"])
            let early = try #require(r?.entries.first { $0.fields.contains(ReportField("lotNumber", "EARLY-1")) })
            #expect(early.classifications == [.shippedBeforeValidity, .noValidLicence])
            let over = try #require(r?.entries.first { $0.fields.contains(ReportField("lotNumber", "OVER-1")) })
            #expect(over.classifications == [.overApprovedQuantity, .receivedBeforeShipped])
            #expect(over.fields.contains(ReportField("overBy", "5")))
            let late = try #require(r?.entries.first { $0.fields.contains(ReportField("lotNumber", "LATE-1")) })
            #expect(late.classifications == [.shippedAfterExpiry, .registrationLapsed])
            // 3 approvals and 6 shipments examined; A and five shipments out of line.
            #expect(r?.lines == 9 && r?.inLine == 3)
            #expect(r?.entries.map(\.row) == Array(1...(r?.entries.count ?? 0)))

            let json = try Self.json(out.output)
            #expect(json["kind"] as? String == "transfers" && json["moneyAtStake"] == nil)
            #expect((json["counts"] as? [String: Any])?["receipt_short"] as? Int == 1)
            let runID = try #require(r?.runID)
            // Discrepancy records: A 1, s1 1, s2 1, EARLY 2, OVER 2, LATE 2.
            try await Self.expectListed(
                app, runID: runID, kind: "transfers", count: ("over_approved_quantity", 1), discrepancies: 9)

            let table = try await RecordReconciliations(database: app.database).transfers(
                consortiumCode: "JLTCM", asOf: today, createdBy: "tester")
            #expect(table.output.contains("summary (transfers run") && !table.output.contains("money_at_stake"))

            let unknown = try await RecordReconciliations(database: app.database).transfers(
                consortiumCode: "NOPE", asOf: today, createdBy: "tester")
            #expect(unknown.status == 2 && unknown.errors.contains("no consortium NOPE"))
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE kind = 'transfers'") == 3)
        }
    }

    // MARK: catalogues

    @Test("catalogues: members' lists against the version in effect; not in it, restricted to other levels; 0 in line; 2 unknown")
    func catalogues() async throws {
        try await TestApp.run { app in
            // For the village clinic SL-PA-HQ-VC: one drug every level may use, one restricted to other levels, one
            // outside the catalogue; for YJ-TCMH one drug it may use.
            let open = try #require(
                try await app.database.rows(
                    """
                    SELECT drug_code FROM catalogue_items
                    WHERE version_number = 1 AND (cardinality(levels) = 0 OR levels @> ARRAY['village', 'secondary'])
                    ORDER BY drug_code LIMIT 1
                    """, as: String.self
                ).first)
            let restricted = try #require(
                try await app.database.rows(
                    """
                    SELECT drug_code FROM catalogue_items
                    WHERE version_number = 1 AND cardinality(levels) > 0 AND NOT ('village' = ANY (levels)) ORDER BY drug_code LIMIT 1
                    """, as: String.self
                ).first)
            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category, insurance_class)
                    VALUES ('X-OUTSIDE-1', '目录外药', '片剂', 10, '盒', '片', 'western', 'B')
                    """)
                try await c.sql(
                    """
                    INSERT INTO member_catalogues (consortium_id, institution_id)
                    SELECT consortium_id, id FROM institutions WHERE code IN ('SL-PA-HQ-VC', 'YJ-TCMH')
                    """)
                try await c.sql(
                    """
                    INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
                    SELECT consortium_id, id, \(open) FROM institutions WHERE code IN ('SL-PA-HQ-VC', 'YJ-TCMH')
                    """)
            }
            let today = Self.today
            let inLine = try await RecordReconciliations(database: app.database).catalogues(
                consortiumCode: "JLTCM", asOf: today, format: .json, createdBy: "tester")
            #expect(inLine.status == 0, "\(inLine.output)")
            #expect(inLine.report?.lines == 2 && inLine.report?.entries.isEmpty == true)
            #expect((try Self.json(inLine.output)["inLine"]) as? Int == 2)

            try await app.database.transaction { c in
                try await c.sql(
                    """
                    INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
                    SELECT consortium_id, id, x FROM institutions, unnest(\([restricted, "X-OUTSIDE-1"])::text[]) AS x
                    WHERE code = 'SL-PA-HQ-VC'
                    """)
            }
            let out = try await RecordReconciliations(database: app.database).catalogues(
                consortiumCode: "JLTCM", asOf: today, format: .json, createdBy: "tester")
            #expect(out.status == 1)
            let r = out.report
            #expect(Self.classes(r, "SL-PA-HQ-VC \(restricted)") == ["level_not_allowed"])
            #expect(Self.field(r, "SL-PA-HQ-VC \(restricted)", "institutionLevel") == "village")
            #expect(Self.classes(r, "SL-PA-HQ-VC X-OUTSIDE-1") == ["not_in_catalogue"])
            #expect(Self.field(r, "SL-PA-HQ-VC X-OUTSIDE-1", "catalogueVersion") == "1")
            #expect(r?.lines == 4 && r?.inLine == 2 && r?.entries.count == 2)
            let json = try Self.json(out.output)
            #expect(
                json["kind"] as? String == "catalogues" && (json["counts"] as? [String: Any])?["not_in_catalogue"] as? Int == 1)
            try await Self.expectListed(
                app, runID: try #require(r?.runID), kind: "catalogues", count: ("level_not_allowed", 1), discrepancies: 2)

            // Before version 1 took effect (2026-01-01) no catalogue is in effect: every listed drug is outside it.
            let before = try await RecordReconciliations(database: app.database).catalogues(
                consortiumCode: "JLTCM", asOf: BusinessDate("2025-12-31")!, createdBy: "tester")
            #expect(before.status == 1 && before.report?.count(.notInCatalogue) == 4)
            #expect(before.output.contains("catalogueVersion=none in effect"))

            let unknown = try await RecordReconciliations(database: app.database).catalogues(
                consortiumCode: "NOPE", asOf: today, createdBy: "tester")
            #expect(unknown.status == 2 && unknown.output.isEmpty)
            #expect(try await app.count("SELECT count(*)::int FROM reconciliation_runs WHERE kind = 'catalogues'") == 3)
        }
    }
}

import Foundation
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

#if canImport(CoreFoundation)
    import CoreFoundation
#endif

/// Issue 21: a member's opening balances from a file (UTF-8 or GBK; all or nothing; every bad line named), the NHSA
/// 进销存 export of a known day, and the demo consortium's opening stock.
@Suite("Stock: opening balances import, NHSA export, demo stock")
struct StockImportExportTests {
    static let header = "drug_code,lot_number,expiry_date,quantity,location,unit_cost"
    static let day = BusinessDate("2026-06-30")!

    /// Drug codes of a member's catalogue in effect on `day`.
    static func catalogue(_ app: TestApp, _ member: String) async throws -> [String] {
        let institution = try #require(
            try await InstitutionStore(database: app.database).find(code: member, consortiumID: try await app.demoConsortiumID))
        return try await MemberCatalogueUseCases(database: app.database).get(institution: institution, on: day).drugs.map(\.code)
            .sorted()
    }

    static func onHand(_ app: TestApp, _ member: String, _ lot: String) async throws -> [Decimal] {
        try await app.database.rows(
            """
            SELECT h.quantity FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
            WHERE i.code = \(member) AND h.lot_key = lot_key(\(lot)) ORDER BY h.id
            """, as: Decimal.self)
    }

    static func importer(_ app: TestApp) -> StockImportUseCases { StockImportUseCases(database: app.database) }

    @Test("a UTF-8 file posts one opening movement per line on today's date, keeps stock on hand, and writes one audit row")
    func utf8() async throws {
        try await TestApp.run { app in
            let member = "SL-PA-HQ-VC"
            let drugs = try await Self.catalogue(app, member)
            let audits = try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'stock_opening'")
            let text = "\(Self.header)\n\(drugs[0]),T21A01,2027-08-31,120,,0.35\n\(drugs[1]), t21a02 ,2026-12-15,24.5,,\n"
            let summary = try await Self.importer(app).run(
                input: .data(Data(text.utf8)), institutionCode: member, consortiumCode: "JLTCM", today: Self.day,
                actor: .console("test"))
            #expect(summary.lines == 2 && summary.movements == 2 && summary.lots == 2)
            #expect(summary.quantity == Decimal(string: "144.5"))
            #expect(try await Self.onHand(app, member, "T21A01") == [120])
            #expect(try await Self.onHand(app, member, "T21A02") == [Decimal(string: "24.5")!])
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM stock_movements m JOIN institutions i ON i.id = m.institution_id
                    WHERE i.code = \(member) AND m.lot_key IN ('T21A01', 'T21A02') AND m.reason_code = 'opening'
                      AND m.direction = 'in' AND m.document_type = 'opening' AND m.business_date = '2026-06-30'
                      AND (m.unit_cost = 0.35 OR (m.lot_key = 'T21A02' AND m.unit_cost IS NULL))
                    """) == 2)
            #expect(
                try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'stock_opening'") == audits + 1)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM audit_log WHERE entity_type = 'stock_opening' AND entity_key = \(member)
                      AND after -> 'summary' ->> 'movements' = '2' AND after ->> 'businessDate' = '2026-06-30'
                    """) == 1)
        }
    }

    @Test("a GBK file imports with the encoding; read as UTF-8 its line is refused naming --encoding gbk")
    func gbk() async throws {
        try await TestApp.run { app in
            let member = "YJ-CLH-THC"
            let drugs = try await Self.catalogue(app, member)
            let text = "drug_code,drug_name,lot_number,expiry_date,quantity\n\(drugs[0]),青霉素钠,T21G01,2027-03-31,50\n"
            let gbk = String.Encoding(
                rawValue: CFStringConvertEncodingToNSStringEncoding(CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))
            let data = try #require(text.data(using: gbk))
            do {
                _ = try await Self.importer(app).run(
                    input: .data(data), institutionCode: member, consortiumCode: "JLTCM", today: Self.day, actor: .console("test")
                )
                Issue.record("a GBK file was read as UTF-8")
            } catch let rejected as StockImportUseCases.Rejected {
                #expect(rejected.description.contains("--encoding gbk"), "\(rejected)")
            }
            #expect(try await Self.onHand(app, member, "T21G01").isEmpty)
            let summary = try await Self.importer(app).run(
                input: .data(data), encoding: .gbk, institutionCode: member, consortiumCode: "JLTCM", today: Self.day,
                actor: .console("test"))
            #expect(summary.movements == 1)
            #expect(try await Self.onHand(app, member, "T21G01") == [50])
        }
    }

    @Test("a file with bad lines writes nothing and names every bad line: its number, the field and the Chinese reason")
    func badFile() async throws {
        try await TestApp.run { app in
            let member = "JL-TCMH"
            let drugs = try await Self.catalogue(app, member)
            try await app.database.transaction { connection in
                try await connection.sql(
                    """
                    INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category)
                    VALUES ('XT21NOTCAT', '不在目录药', '片剂', 10, '盒', '片', 'western')
                    """)
            }
            let lines = [
                Self.header,
                "\(drugs[0]),T21B01,2027-08-31,10,,",  // 2: good
                "\(drugs[1]),T21B02,2027-08-31,0,,",  // 3: quantity 0
                "XNOPE999,T21B03,2027-08-31,5,,",  // 4: no such drug
                "XT21NOTCAT,T21B04,2027-08-31,5,,",  // 5: not in the member's catalogue
                "\(drugs[2]), ,2027-08-31,5,,",  // 6: blank lot
                "\(drugs[3]),T21B06,2027-02-30,5,,",  // 7: no such date
                "\(drugs[4]),T21B07,2027-08-31,5,WARD9,",  // 8: no such location
                "\(drugs[0]),t21b01,2027-08-31,3,,",  // 9: the lot of line 2 again
                "\(drugs[5]),T21B09,2027-08-31",  // 10: too few fields
                "\(drugs[6]),T21B10,2027-08-31,5,PHARMACY,1.5",  // 11: good, at a location
            ]
            do {
                _ = try await Self.importer(app).run(
                    input: .data(Data(lines.joined(separator: "\n").utf8)), institutionCode: member, consortiumCode: "JLTCM",
                    today: Self.day,
                    actor: .console("test"))
                Issue.record("a bad file was imported")
            } catch let rejected as StockImportUseCases.Rejected {
                #expect(rejected.errors.map(\.line) == [3, 4, 5, 6, 7, 8, 9, 10], "\(rejected)")
                let reason = Dictionary(uniqueKeysWithValues: rejected.errors.map { ($0.line, $0.reason) })
                #expect(reason[3]?.contains("quantity：必须是大于 0") == true, "\(reason[3] ?? "")")
                #expect(reason[4] == "drug_code：没有药品 XNOPE999", "\(reason[4] ?? "")")
                #expect(reason[5] == "drug_code：XT21NOTCAT 不在本成员单位的目录中", "\(reason[5] ?? "")")
                #expect(reason[6] == "lot_number：不能为空白", "\(reason[6] ?? "")")
                #expect(reason[7]?.hasPrefix("expiry_date：必须是日期") == true, "\(reason[7] ?? "")")
                #expect(reason[8] == "location：本成员单位没有库位 WARD9", "\(reason[8] ?? "")")
                #expect(reason[9] == "lot_number：批号 t21b01 已在第 2 行", "\(reason[9] ?? "")")
                #expect(reason[10]?.contains("fields") == true, "\(reason[10] ?? "")")
            }
            #expect(
                try await app.count("SELECT count(*)::int FROM stock_movements WHERE lot_key IN ('T21B01', 'T21B10')") == 0)
            // The good lines alone import; the same lots again are refused, and a lot held with another expiry too.
            let good = [Self.header, lines[1], lines[10]].joined(separator: "\n")
            let summary = try await Self.importer(app).run(
                input: .data(Data(good.utf8)), institutionCode: member, consortiumCode: "JLTCM", today: Self.day,
                actor: .console("test"))
            #expect(summary.movements == 2)
            do {
                _ = try await Self.importer(app).run(
                    input: .data(Data("\(Self.header)\n\(drugs[0]),T21B01,2027-09-30,10,,\n".utf8)), institutionCode: member,
                    consortiumCode: "JLTCM", today: Self.day, actor: .console("test"))
                Issue.record("a lot was opened twice")
            } catch let rejected as StockImportUseCases.Rejected {
                #expect(
                    rejected.errors.map(\.reason)
                        == ["lot_number：批号 T21B01 在此处已有期初库存；expiry_date：批号 T21B01 在库的有效期至为 2027-08-31"])
            }
            await #expect(throws: DomainError.notFound("no institution NOPE in JLTCM")) {
                _ = try await Self.importer(app).run(
                    input: .data(Data(good.utf8)), institutionCode: "NOPE", consortiumCode: "JLTCM", today: Self.day,
                    actor: .console("test"))
            }
            await #expect(throws: DomainError.notFound("no institution JL-TCMH in OTHER")) {
                _ = try await Self.importer(app).run(
                    input: .data(Data(good.utf8)), institutionCode: member, consortiumCode: "OTHER", today: Self.day,
                    actor: .console("test"))
            }
        }
    }

    @Test("the NHSA export of a known day: 3501 the stock at its end, 3502 the national changes, 3503 purchases, 3505 sales")
    func exportKnownDay() async throws {
        try await TestApp.run { app in
            let member = "YJ-TCMH"
            let drugs = try await Self.catalogue(app, member)
            let drug = drugs[0]
            _ = try await Self.importer(app).run(
                input: .data(Data("\(Self.header)\n\(drug),T21E01,2027-12-31,100,,0.5\n\(drug),T21E02,2027-10-31,10,,\n".utf8)),
                institutionCode: member, consortiumCode: "JLTCM", today: Self.day, actor: .console("test"))
            func move(
                _ lot: String, _ expiry: String, _ reason: String, _ direction: String, _ quantity: Int, _ day: String,
                _ document: String
            ) async throws {
                try await app.database.transaction { connection in
                    try await connection.sql(
                        """
                        INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date,
                                                     reason_code, direction, quantity, unit_cost, document_type, document_id,
                                                     business_date, occurred_at)
                        SELECT consortium_id, id, \(drug), \(lot), \(expiry)::date, \(reason), \(direction), \(quantity), 0.5,
                               \(document), 900001, \(day)::date, (\(day) || ' 10:30:00+08')::timestamptz
                        FROM institutions WHERE code = \(member)
                        """)
                }
            }
            try await move("T21E01", "2027-12-31", "108", "in", 40, "2026-06-30", "delivery")
            try await move("T21E01", "2027-12-31", "dispensing", "out", 25, "2026-06-30", "dispensing")
            try await move("T21E02", "2027-10-31", "104", "out", 10, "2026-06-30", "count")
            try await move("T21E01", "2027-12-31", "108", "in", 7, "2026-07-01", "delivery")
            let export = try await StockExportUseCases(database: app.database).export(
                institutionCode: member, consortiumCode: "JLTCM", from: Self.day, to: Self.day, interfaces: NHSAInterface.allCases
            )
            #expect(export.records.map(\.interface) == [.counts, .changes, .purchases, .sales])
            func rows(_ interface: NHSAInterface) -> [[String: String]] {
                export.records.first { $0.interface == interface }!.rows.map {
                    Dictionary(uniqueKeysWithValues: zip(interface.fields, $0))
                }
            }
            let counts = rows(.counts).filter { $0["manu_lotnum"]!.hasPrefix("T21E") }
            #expect(counts.count == 1, "T21E02 has nothing left at the end of the day: \(counts)")
            #expect(counts.first?["inv_cnt"] == "115.00" && counts.first?["invdate"] == "2026-06-30")
            #expect(counts.first?["med_list_codg"] == drug && counts.first?["expy_end"] == "2027-12-31")
            #expect(counts.first?["fixmedins_bchno"] == "T21E01")
            let changes = rows(.changes)
            #expect(changes.map { $0["inv_chg_type"]! } == ["108", "104"], "no opening, no dispensing, not the next day")
            #expect(changes.first?["cnt"] == "40.0000" && changes.first?["pric"] == "0.5000")
            #expect(changes.first?["inv_chg_time"] == "2026-06-30 10:30:00" && changes.first?["memo"] == "delivery 900001")
            let purchases = rows(.purchases)
            #expect(purchases.count == 1 && purchases.first?["purc_retn_cnt"] == "40.0000")
            #expect(purchases.first?["manu_lotnum"] == "T21E01" && purchases.first?["prod_geay_flag"] == "0")
            #expect(purchases.first?["purc_retn_stoin_time"] == "2026-06-30 10:30:00")
            let sales = rows(.sales)
            #expect(sales.count == 1 && sales.first?["sel_retn_cnt"] == "25.0000" && sales.first?["rtal_docno"] == "900001")
            #expect(sales.first?["sel_retn_time"] == "2026-06-30 10:30:00" && sales.first?["expy_end"] == "2027-12-31")
            await #expect(throws: DomainError.self) {
                _ = try await StockExportUseCases(database: app.database).export(
                    institutionCode: member, consortiumCode: "JLTCM", from: Self.day.adding(days: 1), to: Self.day,
                    interfaces: [.counts])
            }
        }
    }

    /// Lots with stock whose days to expiry from `today` are in `days`.
    static func lots(_ app: TestApp, expiringIn days: ClosedRange<Int>, from today: String) async throws -> Int {
        try await app.count(
            """
            SELECT count(*)::int FROM stock_on_hand
            WHERE quantity > 0 AND expiry_date - \(today)::date BETWEEN \(days.lowerBound) AND \(days.upperBound)
            """)
    }

    @Test(
        "the demo stock: every member holds stock; near-expiry lots at both thresholds, one expired, one recalled at two members")
    func demoStock() async throws {
        try await TestApp.run { app in
            let today = BusinessClock.system.today().description
            let withoutStock = try await app.count(
                """
                SELECT count(*)::int FROM institutions i JOIN consortia c ON c.id = i.consortium_id
                WHERE c.code = 'JLTCM' AND NOT EXISTS (SELECT 1 FROM stock_on_hand h
                                                      WHERE h.institution_id = i.id AND h.quantity > 0)
                """)
            #expect(withoutStock == 0)
            #expect(
                try await Self.lots(app, expiringIn: 91...180, from: today) >= 9,
                "a lot inside the first threshold at every member")
            #expect(
                try await Self.lots(app, expiringIn: 31...90, from: today) >= 9,
                "a lot inside the second threshold at every member")
            #expect(
                try await Self.lots(app, expiringIn: 1...30, from: today) >= 1, "a lot below the minimum shelf life for issue")
            #expect(try await Self.lots(app, expiringIn: -100_000...0, from: today) == 1, "one expired lot")
            #expect(
                try await app.count(
                    """
                    SELECT count(DISTINCT h.institution_id)::int FROM lot_blocks b
                    JOIN stock_on_hand h ON h.consortium_id = b.consortium_id AND h.drug_code = b.drug_code AND h.lot_key = b.lot_key
                    WHERE b.kind = 'recall' AND b.released_at IS NULL AND b.notice_number IS NOT NULL
                    """) == 2)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM stock_locations l JOIN institutions i ON i.id = l.institution_id WHERE i.code = 'JL-TCMH'"
                )
                    == 3)
            // The demo's movements are opening balances, (issue 22's shortage history) ward dispensings and (issue 23)
            // its extended prescriptions' moves, and the ledger agrees with stock on hand.
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM stock_movements
                    WHERE document_type NOT IN ('opening', 'dispensing', 'extended_prescription')
                    """) == 0)
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM (
                        SELECT institution_id, location_id, drug_code, lot_key,
                               sum(CASE direction WHEN 'out' THEN -quantity ELSE quantity END)
                        FROM stock_movements GROUP BY 1, 2, 3, 4
                        EXCEPT SELECT institution_id, location_id, drug_code, lot_key, quantity FROM stock_on_hand) d
                    """) == 0)
        }
    }

    @Test("CLI: import stock is 2 naming bad lines, 1 for an unknown member, 0 with its summary; export stock writes the shapes")
    func commands() async throws {
        try await CLITests.withCommand { cli in
            let bad = try CLITests.file("\(Self.header)\nXNOPE999,T21C01,2027-08-31,0,,\n")
            defer { try? FileManager.default.removeItem(at: bad) }
            let refused = try cli.run(["import", "stock", bad.path, "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM"])
            #expect(
                refused.status == 2 && refused.err.contains("line 2") && refused.err.contains("quantity：必须是大于 0"),
                "\(refused.err)")
            let unknown = try cli.run(["import", "stock", bad.path, "--institution", "NOPE", "--consortium", "JLTCM"])
            #expect(unknown.status == 1, "\(unknown.status) \(unknown.err)")
            // A member's code is unique within its consortium only: the command names both.
            let unscoped = try cli.run(["import", "stock", bad.path, "--institution", "SL-PA-HQ-VC"])
            #expect(unscoped.status == 64 && unscoped.err.contains("--consortium"), "\(unscoped.status) \(unscoped.err)")
            let drug = try #require(
                try cli.run([
                    "export", "stock", "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM", "--from", "2026-01-01", "--to",
                    "2099-12-31",
                    "--shape", "counts",
                ]).out.split(separator: "\r\n").dropFirst().first?.split(separator: ",").first)
            let good = try CLITests.file("\(Self.header)\n\(drug),T21C02,2099-08-31,12,,\n")
            defer { try? FileManager.default.removeItem(at: good) }
            let done = try cli.run(["import", "stock", good.path, "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM"])
            #expect(done.status == 0 && done.out.contains("1 opening movements"), "\(done.status) \(done.out) \(done.err)")
            let counts = try cli.run(
                [
                    "export", "stock", "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM", "--format", "nhsa", "--from",
                    "2026-01-01", "--to",
                    "2099-12-31",
                    "--shape", "counts",
                ])
            #expect(counts.status == 0 && counts.out.hasPrefix("med_list_codg,fixmedins_hilist_id,"), "\(counts.err)")
            #expect(counts.out.contains(",T21C02,T21C02,,2099-08-31,"), "\(counts.out)")
            let json = try cli.run(
                [
                    "export", "stock", "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM", "--from", "2026-01-01", "--to",
                    "2099-12-31", "--output",
                    "json",
                ])
            let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
            #expect(
                json.status == 0 && (object?["interfaces"] as? [String: Any])?.keys.sorted() == ["3501", "3502", "3503", "3505"])
            for arguments in [
                [
                    "export", "stock", "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM", "--from", "2026-12-02", "--to",
                    "2026-12-01",
                ],
                [
                    "export", "stock", "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM", "--from", "2026-12-01", "--to",
                    "2026-12-01",
                ],
                [
                    "export", "stock", "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM", "--from", "2026-12-01", "--to",
                    "2026-12-01", "--shape",
                    "returns",
                ],
                [
                    "export", "stock", "--institution", "SL-PA-HQ-VC", "--consortium", "JLTCM", "--from", "2026-12-01", "--to",
                    "2026-12-01", "--format",
                    "xml",
                ],
            ] {
                let run = try cli.run(arguments)
                #expect(run.status == 2, "\(arguments): \(run.status) \(run.err)")
            }
        }
    }
}

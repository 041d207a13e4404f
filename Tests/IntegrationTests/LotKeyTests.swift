import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RxCLI
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Issue 18.5: a lot number is one lot whatever its case, surrounding spaces or full-width characters. The lot is
/// kept as typed; every comparison goes through `lot_key` (NFKC, trimmed, upper case).
@Suite("Lot keys")
struct LotKeyTests {
    typealias H = HerbProcurementTests
    static let base = "/v1/consortia/JLTCM"
    /// The four spellings of the issue, and the ideographic space (U+3000) a Chinese keyboard types.
    static let spellings = ["BS261115", "bs261115", " BS261115 ", "ＢＳ２６１１１５", "\u{3000}bs261115\u{3000}"]
    /// 陈皮's measures, one over its lead limit (5 mg/kg): a rejected lot.
    static let rejectedTangerine =
        #""moisturePct": "10.5", "sulfurDioxideMgPerKg": "20", "leadMgPerKg": "5.1", "cadmiumMgPerKg": "0.1", "arsenicMgPerKg": "0.5", "mercuryMgPerKg": "0.05", "copperMgPerKg": "6", "aflatoxinB1UgPerKg": "1.0", "aflatoxinsTotalUgPerKg": "2.0""#
    static let rejectedAstragalus =
        #""moisturePct": "9.0", "totalAshPct": "5.2", "sulfurDioxideMgPerKg": "20", "leadMgPerKg": "1.2", "cadmiumMgPerKg": "0.1", "arsenicMgPerKg": "0.5", "mercuryMgPerKg": "0.05", "copperMgPerKg": "6""#

    static func path(_ lot: String) -> String { lot.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    @Test("18.5: lot_key maps every spelling of a lot to one key; the generated columns hold it for every stored lot")
    func lotKeyFunction() async throws {
        try await TestApp.run { app in
            for lot in Self.spellings {
                let key = try await app.database.rows("SELECT lot_key(\(lot))", as: String.self)
                #expect(key == ["BS261115"], "\(lot)")
            }
            // Other lots stay apart.
            let other = try await app.database.rows("SELECT lot_key('BS261116')", as: String.self)
            #expect(other == ["BS261116"])
            let generated = try await app.count(
                """
                SELECT count(*)::int FROM information_schema.columns
                WHERE column_name = 'lot_key' AND is_generated = 'ALWAYS'
                  AND table_name IN ('deliveries', 'herb_inspections', 'transfer_shipments')
                """)
            #expect(generated == 3)
        }
    }

    @Test(
        "18.5: a herb lot rejected as BS261115 is the same lot as bs261115, ' BS261115 ' and ＢＳ２６１１１５: lookup, delivery, second verdict"
    )
    func rejectedLotAnySpelling() async throws {
        try await TestApp.run { app in
            let t = try await H.tokens(app)
            let round = try await H.awardedRound(app, t)
            let inspected = try await app.call(
                .post, "/v1/herb-rounds/\(round)/inspections", token: t.leadPharmacist,
                json:
                    #"{"drugCode": "\#(H.tangerine)", "lotNumber": "BS261115", "supplierCode": "MFR-029", "identificationPassed": true, "measurements": {\#(Self.rejectedTangerine)}}"#
            )
            #expect(inspected.json["result"] as? String == "rejected", "\(inspected.text)")

            // The batch lookup: rejected, whatever the spelling (it said "uninspected" for bs261115).
            for lot in Self.spellings {
                let batch = try await app.call(.get, "\(Self.base)/herb-batches/\(H.tangerine)/\(Self.path(lot))", token: t.chc)
                #expect(
                    batch.json["status"] as? String == "rejected" && batch.json["mayUse"] as? Bool == false,
                    "\(lot): \(batch.text)")
            }
            // A second verdict on the same lot typed another way is a conflict, not a second lot.
            try await app.call(
                .post, "/v1/herb-rounds/\(round)/inspections", token: t.leadPharmacist,
                json:
                    #"{"drugCode": "\#(H.tangerine)", "lotNumber": "bs261115", "supplierCode": "MFR-029", "identificationPassed": true, "measurements": {\#(Self.rejectedTangerine)}}"#
            ).expectProblem(.conflict)

            // The rejected lot cannot come in at any member by changing its case, spaces or width.
            let orderID = try await ProcurementTests.consolidatedOrder(
                app, member: t.yj, admin: t.admin, drug: H.tangerine, quantity: "20")
            let expiry = BusinessDate.today().adding(months: 24)
            for lot in Self.spellings {
                try await app.call(
                    .post, "\(Self.base)/orders/\(orderID)/deliveries", token: t.yj,
                    json: #"{"lineNo": 1, "lotNumber": "\#(lot)", "expiryDate": "\#(expiry)", "quantity": "2"}"#
                ).expectProblem(.unprocessableContent, naming: "lotNumber")
            }
            #expect(try await app.count("SELECT count(*)::int FROM deliveries WHERE order_id = \(orderID)") == 0)
            // Another lot still comes in, and is kept as typed.
            let other = try await app.call(
                .post, "\(Self.base)/orders/\(orderID)/deliveries", token: t.yj,
                json: #"{"lineNo": 1, "lotNumber": " bs261116 ", "expiryDate": "\#(expiry)", "quantity": "2"}"#)
            #expect(other.status == .created, "\(other.text)")
            #expect(
                try await app.database.rows(
                    "SELECT lot_number || '|' || lot_key FROM deliveries WHERE order_id = \(orderID)", as: String.self) == [
                        " bs261116 |BS261116"
                    ])
        }
    }

    @Test("18.5: reconcile herbs flags a rejected lot received under any spelling of it")
    func reconcileAnySpelling() async throws {
        try await TestApp.run { app in
            let t = try await H.tokens(app)
            let round = try await H.awardedRound(app, t)
            #expect(try await H.move(app, t.leadOfficer, round: round, "execute").status == .ok)
            // YJ-TCMH receives 10 kg of 黄芪 under each spelling before the lab has seen the lot.
            let order = try await ProcurementTests.consolidatedOrder(
                app, member: t.yj, admin: t.admin, drug: H.astragalus, quantity: "100")
            for lot in Self.spellings {
                let delivered = try await app.call(
                    .post, "\(Self.base)/orders/\(order)/deliveries", token: t.yj,
                    json:
                        #"{"lineNo": 1, "lotNumber": "\#(lot)", "expiryDate": "\#(BusinessDate.today().adding(months: 24))", "quantity": "10"}"#
                )
                #expect(delivered.status == .created, "\(lot): \(delivered.text)")
            }
            let inspected = try await app.call(
                .post, "/v1/herb-rounds/\(round)/inspections", token: t.leadPharmacist,
                json:
                    #"{"drugCode": "\#(H.astragalus)", "lotNumber": "BS261115", "supplierCode": "MFR-029", "identificationPassed": true, "measurements": {\#(Self.rejectedAstragalus)}}"#
            )
            #expect(inspected.json["result"] as? String == "rejected", "\(inspected.text)")

            let out = try await RecordReconciliations(database: app.database).herbs(
                roundID: Int64(round), asOf: BusinessDate.today(), format: .json, createdBy: "tester")
            let lots = out.report?.entries.filter { $0.classifications == [.rejectedBatchReceived] } ?? []
            #expect(lots.count == 1, "\(out.output)")
            #expect(lots.first?.subject.hasPrefix("YJ-TCMH \(H.astragalus)") == true, "\(out.output)")
            #expect(lots.first?.fields.first { $0.name == "lotNumber" }?.value == "BS261115", "\(out.output)")
            #expect(lots.first?.fields.first { $0.name == "receivedKg" }?.value == "50.000", "\(out.output)")
            #expect(lots.first?.moneyAtStake == Money("3750.00")!)  // 50 kg × 75
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Testing

/// Joint volume-based procurement of decoction pieces, against the demo consortium: JL-TCMH leads with a lab,
/// 2025 usage from seeds/demo/herb_usage_2025.csv (YJ-TCMH used 420 kg of 黄芪 T001700001, SL-TCMH 380 kg).
@Suite("Herb procurement")
struct HerbProcurementTests {
    static let astragalus = "T001700001"  // 黄芪, 统货; limits: moisture 10, ash 5, SO2 150, heavy metals
    static let licorice = "T001700023"  // 甘草
    static let tangerine = "T001700009"  // 陈皮: aflatoxin limits, no total-ash limit
    /// A period of 100 days with today its 50th.
    static let start = BusinessDate.today().adding(days: -49)
    static let end = start.adding(days: 99)

    struct Tokens {
        var admin: String
        var leadOfficer: String
        var leadPharmacist: String
        var yj: String
        var sl: String
        var chc: String
    }

    static func tokens(_ app: TestApp) async throws -> Tokens {
        Tokens(
            admin: try await app.token(.consortiumAdmin),
            leadOfficer: try await app.token(.procurementOfficer, institution: "JL-TCMH"),
            leadPharmacist: try await app.token(.institutionPharmacist, institution: "JL-TCMH"),
            yj: try await app.token(.procurementOfficer, institution: "YJ-TCMH"),
            sl: try await app.token(.institutionPharmacist, institution: "SL-TCMH"),
            chc: try await app.token(.procurementOfficer, institution: "CY-BJL-CHC"))
    }

    static func createRound(
        _ app: TestApp, _ token: String, rule: String = "lowest_price", margin: String? = nil, lead: String = "JL-TCMH"
    ) async throws -> TestResponse {
        let marginField = margin.map { #", "marginPercent": "\#($0)""# } ?? ""
        return try await app.call(
            .post, "/v1/consortia/JLTCM/herb-rounds", token: token,
            json:
                #"{"name": "2026 黄芪甘草陈皮带量采购", "leadInstitutionCode": "\#(lead)", "periodStart": "\#(start)", "periodEnd": "\#(end)", "awardRule": "\#(rule)"\#(marginField)}"#
        )
    }

    static func addItem(_ app: TestApp, _ token: String, round: Int, drug: String, ceiling: String, grade: String? = nil)
        async throws -> TestResponse
    {
        let gradeField = grade.map { #", "grade": "\#($0)""# } ?? ""
        return try await app.call(
            .post, "/v1/herb-rounds/\(round)/items", token: token,
            json: #"{"drugCode": "\#(drug)", "ceilingPrice": "\#(ceiling)"\#(gradeField)}"#)
    }

    static func commit(
        _ app: TestApp, _ token: String, round: Int, drug: String, institution: String? = nil,
        kg: String? = nil, reason: String? = nil
    ) async throws -> TestResponse {
        var fields = [#""drugCode": "\#(drug)""#]
        if let institution { fields.append(#""institutionCode": "\#(institution)""#) }
        if let kg { fields.append(#""quantityKg": "\#(kg)""#) }
        if let reason { fields.append(#""reason": "\#(reason)""#) }
        return try await app.call(
            .post, "/v1/herb-rounds/\(round)/commitments", token: token, json: "{\(fields.joined(separator: ", "))}")
    }

    static func bid(
        _ app: TestApp, _ token: String, round: Int, drug: String, supplier: String, price: String,
        grade: String = "统货", score: String = "90"
    ) async throws -> TestResponse {
        try await app.call(
            .post, "/v1/herb-rounds/\(round)/bids", token: token,
            json:
                #"{"drugCode": "\#(drug)", "supplierCode": "\#(supplier)", "unitPrice": "\#(price)", "grade": "\#(grade)", "origin": "甘肃陇西", "qualityScore": "\#(score)", "qualityReference": "检验报告 QR-\#(supplier)"}"#
        )
    }

    static func move(_ app: TestApp, _ token: String, round: Int, _ action: String) async throws -> TestResponse {
        try await app.call(.post, "/v1/herb-rounds/\(round)/\(action)", token: token)
    }

    /// A round of 黄芪 (ceiling 80, the provincial price) and 陈皮 (ceiling 45, the provincial price) with YJ-TCMH
    /// committing its proposal (336 kg of 黄芪) and SL-TCMH 300 kg; MFR-029 wins both at 75 and 40, MFR-010 loses 黄芪 at 78.
    static func awardedRound(_ app: TestApp, _ t: Tokens) async throws -> Int {
        let round = try #require(try await createRound(app, t.leadOfficer).json["id"] as? Int)
        #expect(try await addItem(app, t.leadOfficer, round: round, drug: astragalus, ceiling: "80.00").status == .created)
        #expect(try await addItem(app, t.leadOfficer, round: round, drug: tangerine, ceiling: "45.00").status == .created)
        #expect(try await move(app, t.leadOfficer, round: round, "open_commitments").status == .ok)
        #expect(try await commit(app, t.yj, round: round, drug: astragalus).status == .created)
        #expect(try await commit(app, t.sl, round: round, drug: astragalus, kg: "300").status == .created)
        #expect(try await commit(app, t.sl, round: round, drug: tangerine, kg: "100").status == .created)
        #expect(try await move(app, t.leadOfficer, round: round, "open_bidding").status == .ok)
        #expect(
            try await bid(app, t.leadOfficer, round: round, drug: astragalus, supplier: "MFR-029", price: "75.00").status
                == .created)
        #expect(
            try await bid(app, t.leadOfficer, round: round, drug: astragalus, supplier: "MFR-010", price: "78.00").status
                == .created)
        #expect(
            try await bid(app, t.leadOfficer, round: round, drug: tangerine, supplier: "MFR-029", price: "40.00").status
                == .created)
        let awarded = try await move(app, t.leadOfficer, round: round, "award")
        #expect(awarded.json["status"] as? String == "awarded", "\(awarded.text)")
        return round
    }

    @Test("rounds move planning → commitments_open → bidding → awarded → executing → closed; other moves are 409")
    func stateMoves() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let created = try await Self.createRound(app, t.admin)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["status"] as? String == "planning")
            #expect(created.json["proposalPercent"] as? String == "80.00")
            #expect(created.json["minimumPercent"] as? String == "60.00")
            #expect(created.json["priorYear"] as? Int == Self.start.year - 1)
            let round = try #require(created.json["id"] as? Int)
            try await Self.move(app, t.admin, round: round, "award").expectProblem(.conflict)
            try await Self.move(app, t.admin, round: round, "open_commitments").expectProblem(.conflict)  // no items
            try await Self.addItem(app, t.admin, round: round, drug: "XJ01CEA010A001010100001", ceiling: "10").expectProblem(
                .unprocessableContent, naming: "drugCode")
            #expect(try await Self.addItem(app, t.admin, round: round, drug: Self.astragalus, ceiling: "80").status == .created)
            try await Self.addItem(app, t.admin, round: round, drug: Self.astragalus, ceiling: "70").expectProblem(.conflict)
            #expect(
                try await Self.move(app, t.admin, round: round, "open_commitments").json["status"] as? String
                    == "commitments_open")
            try await Self.addItem(app, t.admin, round: round, drug: Self.licorice, ceiling: "40").expectProblem(.conflict)
            try await Self.move(app, t.admin, round: round, "open_commitments").expectProblem(.conflict)
            try await Self.move(app, t.admin, round: round, "execute").expectProblem(.conflict)
            #expect(try await Self.commit(app, t.yj, round: round, drug: Self.astragalus).status == .created)
            #expect(try await Self.move(app, t.admin, round: round, "open_bidding").json["status"] as? String == "bidding")
            // Commitments lock when bidding opens.
            try await Self.commit(app, t.sl, round: round, drug: Self.astragalus, kg: "300").expectProblem(.conflict)
            try await Self.move(app, t.admin, round: round, "close").expectProblem(.conflict)
            #expect(try await Self.move(app, t.admin, round: round, "award").json["status"] as? String == "awarded")
            try await Self.bid(app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "70").expectProblem(
                .conflict)
            #expect(try await Self.move(app, t.admin, round: round, "execute").json["status"] as? String == "executing")
            #expect(try await Self.move(app, t.admin, round: round, "close").json["status"] as? String == "closed")
            try await Self.move(app, t.admin, round: round, "close").expectProblem(.conflict)
            #expect(try await app.call(.get, "/v1/herb-rounds/\(round)", token: t.yj).json["status"] as? String == "closed")
            let listed = try await app.call(.get, "/v1/consortia/JLTCM/herb-rounds", token: t.yj)
            #expect((listed.json["items"] as? [[String: Any]])?.count == 1)
            // create, add_item, five moves
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'herb_round' AND entity_key = \(String(round))") == 7
            )
            try await app.call(.get, "/v1/herb-rounds/999999", token: t.admin).expectProblem(.notFound)
        }
    }

    @Test("a round is led by a TCM institution with a testing lab; other leads are 422; only the lead or the admin sets it up")
    func leadNeedsLab() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            try await Self.createRound(app, t.admin, lead: "SL-TCMH").expectProblem(
                .unprocessableContent, naming: "leadInstitutionCode")
            try await Self.createRound(app, t.admin, lead: "CY-BJL-CHC").expectProblem(
                .unprocessableContent, naming: "leadInstitutionCode")
            try await Self.createRound(app, t.admin, lead: "NO-SUCH").expectProblem(
                .unprocessableContent, naming: "leadInstitutionCode")
            // A member's officer cannot set up a round led by the lead.
            try await Self.createRound(app, t.yj).expectProblem(.forbidden)
            try await Self.createRound(app, t.leadPharmacist).expectProblem(.forbidden)
            try await Self.createRound(app, t.admin, rule: "multiple_within_margin").expectProblem(
                .unprocessableContent, naming: "marginPercent")
            #expect(try await app.count("SELECT count(*)::int FROM herb_rounds") == 0)
            let created = try await Self.createRound(app, t.leadOfficer)
            #expect(created.status == .created)
            let round = try #require(created.json["id"] as? Int)
            try await Self.addItem(app, t.yj, round: round, drug: Self.astragalus, ceiling: "80").expectProblem(.forbidden)
        }
    }

    @Test(
        "commitments: the proposal is 80% of 2025 usage; below 60% needs a reason and the lead's acceptance; members see their own"
    )
    func commitments() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(try await Self.createRound(app, t.leadOfficer).json["id"] as? Int)
            #expect(
                try await Self.addItem(app, t.leadOfficer, round: round, drug: Self.astragalus, ceiling: "80").status == .created)
            try await Self.commit(app, t.yj, round: round, drug: Self.astragalus).expectProblem(.conflict)  // still planning
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_commitments")

            let proposed = try await Self.commit(app, t.yj, round: round, drug: Self.astragalus)
            #expect(proposed.status == .created, "\(proposed.text)")
            #expect(proposed.json["quantityKg"] as? String == "336.000")
            #expect(proposed.json["priorUsageKg"] as? String == "420.000")
            #expect(proposed.json["status"] as? String == "accepted")
            // once per item
            try await Self.commit(app, t.yj, round: round, drug: Self.astragalus, kg: "400").expectProblem(.conflict)

            // SL-TCMH used 380 kg: the minimum is 228.
            try await Self.commit(app, t.sl, round: round, drug: Self.astragalus, kg: "227.999").expectProblem(
                .unprocessableContent, naming: "quantityKg")
            let pending = try await Self.commit(
                app, t.sl, round: round, drug: Self.astragalus, kg: "200", reason: "骨伤科病区改造，门诊量下降")
            #expect(pending.json["status"] as? String == "pending", "\(pending.text)")
            let pendingID = try #require(pending.json["id"] as? Int)
            // A member commits only for itself.
            try await Self.commit(app, t.sl, round: round, drug: Self.astragalus, institution: "YJ-CLH-THC", kg: "40")
                .expectProblem(.forbidden)
            try await Self.commit(app, t.admin, round: round, drug: Self.astragalus, institution: "YJ-CLH-THC", kg: "40")
                .expectProblem(.forbidden)
            try await Self.commit(app, t.yj, round: round, drug: Self.licorice, kg: "40").expectProblem(
                .unprocessableContent, naming: "drugCode")
            // CY-BJL-CHC used 85 kg (minimum 51): below, with a reason; the lead rejects it.
            let low = try await Self.commit(app, t.chc, round: round, drug: Self.astragalus, kg: "30", reason: "改用配方颗粒")
            let lowID = try #require(low.json["id"] as? Int)

            var demand = try await app.call(.get, "/v1/herb-rounds/\(round)/demand", token: t.chc)
            var item = try #require((demand.json["items"] as? [[String: Any]])?.first)
            #expect(
                item["committedKg"] as? String == "336.000" && item["pendingKg"] as? String == "230.000"
                    && item["members"] as? Int == 1)

            try await Self.move(app, t.leadOfficer, round: round, "open_bidding").expectProblem(.conflict)
            try await app.call(.post, "/v1/herb-rounds/\(round)/commitments/\(pendingID)/accept", token: t.sl).expectProblem(
                .forbidden)
            try await app.call(.post, "/v1/herb-rounds/\(round)/commitments/\(pendingID)/accept", token: t.leadPharmacist)
                .expectProblem(.forbidden)
            #expect(
                try await app.call(.post, "/v1/herb-rounds/\(round)/commitments/\(pendingID)/accept", token: t.leadOfficer).json[
                    "status"] as? String == "accepted")
            try await app.call(.post, "/v1/herb-rounds/\(round)/commitments/\(pendingID)/reject", token: t.leadOfficer)
                .expectProblem(.conflict)
            #expect(
                try await app.call(.post, "/v1/herb-rounds/\(round)/commitments/\(lowID)/reject", token: t.admin).json["status"]
                    as? String == "rejected")

            demand = try await app.call(.get, "/v1/herb-rounds/\(round)/demand", token: t.chc)
            item = try #require((demand.json["items"] as? [[String: Any]])?.first)
            #expect(
                item["committedKg"] as? String == "536.000" && item["pendingKg"] as? String == "0.000"
                    && item["members"] as? Int == 2)

            let own = try await app.call(.get, "/v1/herb-rounds/\(round)/commitments", token: t.sl)
            #expect(
                ((own.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["institutionCode"] as? String } == ["SL-TCMH"])
            let all = try await app.call(.get, "/v1/herb-rounds/\(round)/commitments", token: t.leadOfficer)
            #expect(((all.json["items"] as? [[String: Any]]) ?? []).count == 3)
            #expect(
                ((try await app.call(.get, "/v1/herb-rounds/\(round)/commitments", token: try await app.token(.auditor)).json[
                    "items"] as? [[String: Any]]) ?? []).count == 3)

            #expect(try await Self.move(app, t.leadOfficer, round: round, "open_bidding").status == .ok)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'herb_commitment'") == 5)
        }
    }

    @Test(
        "bids: above the ceiling, the wrong grade or not a piece manufacturer is 422; the lowest price wins, ties by quality then time"
    )
    func bidsAndLowestPrice() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(try await Self.createRound(app, t.leadOfficer).json["id"] as? Int)
            _ = try await Self.addItem(app, t.leadOfficer, round: round, drug: Self.astragalus, ceiling: "80")
            _ = try await Self.addItem(app, t.leadOfficer, round: round, drug: Self.licorice, ceiling: "40")
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_commitments")
            _ = try await Self.commit(app, t.yj, round: round, drug: Self.astragalus)
            _ = try await Self.commit(app, t.yj, round: round, drug: Self.licorice)
            try await Self.bid(app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "70")
                .expectProblem(.conflict)
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_bidding")

            try await Self.bid(app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "80.01")
                .expectProblem(.unprocessableContent, naming: "unitPrice")
            try await Self.bid(
                app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "70", grade: "一等"
            ).expectProblem(.unprocessableContent, naming: "grade")
            try await Self.bid(app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-001", price: "70")
                .expectProblem(.unprocessableContent, naming: "supplierCode")
            try await Self.bid(app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "DST-SINOPHARM-JL", price: "70")
                .expectProblem(.unprocessableContent, naming: "supplierCode")
            try await Self.bid(
                app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "70", score: "101"
            ).expectProblem(.unprocessableContent, naming: "qualityScore")
            try await Self.bid(app, t.yj, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "70").expectProblem(
                .forbidden)
            #expect(try await app.count("SELECT count(*)::int FROM herb_bids") == 0)

            // 黄芪: a tie on price goes to the higher quality score.
            #expect(
                try await Self.bid(
                    app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-010", price: "75.00", score: "85"
                ).status == .created)
            #expect(
                try await Self.bid(
                    app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "75.00", score: "92"
                ).status == .created)
            #expect(
                try await Self.bid(
                    app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-024", price: "80.00", score: "99"
                ).status == .created)
            try await Self.bid(app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-024", price: "79.00")
                .expectProblem(.conflict)
            // 甘草: a tie on price and score goes to the earlier bid.
            #expect(
                try await Self.bid(
                    app, t.leadOfficer, round: round, drug: Self.licorice, supplier: "MFR-010", price: "40.00", score: "90"
                ).status == .created)
            #expect(
                try await Self.bid(
                    app, t.leadOfficer, round: round, drug: Self.licorice, supplier: "MFR-008", price: "40.00", score: "90"
                ).status == .created)

            let provisional = try await app.call(.get, "/v1/herb-rounds/\(round)/ranking", token: t.yj)
            #expect(provisional.json["provisional"] as? Bool == true)
            #expect(try await app.count("SELECT count(*)::int FROM herb_bid_rankings") == 0)

            #expect(try await Self.move(app, t.leadOfficer, round: round, "award").status == .ok)
            let ranking = try await app.call(.get, "/v1/herb-rounds/\(round)/ranking", token: t.yj)
            #expect(ranking.json["provisional"] as? Bool == false)
            let rows = (ranking.json["items"] as? [[String: Any]]) ?? []
            let astragalus = rows.filter { $0["drugCode"] as? String == Self.astragalus }
            #expect(
                astragalus.compactMap { $0["supplierCode"] as? String } == ["MFR-029", "MFR-010", "MFR-024"], "\(ranking.text)")
            #expect(astragalus.compactMap { $0["rank"] as? Int } == [1, 2, 3])
            #expect(astragalus.compactMap { $0["winner"] as? Bool } == [true, false, false])
            #expect((astragalus[0]["reason"] as? String ?? "").contains("quality"))
            #expect(astragalus[0]["volumeKg"] as? String == "336.000" && astragalus[0]["share"] as? String == "1.0000")
            let licorice = rows.filter { $0["drugCode"] as? String == Self.licorice }
            #expect(licorice.compactMap { $0["supplierCode"] as? String } == ["MFR-010", "MFR-008"])
            #expect((licorice[1]["reason"] as? String ?? "").contains("later"))
            #expect(try await app.count("SELECT count(*)::int FROM herb_bid_rankings") == 5)

            // The award is the unified price of the piece from the period start.
            let price = try await app.call(.get, "/v1/consortia/JLTCM/prices/\(Self.astragalus)?on=\(Self.start)", token: t.yj)
            #expect(price.json["unitPrice"] as? String == "75.0000", "\(price.text)")
            let agreement = try #require(price.json["agreement"] as? [String: Any])
            #expect(
                agreement["source"] as? String == "joint_procurement" && agreement["reference"] as? String == "round:\(round)")
            #expect(agreement["priceUnit"] as? String == "unit")
            let before = try await app.call(
                .get, "/v1/consortia/JLTCM/prices/\(Self.astragalus)?on=\(Self.start.adding(days: -1))", token: t.yj)
            #expect(before.json["unitPrice"] as? String == "80.0000")  // the provincial price until then
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'price_agreement' AND action = 'award'") == 2)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'herb_bid'") == 5)
        }
    }

    @Test("multiple_within_margin: every qualified bid within the margin wins an equal share; the unified price is the lowest")
    func severalWinners() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(
                try await Self.createRound(app, t.admin, rule: "multiple_within_margin", margin: "5").json["id"] as? Int)
            _ = try await Self.addItem(app, t.admin, round: round, drug: Self.astragalus, ceiling: "80")
            _ = try await Self.move(app, t.admin, round: round, "open_commitments")
            _ = try await Self.commit(app, t.yj, round: round, drug: Self.astragalus, kg: "400")
            _ = try await Self.move(app, t.admin, round: round, "open_bidding")
            _ = try await Self.bid(app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-010", price: "62.40")
            _ = try await Self.bid(app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "60.00")
            _ = try await Self.bid(app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-024", price: "63.01")
            _ = try await Self.move(app, t.admin, round: round, "award")
            let rows =
                (try await app.call(.get, "/v1/herb-rounds/\(round)/ranking", token: t.admin).json["items"] as? [[String: Any]])
                ?? []
            #expect(rows.compactMap { $0["supplierCode"] as? String } == ["MFR-029", "MFR-010", "MFR-024"])
            #expect(rows.compactMap { $0["winner"] as? Bool } == [true, true, false])
            #expect(rows.compactMap { $0["share"] as? String } == ["0.5000", "0.5000", "0.0000"])
            #expect(rows.compactMap { $0["volumeKg"] as? String } == ["200.000", "200.000", "0.000"])
            #expect((rows[2]["reason"] as? String ?? "").contains("more than 5"))
            let price = try await app.call(.get, "/v1/consortia/JLTCM/prices/\(Self.astragalus)", token: t.yj)
            #expect(price.json["unitPrice"] as? String == "60.0000")
        }
    }

    @Test(
        "orders at the awarded price draw the commitment down; beyond it is over-commitment; progress and pace on a known dataset"
    )
    func drawDownAndProgress() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try await Self.awardedRound(app, t)
            _ = try await Self.move(app, t.leadOfficer, round: round, "execute")
            // YJ-TCMH committed 336 kg: 200 received through the ordinary order path, 150 more, a cancelled 40.
            let first = try await ProcurementTests.consolidatedOrder(
                app, member: t.yj, admin: t.admin, drug: Self.astragalus, quantity: "200")
            let order = try await app.call(.get, "/v1/consortia/JLTCM/orders/\(first)", token: t.yj)
            #expect(
                ((order.json["lines"] as? [[String: Any]]) ?? []).first?["unitPrice"] as? String == "75.0000", "\(order.text)")
            let delivered = try await app.call(
                .post, "/v1/consortia/JLTCM/orders/\(first)/deliveries", token: t.yj,
                json:
                    #"{"lineNo": 1, "lotNumber": "HQ-2026-001", "expiryDate": "\#(BusinessDate.today().adding(months: 24))", "quantity": "120"}"#
            )
            #expect(delivered.status == .created, "\(delivered.text)")
            #expect(try await ProcurementTests.order(app, t.yj, [(Self.astragalus, "150")]).status == .created)
            let cancelled = try #require(
                try await ProcurementTests.order(app, t.yj, [(Self.astragalus, "40")]).json["id"] as? Int)
            _ = try await app.call(.post, "/v1/consortia/JLTCM/orders/\(cancelled)/cancel", token: t.yj)
            // SL-TCMH committed 300 kg and bought 50.
            #expect(
                try await ProcurementTests.order(app, t.sl, institution: "SL-TCMH", [(Self.astragalus, "50")]).status == .created)
            // CHY-YAJ-CHC committed nothing and bought 10: all of it is over-commitment.
            let chy = try await app.token(.procurementOfficer, institution: "CHY-YAJ-CHC")
            #expect(
                try await ProcurementTests.order(app, chy, institution: "CHY-YAJ-CHC", [(Self.astragalus, "10")]).status
                    == .created)

            let today = BusinessDate.today()
            let progress = try await app.call(.get, "/v1/herb-rounds/\(round)/progress?on=\(today)", token: t.leadOfficer)
            #expect(progress.json["elapsedDays"] as? Int == 50 && progress.json["periodDays"] as? Int == 100, "\(progress.text)")
            let rows = (progress.json["rows"] as? [[String: Any]]) ?? []
            func row(_ institution: String, _ drug: String) -> [String: Any]? {
                rows.first { $0["institutionCode"] as? String == institution && $0["drugCode"] as? String == drug }
            }
            let yj = try #require(row("YJ-TCMH", Self.astragalus))
            #expect(yj["committedKg"] as? String == "336.000" && yj["boughtKg"] as? String == "350.000")
            #expect(yj["receivedKg"] as? String == "120.000")
            #expect(yj["completionRate"] as? String == "1.0417" && yj["expectedKg"] as? String == "168.000")
            #expect(yj["overCommitmentKg"] as? String == "14.000" && yj["behind"] as? Bool == false)
            let sl = try #require(row("SL-TCMH", Self.astragalus))
            #expect(sl["committedKg"] as? String == "300.000" && sl["boughtKg"] as? String == "50.000")
            #expect(
                sl["completionRate"] as? String == "0.1667" && sl["expectedKg"] as? String == "150.000"
                    && sl["behind"] as? Bool == true)
            let slTangerine = try #require(row("SL-TCMH", Self.tangerine))
            #expect(slTangerine["boughtKg"] as? String == "0.000" && slTangerine["expectedKg"] as? String == "50.000")
            let chyRow = try #require(row("CHY-YAJ-CHC", Self.astragalus))
            #expect(
                chyRow["committedKg"] as? String == "0.000" && chyRow["overCommitmentKg"] as? String == "10.000"
                    && chyRow["completionRate"] == nil)
            #expect(rows.count == 4)

            // Before the orders' day nothing was bought yet.
            let earlier = try await app.call(
                .get, "/v1/herb-rounds/\(round)/progress?on=\(today.adding(days: -1))", token: t.admin)
            #expect(((earlier.json["rows"] as? [[String: Any]]) ?? []).allSatisfy { $0["boughtKg"] as? String == "0.000" })
            // A member sees its own rows only.
            let own = try await app.call(.get, "/v1/herb-rounds/\(round)/progress?on=\(today)", token: t.yj)
            #expect(((own.json["rows"] as? [[String: Any]]) ?? []).compactMap { $0["institutionCode"] as? String } == ["YJ-TCMH"])
            // No second ordering path: a price not from the award does not count.
            #expect(
                try await app.count("SELECT count(*)::int FROM purchase_order_lines WHERE drug_code = \(Self.astragalus)") == 5)
        }
    }

    @Test(
        "every limit rejects a lot and blocks it everywhere; limits come from herb_quality_limits; two rejections flag the supplier"
    )
    func quality() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try await Self.awardedRound(app, t)
            // 陈皮's limits: moisture 13, SO2 150, Pb 5, Cd 1, As 2, Hg 0.2, Cu 20, aflatoxin B1 5, total 10.
            let good: [String: String] = [
                "moisturePct": "10.5", "sulfurDioxideMgPerKg": "20", "leadMgPerKg": "1.2", "cadmiumMgPerKg": "0.1",
                "arsenicMgPerKg": "0.5", "mercuryMgPerKg": "0.05", "copperMgPerKg": "6", "aflatoxinB1UgPerKg": "1.0",
                "aflatoxinsTotalUgPerKg": "2.0",
            ]
            let over: [String: String] = [
                "moisturePct": "13.1", "sulfurDioxideMgPerKg": "151", "leadMgPerKg": "5.1", "cadmiumMgPerKg": "1.01",
                "arsenicMgPerKg": "2.1", "mercuryMgPerKg": "0.21", "copperMgPerKg": "20.5", "aflatoxinB1UgPerKg": "5.1",
                "aflatoxinsTotalUgPerKg": "10.1",
            ]
            func inspect(
                _ token: String, drug: String = Self.tangerine, lot: String, supplier: String = "MFR-029",
                identified: Bool = true, _ values: [String: String]
            ) async throws -> TestResponse {
                let measures = values.map { #""\#($0.key)": "\#($0.value)""# }.joined(separator: ", ")
                return try await app.call(
                    .post, "/v1/herb-rounds/\(round)/inspections", token: token,
                    json:
                        #"{"drugCode": "\#(drug)", "lotNumber": "\#(lot)", "supplierCode": "\#(supplier)", "identificationPassed": \#(identified), "measurements": {\#(measures)}}"#
                )
            }
            let passed = try await inspect(t.leadPharmacist, lot: "CP-OK", good)
            #expect(passed.status == .created && passed.json["result"] as? String == "passed", "\(passed.text)")
            #expect(
                try await app.call(.get, "/v1/consortia/JLTCM/herb-batches/\(Self.tangerine)/CP-OK", token: t.sl).json["mayUse"]
                    as? Bool == true)
            let unseen = try await app.call(.get, "/v1/consortia/JLTCM/herb-batches/\(Self.tangerine)/CP-NEVER", token: t.sl)
            #expect(unseen.json["status"] as? String == "uninspected" && unseen.json["mayUse"] as? Bool == false)

            for (measure, value) in over.sorted(by: { $0.key < $1.key }) {
                var values = good
                values[measure] = value
                let lot = "CP-\(measure)"
                let rejected = try await inspect(t.leadOfficer, lot: lot, values)
                #expect(rejected.json["result"] as? String == "rejected", "\(measure): \(rejected.text)")
                #expect(((rejected.json["failures"] as? [String]) ?? []).contains { $0.contains(measure) }, "\(rejected.text)")
                let batch = try await app.call(.get, "/v1/consortia/JLTCM/herb-batches/\(Self.tangerine)/\(lot)", token: t.chc)
                #expect(batch.json["status"] as? String == "rejected" && batch.json["mayUse"] as? Bool == false, "\(batch.text)")
            }
            let unidentified = try await inspect(t.admin, lot: "CP-ID", identified: false, good)
            #expect(unidentified.json["result"] as? String == "rejected")
            // The rejected lot is blocked at every member in the stock ledger, naming its inspection (issue 21).
            #expect(
                try await app.count(
                    """
                    SELECT count(*)::int FROM lot_blocks
                    WHERE kind = 'inspection_rejection' AND lot_key = 'CP-ID' AND herb_inspection_id IS NOT NULL
                      AND released_at IS NULL
                    """) == 1)
            // 黄芪's total ash limit is 5.0%.
            var astragalus = good
            astragalus["totalAshPct"] = "5.2"
            astragalus["moisturePct"] = "9.0"
            astragalus["aflatoxinB1UgPerKg"] = nil
            astragalus["aflatoxinsTotalUgPerKg"] = nil
            let ash = try await inspect(t.admin, drug: Self.astragalus, lot: "HQ-ASH", astragalus)
            #expect(
                ash.json["result"] as? String == "rejected"
                    && ((ash.json["failures"] as? [String]) ?? []).first?.contains("totalAshPct") == true, "\(ash.text)")
            #expect(ash.json["supplierFlagged"] as? Bool == true)

            // A rejected lot cannot be received at any member, even with an exception reason.
            let orderID = try await ProcurementTests.consolidatedOrder(
                app, member: t.yj, admin: t.admin, drug: Self.tangerine, quantity: "20")
            let expiry = BusinessDate.today().adding(months: 24)
            try await app.call(
                .post, "/v1/consortia/JLTCM/orders/\(orderID)/deliveries", token: t.yj,
                json:
                    #"{"lineNo": 1, "lotNumber": "CP-leadMgPerKg", "expiryDate": "\#(expiry)", "quantity": "5", "exceptionReason": "急用"}"#
            ).expectProblem(.unprocessableContent, naming: "lotNumber")
            #expect(
                try await app.call(
                    .post, "/v1/consortia/JLTCM/orders/\(orderID)/deliveries", token: t.yj,
                    json: #"{"lineNo": 1, "lotNumber": "CP-OK", "expiryDate": "\#(expiry)", "quantity": "5"}"#
                ).status == .created)

            // A measure the monograph limits must be measured; a loser of the item, a lot seen twice, a member's pharmacist.
            var missing = good
            missing["leadMgPerKg"] = nil
            try await inspect(t.admin, lot: "CP-MISS", missing).expectProblem(.unprocessableContent, naming: "leadMgPerKg")
            try await inspect(t.admin, drug: Self.astragalus, lot: "HQ-LOSER", supplier: "MFR-010", astragalus).expectProblem(
                .unprocessableContent, naming: "supplierCode")
            try await inspect(t.admin, lot: "CP-OK", good).expectProblem(.conflict)
            try await inspect(t.sl, lot: "CP-SL", good).expectProblem(.forbidden)

            // The limits are data: raising the moisture limit lets the same values pass.
            try await app.database.transaction { c in
                try await c.sql("UPDATE herb_quality_limits SET moisture_max_pct = 14.0 WHERE drug_code = \(Self.tangerine)")
            }
            var wetter = good
            wetter["moisturePct"] = "13.1"
            #expect(try await inspect(t.admin, lot: "CP-WET", wetter).json["result"] as? String == "passed")

            // MFR-029 has 11 rejected lots: flagged; the lead suspends it.
            let standing = try await app.call(.get, "/v1/herb-rounds/\(round)/suppliers", token: t.admin)
            let mfr029 = ((standing.json["items"] as? [[String: Any]]) ?? []).first { $0["supplierCode"] as? String == "MFR-029" }
            #expect(mfr029?["flagged"] as? Bool == true && mfr029?["rejections"] as? Int == 11, "\(standing.text)")
            try await app.call(
                .post, "/v1/herb-rounds/\(round)/suppliers/MFR-029/suspend", token: t.yj, json: #"{"reason": "2 批次不合格"}"#
            ).expectProblem(.forbidden)
            let suspended = try await app.call(
                .post, "/v1/herb-rounds/\(round)/suppliers/MFR-029/suspend", token: t.leadOfficer,
                json: #"{"reason": "多批次检验不合格"}"#)
            #expect(suspended.json["suspended"] as? Bool == true, "\(suspended.text)")
            try await app.call(
                .post, "/v1/herb-rounds/\(round)/suppliers/MFR-029/suspend", token: t.leadOfficer, json: #"{"reason": "again"}"#
            ).expectProblem(.conflict)
            #expect(try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'herb_inspection'") == 13)
            #expect(
                try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'herb_supplier_suspension'") == 1)
        }
    }

    @Test("a supplier suspended before the award neither wins nor bids again")
    func suspendedBeforeAward() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(try await Self.createRound(app, t.admin).json["id"] as? Int)
            _ = try await Self.addItem(app, t.admin, round: round, drug: Self.astragalus, ceiling: "80")
            _ = try await Self.move(app, t.admin, round: round, "open_commitments")
            _ = try await Self.commit(app, t.yj, round: round, drug: Self.astragalus)
            _ = try await Self.move(app, t.admin, round: round, "open_bidding")
            _ = try await Self.bid(app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "60")
            _ = try await Self.bid(app, t.admin, round: round, drug: Self.astragalus, supplier: "MFR-010", price: "70")
            #expect(
                try await app.call(
                    .post, "/v1/herb-rounds/\(round)/suppliers/MFR-029/suspend", token: t.admin, json: #"{"reason": "上轮多批次不合格"}"#
                ).status == .ok)
            try await app.call(
                .post, "/v1/herb-rounds/\(round)/suppliers/MFR-024/suspend", token: t.admin, json: #"{"reason": "x"}"#
            ).expectProblem(.notFound)
            _ = try await Self.move(app, t.admin, round: round, "award")
            let rows =
                (try await app.call(.get, "/v1/herb-rounds/\(round)/ranking", token: t.admin).json["items"] as? [[String: Any]])
                ?? []
            #expect(rows.compactMap { $0["supplierCode"] as? String } == ["MFR-010", "MFR-029"])
            #expect(rows.compactMap { $0["qualified"] as? Bool } == [true, false])
            #expect((rows[1]["reason"] as? String ?? "").contains("suspended"))
            #expect(
                try await app.call(.get, "/v1/consortia/JLTCM/prices/\(Self.astragalus)", token: t.yj).json["unitPrice"]
                    as? String == "70.0000")
        }
    }

    @Test("herb usage import: all or nothing with every bad line numbered; the same file twice changes nothing")
    func usageImport() async throws {
        try await TestApp.run { app in
            let importer = HerbUsageImportUseCases(database: app.database)
            let before = try await app.count("SELECT count(*)::int FROM herb_usage")
            #expect(before == 22)
            let bad = """
                institution_code,drug_code,year,quantity_kg
                SL-PA-HQ-VC,\(Self.astragalus),2025,12.5
                NO-SUCH,\(Self.astragalus),2025,10
                SL-PA-HQ-VC,XJ01CEA010A001010100001,2025,10
                SL-PA-HQ-VC,\(Self.licorice),20x5,-1
                """
            do {
                _ = try await importer.run(text: bad, consortiumCode: "JLTCM", year: nil, actor: .console("test"))
                Issue.record("a bad file was imported")
            } catch let rejected as HerbUsageImport.Rejected {
                #expect(rejected.errors.map(\.line) == [3, 4, 5])
            }
            do {
                _ = try await importer.run(
                    text: bad.replacingOccurrences(of: "20x5,-1", with: "2025,3"), consortiumCode: "JLTCM", year: nil,
                    actor: .console("test"))
                Issue.record("unknown institutions and drugs were imported")
            } catch let rejected as HerbUsageImport.Rejected {
                #expect(rejected.errors.map(\.line) == [3, 4])
            }
            do {
                _ = try await importer.run(
                    text: "institution_code,drug_code,year,quantity_kg\nSL-PA-HQ-VC,\(Self.astragalus),2024,3\n",
                    consortiumCode: "JLTCM", year: 2025, actor: .console("test"))
                Issue.record("a line of another year was imported")
            } catch let rejected as HerbUsageImport.Rejected {
                #expect(rejected.errors.map(\.line) == [2])
            }
            #expect(try await app.count("SELECT count(*)::int FROM herb_usage") == before)
            let good =
                "institution_code,drug_code,quantity_kg\nSL-PA-HQ-VC,\(Self.astragalus),12.5\nYJ-TCMH,\(Self.astragalus),440\n"
            let first = try await importer.run(text: good, consortiumCode: "JLTCM", year: 2025, actor: .console("test"))
            #expect(first.imported == 1 && first.updated == 1)
            let second = try await importer.run(text: good, consortiumCode: "JLTCM", year: 2025, actor: .console("test"))
            #expect(second.unchanged == 2 && second.imported == 0 && second.updated == 0)
            #expect(try await app.count("SELECT count(*)::int FROM herb_usage") == before + 1)
            #expect(
                try await app.count(
                    "SELECT count(*)::int FROM audit_log WHERE entity_type = 'herb_usage' AND actor = 'console:test'") == 2)
        }
    }
}

/// Issue 18, point 6 and the herb parts of point 13.
extension HerbProcurementTests {
    static let whitePeony = "T001700005"  // 白芍: provincial winning-bid price 45.00 per kg from 2026-01-01

    @Test(
        "18.6: a round item's ceiling above the provincial price is refused naming both; the award never exceeds the provincial price"
    )
    func ceilingCappedByProvincialPrice() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(try await Self.createRound(app, t.leadOfficer).json["id"] as? Int)
            // The issue's round: 白芍 at a ceiling of 70 against the provincial 45.
            let refused = try await Self.addItem(app, t.leadOfficer, round: round, drug: Self.whitePeony, ceiling: "70")
            refused.expectProblem(.unprocessableContent, naming: "ceilingPrice")
            let detail = refused.json["detail"] as? String ?? ""
            #expect(detail.contains("70.0000") && detail.contains("45.0000"), "\(detail)")
            #expect(try await app.count("SELECT count(*)::int FROM herb_round_items") == 0)
            #expect(
                try await Self.addItem(app, t.leadOfficer, round: round, drug: Self.whitePeony, ceiling: "45.00").status
                    == .created)
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_commitments")
            #expect(try await Self.commit(app, t.yj, round: round, drug: Self.whitePeony, kg: "150").status == .created)
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_bidding")
            #expect(
                try await Self.bid(app, t.leadOfficer, round: round, drug: Self.whitePeony, supplier: "MFR-029", price: "43.00")
                    .status == .created)
            #expect(
                try await Self.bid(app, t.leadOfficer, round: round, drug: Self.whitePeony, supplier: "MFR-010", price: "44.00")
                    .status == .created)

            // The province lowers its price to 42 from today, inside the round's period: the bids above it no longer qualify.
            let lowered = try await app.call(
                .post, "/v1/consortia/JLTCM/price-agreements", token: t.admin,
                json: """
                    {"drugCode": "\(Self.whitePeony)", "unitPrice": "42.00", "priceUnit": "unit", "source": "provincial_bid",
                     "reference": "JL-2026-GP-018006", "effectiveFrom": "\(BusinessDate.today())"}
                    """)
            #expect(lowered.status == .created, "\(lowered.text)")
            try await Self.bid(app, t.leadOfficer, round: round, drug: Self.whitePeony, supplier: "MFR-024", price: "42.50")
                .expectProblem(.unprocessableContent, naming: "unitPrice")
            let awarded = try await Self.move(app, t.leadOfficer, round: round, "award")
            #expect(awarded.status == .ok, "\(awarded.text)")
            let rows =
                (try await app.call(.get, "/v1/herb-rounds/\(round)/ranking", token: t.admin).json["items"] as? [[String: Any]])
                ?? []
            #expect(rows.compactMap { $0["winner"] as? Bool } == [false, false], "\(rows)")
            #expect(rows.allSatisfy { ($0["reason"] as? String ?? "").contains("provincial winning-bid price") })
            // No unified price above the provincial one: the provincial prices stand on every day of the period.
            #expect(try await app.count("SELECT count(*)::int FROM price_agreements WHERE source = 'joint_procurement'") == 0)
            let atStart = try await app.call(.get, "/v1/consortia/JLTCM/prices/\(Self.whitePeony)?on=\(Self.start)", token: t.yj)
            #expect(atStart.json["unitPrice"] as? String == "45.0000", "\(atStart.text)")
            let now = try await app.call(.get, "/v1/consortia/JLTCM/prices/\(Self.whitePeony)", token: t.yj)
            #expect(now.json["unitPrice"] as? String == "42.0000")
        }
    }

    @Test("18.6: a winning bid at or below the provincial price is awarded as before")
    func awardWithinProvincialPrice() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(try await Self.createRound(app, t.admin).json["id"] as? Int)
            #expect(try await Self.addItem(app, t.admin, round: round, drug: Self.whitePeony, ceiling: "45").status == .created)
            _ = try await Self.move(app, t.admin, round: round, "open_commitments")
            _ = try await Self.commit(app, t.yj, round: round, drug: Self.whitePeony, kg: "150")
            _ = try await Self.move(app, t.admin, round: round, "open_bidding")
            try await Self.bid(app, t.admin, round: round, drug: Self.whitePeony, supplier: "MFR-029", price: "45.01")
                .expectProblem(.unprocessableContent, naming: "unitPrice")
            _ = try await Self.bid(app, t.admin, round: round, drug: Self.whitePeony, supplier: "MFR-029", price: "39.80")
            _ = try await Self.move(app, t.admin, round: round, "award")
            let price = try await app.call(.get, "/v1/consortia/JLTCM/prices/\(Self.whitePeony)?on=\(Self.start)", token: t.yj)
            #expect(price.json["unitPrice"] as? String == "39.8000", "\(price.text)")
        }
    }

    @Test("18.13: a member changes its commitment with a reason until commitments lock; then 409 naming the state")
    func changeCommitment() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(try await Self.createRound(app, t.leadOfficer).json["id"] as? Int)
            _ = try await Self.addItem(app, t.leadOfficer, round: round, drug: Self.astragalus, ceiling: "80")
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_commitments")
            let proposed = try await Self.commit(app, t.yj, round: round, drug: Self.astragalus)
            let id = try #require(proposed.json["id"] as? Int)
            let uri = "/v1/herb-rounds/\(round)/commitments/\(id)"

            try await app.call(.patch, uri, token: t.yj, json: #"{"quantityKg": "300", "reason": " "}"#)
                .expectProblem(.unprocessableContent, naming: "reason")
            try await app.call(.patch, uri, token: t.yj, json: #"{"quantityKg": "300"}"#).expectProblem(.badRequest)
            try await app.call(.patch, uri, token: t.sl, json: #"{"quantityKg": "300", "reason": "x"}"#).expectProblem(.forbidden)
            try await app.call(.patch, uri, token: t.yj, json: #"{"quantityKg": "0", "reason": "x"}"#)
                .expectProblem(.unprocessableContent, naming: "quantityKg")
            #expect(try await app.count("SELECT count(*)::int FROM herb_commitment_changes") == 0)

            // YJ-TCMH used 420 kg: the minimum is 252.
            let changed = try await app.call(.patch, uri, token: t.yj, json: #"{"quantityKg": "300", "reason": "新院区延期开诊"}"#)
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(changed.json["quantityKg"] as? String == "300.000" && changed.json["status"] as? String == "accepted")
            let below = try await app.call(.patch, uri, token: t.yj, json: #"{"quantityKg": "200", "reason": "改用配方颗粒"}"#)
            #expect(below.json["status"] as? String == "pending" && below.json["reason"] as? String == "改用配方颗粒", "\(below.text)")
            let demand = try await app.call(.get, "/v1/herb-rounds/\(round)/demand", token: t.leadOfficer)
            let item = try #require((demand.json["items"] as? [[String: Any]])?.first)
            #expect(item["committedKg"] as? String == "0.000" && item["pendingKg"] as? String == "200.000")

            let kept = try await app.database.rows(
                "SELECT quantity_before::text, quantity_after::text, reason FROM herb_commitment_changes ORDER BY id",
                as: (String, String, String).self)
            #expect(kept.map(\.0) == ["336.000", "300.000"] && kept.map(\.1) == ["300.000", "200.000"])
            #expect(kept.map(\.2) == ["新院区延期开诊", "改用配方颗粒"])
            let audited = try await app.database.rows(
                "SELECT after->>'changeReason' FROM audit_log WHERE entity_type = 'herb_commitment' AND action = 'change' ORDER BY id",
                as: String?.self)
            #expect(audited == ["新院区延期开诊", "改用配方颗粒"])

            #expect(try await app.call(.post, "\(uri)/accept", token: t.leadOfficer).status == .ok)
            #expect(try await Self.move(app, t.leadOfficer, round: round, "open_bidding").status == .ok)
            let locked = try await app.call(.patch, uri, token: t.yj, json: #"{"quantityKg": "336", "reason": "恢复"}"#)
            locked.expectProblem(.conflict)
            #expect((locked.json["detail"] as? String ?? "").contains("bidding"), "\(locked.text)")
            #expect(try await app.count("SELECT count(*)::int FROM herb_commitment_changes") == 2)
        }
    }

    @Test("18.13: the lead withdraws a bid with a reason until bidding closes; the supplier may bid again; after the award 409")
    func withdrawBid() async throws {
        try await TestApp.run { app in
            let t = try await Self.tokens(app)
            let round = try #require(try await Self.createRound(app, t.leadOfficer).json["id"] as? Int)
            _ = try await Self.addItem(app, t.leadOfficer, round: round, drug: Self.astragalus, ceiling: "80")
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_commitments")
            _ = try await Self.commit(app, t.yj, round: round, drug: Self.astragalus)
            _ = try await Self.move(app, t.leadOfficer, round: round, "open_bidding")
            // 7.50 typed for 75.00: it would win.
            let typo = try await Self.bid(
                app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "7.50")
            let typoID = try #require(typo.json["id"] as? Int)
            #expect(
                try await Self.bid(app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-010", price: "76.00")
                    .status == .created)
            let uri = "/v1/herb-rounds/\(round)/bids/\(typoID)/withdraw"

            try await app.call(.post, uri, token: t.leadOfficer, json: #"{}"#).expectProblem(.badRequest, naming: "reason")
            try await app.call(.post, uri, token: t.leadOfficer, json: #"{"reason": "   "}"#).expectProblem(
                .unprocessableContent, naming: "reason")
            try await app.call(.post, uri, token: t.yj, json: #"{"reason": "x"}"#).expectProblem(.forbidden)
            try await app.call(
                .post, "/v1/herb-rounds/\(round)/bids/999999/withdraw", token: t.leadOfficer, json: #"{"reason": "x"}"#
            )
            .expectProblem(.notFound)

            let withdrawn = try await app.call(.post, uri, token: t.leadOfficer, json: #"{"reason": "报价录入错误：75.00 误录为 7.50"}"#)
            #expect(withdrawn.status == .ok, "\(withdrawn.text)")
            #expect(withdrawn.json["withdrawalReason"] as? String == "报价录入错误：75.00 误录为 7.50")
            try await app.call(.post, uri, token: t.leadOfficer, json: #"{"reason": "again"}"#).expectProblem(.conflict)
            let provisional =
                (try await app.call(.get, "/v1/herb-rounds/\(round)/ranking", token: t.admin).json["items"] as? [[String: Any]])
                ?? []
            #expect(provisional.compactMap { $0["bidId"] as? Int }.contains(typoID) == false)
            // The corrected bid.
            let corrected = try await Self.bid(
                app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "75.00")
            #expect(corrected.status == .created, "\(corrected.text)")
            try await Self.bid(app, t.leadOfficer, round: round, drug: Self.astragalus, supplier: "MFR-029", price: "74.00")
                .expectProblem(.conflict)

            #expect(try await Self.move(app, t.leadOfficer, round: round, "award").status == .ok)
            let rows =
                (try await app.call(.get, "/v1/herb-rounds/\(round)/ranking", token: t.admin).json["items"] as? [[String: Any]])
                ?? []
            #expect(rows.compactMap { $0["unitPrice"] as? String } == ["75.0000", "76.0000"], "\(rows)")
            #expect(
                try await app.call(.get, "/v1/consortia/JLTCM/prices/\(Self.astragalus)", token: t.yj).json["unitPrice"]
                    as? String == "75.0000")

            let late = try await app.call(
                .post, "/v1/herb-rounds/\(round)/bids/\(try #require(corrected.json["id"] as? Int))/withdraw",
                token: t.leadOfficer,
                json: #"{"reason": "供应商撤回"}"#)
            late.expectProblem(.conflict)
            #expect((late.json["detail"] as? String ?? "").contains("awarded"), "\(late.text)")
            let kept = try await app.database.rows(
                "SELECT withdrawal_reason FROM herb_bids WHERE withdrawn_at IS NOT NULL", as: String.self)
            #expect(kept == ["报价录入错误：75.00 误录为 7.50"])
            #expect(
                try await app.count("SELECT count(*)::int FROM audit_log WHERE entity_type = 'herb_bid' AND action = 'withdraw'")
                    == 1)
        }
    }
}

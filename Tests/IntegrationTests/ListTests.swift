import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RxDomain
import RxStore
import Testing

/// The lists users asked for (issue 19, point 12) and the filters they obviously need (point 7): contents, paging,
/// each filter, another consortium's data never visible, and the roles without access refused.
@Suite("Lists: the supply centre's, prescribers, pending endorsements and commitments, quality limits; filters")
struct ListTests {
    static let base = ProcurementTests.base

    static func items(_ r: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        #expect(r.status == .ok, "\(r.text)", sourceLocation: sourceLocation)
        return (r.json["items"] as? [[String: Any]]) ?? []
    }

    static func strings(_ r: TestResponse, _ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        items(r, sourceLocation: sourceLocation).compactMap { $0[key] as? String }
    }

    /// Every item of a list, page by page with `limit`, checking that no page is larger and the last has no cursor.
    static func allPages(_ app: TestApp, _ uri: String, token: String, limit: Int) async throws -> (
        items: [[String: Any]], pages: Int
    ) {
        var all: [[String: Any]] = []
        var cursor: String?
        var pages = 0
        repeat {
            let separator = uri.contains("?") ? "&" : "?"
            let page = try await app.call(
                .get, "\(uri)\(separator)limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
            let items = Self.items(page)
            #expect(items.count <= limit)
            all += items
            cursor = page.json["nextCursor"] as? String
            pages += 1
        } while cursor != nil && pages < 100
        return (all, pages)
    }

    /// A token of another consortium, OTHER, with one member OTHER-H.
    static func otherAdmin(_ app: TestApp) async throws -> String {
        try await TransferTests.otherConsortium(app)
        return try await app.token(.consortiumAdmin, consortium: "OTHER")
    }

    // MARK: The supply centre's orders

    @Test(
        "19.12: every member's orders for the supply centre, paged oldest first, by status and member; a member's officer gets 403"
    )
    func consortiumOrders() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let yj = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let sl = try await app.token(.procurementOfficer, institution: "SL-TCMH")
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            var ids: [Int] = []
            for (token, institution) in [(yj, "YJ-TCMH"), (sl, "SL-TCMH"), (yj, "YJ-TCMH")] {
                let created = try await ProcurementTests.order(app, token, institution: institution, [(drug, "2")])
                ids.append(try #require(created.json["id"] as? Int, "\(created.text)"))
            }
            #expect(try await app.call(.post, "\(Self.base)/orders/\(ids[0])/submit", token: yj).status == .ok)

            let uri = "\(Self.base)/orders"
            let all = Self.items(try await app.call(.get, uri, token: admin))
            #expect(all.compactMap { $0["id"] as? Int } == ids)
            #expect((all.first?["lines"] as? [[String: Any]])?.first?["drugCode"] as? String == drug)
            let paged = try await Self.allPages(app, uri, token: admin, limit: 2)
            #expect(paged.items.compactMap { $0["id"] as? Int } == ids && paged.pages == 2)
            #expect(
                Self.items(try await app.call(.get, "\(uri)?status=submitted", token: admin)).compactMap { $0["id"] as? Int } == [
                    ids[0]
                ])
            #expect(
                Self.items(try await app.call(.get, "\(uri)?status=draft&institutionCode=YJ-TCMH", token: admin))
                    .compactMap { $0["id"] as? Int } == [ids[2]])
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?institutionCode=SL-TCMH", token: admin), "institutionCode") == [
                    "SL-TCMH"
                ])
            #expect(Self.items(try await app.call(.get, "\(uri)?institutionCode=NO-SUCH", token: admin)).isEmpty)
            try await app.call(.get, "\(uri)?status=late", token: admin).expectProblem(.badRequest, naming: "status")

            // The lead's procurement officer and auditors read it; a member's officer, a prescriber and finance do not.
            let lead = try await app.token(.procurementOfficer, institution: "JL-TCMH")
            #expect(Self.items(try await app.call(.get, uri, token: lead)).count == 3)
            #expect(Self.items(try await app.call(.get, uri, token: try await app.token(.auditor))).count == 3)
            try await app.call(.get, uri, token: yj).expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.prescriber)).expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.finance)).expectProblem(.forbidden)

            // Another consortium: 404 on this one, and its own list holds none of these orders.
            let other = try await Self.otherAdmin(app)
            try await app.call(.get, uri, token: other).expectProblem(.notFound)
            #expect(Self.items(try await app.call(.get, "/v1/consortia/OTHER/orders", token: other)).isEmpty)
        }
    }

    @Test("19.7: a member's orders by status")
    func memberOrdersByStatus() async throws {
        try await TestApp.run { app in
            let yj = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            let first = try #require(try await ProcurementTests.order(app, yj, [(drug, "1")]).json["id"] as? Int)
            let second = try #require(try await ProcurementTests.order(app, yj, [(drug, "2")]).json["id"] as? Int)
            #expect(try await app.call(.post, "\(Self.base)/orders/\(first)/submit", token: yj).status == .ok)
            let uri = "/v1/institutions/YJ-TCMH/orders"
            #expect(Self.items(try await app.call(.get, uri, token: yj)).compactMap { $0["id"] as? Int } == [first, second])
            #expect(
                Self.items(try await app.call(.get, "\(uri)?status=draft", token: yj)).compactMap { $0["id"] as? Int } == [second]
            )
            #expect(Self.strings(try await app.call(.get, "\(uri)?status=submitted", token: yj), "status") == ["submitted"])
            #expect(Self.items(try await app.call(.get, "\(uri)?status=cancelled", token: yj)).isEmpty)
            let paged = try await Self.allPages(app, uri, token: yj, limit: 1)
            #expect(paged.items.compactMap { $0["id"] as? Int } == [first, second] && paged.pages == 2)
            try await app.call(.get, "\(uri)?status=", token: yj).expectProblem(.badRequest, naming: "status")
        }
    }

    @Test("19.12: the lots received on an order, paged, by line and by lot key; another member gets 404, finance 403")
    func orderLots() async throws {
        try await TestApp.run { app in
            let s = try await BillingTests.received(app)
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let second = try await app.call(
                .post, "\(Self.base)/orders/\(s.orderID)/deliveries", token: member,
                json: """
                    {"lineNo": 1, "lotNumber": "BS261116", "expiryDate": "\(BusinessDate.today().adding(months: 24))", "quantity": "3"}
                    """)
            #expect(second.status == .created, "\(second.text)")
            let uri = "\(Self.base)/orders/\(s.orderID)/lots"
            let lots = Self.items(try await app.call(.get, uri, token: member))
            #expect(lots.compactMap { $0["lotNumber"] as? String } == ["BS261115", "BS261116"])
            #expect(lots.compactMap { $0["quantity"] as? String } == ["4", "3"])
            #expect(lots.first?["drugCode"] as? String == s.drug && lots.first?["lineNo"] as? Int == 1)
            #expect(lots.first?["receivedOn"] as? String == BusinessDate.today().adding(days: -40).description)
            let paged = try await Self.allPages(app, uri, token: member, limit: 1)
            #expect(paged.items.compactMap { $0["lotNumber"] as? String } == ["BS261115", "BS261116"] && paged.pages == 2)
            // A lot as another hand types it is the same lot.
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?lotNumber=%20bs261116", token: member), "lotNumber") == ["BS261116"]
            )
            #expect(Self.items(try await app.call(.get, "\(uri)?lineNo=1", token: member)).count == 2)
            #expect(Self.items(try await app.call(.get, "\(uri)?lineNo=2", token: member)).isEmpty)

            #expect(Self.items(try await app.call(.get, uri, token: s.admin)).count == 2)
            #expect(Self.items(try await app.call(.get, uri, token: try await app.token(.regulator))).count == 2)
            #expect(
                Self.items(
                    try await app.call(.get, uri, token: try await app.token(.institutionPharmacist, institution: "YJ-TCMH"))
                ).count == 2)
            try await app.call(.get, uri, token: try await app.token(.procurementOfficer, institution: "SL-TCMH")).expectProblem(
                .notFound)
            try await app.call(.get, uri, token: try await app.token(.finance)).expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.prescriber, institution: "YJ-TCMH")).expectProblem(
                .forbidden)
            try await app.call(.get, "\(Self.base)/orders/999999/lots", token: s.admin).expectProblem(.notFound)
            let other = try await Self.otherAdmin(app)
            try await app.call(.get, uri, token: other).expectProblem(.notFound)
            try await app.call(.get, "/v1/consortia/OTHER/orders/\(s.orderID)/lots", token: other).expectProblem(.notFound)
        }
    }

    @Test("19.12: distributor contracts by drug code, by distributor and drug; a prescriber gets 403")
    func distributorContracts() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let drugs = try await ProcurementTests.drugs(app, count: 3).map(\.code)
            for (drug, distributor) in zip(drugs, ["DST-SINOPHARM-JL", "DST-CR-JL", "DST-SINOPHARM-JL"]) {
                let r = try await app.call(
                    .put, "\(Self.base)/distributor-contracts/\(drug)", token: admin,
                    json: #"{"distributorCode": "\#(distributor)"}"#)
                #expect(r.status == .ok, "\(r.text)")
            }
            let uri = "\(Self.base)/distributor-contracts"
            let all = Self.items(try await app.call(.get, uri, token: admin))
            #expect(all.compactMap { $0["drugCode"] as? String } == drugs)
            #expect(all.first?["distributorName"] as? String == "国药控股吉林有限公司")
            #expect((all.first?["drugName"] as? String)?.isEmpty == false && all.first?["contractedAt"] is String)
            let paged = try await Self.allPages(app, uri, token: admin, limit: 2)
            #expect(paged.items.compactMap { $0["drugCode"] as? String } == drugs && paged.pages == 2)
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?distributorCode=DST-SINOPHARM-JL", token: admin), "drugCode")
                    == [drugs[0], drugs[2]])
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?drugCode=\(drugs[1])", token: admin), "distributorCode") == [
                    "DST-CR-JL"
                ])
            #expect(Self.items(try await app.call(.get, "\(uri)?distributorCode=DST-JZT-JL", token: admin)).isEmpty)

            for role in [Role.finance, .auditor, .regulator] {
                #expect(Self.items(try await app.call(.get, uri, token: try await app.token(role))).count == 3)
            }
            #expect(
                Self.items(
                    try await app.call(.get, uri, token: try await app.token(.institutionPharmacist, institution: "YJ-TCMH"))
                ).count == 3)
            try await app.call(.get, uri, token: try await app.token(.prescriber)).expectProblem(.forbidden)
            let other = try await Self.otherAdmin(app)
            try await app.call(.get, uri, token: other).expectProblem(.notFound)
            #expect(Self.items(try await app.call(.get, "/v1/consortia/OTHER/distributor-contracts", token: other)).isEmpty)
        }
    }

    @Test("19.12: consolidated orders with their counts and amount, paged, by distributor; a member's officer gets 403")
    func consolidatedOrders() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let yj = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let sl = try await app.token(.procurementOfficer, institution: "SL-TCMH")
            let drugs = try await ProcurementTests.drugs(app, count: 2)
            for (drug, distributor) in zip(drugs.map(\.code), ["DST-SINOPHARM-JL", "DST-CR-JL"]) {
                try await app.call(
                    .put, "\(Self.base)/distributor-contracts/\(drug)", token: admin,
                    json: #"{"distributorCode": "\#(distributor)"}"#)
            }
            for (token, institution) in [(yj, "YJ-TCMH"), (sl, "SL-TCMH")] {
                let created = try await ProcurementTests.order(
                    app, token, institution: institution, [(drugs[0].code, "2"), (drugs[1].code, "1")])
                let id = try #require(created.json["id"] as? Int, "\(created.text)")
                #expect(try await app.call(.post, "\(Self.base)/orders/\(id)/submit", token: token).status == .ok)
            }
            let consolidated = Self.items(try await app.call(.post, "\(Self.base)/consolidations", token: admin))
            let ids = consolidated.compactMap { $0["id"] as? Int }
            #expect(ids.count == 2)

            let uri = "\(Self.base)/consolidated-orders"
            let all = Self.items(try await app.call(.get, uri, token: admin))
            #expect(all.compactMap { $0["id"] as? Int } == ids)
            let sinopharm = try #require(all.first { $0["distributorCode"] as? String == "DST-SINOPHARM-JL" })
            #expect(sinopharm["members"] as? Int == 2 && sinopharm["orders"] as? Int == 2 && sinopharm["lines"] as? Int == 2)
            #expect(sinopharm["amount"] as? String == Money(drugs[0].price * 4).formatted(places: 2))
            #expect(sinopharm["distributorName"] as? String == "国药控股吉林有限公司")
            let paged = try await Self.allPages(app, uri, token: admin, limit: 1)
            #expect(paged.items.compactMap { $0["id"] as? Int } == ids && paged.pages == 2)
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?distributorCode=DST-CR-JL", token: admin), "distributorCode") == [
                    "DST-CR-JL"
                ])

            let lead = try await app.token(.procurementOfficer, institution: "JL-TCMH")
            #expect(Self.items(try await app.call(.get, uri, token: lead)).count == 2)
            #expect(Self.items(try await app.call(.get, uri, token: try await app.token(.auditor))).count == 2)
            try await app.call(.get, uri, token: yj).expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.finance)).expectProblem(.forbidden)
            // The single consolidated order answers to the same rule.
            #expect(try await app.call(.get, "\(uri)/\(ids[0])", token: lead).status == .ok)
            try await app.call(.get, "\(uri)/\(ids[0])", token: yj).expectProblem(.forbidden)
            let other = try await Self.otherAdmin(app)
            try await app.call(.get, uri, token: other).expectProblem(.notFound)
            #expect(Self.items(try await app.call(.get, "/v1/consortia/OTHER/consolidated-orders", token: other)).isEmpty)
        }
    }

    // MARK: Prescribers, endorsements, commitments, limits

    @Test(
        "19.12: prescribers by pseudonym with institution and title only; a member sees its own; a procurement officer gets 403")
    func prescribers() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let uri = "\(Self.base)/prescribers"
            let seeded = ["DR-CY-0001", "DR-CY-0002", "DR-JL-0001", "DR-JL-0002", "DR-SJZ-0001", "DR-YJ-0001"]
            let all = Self.items(try await app.call(.get, uri, token: admin))
            #expect(all.compactMap { $0["pseudonym"] as? String } == seeded)
            #expect(all.allSatisfy { Set($0.keys) == ["pseudonym", "institutionCode", "title"] }, "\(all)")
            let paged = try await Self.allPages(app, uri, token: admin, limit: 4)
            #expect(paged.items.compactMap { $0["pseudonym"] as? String } == seeded && paged.pages == 2)
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?institutionCode=CY-BJL-CHC", token: admin), "pseudonym")
                    == ["DR-CY-0001", "DR-CY-0002"])
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?title=intermediate", token: admin), "pseudonym")
                    == ["DR-CY-0001", "DR-JL-0002", "DR-SJZ-0001", "DR-YJ-0001"])
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?title=senior&institutionCode=JL-TCMH", token: admin), "pseudonym")
                    == ["DR-JL-0001"])

            // A member's pharmacist or prescriber: its own institution's only; naming another is 403.
            let cy = try await app.token(.institutionPharmacist, institution: "CY-BJL-CHC")
            #expect(Self.strings(try await app.call(.get, uri, token: cy), "pseudonym") == ["DR-CY-0001", "DR-CY-0002"])
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?institutionCode=CY-BJL-CHC", token: cy), "pseudonym").count == 2)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            try await app.call(.get, "\(uri)?institutionCode=JL-TCMH", token: prescriber).expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.institutionPharmacist)).expectProblem(.forbidden)
            #expect(Self.items(try await app.call(.get, uri, token: try await app.token(.regulator))).count == 6)
            try await app.call(.get, uri, token: try await app.token(.procurementOfficer, institution: "CY-BJL-CHC"))
                .expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.finance)).expectProblem(.forbidden)

            let other = try await Self.otherAdmin(app)
            try await app.call(.get, uri, token: other).expectProblem(.notFound)
            #expect(Self.items(try await app.call(.get, "/v1/consortia/OTHER/prescribers", token: other)).isEmpty)
        }
    }

    @Test("19.12: who has not endorsed a proposed version: undecided or objecting, the lead marked; a draft is 409")
    func pendingEndorsements() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            var etag = try await CatalogueTests.openDraft(app, admin: admin)
            let uri = "\(CatalogueTests.base)/versions/2/pending-endorsements"
            try await app.call(.get, uri, token: admin).expectProblem(.conflict)
            let proposed = try await app.call(
                .post, "\(CatalogueTests.base)/versions/2/propose", token: admin, headers: [.ifMatch: etag])
            etag = try #require(proposed.headers[.eTag])
            let everyone = ["JL-TCMH"] + CatalogueTests.members
            #expect(Self.strings(try await app.call(.get, uri, token: admin), "institutionCode") == everyone.sorted())

            try await CatalogueTests.endorse(app, ["YJ-TCMH", "SL-TCMH"])
            let objecting = try await app.token(.institutionPharmacist, institution: "CY-BJL-CHC")
            #expect(
                try await app.call(
                    .post, "\(CatalogueTests.base)/versions/2/endorsements", token: objecting,
                    json: #"{"decision": "object", "comment": "缺少儿童剂型"}"#
                ).status == .ok)
            let pending = everyone.filter { !["YJ-TCMH", "SL-TCMH"].contains($0) }.sorted()
            let all = Self.items(try await app.call(.get, uri, token: admin))
            #expect(all.compactMap { $0["institutionCode"] as? String } == pending)
            #expect(all.filter { $0["isLead"] as? Bool == true }.compactMap { $0["institutionCode"] as? String } == ["JL-TCMH"])
            let paged = try await Self.allPages(app, uri, token: admin, limit: 3)
            #expect(paged.items.compactMap { $0["institutionCode"] as? String } == pending && paged.pages == 3)
            let objected = Self.items(try await app.call(.get, "\(uri)?status=objected", token: admin))
            #expect(objected.compactMap { $0["institutionCode"] as? String } == ["CY-BJL-CHC"])
            #expect(objected.first?["comment"] as? String == "缺少儿童剂型" && objected.first?["status"] as? String == "objected")
            let undecided = Self.strings(try await app.call(.get, "\(uri)?status=undecided", token: admin), "institutionCode")
            #expect(undecided == pending.filter { $0 != "CY-BJL-CHC" })

            #expect(Self.items(try await app.call(.get, uri, token: objecting)).count == pending.count)
            #expect(Self.items(try await app.call(.get, uri, token: try await app.token(.auditor))).count == pending.count)
            try await app.call(.get, uri, token: try await app.token(.procurementOfficer, institution: "YJ-TCMH")).expectProblem(
                .forbidden)
            try await app.call(.get, uri, token: try await app.token(.prescriber)).expectProblem(.forbidden)
            try await app.call(.get, "\(CatalogueTests.base)/versions/9/pending-endorsements", token: admin).expectProblem(
                .notFound)
            let other = try await Self.otherAdmin(app)
            try await app.call(.get, uri, token: other).expectProblem(.notFound)
        }
    }

    @Test("19.12: who has not committed to a round, with the proposal from prior usage; a member sees its own rows")
    func missingCommitments() async throws {
        try await TestApp.run { app in
            let t = try await HerbProcurementTests.tokens(app)
            let (astragalus, tangerine) = (HerbProcurementTests.astragalus, HerbProcurementTests.tangerine)
            let round = try #require(try await HerbProcurementTests.createRound(app, t.leadOfficer).json["id"] as? Int)
            #expect(
                try await HerbProcurementTests.addItem(app, t.leadOfficer, round: round, drug: astragalus, ceiling: "80.00")
                    .status == .created)
            #expect(
                try await HerbProcurementTests.addItem(app, t.leadOfficer, round: round, drug: tangerine, ceiling: "45.00").status
                    == .created)
            #expect(try await HerbProcurementTests.move(app, t.leadOfficer, round: round, "open_commitments").status == .ok)
            #expect(try await HerbProcurementTests.commit(app, t.yj, round: round, drug: astragalus).status == .created)
            #expect(
                try await HerbProcurementTests.commit(app, t.sl, round: round, drug: astragalus, kg: "300").status == .created)

            let uri = "/v1/herb-rounds/\(round)/missing-commitments"
            let everyone = (["JL-TCMH"] + CatalogueTests.members).sorted()
            let expected = everyone.flatMap { code in [astragalus, tangerine].map { (code, $0) } }
                .filter { !["YJ-TCMH", "SL-TCMH"].contains($0.0) || $0.1 == tangerine }
            let all = Self.items(try await app.call(.get, uri, token: t.leadOfficer))
            #expect(
                all.map { "\($0["institutionCode"] as? String ?? "") \($0["drugCode"] as? String ?? "")" }
                    == expected.map { "\($0.0) \($0.1)" })
            let chy = try #require(
                all.first { $0["institutionCode"] as? String == "CHY-YAJ-CHC" && $0["drugCode"] as? String == astragalus })
            #expect(chy["priorUsageKg"] as? String == "60.5" && chy["proposedKg"] as? String == "48.4", "\(chy)")
            #expect(chy["institutionName"] as? String == "昌邑区延安街道社区卫生服务中心" && chy["itemId"] is Int)
            let village = try #require(all.first { $0["institutionCode"] as? String == "SL-PA-HQ-VC" })
            #expect(village["priorUsageKg"] == nil && village["proposedKg"] == nil)
            let paged = try await Self.allPages(app, uri, token: t.leadOfficer, limit: 5)
            #expect(paged.items.count == expected.count && paged.pages == 4)
            #expect(
                paged.items.map { "\($0["institutionCode"] as? String ?? "") \($0["drugCode"] as? String ?? "")" }
                    == expected.map { "\($0.0) \($0.1)" })
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?institutionCode=YJ-TCMH", token: t.admin), "drugCode") == [
                    tangerine
                ])
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?drugCode=\(astragalus)", token: t.admin), "institutionCode")
                    == everyone.filter { !["YJ-TCMH", "SL-TCMH"].contains($0) })

            // A member sees its own rows; naming another member is 403; finance and prescribers are not let in.
            #expect(Self.strings(try await app.call(.get, uri, token: t.chc), "drugCode") == [astragalus, tangerine])
            try await app.call(.get, "\(uri)?institutionCode=YJ-TCMH", token: t.chc).expectProblem(.forbidden)
            #expect(Self.items(try await app.call(.get, uri, token: try await app.token(.regulator))).count == expected.count)
            try await app.call(.get, uri, token: try await app.token(.finance)).expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.prescriber, institution: "YJ-TCMH")).expectProblem(
                .forbidden)
            try await app.call(.get, uri, token: try await app.token(.procurementOfficer)).expectProblem(.forbidden)
            let other = try await Self.otherAdmin(app)
            try await app.call(.get, uri, token: other).expectProblem(.notFound)
            try await app.call(.get, "/v1/herb-rounds/999999/missing-commitments", token: t.admin).expectProblem(.notFound)
        }
    }

    @Test("19.12: the quality limits of each piece, paged, one piece's or by name; a prescriber or finance gets 403")
    func qualityLimits() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let uri = "/v1/herb-quality-limits"
            let count = try await app.count("SELECT count(*)::int FROM herb_quality_limits")
            #expect(count > 50)
            let first = try await app.call(.get, uri, token: admin)
            #expect(Self.items(first).count == 50 && first.json["nextCursor"] is String)
            let paged = try await Self.allPages(app, uri, token: admin, limit: 30)
            let codes = paged.items.compactMap { $0["drugCode"] as? String }
            #expect(codes.count == count && codes == codes.sorted() && Set(codes).count == count)

            let astragalus = Self.items(
                try await app.call(.get, "\(uri)?drugCode=\(HerbProcurementTests.astragalus)", token: admin))
            #expect(astragalus.count == 1)
            #expect(astragalus.first?["monograph"] as? String == "中国药典2020年版一部 黄芪")
            let limits = (astragalus.first?["limits"] as? [[String: Any]]) ?? []
            #expect(
                limits.compactMap { $0["measure"] as? String } == [
                    "moisturePct", "totalAshPct", "sulfurDioxideMgPerKg", "leadMgPerKg", "cadmiumMgPerKg", "arsenicMgPerKg",
                    "mercuryMgPerKg", "copperMgPerKg",
                ])
            #expect(limits.first?["maximum"] as? String == "10")
            let tangerine = Self.items(
                try await app.call(.get, "\(uri)?drugCode=\(HerbProcurementTests.tangerine)", token: admin))
            let tangerineMeasures = ((tangerine.first?["limits"] as? [[String: Any]]) ?? []).compactMap {
                $0["measure"] as? String
            }
            #expect(tangerineMeasures.contains("aflatoxinB1UgPerKg") && !tangerineMeasures.contains("totalAshPct"))
            let named = Self.strings(try await app.call(.get, "\(uri)?q=%E9%BB%84%E8%8A%AA", token: admin), "genericName")
            #expect(!named.isEmpty && named.allSatisfy { $0.contains("黄芪") }, "\(named)")
            #expect(Self.items(try await app.call(.get, "\(uri)?q=%25", token: admin)).isEmpty)
            #expect(Self.items(try await app.call(.get, "\(uri)?drugCode=NOPE", token: admin)).isEmpty)

            #expect(Self.items(try await app.call(.get, uri, token: try await app.token(.masterDataAdmin))).count == 50)
            #expect(
                Self.items(
                    try await app.call(.get, uri, token: try await app.token(.institutionPharmacist, institution: "JL-TCMH"))
                ).count == 50)
            try await app.call(.get, uri, token: try await app.token(.prescriber)).expectProblem(.forbidden)
            try await app.call(.get, uri, token: try await app.token(.finance)).expectProblem(.forbidden)
            try await app.call(.get, "\(uri)?q=", token: admin).expectProblem(.badRequest, naming: "q")
        }
    }

    // MARK: Point 7's filters

    @Test("19.7: payables by institution, and by institution and status together")
    func payablesByInstitution() async throws {
        try await TestApp.run { app in
            let s = try await BillingTests.received(app)
            #expect(
                try await app.call(
                    .post, "\(Self.base)/invoices", token: s.admin,
                    json: BillingTests.invoice(s, "INV-1", quantity: 4)
                ).status == .created)
            let finance = try await app.token(.finance)
            let uri = "\(Self.base)/payables"
            #expect(Self.strings(try await app.call(.get, uri, token: finance), "institutionCode") == ["YJ-TCMH"])
            #expect(
                Self.strings(try await app.call(.get, "\(uri)?institutionCode=YJ-TCMH", token: finance), "invoiceNumber") == [
                    "INV-1"
                ])
            #expect(Self.items(try await app.call(.get, "\(uri)?institutionCode=SL-TCMH", token: finance)).isEmpty)
            let status = try #require(Self.strings(try await app.call(.get, uri, token: finance), "status").first)
            #expect(
                Self.items(try await app.call(.get, "\(uri)?institutionCode=YJ-TCMH&status=\(status)", token: finance)).count == 1
            )
            #expect(Self.items(try await app.call(.get, "\(uri)?institutionCode=YJ-TCMH&status=paid", token: finance)).isEmpty)
            try await app.call(.get, "\(uri)?institutionCode=yj", token: finance).expectProblem(
                .badRequest, naming: "institutionCode")
        }
    }

    @Test("28: payables come a page at a time by invoice id; a status narrows a page, which may then be short")
    func payablesPaged() async throws {
        try await TestApp.run { app in
            let s = try await BillingTests.received(app)
            let finance = try await app.token(.finance)
            for n in 1...3 {
                // A part of the line each: finance accepts the quantity that differs, and the invoice becomes payable.
                let r = try await app.call(
                    .post, "\(Self.base)/invoices", token: s.admin, json: BillingTests.invoice(s, "INV-\(n)", quantity: 1))
                let id = try #require(r.json["id"] as? Int, "\(r.text)")
                let review = try await app.call(
                    .post, "\(Self.base)/invoices/\(id)/review", token: finance,
                    json: #"{"status": "resolved", "note": "分批开票"}"#)
                #expect(review.status == .ok, "\(review.text)")
            }
            let uri = "\(Self.base)/payables"
            let first = try await app.call(.get, "\(uri)?limit=2", token: finance)
            #expect(Self.strings(first, "invoiceNumber") == ["INV-1", "INV-2"])
            let cursor = try #require(first.json["nextCursor"] as? String)
            let second = try await app.call(.get, "\(uri)?limit=2&cursor=\(cursor)", token: finance)
            #expect(Self.strings(second, "invoiceNumber") == ["INV-3"])
            #expect(second.json["nextCursor"] == nil)
            let paid = try await app.call(.get, "\(uri)?status=paid&limit=2", token: finance)
            #expect(Self.items(paid).isEmpty && paid.json["nextCursor"] is String, "\(paid.text)")
            try await app.call(.get, "\(uri)?limit=0", token: finance).expectProblem(.badRequest, naming: "limit")
        }
    }

    @Test("19.7: suppliers by a substring of the name, in any case, wildcards taken literally, the length bounded")
    func suppliersByName() async throws {
        try await TestApp.run { app in
            let national = try await app.token(.masterDataAdmin)
            let created = try await app.call(
                .post, "/v1/suppliers", token: national,
                json: """
                    {"code": "DST-ACME", "name": "Acme Pharma 100% Logistics", "isManufacturer": false, "isDistributor": true,
                     "distributionLicence": "吉AA4319999"}
                    """)
            #expect(created.status == .created, "\(created.text)")
            let reader = try await app.token(.prescriber)
            // 吉林: the five Jilin distributors, by code.
            #expect(
                Self.strings(try await app.call(.get, "/v1/suppliers?name=%E5%90%89%E6%9E%97", token: reader), "code")
                    == ["DST-CR-JL", "DST-JLYY", "DST-JZT-JL", "DST-SINOPHARM-JL", "DST-SPH-JL"])
            #expect(
                Self.items(try await app.call(.get, "/v1/suppliers?name=%E5%90%89%E6%9E%97&role=manufacturer", token: reader))
                    .isEmpty)
            #expect(
                Self.strings(try await app.call(.get, "/v1/suppliers?name=acme%20PHARMA", token: reader), "code") == ["DST-ACME"])
            #expect(Self.strings(try await app.call(.get, "/v1/suppliers?name=100%25", token: reader), "code") == ["DST-ACME"])
            #expect(Self.items(try await app.call(.get, "/v1/suppliers?name=%25%25", token: reader)).isEmpty)
            #expect(Self.items(try await app.call(.get, "/v1/suppliers?name=a_m", token: reader)).isEmpty)
            let paged = try await Self.allPages(app, "/v1/suppliers?name=%E6%9C%89%E9%99%90", token: reader, limit: 10)
            let codes = paged.items.compactMap { $0["code"] as? String }
            #expect(codes.count > 10 && codes == codes.sorted())
            try await app.call(.get, "/v1/suppliers?name=", token: reader).expectProblem(.badRequest, naming: "name")
            try await app.call(.get, "/v1/suppliers?name=" + String(repeating: "a", count: 101), token: reader)
                .expectProblem(.badRequest, naming: "name")
        }
    }
}

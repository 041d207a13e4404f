import Foundation
import Testing

@testable import RxDomain

@Suite("Shortage response: redistribution proposals (调剂), issue 22")
struct ShortageRedistributionTests: RuleRefusals {
    typealias F = ShortageFixture
    typealias M = RedistributionPlan.Member

    static func member(
        _ code: String, _ onHand: String, perDay: String, lots: [StockRules.LotOnHand] = [], inCatalogue: Bool = true
    ) -> M {
        M(
            institutionCode: code, onHand: F.q(onHand), consumed: Quantity(F.q(perDay).value * 90), lots: lots,
            inCatalogue: inCatalogue)
    }

    static func plan(_ members: [M]) throws -> RedistributionPlan {
        try RedistributionPlan.propose(
            drugCode: "XAML", members: members, settings: F.settings, on: F.today, minimumShelfLifeDays: 30)
    }

    /// Every sender keeps at least its own threshold (15 days of its own use) after the plan.
    static func sendersKeepTheirThreshold(_ plan: RedistributionPlan, _ members: [M]) -> Bool {
        members.allSatisfy { m in
            let sent = plan.proposals.filter { $0.fromInstitutionCode == m.institutionCode }.reduce(Decimal(0)) {
                $0 + $1.quantity.value
            }
            guard sent > 0 else { return true }
            return m.onHand.value - sent >= 15 * m.consumed.value / 90
        }
    }

    @Test("surplus goes to the short, the sender with most days first, and no sender is left below its threshold")
    func proposals() throws {
        let members = [
            Self.member("A", "0", perDay: "4"),  // need 60
            Self.member("B", "10", perDay: "2"),  // 5 days, need 20
            Self.member("C", "100", perDay: "1"),  // 100 days, may give 85
            Self.member("D", "140", perDay: "2"),  // 70 days, may give 110
            Self.member("E", "100", perDay: "2"),  // 50 days: neither short nor surplus
        ]
        let plan = try Self.plan(members)
        #expect(
            plan.proposals == [
                .init(fromInstitutionCode: "C", toInstitutionCode: "A", quantity: F.q("60")),
                .init(fromInstitutionCode: "C", toInstitutionCode: "B", quantity: F.q("20")),
            ])
        #expect(plan.unmet.isEmpty && Self.sendersKeepTheirThreshold(plan, members))
        // Deterministic: the same facts in another order give the same plan.
        #expect(try Self.plan(members.reversed()) == plan)
    }

    @Test("largest need first; what no sender can give stays unmet; a sender is never drained below its threshold")
    func largestNeedFirst() throws {
        let members = [
            Self.member("B", "0", perDay: "4"),  // need 60
            Self.member("A", "0", perDay: "6"),  // need 90
            Self.member("C", "100", perDay: "1"),  // may give 85
            Self.member("D", "61", perDay: "1"),  // 61 days, may give 46
        ]
        let plan = try Self.plan(members)
        #expect(
            plan.proposals == [
                .init(fromInstitutionCode: "C", toInstitutionCode: "A", quantity: F.q("85")),
                .init(fromInstitutionCode: "D", toInstitutionCode: "A", quantity: F.q("5")),
                .init(fromInstitutionCode: "D", toInstitutionCode: "B", quantity: F.q("41")),
            ])
        #expect(plan.unmet == ["B": F.q("19")])
        #expect(Self.sendersKeepTheirThreshold(plan, members))
    }

    @Test(
        "a sender on the surplus boundary gives nothing; one with stock and no use gives it all; a receiver without the drug in its catalogue gets nothing"
    )
    func boundaries() throws {
        let onBoundary = try Self.plan([Self.member("A", "0", perDay: "1"), Self.member("C", "60", perDay: "1")])
        #expect(onBoundary.proposals.isEmpty && onBoundary.unmet == ["A": F.q("15")])
        let unused = try Self.plan([Self.member("A", "0", perDay: "1"), Self.member("C", "7", perDay: "0")])
        #expect(unused.proposals == [.init(fromInstitutionCode: "C", toInstitutionCode: "A", quantity: F.q("7"))])
        let outside = try Self.plan([
            Self.member("A", "0", perDay: "1", inCatalogue: false), Self.member("C", "600", perDay: "1"),
        ])
        #expect(outside.proposals.isEmpty && outside.unmet.isEmpty)
    }

    @Test("where lots are given, the sender's issuable lots first expiry first out")
    func lotsFEFO() throws {
        func lot(_ n: String, _ expiry: String, _ qty: String) -> StockRules.LotOnHand {
            .init(lot: StockLot(drugCode: "XAML", lotNumber: n, expiry: BusinessDate(expiry)!), quantity: F.q(qty))
        }
        let lots = [lot("L1", "2027-03-01", "50"), lot("L2", "2027-01-10", "50"), lot("OLD", "2026-11-30", "20")]
        let plan = try Self.plan([
            Self.member("C", "120", perDay: "1", lots: lots), Self.member("A", "0", perDay: "4"),
            Self.member("B", "0", perDay: "3"),
        ])
        // C may give 105 by its days, but only 100 are issuable; A (need 60) first: L2 then L1; B (need 45) the rest of L1.
        #expect(plan.proposals.count == 2)
        #expect(
            plan.proposals[0].lots.map(\.lot.lotNumber) == ["L2", "L1"]
                && plan.proposals[0].lots.map(\.quantity) == [F.q("50"), F.q("10")])
        #expect(plan.proposals[1].toInstitutionCode == "B" && plan.proposals[1].lots.map(\.lot.lotNumber) == ["L1"])
        #expect(plan.proposals[1].quantity == F.q("40") && plan.unmet == ["B": F.q("5")])
    }
}

@Suite("Shortage response: substitutes (替代), issue 22")
struct ShortageSubstituteTests {
    typealias D = SubstituteRanking.Drug

    static let amlodipine5 = D(code: "AML5", genericName: "氨氯地平", dosageForm: "片剂", strength: "5mg", atcCode: "C08CA01")

    @Test("same generic name first (same form before another form), then the same ATC group; only with stock; deterministic")
    func ranking() {
        let catalogue = [
            D(code: "NIF30", genericName: "硝苯地平", dosageForm: "缓释片", strength: "30mg", atcCode: "C08CA05", onHand: Quantity(500)),
            D(code: "FEL5", genericName: "非洛地平", dosageForm: "缓释片", strength: "5mg", atcCode: "C08CA02", onHand: Quantity(500)),
            D(code: "AMLCAP", genericName: "氨氯地平", dosageForm: "胶囊", strength: "5mg", atcCode: "C08CA01", onHand: Quantity(900)),
            D(code: "AML10", genericName: "氨氯地平", dosageForm: "片剂", strength: "10mg", atcCode: "C08CA01", onHand: Quantity(100)),
            D(code: "AML2", genericName: "氨氯地平", dosageForm: "片剂", strength: "2.5mg", atcCode: "C08CA01", onHand: .zero),
            D(code: "MET", genericName: "美托洛尔", dosageForm: "片剂", strength: "25mg", atcCode: "C07AB02", onHand: Quantity(900)),
            D(code: "DIL", genericName: "地尔硫䓬", dosageForm: "片剂", strength: "30mg", atcCode: "C08DB01", onHand: Quantity(900)),
            Self.amlodipine5,
        ]
        let ranked = SubstituteRanking.rank(Self.amlodipine5, among: catalogue)
        #expect(ranked.map(\.drug.code) == ["AML10", "AMLCAP", "FEL5", "NIF30"])
        #expect(ranked.map(\.match) == [.sameGenericSameForm, .sameGenericOtherForm, .sameATCGroup, .sameATCGroup])
        #expect(SubstituteRanking.rank(Self.amlodipine5, among: catalogue.reversed()) == ranked)
    }

    @Test("a drug without an ATC code finds only its own generic name")
    func noATC() {
        let short = D(code: "H1", genericName: "复方制剂", dosageForm: "片剂", strength: nil, atcCode: nil)
        let other = D(code: "H2", genericName: "其他", dosageForm: "片剂", strength: nil, atcCode: nil, onHand: Quantity(5))
        #expect(SubstituteRanking.rank(short, among: [other]).isEmpty)
        #expect(SubstituteRanking.atcGroup("C08CA01") == "C08CA" && SubstituteRanking.atcGroup("C08") == nil)
    }
}

@Suite("Shortage response: actions with who, when and why; escalation (issue 22)")
struct ShortageActionTests: RuleRefusals {
    typealias F = ShortageFixture
    static let record = ShortageRecord(id: 5, drugCode: "XAML", level: .consortium, openedOn: F.today)

    func request(_ kind: ShortageActionKind, reason: String = "库存不足") -> ShortageActionRequest {
        ShortageActionRequest(kind: kind, actorTokenID: 1, on: F.today, reason: reason)
    }

    @Test("every action says why; a closed record takes none (409 naming its state)")
    func why() {
        var r = request(.redistribute, reason: " ")
        r.proposalIDs = [1]
        #expect(fields { _ = try ShortageRules.act(r, on: Self.record) } == ["reason"])
        var closed = Self.record
        closed.status = .closed
        #expect(
            refusal { _ = try ShortageRules.act(request(.escalate), on: closed) }?.message
                == "a shortage that is closed cannot be acted on")
        #expect(fields { _ = try ShortageRules.act(request(.redistribute), on: Self.record) } == ["proposalIds"])
    }

    @Test("a substitute is a ranked alternative signed off by a pharmacist")
    func substitute() throws {
        var r = request(.substitute)
        #expect(
            fields { _ = try ShortageRules.act(r, on: Self.record, substituteCandidates: ["AML10"]) } == [
                "substituteDrugCode", "signOff",
            ])
        r.substituteDrugCode = "MET"
        r.signOff = PharmacistSignOff(tokenID: 2, isPharmacist: false)
        #expect(
            fields { _ = try ShortageRules.act(r, on: Self.record, substituteCandidates: ["AML10"]) } == [
                "substituteDrugCode", "signOff",
            ])
        r.substituteDrugCode = "AML10"
        r.signOff = PharmacistSignOff(tokenID: 2, isPharmacist: true)
        #expect(try ShortageRules.act(r, on: Self.record, substituteCandidates: ["AML10"]) == Self.record)
    }

    @Test("an emergency purchase names its supplier and a positive quantity")
    func emergencyPurchase() throws {
        var r = request(.emergencyPurchase, reason: "配送企业断供，向备选企业应急采购")
        #expect(fields { _ = try ShortageRules.act(r, on: Self.record) } == ["supplierCode", "quantity"])
        r.supplierCode = "ALT"
        r.quantity = F.q("200")
        #expect(try ShortageRules.act(r, on: Self.record) == Self.record)
    }

    @Test("an escalation raises the level once; its expected recovery is not in the past")
    func escalate() throws {
        var r = request(.escalate)
        r.expectedRecovery = F.today.adding(days: -1)
        #expect(field { _ = try ShortageRules.act(r, on: Self.record) } == "expectedRecovery")
        r.expectedRecovery = F.today.adding(days: 30)
        let escalated = try ShortageRules.act(r, on: Self.record)
        #expect(escalated.level == .escalated)
        #expect(isConflict { _ = try ShortageRules.act(r, on: escalated) })
    }
}

@Suite("Shortage escalation report: the direct-reporting form's fields, CSV and JSON (issue 22)")
struct ShortageReportTests {
    static let report = ShortageEscalationReport(
        consortiumCode: "GY-01", reportedOn: BusinessDate("2026-12-01")!, drugCode: "XC08CA",
        genericName: "氨氯地平", dosageForm: "片剂",
        specification: ShortageEscalationReport.specification(strength: "5mg", packageSize: 28, unit: "片", packageUnit: "盒"),
        manufacturer: "辉瑞制药有限公司", lists: [.keyMonitoring], openedOn: BusinessDate("2026-11-20")!, level: .escalated,
        members: [
            .init(institutionCode: "M1", institutionName: "甲镇卫生院", onHand: Quantity(0), daysOfStock: 0),
            .init(
                institutionCode: "M2", institutionName: "乙社区, 卫生服务中心", onHand: Quantity(20), daysOfStock: Decimal(string: "6.6")),
        ],
        cause: .distributionFailure,
        actions: [
            .init(kind: .redistribute, on: BusinessDate("2026-11-21")!, reason: "从县医院调剂 60 片"),
            .init(kind: .escalate, on: BusinessDate("2026-12-01")!, reason: "配送企业\"断供\""),
        ],
        expectedRecovery: BusinessDate("2026-12-15")!)

    @Test("the specification reads strength × package")
    func specification() {
        #expect(Self.report.specification == "5mg×28片/盒")
        #expect(ShortageEscalationReport.specification(strength: nil, packageSize: 10, unit: "支", packageUnit: "盒") == "10支/盒")
        #expect(Self.report.totalOnHand == Quantity(20))
    }

    @Test("CSV: one line per member affected, quoted where needed")
    func csv() {
        let expected =
            "consortium_code,reported_on,drug_code,generic_name,dosage_form,specification,manufacturer,lists,opened_on,level,"
            + "institution_code,institution_name,on_hand,days_of_stock,cause,actions_taken,expected_recovery\r\n"
            + "GY-01,2026-12-01,XC08CA,氨氯地平,片剂,5mg×28片/盒,辉瑞制药有限公司,key_monitoring,2026-11-20,escalated,"
            + "M1,甲镇卫生院,0,0,distribution_failure,"
            + "\"2026-11-21 redistribute: 从县医院调剂 60 片; 2026-12-01 escalate: 配送企业\"\"断供\"\"\",2026-12-15\r\n"
            + "GY-01,2026-12-01,XC08CA,氨氯地平,片剂,5mg×28片/盒,辉瑞制药有限公司,key_monitoring,2026-11-20,escalated,"
            + "M2,\"乙社区, 卫生服务中心\",20,6.6,distribution_failure,"
            + "\"2026-11-21 redistribute: 从县医院调剂 60 片; 2026-12-01 escalate: 配送企业\"\"断供\"\"\",2026-12-15\r\n"
        #expect(Self.report.csv == expected)
    }

    @Test("JSON: the form's fields, decimals as strings")
    func json() throws {
        let expected =
            #"{"consortiumCode":"GY-01","reportedOn":"2026-12-01","drug":{"code":"XC08CA","genericName":"氨氯地平","#
            + #""dosageForm":"片剂","specification":"5mg×28片/盒","manufacturer":"辉瑞制药有限公司","lists":["key_monitoring"]},"#
            + #""openedOn":"2026-11-20","level":"escalated","members":[{"institutionCode":"M1","institutionName":"甲镇卫生院","#
            + #""onHand":"0","daysOfStock":"0"},{"institutionCode":"M2","institutionName":"乙社区, 卫生服务中心","onHand":"20","#
            + #""daysOfStock":"6.6"}],"totalOnHand":"20","cause":"distribution_failure","actionsTaken":[{"kind":"redistribute","#
            + #""on":"2026-11-21","reason":"从县医院调剂 60 片"},{"kind":"escalate","on":"2026-12-01","reason":"配送企业\"断供\""}],"#
            + #""expectedRecovery":"2026-12-15"}"#
        #expect(Self.report.json == expected)
        #expect(try JSONSerialization.jsonObject(with: Data(Self.report.json.utf8)) is [String: Any])
    }
}

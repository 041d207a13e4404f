import Foundation
import Testing

@testable import RxDomain

@Suite("Catalogue version rules: drafting, moves, endorsements, publication, member lists (CatalogueRules)")
struct CatalogueVersionRulesTests: RuleRefusals {
    func isUnprocessable(_ body: () throws -> Void) -> Bool {
        if case .unprocessable = error(body) { return true }
        return false
    }

    let today = BusinessDate(year: 2027, month: 3, day: 1)

    func drug(_ code: String, essential: Bool) -> Drug {
        Drug(
            code: code, genericName: "x", dosageForm: "片剂", packageSize: 1, packageUnit: "盒", unit: "片", category: .western,
            essentialEditions: essential ? ["2018"] : [])
    }

    @Test("one open version at a time; only a draft's items change")
    func drafting() {
        #expect(error { try CatalogueRules.checkNoOpenVersion(nil) } == nil)
        #expect(isConflict { try CatalogueRules.checkNoOpenVersion(3) })
        #expect(error { try CatalogueRules.checkDraftChange(status: .draft, number: 3) } == nil)
        #expect(isConflict { try CatalogueRules.checkDraftChange(status: .proposed, number: 3) })
        #expect(isConflict { try CatalogueRules.checkDraftChange(status: .published, number: 3) })
    }

    @Test("an item names a known drug, justified when neither essential nor insured")
    func items() throws {
        let essential = drug("E1", essential: true)
        #expect(try CatalogueRules.checkItem(CatalogueItem(drugCode: "E1"), drug: essential).code == "E1")
        #expect(field { try CatalogueRules.checkItem(CatalogueItem(drugCode: "NOPE"), drug: nil) } == "drugCode")
        let other = drug("O1", essential: false)
        #expect(field { try CatalogueRules.checkItem(CatalogueItem(drugCode: "O1"), drug: other) } == "justification")
        #expect(isUnprocessable { try CatalogueRules.checkItem(CatalogueItem(drugCode: "O1", justification: " "), drug: other) })
        #expect(error { try CatalogueRules.checkItem(CatalogueItem(drugCode: "O1", justification: "专科用药"), drug: other) } == nil)
    }

    @Test("a draft with items is proposed, a proposed version reopened, nothing else")
    func moves() throws {
        #expect(try CatalogueRules.move(from: .draft, to: .proposed, number: 2, itemCount: 5) == .propose)
        #expect(try CatalogueRules.move(from: .proposed, to: .draft, number: 2, itemCount: 5) == .reopen)
        #expect(field { _ = try CatalogueRules.move(from: .draft, to: .proposed, number: 2, itemCount: 0) } == "items")
        #expect(isConflict { _ = try CatalogueRules.move(from: .published, to: .draft, number: 2, itemCount: 5) })
        #expect(isConflict { _ = try CatalogueRules.move(from: .draft, to: .published, number: 2, itemCount: 5) })
        #expect(isConflict { _ = try CatalogueRules.move(from: .draft, to: .draft, number: 2, itemCount: 5) })
    }

    @Test("an objection says why; only a proposed version is endorsed")
    func endorsements() {
        #expect(error { try CatalogueRules.checkEndorsement(.endorse, comment: nil) } == nil)
        #expect(field { try CatalogueRules.checkEndorsement(.object, comment: nil) } == "comment")
        #expect(field { try CatalogueRules.checkEndorsement(.object, comment: " \n") } == "comment")
        #expect(error { try CatalogueRules.checkEndorsement(.object, comment: "缺少儿科剂型") } == nil)
        #expect(error { try CatalogueRules.checkEndorsable(status: .proposed, number: 2) } == nil)
        #expect(isConflict { try CatalogueRules.checkEndorsable(status: .draft, number: 2) })
        #expect(isConflict { try CatalogueRules.checkEndorsable(status: .published, number: 2) })
    }

    @Test("publication: today or later, a proposed version, after the one in effect, with a lead, endorsed by a quorum")
    func publication() throws {
        #expect(error { try CatalogueRules.checkEffectiveFrom(today, today: today) } == nil)
        #expect(
            field { try CatalogueRules.checkEffectiveFrom(BusinessDate(year: 2027, month: 2, day: 28), today: today) }
                == "effectiveFrom")
        let latest = BusinessDate(year: 2027, month: 3, day: 5)
        #expect(
            try CatalogueRules.checkPublishable(
                status: .proposed, number: 2, effectiveFrom: today, latestEffective: nil, lead: "L") == "L")
        #expect(
            isConflict {
                _ = try CatalogueRules.checkPublishable(
                    status: .draft, number: 2, effectiveFrom: today, latestEffective: nil, lead: "L")
            })
        // The status is asked before the date: a draft dated too early is refused as a draft.
        #expect(
            isConflict {
                _ = try CatalogueRules.checkPublishable(
                    status: .draft, number: 2, effectiveFrom: today, latestEffective: latest, lead: nil)
            })
        #expect(
            field {
                _ = try CatalogueRules.checkPublishable(
                    status: .proposed, number: 2, effectiveFrom: latest, latestEffective: latest, lead: "L")
            } == "effectiveFrom")
        #expect(
            isUnprocessable {
                _ = try CatalogueRules.checkPublishable(
                    status: .proposed, number: 2, effectiveFrom: today, latestEffective: nil, lead: nil)
            })
        let ok = CatalogueRules.publicationCheck(
            decisions: ["L": .endorse, "A": .endorse, "B": .endorse], lead: "L", members: ["L", "A", "B"], quorum: .simpleMajority
        )
        #expect(error { try CatalogueRules.checkPublication(ok, number: 2) } == nil)
        let short = CatalogueRules.publicationCheck(
            decisions: ["A": .endorse, "B": .object], lead: "L", members: ["L", "A", "B"], quorum: .all)
        #expect(isUnprocessable { try CatalogueRules.checkPublication(short, number: 2) })
    }

    @Test("a member's list needs a catalogue in effect and lies inside it for the member's level")
    func memberList() {
        let catalogue = ["A": CatalogueItem(drugCode: "A"), "T": CatalogueItem(drugCode: "T", levels: [.tertiary])]
        #expect(error { try CatalogueRules.checkMemberList(["A"], level: .primary, catalogue: catalogue) } == nil)
        #expect(isUnprocessable { try CatalogueRules.checkMemberList(["A"], level: .primary, catalogue: nil) })
        let outside = error { try CatalogueRules.checkMemberList(["A", "T", "Z"], level: .primary, catalogue: catalogue) }
        #expect(outside?.fieldErrors.map(\.field) == ["T", "Z"])
    }
}

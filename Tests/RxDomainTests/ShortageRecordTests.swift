import Foundation
import Testing

@testable import RxDomain

@Suite("A shortage record's life: open, update, close on recovery, reopen within the window (issue 22)")
struct ShortageRecordTests: RuleRefusals {
    typealias F = ShortageFixture

    static let short = [F.member("A", onHand: "0", perDay: "2"), F.member("C", onHand: "600", perDay: "2")]
    static let back = [F.member("A", onHand: "100", perDay: "2"), F.member("C", onHand: "600", perDay: "2")]

    @Test("a signal opens a record listing the members affected; its return closes it as recovered with its duration")
    func openAndClose() throws {
        guard
            case .open(let record) = ShortageRules.reconcile(
                latest: nil, assessment: try F.assess(Self.short), settings: F.settings)
        else { Issue.record("no record opened"); return }
        #expect(record.status == .open && record.level == .member && record.openedOn == F.today)
        #expect(record.affected.map(\.institutionCode) == ["A"] && record.signals.map(\.kind) == [.stockOut])
        let later = F.today.adding(days: 12)
        let change = ShortageRules.reconcile(latest: record, assessment: try F.assess(Self.back, on: later), settings: F.settings)
        guard case .close(let closed, let days) = change else { Issue.record("not closed: \(change)"); return }
        #expect(closed.status == .closed && closed.outcome == .recovered && closed.closedOn == later && days == 12)
        // Nothing open and nothing holding: nothing to do.
        #expect(
            ShortageRules.reconcile(latest: closed, assessment: try F.assess(Self.back, on: later), settings: F.settings) == .none
        )
        #expect(ShortageRules.reconcile(latest: nil, assessment: try F.assess(Self.back), settings: F.settings) == .none)
    }

    @Test("signals on an open record update it: members added and removed, the level raised, never lowered from escalated")
    func update() throws {
        let record = ShortageRecord(
            id: 5, drugCode: "XAML", level: .member, openedOn: F.today,
            affected: try F.assess(Self.short).affected, signals: try F.assess(Self.short).signals)
        // The same signals again: nothing to write.
        #expect(ShortageRules.reconcile(latest: record, assessment: try F.assess(Self.short), settings: F.settings) == .none)
        let both = try F.assess([F.member("A", onHand: "20", perDay: "2"), F.member("B", onHand: "0", perDay: "1")])
        guard
            case .update(let updated, let added, let removed) = ShortageRules.reconcile(
                latest: record, assessment: both, settings: F.settings)
        else { Issue.record("not updated"); return }
        #expect(added == ["B"] && removed == [] && updated.level == .consortium && updated.id == 5)
        var escalated = updated
        escalated.level = .escalated
        let one = try F.assess([F.member("A", onHand: "20", perDay: "2"), F.member("C", onHand: "600", perDay: "2")])
        guard
            case .update(let kept, _, let gone) = ShortageRules.reconcile(
                latest: escalated, assessment: one, settings: F.settings)
        else { Issue.record("not updated"); return }
        #expect(kept.level == .escalated && gone == ["B"])
    }

    @Test("back within the reopen window the same record reopens; on the window's last day too; after it a new one")
    func reopenWindow() throws {
        let closedOn = F.today
        let closed = ShortageRecord(
            id: 9, drugCode: "XAML", status: .closed, level: .member, openedOn: BusinessDate("2026-11-01")!,
            closedOn: closedOn, outcome: .recovered)
        let inWindow = try F.assess(Self.short, on: closedOn.adding(days: 30))
        guard case .reopen(let reopened) = ShortageRules.reconcile(latest: closed, assessment: inWindow, settings: F.settings)
        else { Issue.record("not reopened"); return }
        #expect(reopened.id == 9 && reopened.status == .open && reopened.reopenings == 1)
        #expect(reopened.openedOn == BusinessDate("2026-11-01")! && reopened.closedOn == nil && reopened.outcome == nil)
        #expect(reopened.durationDays(on: closedOn.adding(days: 30)) == 60)
        let after = try F.assess(Self.short, on: closedOn.adding(days: 31))
        guard case .open(let fresh) = ShortageRules.reconcile(latest: closed, assessment: after, settings: F.settings)
        else { Issue.record("no new record"); return }
        #expect(fresh.id == nil && fresh.openedOn == closedOn.adding(days: 31) && fresh.reopenings == 0)
    }

    @Test("reopening by hand: a closed record within the window continues; an open one or one past the window is a 409")
    func reopenByHand() throws {
        let closed = ShortageRecord(
            id: 9, drugCode: "XAML", status: .closed, level: .member, openedOn: BusinessDate("2026-11-01")!,
            closedOn: F.today, outcome: .recovered)
        let reopened = try ShortageRules.reopen(closed, on: F.today.adding(days: 30), settings: F.settings)
        #expect(reopened.status == .open && reopened.reopenings == 1 && reopened.outcome == nil && reopened.id == 9)
        #expect(
            refusal { _ = try ShortageRules.reopen(reopened, on: F.today, settings: F.settings) }?.message
                == "a shortage that is open cannot be reopened")
        #expect(isConflict { _ = try ShortageRules.reopen(closed, on: F.today.adding(days: 31), settings: F.settings) })
    }

    @Test("one open record per drug: a second is a 409")
    func oneOpen() {
        #expect(isConflict { try ShortageRules.checkOneOpen(drugCode: "XAML", openRecordID: 5) })
        #expect(refusal { try ShortageRules.checkOneOpen(drugCode: "XAML", openRecordID: nil) } == nil)
        #expect(
            refusal { try ShortageRules.checkOneOpen(drugCode: "XAML", openRecordID: 5) }?.message
                == "a shortage of XAML is already open (5)")
    }

    @Test("closing by hand: recovered only when nothing holds, another outcome says why, a closed record is a 409")
    func closeByHand() throws {
        let record = ShortageRecord(id: 5, drugCode: "XAML", level: .member, openedOn: F.today)
        let short = try F.assess(Self.short)
        #expect(field { _ = try ShortageRules.close(record, outcome: .recovered, note: nil, assessment: short) } == "outcome")
        #expect(field { _ = try ShortageRules.close(record, outcome: .substituted, note: " ", assessment: short) } == "note")
        let closed = try ShortageRules.close(record, outcome: .substituted, note: "all members moved to 硝苯地平", assessment: short)
        #expect(closed.status == .closed && closed.outcome == .substituted && closed.closedOn == F.today)
        let recovered = try ShortageRules.close(record, outcome: .recovered, note: nil, assessment: try F.assess(Self.back))
        #expect(recovered.outcome == .recovered)
        guard
            case .conflict(let m) = refusal({
                _ = try ShortageRules.close(closed, outcome: .recovered, note: nil, assessment: try F.assess(Self.back))
            })
        else { Issue.record("not a conflict"); return }
        #expect(m == "a shortage that is closed cannot be closed")
    }

    @Test("the cause is one of RULES.md's list; other needs a note")
    func cause() {
        #expect(ShortageCause.allCases.count == 8)
        #expect(field { try ShortageRules.checkCause(.other, note: nil) } == "note")
        #expect(refusal { try ShortageRules.checkCause(.rawMaterials, note: nil) } == nil)
    }
}

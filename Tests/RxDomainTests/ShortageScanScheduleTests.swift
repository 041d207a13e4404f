import Testing

@testable import RxDomain

@Suite("The shortage task's schedule: marked consortia, and every one not yet scanned on the day (issues 22, 28)")
struct ShortageScanScheduleTests {
    static let today = BusinessDate("2026-12-06")!

    @Test("a consortium scanned today is not due; one scanned yesterday or never is; a marked one always is")
    func due() {
        let states = [
            ConsortiumScanState(consortiumID: 1, lastScannedOn: Self.today, marked: false),
            ConsortiumScanState(consortiumID: 2, lastScannedOn: Self.today.adding(days: -1), marked: false),
            ConsortiumScanState(consortiumID: 3, lastScannedOn: nil, marked: false),
            ConsortiumScanState(consortiumID: 4, lastScannedOn: Self.today, marked: true),
        ]
        #expect(ShortageScanSchedule.due(states, today: Self.today) == [2, 3, 4])
        #expect(ShortageScanSchedule.due(states, today: Self.today.adding(days: 1)) == [1, 2, 3, 4])
    }

    @Test("a last scan dated after today (a scan with --as-of a later day) does not make a consortium due")
    func later() {
        let states = [ConsortiumScanState(consortiumID: 1, lastScannedOn: Self.today.adding(days: 2), marked: false)]
        #expect(ShortageScanSchedule.due(states, today: Self.today).isEmpty)
    }
}

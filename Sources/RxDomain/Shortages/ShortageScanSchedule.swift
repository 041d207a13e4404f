/// What the server's shortage task knows of a consortium when it chooses what to scan.
package struct ConsortiumScanState: Sendable, Equatable {
    package var consortiumID: Int64
    /// The last business day all its drugs were scanned; nil when never.
    package var lastScannedOn: BusinessDate?
    /// Whether a movement, a delivery or a supplier's report marked one of its drugs since its last scan.
    package var marked: Bool

    package init(consortiumID: Int64, lastScannedOn: BusinessDate?, marked: Bool) {
        self.consortiumID = consortiumID
        self.lastScannedOn = lastScannedOn
        self.marked = marked
    }
}

/// Which consortia the server's shortage task scans on a pass (短缺监测): those whose facts changed (marked), and
/// every one not yet scanned on the business day, since a day passing changes days of stock and late deliveries.
/// The last scan's day is the database's, so a server that starts, or a second one, does not scan the province again.
package enum ShortageScanSchedule {
    package static func due(_ states: [ConsortiumScanState], today: BusinessDate) -> [Int64] {
        states.filter { state in
            state.marked || state.lastScannedOn.map { $0 < today } ?? true
        }.map(\.consortiumID)
    }
}

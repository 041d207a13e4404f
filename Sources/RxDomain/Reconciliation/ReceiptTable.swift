import Foundation

extension InvoiceFileMatching {
    /// The receipts, held compactly: a consortium has millions. Institution and drug codes are kept once each and
    /// numbered; a row holds its key, order line, price and quantities in 64 bytes, in chunks (`ChunkedArray`); rows
    /// are found through an open-addressing table of row numbers (4 bytes a slot), where a `Dictionary` of the keys
    /// would hold each key again. What a file claims of a lot and of an order line is kept by row number
    /// (`InvoiceFileMatching.Claimed`), the order line's at its first row (`lineHeads`).
    struct ReceiptTable: Sendable {
        /// A receipt's price and quantities as the table is given them.
        enum Amounts {
            case compact(ReceiptAmounts)
            /// They do not fit `ReceiptAmounts`: the whole lot, kept as added.
            case exact(ReceivedLot)
        }

        struct Row {
            var orderID: Int64
            /// In ten-thousandths (`ReceiptAmounts`); unused when the row is in `exact`.
            var unifiedPrice: Int64
            var lineReceived: Int64
            var lotReceived: Int64
            var lot: LotKey
            var institution: Int32
            var drug: Int32
            var lineNo: Int32
            /// The distributor the line was consolidated to, by its number in `distributors`; -1 for none.
            var consolidatedTo: Int32

            func has(institution: Int32, drug: Int32, lot: LotKey) -> Bool {
                self.institution == institution && self.drug == drug && self.lot == lot
            }
        }

        private var institutions: [String: Int32] = [:]
        private var drugs: [String: Int32] = [:]
        private var distributorNumbers: [Int64: Int32] = [:]
        private var distributors: [Int64] = []
        private var rows = ChunkedArray<Row>()
        /// Row numbers by the hash of their key, -1 for an empty slot; linear probing, at most half full. The rows of
        /// one key (other order lines) lie in one run of slots.
        private var slots = [Int32](repeating: -1, count: 16)
        /// What invoices recorded through the API billed of a row's order line and lot, in ten-thousandths, for
        /// the rows where it is not zero: most receipts are billed by the files themselves.
        private var billed: [Int32: (line: Int64, lot: Int64)] = [:]
        /// An emergency purchase's supplier and shortage, by row: few rows have them.
        private var emergencies: [Int32: (supplier: Int64?, shortage: Int64?)] = [:]
        /// The rows whose amounts did not fit `ReceiptAmounts`, as added: none, from PostgreSQL's columns.
        private var exact: [Int32: ReceivedLot] = [:]

        var count: Int { rows.count }

        private static func number(_ code: String, in table: inout [String: Int32]) -> Int32 {
            if let n = table[code] { return n }
            let n = Int32(table.count)
            table[code] = n
            return n
        }

        private mutating func distributorNumber(_ id: Int64?) -> Int32 {
            guard let id else { return -1 }
            if let n = distributorNumbers[id] { return n }
            distributors.append(id)
            distributorNumbers[id] = Int32(distributors.count - 1)
            return Int32(distributors.count - 1)
        }

        private static func slot(institution: Int32, drug: Int32, lot: LotKey, mask: Int) -> Int {
            var hasher = Hasher()
            hasher.combine(institution)
            hasher.combine(drug)
            hasher.combine(lot)
            return hasher.finalize() & mask
        }

        /// Adds a receipt; another delivery of the same lot on the same order line adds to what was received of it.
        mutating func add(_ receipt: ReceiptLine, _ amounts: Amounts, at key: ReceiptKey) {
            let institution = Self.number(key.institutionCode, in: &institutions)
            let drug = Self.number(key.drugCode, in: &drugs)
            let mask = slots.count - 1
            var slot = Self.slot(institution: institution, drug: drug, lot: key.lot, mask: mask)
            while slots[slot] >= 0 {
                let i = slots[slot]
                let held = rows[Int(i)]
                if held.has(institution: institution, drug: drug, lot: key.lot) && held.orderID == receipt.orderID
                    && held.lineNo == Int32(receipt.lineNo)
                {
                    addDelivery(amounts, to: i)
                    return
                }
                slot = (slot + 1) & mask
            }
            let row = Int32(rows.count)
            var compact = ReceiptAmounts(unifiedPrice: 0, lineReceived: 0, lotReceived: 0, lineBilled: 0, lotBilled: 0)
            switch amounts {
            case .compact(let given): compact = given
            case .exact(let given): exact[row] = given
            }
            rows.append(
                Row(
                    orderID: receipt.orderID, unifiedPrice: compact.unifiedPrice, lineReceived: compact.lineReceived,
                    lotReceived: compact.lotReceived, lot: key.lot, institution: institution, drug: drug,
                    lineNo: Int32(receipt.lineNo),
                    consolidatedTo: distributorNumber(receipt.consolidatedTo)))
            if compact.lineBilled != 0 || compact.lotBilled != 0 { billed[row] = (compact.lineBilled, compact.lotBilled) }
            if receipt.emergencySupplier != nil || receipt.emergencyShortageID != nil {
                emergencies[row] = (receipt.emergencySupplier, receipt.emergencyShortageID)
            }
            slots[slot] = row
            if rows.count * 2 > slots.count { grow() }
        }

        /// Twice the slots, every row placed again.
        private mutating func grow() {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            let mask = slots.count - 1
            for i in 0..<rows.count {
                let row = rows[i]
                var slot = Self.slot(institution: row.institution, drug: row.drug, lot: row.lot, mask: mask)
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(i)
            }
        }

        private func isExact(_ i: Int32) -> Bool { !exact.isEmpty && exact[i] != nil }

        /// Another delivery of the lot on the same order line: adds to what was received of the lot.
        private mutating func addDelivery(_ amounts: Amounts, to i: Int32) {
            let received: Decimal
            switch amounts {
            case .compact(let delivery):
                if !isExact(i) {
                    let (sum, overflow) = rows[Int(i)].lotReceived.addingReportingOverflow(delivery.lotReceived)
                    if !overflow {
                        rows[Int(i)].lotReceived = sum
                        return
                    }
                }
                received = ReceiptAmounts.decimal(delivery.lotReceived)
            case .exact(let delivery): received = delivery.lotReceived
            }
            var held = receivedLot(at: i)
            held.lotReceived += received
            exact[i] = held
        }

        /// The lot of a row, as added.
        private func receivedLot(at i: Int32) -> ReceivedLot {
            if !exact.isEmpty, let lot = exact[i] { return lot }
            let r = rows[Int(i)]
            let emergency = emergencies.isEmpty ? nil : emergencies[i]
            let billed = self.billed.isEmpty ? nil : self.billed[i]
            return ReceivedLot(
                orderID: r.orderID, lineNo: Int(r.lineNo), unifiedPrice: Money(ReceiptAmounts.decimal(r.unifiedPrice)),
                consolidatedTo: r.consolidatedTo < 0 ? nil : distributors[Int(r.consolidatedTo)],
                emergencySupplier: emergency?.supplier, emergencyShortageID: emergency?.shortage,
                lineReceived: ReceiptAmounts.decimal(r.lineReceived), lotReceived: ReceiptAmounts.decimal(r.lotReceived),
                lineBilled: ReceiptAmounts.decimal(billed?.line ?? 0), lotBilled: ReceiptAmounts.decimal(billed?.lot ?? 0))
        }

        func rows(at key: ReceiptKey) -> [(row: Int, lot: ReceivedLot)] {
            guard let institution = institutions[key.institutionCode], let drug = drugs[key.drugCode] else { return [] }
            let mask = slots.count - 1
            var slot = Self.slot(institution: institution, drug: drug, lot: key.lot, mask: mask)
            var lots: [(row: Int, lot: ReceivedLot)] = []
            while slots[slot] >= 0 {
                let i = slots[slot]
                if rows[Int(i)].has(institution: institution, drug: drug, lot: key.lot) {
                    lots.append((Int(i), receivedLot(at: i)))
                }
                slot = (slot + 1) & mask
            }
            return lots
        }

        /// For each row, the first row of its order line: where what a file claims of the order line is kept. Found
        /// by sorting the rows by order line once, where keeping them by order line while adding would take a
        /// dictionary of every order line.
        func lineHeads() -> [Int32] {
            var byLine: [(orderID: Int64, lineNo: Int32, row: Int32)] = []
            byLine.reserveCapacity(rows.count)
            for i in 0..<rows.count { byLine.append((rows[i].orderID, rows[i].lineNo, Int32(i))) }
            byLine.sort { ($0.orderID, $0.lineNo, $0.row) < ($1.orderID, $1.lineNo, $1.row) }
            var heads = [Int32](repeating: 0, count: rows.count)
            var head = (orderID: Int64.min, lineNo: Int32.min, row: Int32(-1))
            for entry in byLine {
                if entry.orderID != head.orderID || entry.lineNo != head.lineNo { head = entry }
                heads[Int(entry.row)] = head.row
            }
            return heads
        }
    }

    /// What earlier lines of a file claimed, by receipt row: in ten-thousandths (8 bytes a row, where a `Decimal`
    /// is 20), or exactly for a row once a quantity does not fit.
    struct Claimed: Sendable {
        private var tenThousandths: [Int64]
        private var exact: [Int: Decimal] = [:]

        init(rows: Int) { tenThousandths = [Int64](repeating: 0, count: rows) }

        subscript(row: Int) -> Decimal {
            if !exact.isEmpty, let held = exact[row] { return held }
            return ReceiptAmounts.decimal(tenThousandths[row])
        }

        /// `compact`: `quantity` in ten-thousandths, when it fits (`ReceiptAmounts.tenThousandths`).
        mutating func add(_ quantity: Decimal, compact: Int64?, at row: Int) {
            if exact.isEmpty || exact[row] == nil, let compact {
                let (sum, overflow) = tenThousandths[row].addingReportingOverflow(compact)
                if !overflow {
                    tenThousandths[row] = sum
                    return
                }
            }
            exact[row] = self[row] + quantity
        }
    }
}

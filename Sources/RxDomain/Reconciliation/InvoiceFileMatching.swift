import Foundation

/// 发票逐行匹配: the facts each line of a distributor's invoice file is judged by (`ReconciliationRules.classify`),
/// found line by line in the file's order from the consortium's records held in memory. The streamed counterpart of
/// `InvoiceReconciliationStore.matchingQuery` (issue 25), rule for rule:
/// - a line is a duplicate when an earlier line has the same distributor, invoice number, drug (as the file wrote
///   it) and lot key;
/// - its order line is the member's line for the drug with a receipt of the lot: one the invoicing distributor
///   supplied when there is one, else the latest order's (then the distributor is the wrong one);
/// - what it may bill is what was received of the lot and of the order line, less what invoices recorded through
///   the API billed and what earlier lines of the file claimed (a line claims when it is no duplicate, not of a
///   recorded invoice, and of the distributor that supplied its order line);
/// - the member's catalogue is its own list when it keeps one, else what its level may use of the catalogue in
///   effect; the two-invoice chain is judged by `InvoiceFileMatching.chainProblem`.
///
/// Memory grows with the records (`Records`) and, for what the file claims, by 16 bytes for each receipt held
/// (`Claimed`): not with the file's lines. Duplicate keys are kept whole only for the keys a first pass over the
/// file found more than once (`RepeatedKeys`); without that pass, every distinct key is kept.
package struct InvoiceFileMatching: Sendable {
    /// One order line of a member with a receipt of a lot.
    package struct ReceivedLot: Sendable, Equatable {
        package var orderID: Int64
        package var lineNo: Int
        /// The unified price on the order date.
        package var unifiedPrice: Money
        /// The distributor the line was consolidated to (统一配送); nil when it was not.
        package var consolidatedTo: Int64?
        /// The emergency purchase's own supplier (应急采购, issue 22); nil for a usual order.
        package var emergencySupplier: Int64?
        package var emergencyShortageID: Int64?
        /// Received of the whole order line, and of this lot.
        package var lineReceived: Decimal
        package var lotReceived: Decimal
        /// Billed of the order line, and of this lot, by invoices recorded through the API (leaving out lines of a
        /// wrong distributor).
        package var lineBilled: Decimal
        package var lotBilled: Decimal

        package init(
            orderID: Int64, lineNo: Int, unifiedPrice: Money, consolidatedTo: Int64?, emergencySupplier: Int64?,
            emergencyShortageID: Int64?, lineReceived: Decimal, lotReceived: Decimal, lineBilled: Decimal,
            lotBilled: Decimal
        ) {
            self.orderID = orderID
            self.lineNo = lineNo
            self.unifiedPrice = unifiedPrice
            self.consolidatedTo = consolidatedTo
            self.emergencySupplier = emergencySupplier
            self.emergencyShortageID = emergencyShortageID
            self.lineReceived = lineReceived
            self.lotReceived = lotReceived
            self.lineBilled = lineBilled
            self.lotBilled = lotBilled
        }

        /// The receipt's order line and suppliers, with these price and quantities.
        package init(
            _ line: ReceiptLine, unifiedPrice: Money, lineReceived: Decimal, lotReceived: Decimal, lineBilled: Decimal,
            lotBilled: Decimal
        ) {
            self.init(
                orderID: line.orderID, lineNo: line.lineNo, unifiedPrice: unifiedPrice, consolidatedTo: line.consolidatedTo,
                emergencySupplier: line.emergencySupplier, emergencyShortageID: line.emergencyShortageID,
                lineReceived: lineReceived, lotReceived: lotReceived, lineBilled: lineBilled, lotBilled: lotBilled)
        }

        /// The receipt without its price and quantities.
        package var line: ReceiptLine {
            ReceiptLine(
                orderID: orderID, lineNo: lineNo, consolidatedTo: consolidatedTo, emergencySupplier: emergencySupplier,
                emergencyShortageID: emergencyShortageID)
        }
    }

    /// A receipt's order line and who supplies it: a `ReceivedLot` without its price and quantities, which the
    /// store reads apart as `ReceiptAmounts`.
    package struct ReceiptLine: Sendable, Equatable {
        package var orderID: Int64
        package var lineNo: Int
        package var consolidatedTo: Int64?
        package var emergencySupplier: Int64?
        package var emergencyShortageID: Int64?

        package init(
            orderID: Int64, lineNo: Int, consolidatedTo: Int64?, emergencySupplier: Int64?, emergencyShortageID: Int64?
        ) {
            self.orderID = orderID
            self.lineNo = lineNo
            self.consolidatedTo = consolidatedTo
            self.emergencySupplier = emergencySupplier
            self.emergencyShortageID = emergencyShortageID
        }
    }

    /// Where a member received a drug's lot.
    package struct ReceiptKey: Sendable, Hashable {
        package var institutionCode: String
        package var drugCode: String
        package var lot: LotKey

        package init(institutionCode: String, drugCode: String, lot: LotKey) {
            self.institutionCode = institutionCode
            self.drugCode = drugCode
            self.lot = lot
        }
    }

    /// A member of the consortium: its level, and its own list (自选目录) when it keeps one.
    package struct Member: Sendable, Equatable {
        package var level: InstitutionLevel
        package var ownList: Set<String>?

        package init(level: InstitutionLevel, ownList: Set<String>?) {
            self.level = level
            self.ownList = ownList
        }
    }

    /// A supplier as the two-invoice rule sees it.
    package struct Supplier: Sendable, Equatable {
        package var id: Int64
        package var isManufacturer: Bool
        /// A manufacturer's wholly-owned sales company or an importer's general agent counts as the manufacturer.
        package var countsAsManufacturer: Bool

        package init(id: Int64, isManufacturer: Bool, countsAsManufacturer: Bool) {
            self.id = id
            self.isManufacturer = isManufacturer
            self.countsAsManufacturer = countsAsManufacturer
        }
    }

    /// What the database knows, read once before the file streams through.
    package struct Records: Sendable {
        package var members: [String: Member]
        /// The consortium catalogue in effect: each drug with the levels that may use it (empty: every level).
        package var catalogue: [String: Set<InstitutionLevel>]
        package var suppliers: [String: Supplier]
        /// Invoices recorded through the API, by distributor code and invoice number.
        package var recordedInvoices: [InvoiceNumberKey: RecordedInvoiceReference]
        private var receipts = ReceiptTable()

        package init(
            receipts: [ReceiptKey: [ReceivedLot]] = [:], members: [String: Member] = [:],
            catalogue: [String: Set<InstitutionLevel>] = [:], suppliers: [String: Supplier] = [:],
            recordedInvoices: [InvoiceNumberKey: RecordedInvoiceReference] = [:]
        ) {
            self.members = members
            self.catalogue = catalogue
            self.suppliers = suppliers
            self.recordedInvoices = recordedInvoices
            for (key, lots) in receipts { lots.forEach { addReceipt($0, at: key) } }
        }

        /// Adds a receipt of a lot on an order line; another delivery of the same lot on the same order line adds
        /// to what was received of the lot.
        package mutating func addReceipt(_ lot: ReceivedLot, at key: ReceiptKey) {
            receipts.add(lot.line, ReceiptAmounts(lot).map { .compact($0) } ?? .exact(lot), at: key)
        }

        /// `addReceipt` with the price and quantities as `ReceiptAmounts`, as the store reads them from PostgreSQL:
        /// no `Decimal` is made for a receipt until a line of the file finds it.
        package mutating func addReceipt(_ line: ReceiptLine, amounts: ReceiptAmounts, at key: ReceiptKey) {
            receipts.add(line, .compact(amounts), at: key)
        }

        /// The order lines with a receipt of the lot.
        package func receipts(at key: ReceiptKey) -> [ReceivedLot] {
            receipts.rows(at: key).map(\.lot)
        }

        /// How many (order line, lot) receipts are held.
        package var receiptCount: Int { receipts.count }

        func rows(at key: ReceiptKey) -> [(row: Int, lot: ReceivedLot)] { receipts.rows(at: key) }
        func lineHeads() -> [Int32] { receipts.lineHeads() }
    }

    /// A receipt's unified price and quantities in ten-thousandths, as PostgreSQL's numeric columns of four decimal
    /// places or fewer hold them: an Int64 each, where a `Decimal` is 20 bytes (a consortium has millions of
    /// receipts). `ReceiptAmounts(lot)` is nil for a lot whose amounts do not fit; the table keeps those exactly.
    package struct ReceiptAmounts: Sendable, Equatable {
        package var unifiedPrice: Int64
        package var lineReceived: Int64
        package var lotReceived: Int64
        package var lineBilled: Int64
        package var lotBilled: Int64

        package init(unifiedPrice: Int64, lineReceived: Int64, lotReceived: Int64, lineBilled: Int64, lotBilled: Int64) {
            self.unifiedPrice = unifiedPrice
            self.lineReceived = lineReceived
            self.lotReceived = lotReceived
            self.lineBilled = lineBilled
            self.lotBilled = lotBilled
        }

        init?(_ lot: ReceivedLot) {
            guard let price = Self.tenThousandths(lot.unifiedPrice.amount),
                let lineReceived = Self.tenThousandths(lot.lineReceived),
                let lotReceived = Self.tenThousandths(lot.lotReceived),
                let lineBilled = Self.tenThousandths(lot.lineBilled), let lotBilled = Self.tenThousandths(lot.lotBilled)
            else { return nil }
            self.init(
                unifiedPrice: price, lineReceived: lineReceived, lotReceived: lotReceived, lineBilled: lineBilled,
                lotBilled: lotBilled)
        }

        /// `value` in ten-thousandths, when it is a whole number of them that fits.
        static func tenThousandths(_ value: Decimal) -> Int64? {
            guard value.isFinite else { return nil }
            var scaled = value * 10_000
            var whole = Decimal()
            NSDecimalRound(&whole, &scaled, 0, .plain)
            guard whole == scaled, whole.magnitude < 1_000_000_000_000_000_000 else { return nil }
            return NSDecimalNumber(decimal: whole).int64Value
        }

        static func decimal(_ tenThousandths: Int64) -> Decimal {
            DecimalText.decimal(digits: tenThousandths.magnitude, exponent: -4, negative: tenThousandths < 0)
        }
    }

    package struct InvoiceNumberKey: Sendable, Hashable {
        package var distributorCode: String
        package var invoiceNumber: String

        package init(distributorCode: String, invoiceNumber: String) {
            self.distributorCode = distributorCode
            self.invoiceNumber = invoiceNumber
        }
    }

    /// A line repeats an earlier one with the same distributor, invoice number, drug as the file wrote it, and lot.
    struct DuplicateKey: Hashable {
        var invoice: InvoiceNumberKey
        var drugCode: String
        var lot: LotKey

        init(_ line: InvoiceFileLine) {
            invoice = InvoiceNumberKey(distributorCode: line.distributorCode, invoiceNumber: line.invoiceNumber)
            drugCode = line.fileDrugCode ?? line.drugCode
            lot = LotKey(line.lotNumber)
        }
    }

    /// The hashes of the duplicate keys a first pass found on more than one line: only those lines can be
    /// duplicates, so only their keys need keeping. One machine word a line while the pass runs, where a key is
    /// five strings; a hash met twice by two different keys only means both keys are kept whole and compared.
    package struct RepeatedKeys: Sendable {
        private var seen = Set<Int>()
        package private(set) var repeated = Set<Int>()

        package init() {}

        package mutating func note(_ line: InvoiceFileLine) {
            let hash = DuplicateKey(line).hashValue
            if !seen.insert(hash).inserted { repeated.insert(hash) }
        }

        /// What the second pass needs: the repeated hashes, the rest let go.
        package consuming func finished() -> Set<Int> { repeated }
    }

    let records: Records
    /// Only keys whose hash is here can repeat (nil: any can).
    private let repeatedKeys: Set<Int>?
    private var firstLines: [DuplicateKey: Int] = [:]
    /// Each receipt row's order line, as its first row (`ReceiptTable.lineHeads`).
    private let lineHeads: [Int32]
    /// What earlier lines claimed of each receipt row (a lot of an order line), and of each order line (at its
    /// first row).
    private var claims: (lot: Claimed, line: Claimed)

    /// `repeatedKeys`: `RepeatedKeys.finished()` of a first pass over the same file in the same process (a hash is
    /// the process's own), or nil to keep every key.
    package init(records: Records, repeatedKeys: Set<Int>? = nil) {
        self.records = records
        self.repeatedKeys = repeatedKeys
        lineHeads = records.lineHeads()
        let none = Claimed(rows: records.receiptCount)
        claims = (none, none)
    }

    /// The facts of the next line of the file; lines must come in the file's order. `unmappedCode` is why the
    /// crosswalk did not map the line's code (`InvoiceCodeTranslation`), nil when it did or needs not.
    package mutating func facts(of line: InvoiceFileLine, unmappedCode: String? = nil) -> InvoiceLineFacts {
        let duplicateKey = DuplicateKey(line)
        let (lot, invoice) = (duplicateKey.lot, duplicateKey.invoice)
        var duplicateOf: Int?
        if repeatedKeys?.contains(duplicateKey.hashValue) ?? true {
            if let first = firstLines[duplicateKey] { duplicateOf = first } else { firstLines[duplicateKey] = line.lineNumber }
        }
        let recorded = records.recordedInvoices[invoice]
        let member = records.members[line.institutionCode]

        var orderLine: InvoicedOrderLine?
        if unmappedCode == nil, member != nil,
            let chosen = Self.orderLine(
                records.rows(at: ReceiptKey(institutionCode: line.institutionCode, drugCode: line.drugCode, lot: lot)),
                invoicing: records.suppliers[line.distributorCode]?.id)
        {
            let (row, received, supplied) = chosen
            let lineRow = Int(lineHeads[row])
            orderLine = InvoicedOrderLine(
                orderID: received.orderID, lineNo: received.lineNo, unifiedPrice: received.unifiedPrice,
                suppliedByInvoicingDistributor: supplied,
                line: ReceiptBalance(received: received.lineReceived, billed: received.lineBilled + claims.line[lineRow]),
                lot: ReceiptBalance(received: received.lotReceived, billed: received.lotBilled + claims.lot[row]),
                emergencyShortageID: received.emergencyShortageID)
            if duplicateOf == nil && recorded == nil && supplied {
                let compact = ReceiptAmounts.tenThousandths(line.quantity)
                claims.line.add(line.quantity, compact: compact, at: lineRow)
                claims.lot.add(line.quantity, compact: compact, at: row)
            }
        }
        return InvoiceLineFacts(
            duplicateOfLine: duplicateOf, recordedInvoice: recorded, orderLine: orderLine,
            inMemberCatalogue: member.map { inCatalogue(line.drugCode, of: $0) } ?? false,
            chainProblem: chainProblem(line), unmappedCode: unmappedCode)
    }

    /// Of the order lines with a receipt of the lot, one the invoicing distributor supplied when there is one, else
    /// the latest order's; ties by line number. With whether the distributor supplied it.
    static func orderLine(_ candidates: [(row: Int, lot: ReceivedLot)], invoicing: Int64?) -> (
        row: Int, lot: ReceivedLot, supplied: Bool
    )? {
        func supplied(_ r: ReceivedLot) -> Bool {
            guard let invoicing else { return false }
            return InvoiceLineRules.supplies(
                invoicing: invoicing, consolidatedTo: r.consolidatedTo, emergencySupplier: r.emergencySupplier)
        }
        let best = candidates.min { x, y in
            let (a, b) = (x.lot, y.lot)
            let (sa, sb) = (supplied(a), supplied(b))
            if sa != sb { return sa }
            if a.orderID != b.orderID { return a.orderID > b.orderID }
            return a.lineNo < b.lineNo
        }
        return best.map { ($0.row, $0.lot, supplied($0.lot)) }
    }

    func inCatalogue(_ drugCode: String, of member: Member) -> Bool {
        if let own = member.ownList { return own.contains(drugCode) }
        guard let levels = records.catalogue[drugCode] else { return false }
        return levels.isEmpty || levels.contains(member.level)
    }

    /// 两票制 on a file's line, in the words of `two_invoice_chain_problem` (sql/019): the manufacturer's invoice
    /// number and code are given, the code is a known supplier, and that supplier is a manufacturer or counts as one.
    func chainProblem(_ line: InvoiceFileLine) -> String? {
        guard line.manufacturerInvoiceNumber != nil else { return "missing manufacturer invoice number" }
        guard let code = line.manufacturerCode else { return "missing manufacturer code" }
        guard let supplier = records.suppliers[code] else { return "unknown manufacturer \(code)" }
        guard
            ProcurementRules.twoInvoiceRuleError(
                upstreamIsManufacturer: supplier.isManufacturer, upstreamCountsAsManufacturer: supplier.countsAsManufacturer,
                upstreamCode: code) != nil
        else { return nil }
        return "the manufacturer invoice comes from a plain distributor \(code)"
    }
}

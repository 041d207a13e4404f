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
/// Memory grows with the records (`Records`) and with the file's distinct duplicate keys and claimed order lines,
/// never with the lines' contents.
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
        package var receipts: [ReceiptKey: [ReceivedLot]]
        package var members: [String: Member]
        /// The consortium catalogue in effect: each drug with the levels that may use it (empty: every level).
        package var catalogue: [String: Set<InstitutionLevel>]
        package var suppliers: [String: Supplier]
        /// Invoices recorded through the API, by distributor code and invoice number.
        package var recordedInvoices: [InvoiceNumberKey: RecordedInvoiceReference]

        package init(
            receipts: [ReceiptKey: [ReceivedLot]] = [:], members: [String: Member] = [:],
            catalogue: [String: Set<InstitutionLevel>] = [:], suppliers: [String: Supplier] = [:],
            recordedInvoices: [InvoiceNumberKey: RecordedInvoiceReference] = [:]
        ) {
            self.receipts = receipts
            self.members = members
            self.catalogue = catalogue
            self.suppliers = suppliers
            self.recordedInvoices = recordedInvoices
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

    struct DuplicateKey: Hashable {
        var invoice: InvoiceNumberKey
        var drugCode: String
        var lot: LotKey
    }

    struct OrderLineKey: Hashable {
        var orderID: Int64
        var lineNo: Int
    }

    struct ClaimedLotKey: Hashable {
        var line: OrderLineKey
        var lot: LotKey
    }

    let records: Records
    private var firstLines: [DuplicateKey: Int] = [:]
    private var claimedOfLine: [OrderLineKey: Decimal] = [:]
    private var claimedOfLot: [ClaimedLotKey: Decimal] = [:]

    package init(records: Records) {
        self.records = records
    }

    /// The facts of the next line of the file; lines must come in the file's order. `unmappedCode` is why the
    /// crosswalk did not map the line's code (`InvoiceCodeTranslation`), nil when it did or needs not.
    package mutating func facts(of line: InvoiceFileLine, unmappedCode: String? = nil) -> InvoiceLineFacts {
        let lot = LotKey(line.lotNumber)
        let invoice = InvoiceNumberKey(distributorCode: line.distributorCode, invoiceNumber: line.invoiceNumber)
        let duplicateKey = DuplicateKey(invoice: invoice, drugCode: line.fileDrugCode ?? line.drugCode, lot: lot)
        var duplicateOf: Int?
        if let first = firstLines[duplicateKey] { duplicateOf = first } else { firstLines[duplicateKey] = line.lineNumber }
        let recorded = records.recordedInvoices[invoice]
        let member = records.members[line.institutionCode]

        var orderLine: InvoicedOrderLine?
        if unmappedCode == nil, member != nil,
            let chosen = Self.orderLine(
                records.receipts[ReceiptKey(institutionCode: line.institutionCode, drugCode: line.drugCode, lot: lot)]
                    ?? [], invoicing: records.suppliers[line.distributorCode]?.id)
        {
            let (received, supplied) = chosen
            let lineKey = OrderLineKey(orderID: received.orderID, lineNo: received.lineNo)
            let lotKey = ClaimedLotKey(line: lineKey, lot: lot)
            orderLine = InvoicedOrderLine(
                orderID: received.orderID, lineNo: received.lineNo, unifiedPrice: received.unifiedPrice,
                suppliedByInvoicingDistributor: supplied,
                line: ReceiptBalance(
                    received: received.lineReceived, billed: received.lineBilled + (claimedOfLine[lineKey] ?? 0)),
                lot: ReceiptBalance(received: received.lotReceived, billed: received.lotBilled + (claimedOfLot[lotKey] ?? 0)),
                emergencyShortageID: received.emergencyShortageID)
            if duplicateOf == nil && recorded == nil && supplied {
                claimedOfLine[lineKey, default: 0] += line.quantity
                claimedOfLot[lotKey, default: 0] += line.quantity
            }
        }
        return InvoiceLineFacts(
            duplicateOfLine: duplicateOf, recordedInvoice: recorded, orderLine: orderLine,
            inMemberCatalogue: member.map { inCatalogue(line.drugCode, of: $0) } ?? false,
            chainProblem: chainProblem(line), unmappedCode: unmappedCode)
    }

    /// Of the order lines with a receipt of the lot, one the invoicing distributor supplied when there is one, else
    /// the latest order's; ties by line number. With whether the distributor supplied it.
    static func orderLine(_ candidates: [ReceivedLot], invoicing: Int64?) -> (ReceivedLot, supplied: Bool)? {
        func supplied(_ r: ReceivedLot) -> Bool {
            guard let invoicing else { return false }
            return InvoiceLineRules.supplies(
                invoicing: invoicing, consolidatedTo: r.consolidatedTo, emergencySupplier: r.emergencySupplier)
        }
        let best = candidates.min { a, b in
            let (sa, sb) = (supplied(a), supplied(b))
            if sa != sb { return sa }
            if a.orderID != b.orderID { return a.orderID > b.orderID }
            return a.lineNo < b.lineNo
        }
        return best.map { ($0, supplied($0)) }
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

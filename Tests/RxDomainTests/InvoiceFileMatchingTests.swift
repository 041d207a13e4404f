import Foundation
import Testing

@testable import RxDomain

@Suite("Invoice file matching: the facts of each line, found in the file's order (issue 25)")
struct InvoiceFileMatchingTests {
    static let distributor: Int64 = 11
    static let other: Int64 = 12

    static func received(
        order: Int64, line: Int = 1, price: String = "2.5000", consolidatedTo: Int64? = distributor,
        emergencySupplier: Int64? = nil, lineReceived: Decimal = 10, lotReceived: Decimal = 10, lineBilled: Decimal = 0,
        lotBilled: Decimal = 0
    ) -> InvoiceFileMatching.ReceivedLot {
        InvoiceFileMatching.ReceivedLot(
            orderID: order, lineNo: line, unifiedPrice: Money(price)!, consolidatedTo: consolidatedTo,
            emergencySupplier: emergencySupplier, emergencyShortageID: nil, lineReceived: lineReceived,
            lotReceived: lotReceived, lineBilled: lineBilled, lotBilled: lotBilled)
    }

    static func key(_ member: String = "YJ-TCMH", drug: String = "D1", lot: String = "L1") -> InvoiceFileMatching.ReceiptKey {
        InvoiceFileMatching.ReceiptKey(institutionCode: member, drugCode: drug, lot: LotKey(lot))
    }

    static func records(
        receipts: [InvoiceFileMatching.ReceiptKey: [InvoiceFileMatching.ReceivedLot]] = [key(): [received(order: 7)]],
        ownList: Set<String>? = nil, catalogue: [String: Set<InstitutionLevel>] = ["D1": []],
        recorded: [InvoiceFileMatching.InvoiceNumberKey: RecordedInvoiceReference] = [:]
    ) -> InvoiceFileMatching.Records {
        InvoiceFileMatching.Records(
            receipts: receipts,
            members: [
                "YJ-TCMH": InvoiceFileMatching.Member(level: .secondary, ownList: ownList),
                "CUN-01": InvoiceFileMatching.Member(level: .village, ownList: nil),
            ],
            catalogue: catalogue,
            suppliers: [
                "DST-A": InvoiceFileMatching.Supplier(id: distributor, isManufacturer: false, countsAsManufacturer: false),
                "DST-B": InvoiceFileMatching.Supplier(id: other, isManufacturer: false, countsAsManufacturer: false),
                "MFR-001": InvoiceFileMatching.Supplier(id: 21, isManufacturer: true, countsAsManufacturer: false),
                "SALES-01": InvoiceFileMatching.Supplier(id: 22, isManufacturer: false, countsAsManufacturer: true),
            ],
            recordedInvoices: recorded)
    }

    static func line(
        _ n: Int, distributor: String = "DST-A", invoice: String = "INV-1", member: String = "YJ-TCMH", drug: String = "D1",
        lot: String = "L1", quantity: Decimal = 10, manufacturerInvoice: String? = "M-1",
        manufacturer: String? = "MFR-001", fileDrugCode: String? = nil
    ) -> InvoiceFileLine {
        InvoiceFileLine(
            lineNumber: n, distributorCode: distributor, invoiceNumber: invoice, invoiceDate: BusinessDate("2026-06-15")!,
            manufacturerInvoiceNumber: manufacturerInvoice, manufacturerCode: manufacturer, institutionCode: member,
            drugCode: drug, lotNumber: lot, quantity: quantity, unitPrice: Money("2.5000")!,
            amount: Money((quantity * 2.5).description)!, fileDrugCode: fileDrugCode)
    }

    @Test("a later line with the same distributor, invoice number, drug as written and lot key is a duplicate of the first")
    func duplicates() {
        var matching = InvoiceFileMatching(records: Self.records())
        #expect(matching.facts(of: Self.line(2)).duplicateOfLine == nil)
        #expect(matching.facts(of: Self.line(3, lot: " ｌ1 ")).duplicateOfLine == 2)
        #expect(matching.facts(of: Self.line(4, invoice: "INV-2")).duplicateOfLine == nil)
        #expect(matching.facts(of: Self.line(5, distributor: "DST-B")).duplicateOfLine == nil)
        // The drug as the file wrote it: two codes the crosswalk reads as one drug are two lines.
        #expect(matching.facts(of: Self.line(6, fileDrugCode: "86900001")).duplicateOfLine == nil)
        #expect(matching.facts(of: Self.line(7, fileDrugCode: "86900001")).duplicateOfLine == 6)
    }

    @Test("with the keys a first pass found repeated, the same duplicates as keeping every key, raw lines and read ones")
    func repeatedKeysOnly() {
        let raw = [
            Self.line(2), Self.line(3, lot: " ｌ1 "), Self.line(4, invoice: "INV-2"), Self.line(5, drug: "86900001"),
            Self.line(6, distributor: "DST-B"), Self.line(7, drug: "86900001"), Self.line(8, invoice: "INV-2"),
        ]
        var first = InvoiceFileMatching.RepeatedKeys()
        raw.forEach { first.note($0) }
        let repeated = first.finished()
        #expect(repeated.count == 3)
        // The second pass sees the lines as the crosswalk reads them: 86900001 is D1, the file's code kept.
        let read = raw.map { line -> InvoiceFileLine in
            guard line.drugCode == "86900001" else { return line }
            var read = line
            (read.fileDrugCode, read.drugCode) = (line.drugCode, "D1")
            return read
        }
        var everyKey = InvoiceFileMatching(records: Self.records())
        var repeatedOnly = InvoiceFileMatching(records: Self.records(), repeatedKeys: repeated)
        let kept = read.map { everyKey.facts(of: $0) }
        #expect(kept.map(\.duplicateOfLine) == [nil, 2, nil, nil, nil, 5, 4])
        #expect(read.map { repeatedOnly.facts(of: $0) } == kept)
    }

    @Test("two deliveries of a lot on one order line are one receipt of their sum; other order lines stay apart")
    func deliveriesAddUp() {
        var records = Self.records(receipts: [:])
        records.addReceipt(Self.received(order: 7, lotReceived: 4), at: Self.key())
        records.addReceipt(Self.received(order: 7, lotReceived: 6), at: Self.key())
        records.addReceipt(Self.received(order: 8, emergencySupplier: 99, lotReceived: 5), at: Self.key())
        records.addReceipt(Self.received(order: 7), at: Self.key(lot: "L2"))
        #expect(records.receiptCount == 3)
        let lots = records.receipts(at: Self.key(lot: " l1"))
        #expect(lots.map(\.orderID).sorted() == [7, 8])
        #expect(lots.first { $0.orderID == 7 }?.lotReceived == 10)
        #expect(lots.first { $0.orderID == 8 }?.emergencySupplier == 99)
        #expect(records.receipts(at: Self.key(drug: "D9")).isEmpty && records.receipts(at: Self.key("NOBODY")).isEmpty)
    }

    @Test("receipts held in ten-thousandths read back as added; amounts that do not fit are kept exactly, deliveries add up")
    func receiptAmounts() {
        typealias Amounts = InvoiceFileMatching.ReceiptAmounts
        #expect(Amounts.tenThousandths(Decimal(string: "2.5")!) == 25_000)
        #expect(Amounts.tenThousandths(Decimal(string: "-0.0001")!) == -1)
        #expect(Amounts.tenThousandths(0) == 0)
        #expect(Amounts.tenThousandths(Decimal(string: "0.00001")!) == nil)
        #expect(Amounts.tenThousandths(Decimal(string: "1e30")!) == nil)
        #expect(Amounts.decimal(25_000) == Decimal(string: "2.5")! && Amounts.decimal(-1) == Decimal(string: "-0.0001")!)

        var records = Self.records(receipts: [:])
        // As the store adds them: the order line, and the amounts apart.
        let amounts = Amounts(unifiedPrice: 25_000, lineReceived: 100_000, lotReceived: 40_000, lineBilled: 0, lotBilled: 0)
        records.addReceipt(Self.received(order: 7).line, amounts: amounts, at: Self.key())
        records.addReceipt(Self.received(order: 7).line, amounts: amounts, at: Self.key())
        // A quantity of more than four places: kept as added, and a later delivery adds to it exactly.
        records.addReceipt(Self.received(order: 8, lotReceived: Decimal(string: "0.00001")!), at: Self.key())
        records.addReceipt(
            Self.received(order: 8).line,
            amounts: Amounts(unifiedPrice: 25_000, lineReceived: 100_000, lotReceived: 20_000, lineBilled: 0, lotBilled: 0),
            at: Self.key())
        // Added as fitting, then a delivery that does not: the sum is exact.
        records.addReceipt(Self.received(order: 9, lotReceived: 1), at: Self.key())
        records.addReceipt(Self.received(order: 9, lotReceived: Decimal(string: "0.00001")!), at: Self.key())
        let lots = records.receipts(at: Self.key())
        #expect(lots.count == 3)
        let seven = lots.first { $0.orderID == 7 }
        #expect(seven?.lotReceived == 8 && seven?.lineReceived == 10 && seven?.unifiedPrice == Money("2.5")!)
        #expect(lots.first { $0.orderID == 8 }?.lotReceived == Decimal(string: "2.00001")!)
        #expect(lots.first { $0.orderID == 9 }?.lotReceived == Decimal(string: "1.00001")!)
    }

    @Test("the order line: one the invoicing distributor supplied first, else the latest order's, ties by line number")
    func orderLineChoice() {
        let candidates = [
            Self.received(order: 9, line: 2, consolidatedTo: Self.other),
            Self.received(order: 8, line: 3),
            Self.received(order: 8, line: 1),
        ]
        var matching = InvoiceFileMatching(records: Self.records(receipts: [Self.key(): candidates]))
        let facts = matching.facts(of: Self.line(2))
        #expect(facts.orderLine?.orderID == 8)
        #expect(facts.orderLine?.lineNo == 1)
        #expect(facts.orderLine?.suppliedByInvoicingDistributor == true)
        // DST-B supplied order 9's line: that one; a distributor that supplied none gets the latest order's, unsupplied.
        let wrong = matching.facts(of: Self.line(3, distributor: "DST-B", invoice: "INV-9"))
        #expect(wrong.orderLine?.orderID == 9)
        #expect(wrong.orderLine?.suppliedByInvoicingDistributor == true)
        let unknown = matching.facts(of: Self.line(4, distributor: "DST-UNKNOWN", invoice: "INV-8"))
        #expect(unknown.orderLine?.orderID == 9)
        #expect(unknown.orderLine?.suppliedByInvoicingDistributor == false)
        // An emergency purchase is supplied by its own supplier.
        var emergency = InvoiceFileMatching(
            records: Self.records(receipts: [
                Self.key(): [Self.received(order: 5, consolidatedTo: nil, emergencySupplier: Self.other)]
            ]))
        #expect(emergency.facts(of: Self.line(2, distributor: "DST-B")).orderLine?.suppliedByInvoicingDistributor == true)
        #expect(emergency.facts(of: Self.line(3)).orderLine?.suppliedByInvoicingDistributor == false)
    }

    @Test("no order line for an unknown member, another drug or lot, or a code the crosswalk does not map")
    func noOrderLine() {
        var matching = InvoiceFileMatching(records: Self.records())
        #expect(matching.facts(of: Self.line(2, member: "NOBODY")).orderLine == nil)
        #expect(matching.facts(of: Self.line(3, member: "NOBODY")).inMemberCatalogue == false)
        #expect(matching.facts(of: Self.line(4, drug: "D2")).orderLine == nil)
        #expect(matching.facts(of: Self.line(5, lot: "L2")).orderLine == nil)
        let unmapped = matching.facts(of: Self.line(6, invoice: "INV-3"), unmappedCode: "no mapping on 2026-06-15")
        #expect(unmapped.orderLine == nil)
        #expect(unmapped.unmappedCode == "no mapping on 2026-06-15")
    }

    @Test(
        "what earlier lines claimed of the lot and the order line is billed; duplicates, recorded invoices and a wrong distributor claim nothing"
    )
    func runningClaims() {
        let key = InvoiceFileMatching.InvoiceNumberKey(distributorCode: "DST-A", invoiceNumber: "INV-REC")
        let records = Self.records(
            receipts: [
                Self.key(): [Self.received(order: 7, lineReceived: 30, lotReceived: 10, lineBilled: 4, lotBilled: 1)],
                Self.key(lot: "L2"): [Self.received(order: 7, lineReceived: 30, lotReceived: 20, lineBilled: 4, lotBilled: 3)],
            ],
            recorded: [key: RecordedInvoiceReference(id: 99, paid: false)])
        var matching = InvoiceFileMatching(records: records)
        let first = matching.facts(of: Self.line(2, quantity: 6))
        #expect(first.orderLine?.lot == ReceiptBalance(received: 10, billed: 1))
        #expect(first.orderLine?.line == ReceiptBalance(received: 30, billed: 4))
        _ = matching.facts(of: Self.line(3, quantity: 6))  // a duplicate of line 2
        _ = matching.facts(of: Self.line(4, invoice: "INV-REC", quantity: 5))  // of an invoice already recorded
        _ = matching.facts(of: Self.line(5, distributor: "DST-B", invoice: "INV-B", quantity: 5))  // not supplied by DST-B
        let second = matching.facts(of: Self.line(6, invoice: "INV-2", quantity: 3))
        #expect(second.orderLine?.lot == ReceiptBalance(received: 10, billed: 7))
        #expect(second.orderLine?.line == ReceiptBalance(received: 30, billed: 10))
        // Another lot of the same order line: its own lot's claims, the line's claims shared.
        let otherLot = matching.facts(of: Self.line(7, invoice: "INV-2", lot: "L2", quantity: 2))
        #expect(otherLot.orderLine?.lot == ReceiptBalance(received: 20, billed: 3))
        #expect(otherLot.orderLine?.line == ReceiptBalance(received: 30, billed: 13))
        // And the domain judges it: the second line of lot L1 bills 3 of the 3 left; a third bills beyond.
        #expect(ReconciliationRules.classify(Self.line(6, invoice: "INV-2", quantity: 3), second).isEmpty)
        let third = matching.facts(of: Self.line(8, invoice: "INV-3", quantity: 1))
        #expect(
            ReconciliationRules.classify(Self.line(8, invoice: "INV-3", quantity: 1), third).map(\.classification)
                == [.billedBeyondReceived])
    }

    @Test("claims of quantities beyond four places are kept exactly, before and after ones that fit")
    func exactClaims() {
        let records = Self.records(receipts: [
            Self.key(): [Self.received(order: 7, lineReceived: 30, lotReceived: 30)]
        ])
        var matching = InvoiceFileMatching(records: records)
        _ = matching.facts(of: Self.line(2, quantity: 1))
        var tiny = Self.line(3, invoice: "INV-2")
        tiny.quantity = Decimal(string: "0.00001")!
        _ = matching.facts(of: tiny)
        _ = matching.facts(of: Self.line(4, invoice: "INV-3", quantity: Decimal(string: "2.5")!))
        let fourth = matching.facts(of: Self.line(5, invoice: "INV-4", quantity: 1))
        #expect(fourth.orderLine?.lot == ReceiptBalance(received: 30, billed: Decimal(string: "3.50001")!))
        #expect(fourth.orderLine?.line == ReceiptBalance(received: 30, billed: Decimal(string: "3.50001")!))
    }

    @Test("a table of many receipts finds each one, its deliveries added up, and keeps each order line's claims at one row")
    func manyReceipts() {
        var records = Self.records(receipts: [:])
        // 70,000 receipts: past a chunk of rows (65,536) and many growths of the slots; two lots an order line, and
        // one lot received on two order lines.
        for n in 0..<35_000 {
            let member = "M\(n % 97)"
            records.addReceipt(Self.received(order: Int64(n), line: 1), at: Self.key(member, drug: "D\(n % 13)", lot: "A\(n)"))
            records.addReceipt(Self.received(order: Int64(n), line: 1), at: Self.key(member, drug: "D\(n % 13)", lot: "B\(n)"))
        }
        records.addReceipt(Self.received(order: 5, line: 1, lotReceived: 2), at: Self.key("M5", drug: "D5", lot: "A5"))
        records.addReceipt(Self.received(order: 99_999, line: 2), at: Self.key("M5", drug: "D5", lot: "A5"))
        #expect(records.receiptCount == 70_001)
        for n in [0, 5, 34_999, 65_536 / 2, 65_536 / 2 + 1] {
            let lots = records.receipts(at: Self.key("M\(n % 97)", drug: "D\(n % 13)", lot: "B\(n)"))
            #expect(lots.map(\.orderID) == [Int64(n)])
        }
        let shared = records.receipts(at: Self.key("M5", drug: "D5", lot: "A5"))
        #expect(shared.map(\.orderID).sorted() == [5, 99_999])
        #expect(shared.first { $0.orderID == 5 }?.lotReceived == 12)
        #expect(records.receipts(at: Self.key("M6", drug: "D5", lot: "A5")).isEmpty)

        let heads = records.lineHeads()
        let n = 34_000
        let a = records.rows(at: Self.key("M\(n % 97)", drug: "D\(n % 13)", lot: "A\(n)")).map(\.row)
        let b = records.rows(at: Self.key("M\(n % 97)", drug: "D\(n % 13)", lot: "B\(n)")).map(\.row)
        #expect(a.count == 1 && b.count == 1 && heads[a[0]] == heads[b[0]] && heads[a[0]] == Int32(min(a[0], b[0])))
        let other = records.rows(at: Self.key("M5", drug: "D5", lot: "A5")).map(\.row)
        #expect(Set(other.map { heads[$0] }).count == 2)
        // What the table's memory is reckoned by.
        #expect(MemoryLayout<InvoiceFileMatching.ReceiptTable.Row>.stride == 64)
    }

    @Test("the member's catalogue: its own list when it keeps one, else what its level may use of the catalogue in effect")
    func memberCatalogue() {
        var byLevel = InvoiceFileMatching(records: Self.records(catalogue: ["D1": [.secondary], "D2": []]))
        #expect(byLevel.facts(of: Self.line(2)).inMemberCatalogue)
        #expect(byLevel.facts(of: Self.line(3, drug: "D2")).inMemberCatalogue)
        #expect(byLevel.facts(of: Self.line(4, member: "CUN-01")).inMemberCatalogue == false)
        #expect(byLevel.facts(of: Self.line(5, drug: "D3")).inMemberCatalogue == false)
        var ownList = InvoiceFileMatching(records: Self.records(ownList: ["D3"], catalogue: ["D1": []]))
        #expect(ownList.facts(of: Self.line(2)).inMemberCatalogue == false)
        #expect(ownList.facts(of: Self.line(3, drug: "D3")).inMemberCatalogue)
    }

    @Test("the two-invoice chain (两票制) in the words of two_invoice_chain_problem")
    func chain() {
        var matching = InvoiceFileMatching(records: Self.records())
        #expect(matching.facts(of: Self.line(2)).chainProblem == nil)
        #expect(matching.facts(of: Self.line(3, invoice: "I3", manufacturer: "SALES-01")).chainProblem == nil)
        #expect(
            matching.facts(of: Self.line(4, invoice: "I4", manufacturerInvoice: nil)).chainProblem
                == "missing manufacturer invoice number")
        #expect(matching.facts(of: Self.line(5, invoice: "I5", manufacturer: nil)).chainProblem == "missing manufacturer code")
        #expect(
            matching.facts(of: Self.line(6, invoice: "I6", manufacturer: "MFR-X")).chainProblem == "unknown manufacturer MFR-X")
        #expect(
            matching.facts(of: Self.line(7, invoice: "I7", manufacturer: "DST-B")).chainProblem
                == "the manufacturer invoice comes from a plain distributor DST-B")
    }
}

import Foundation

/// What reconciling one line of a distributor's invoice file found. The order-line classifications are the
/// invoice-line discrepancies of `InvoiceLineRules` (the API judges recorded invoices by the same rule).
package enum ReconciliationClassification: String, Sendable, Codable, CaseIterable, Comparable {
    case matched
    /// The invoiced unit price is not the order line's unified price; at stake: (invoiced − unified) × quantity.
    case priceDiffers = "price_differs"
    /// The line bills fewer units than were received of the lot and not yet billed; at stake: the difference × invoiced price.
    case quantityDiffers = "quantity_differs"
    /// The line bills more than was received of the lot and not yet billed (by recorded invoices and earlier lines
    /// of the file); at stake: the excess × invoiced price.
    case billedBeyondReceived = "billed_beyond_received"
    /// The order line was consolidated to another distributor; at stake: the line's amount.
    case wrongDistributor = "wrong_distributor"
    /// No order line of the member for the drug with a receipt of the lot; at stake: the line's amount.
    case noMatchingOrderOrReceipt = "no_matching_order_or_receipt"
    /// The same distributor, invoice number, drug and lot on an earlier line of the file; at stake: the amount.
    case duplicateLine = "duplicate_line"
    /// The distributor's invoice number is already recorded (through the API), not yet paid; at stake: the amount.
    case alreadyInvoiced = "already_invoiced"
    /// The distributor's invoice number is already recorded and (partly) paid; at stake: the amount.
    case alreadyPaid = "already_paid"
    /// The drug column holds a code the crosswalk does not map on the invoice date (药品编码对照): the line is not
    /// matched until it is mapped; at stake: the line's amount.
    case unmappedCode = "unmapped_code"
    /// The drug is outside the member's catalogue in effect; at stake: the line's amount.
    case outsideMemberCatalogue = "outside_member_catalogue"
    /// No manufacturer invoice number, or the first invoice is not from a manufacturer (两票制); at stake: the amount.
    case twoInvoiceChain = "two_invoice_chain"
    /// The amount is not quantity × unit price to the fen; at stake: amount − quantity × unit price.
    case amountMismatch = "amount_mismatch"

    package init(_ discrepancy: InvoiceLineDiscrepancy) {
        switch discrepancy {
        case .noMatchingOrderOrReceipt: self = .noMatchingOrderOrReceipt
        case .wrongDistributor: self = .wrongDistributor
        case .priceDiffers: self = .priceDiffers
        case .quantityDiffers: self = .quantityDiffers
        case .billedBeyondReceived: self = .billedBeyondReceived
        case .amountMismatch: self = .amountMismatch
        }
    }

    package static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One validated line of an invoice file.
package struct InvoiceFileLine: Sendable, Equatable {
    package var lineNumber: Int
    package var distributorCode: String
    package var invoiceNumber: String
    package var invoiceDate: BusinessDate
    package var manufacturerInvoiceNumber: String?
    package var manufacturerCode: String?
    package var institutionCode: String
    package var drugCode: String
    package var lotNumber: String
    package var quantity: Decimal
    package var unitPrice: Money
    package var amount: Money
    /// The code the file named the drug by, when the crosswalk translated it to `drugCode`; `quantity` and
    /// `unitPrice` are then in the order lines' unit, `packageFactor` the crosswalk's factor to the drug's unit.
    package var fileDrugCode: String?
    package var packageFactor: Decimal?

    package init(
        lineNumber: Int, distributorCode: String, invoiceNumber: String, invoiceDate: BusinessDate,
        manufacturerInvoiceNumber: String?, manufacturerCode: String?, institutionCode: String, drugCode: String,
        lotNumber: String, quantity: Decimal, unitPrice: Money, amount: Money, fileDrugCode: String? = nil,
        packageFactor: Decimal? = nil
    ) {
        self.lineNumber = lineNumber
        self.distributorCode = distributorCode
        self.invoiceNumber = invoiceNumber
        self.invoiceDate = invoiceDate
        self.manufacturerInvoiceNumber = manufacturerInvoiceNumber
        self.manufacturerCode = manufacturerCode
        self.institutionCode = institutionCode
        self.drugCode = drugCode
        self.lotNumber = lotNumber
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.amount = amount
        self.fileDrugCode = fileDrugCode
        self.packageFactor = packageFactor
    }
}

/// What the database knows about a line (found set-based, in one query), for the rules to judge.
package struct InvoiceLineFacts: Sendable, Equatable {
    /// An earlier line of the file has the same distributor, invoice number, drug and lot.
    package var duplicateOfLine: Int?
    /// The distributor's invoice of that number, already recorded through the API.
    package var recordedInvoice: RecordedInvoiceReference?
    /// The member's order line for the drug with a receipt of the lot (one the invoicing distributor supplied,
    /// when there is one), with what was received and billed of the lot and of the line: by recorded invoices and
    /// by the file's earlier lines.
    package var orderLine: InvoicedOrderLine?
    package var inMemberCatalogue: Bool
    /// Why the two-invoice chain fails, nil when it holds.
    package var chainProblem: String?
    /// Why the crosswalk does not map the line's drug code on its invoice date, nil when it does (or needs not).
    package var unmappedCode: String?

    package init(
        duplicateOfLine: Int? = nil, recordedInvoice: RecordedInvoiceReference? = nil, orderLine: InvoicedOrderLine? = nil,
        inMemberCatalogue: Bool = true, chainProblem: String? = nil, unmappedCode: String? = nil
    ) {
        self.duplicateOfLine = duplicateOfLine
        self.recordedInvoice = recordedInvoice
        self.orderLine = orderLine
        self.inMemberCatalogue = inMemberCatalogue
        self.chainProblem = chainProblem
        self.unmappedCode = unmappedCode
    }
}

/// An invoice recorded through the API: its id, and whether any of it was paid.
package struct RecordedInvoiceReference: Sendable, Equatable {
    package var id: Int64
    package var paid: Bool

    package init(id: Int64, paid: Bool) {
        self.id = id
        self.paid = paid
    }
}

/// One discrepancy of one line (a line may have several).
package struct ReconciliationDiscrepancy: Sendable, Equatable, Codable {
    package var lineNumber: Int
    package var classification: ReconciliationClassification
    package var detail: [String: String]
    /// CNY, rounded half-up to the fen; signed (negative: invoiced less than due).
    package var moneyAtStake: Money

    package init(lineNumber: Int, classification: ReconciliationClassification, detail: [String: String], moneyAtStake: Money) {
        self.lineNumber = lineNumber
        self.classification = classification
        self.detail = detail
        self.moneyAtStake = moneyAtStake
    }

    enum CodingKeys: String, CodingKey { case lineNumber, classification, detail, moneyAtStake }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lineNumber = try c.decode(Int.self, forKey: .lineNumber)
        classification = try c.decode(ReconciliationClassification.self, forKey: .classification)
        detail = try c.decode([String: String].self, forKey: .detail)
        let text = try c.decode(String.self, forKey: .moneyAtStake)
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw DecodingError.dataCorruptedError(forKey: .moneyAtStake, in: c, debugDescription: "not an amount")
        }
        moneyAtStake = Money(value)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lineNumber, forKey: .lineNumber)
        try c.encode(classification, forKey: .classification)
        try c.encode(detail, forKey: .detail)
        try c.encode(moneyAtStake.formatted(places: 2), forKey: .moneyAtStake)
    }
}

/// Counts by classification (of lines: a line with two discrepancies counts in both) and the money at stake.
package struct ReconciliationSummary: Sendable, Equatable {
    package var lines: Int
    package var counts: [ReconciliationClassification: Int]
    package var moneyAtStake: Money

    package init(lines: Int, counts: [ReconciliationClassification: Int], moneyAtStake: Money) {
        self.lines = lines
        self.counts = counts
        self.moneyAtStake = moneyAtStake
    }

    package init(lines: Int, discrepancies: [ReconciliationDiscrepancy]) {
        var counts = Dictionary(uniqueKeysWithValues: ReconciliationClassification.allCases.map { ($0, 0) })
        for d in discrepancies { counts[d.classification, default: 0] += 1 }
        counts[.matched] = lines - Set(discrepancies.map(\.lineNumber)).count
        self.init(
            lines: lines, counts: counts,
            moneyAtStake: Self.moneyAtStake(discrepancies))
    }

    /// For each line the largest of its discrepancies' magnitudes (a line's amount is never counted twice), added up.
    package static func moneyAtStake(_ discrepancies: [ReconciliationDiscrepancy]) -> Money {
        var byLine: [Int: Decimal] = [:]
        for d in discrepancies { byLine[d.lineNumber] = max(byLine[d.lineNumber] ?? 0, d.moneyAtStake.amount.magnitude) }
        return Money(byLine.values.reduce(Decimal(0), +)).rounded(2)
    }

    package func count(_ c: ReconciliationClassification) -> Int { counts[c] ?? 0 }

    /// The counts by classification name, as kept in `reconciliation_runs.counts` (with `lines`).
    package var countsByName: [String: Int] {
        var result = ["lines": lines]
        for c in ReconciliationClassification.allCases { result[c.rawValue] = count(c) }
        return result
    }
}

package enum ReconciliationRules {
    /// 0: every line matched; 1: discrepancies; 2: bad input (decided before any matching).
    package static let allMatched: Int32 = 0
    package static let discrepanciesFound: Int32 = 1
    package static let badInput: Int32 = 2

    package static func exitStatus(_ summary: ReconciliationSummary) -> Int32 {
        summary.count(.matched) == summary.lines ? allMatched : discrepanciesFound
    }

    /// quantity × unit price, rounded half-up to the fen.
    package static func expectedAmount(quantity: Decimal, unitPrice: Money) -> Money {
        InvoiceLineRules.expectedAmount(quantity: quantity, unitPrice: unitPrice)
    }

    static func fen(_ value: Decimal) -> Money { Money(value).rounded(2) }

    /// Judges one line from what the database found. A duplicate, or an invoice already recorded or paid, is only
    /// that (the file must not lead to a second payment); a line whose code the crosswalk does not map is only
    /// that (nothing can be said of a drug not known); otherwise the line is judged against its order line by
    /// `InvoiceLineRules.judge`, as a recorded invoice is, and the catalogue and the chain are checked. Every
    /// discrepancy names the invoice number, distributor and drug.
    package static func classify(_ line: InvoiceFileLine, _ facts: InvoiceLineFacts) -> [ReconciliationDiscrepancy] {
        var found: [ReconciliationDiscrepancy] = []
        // Written only for a discrepancy: most lines have none.
        var names: [String: String] {
            var names = ["invoiceNumber": line.invoiceNumber, "distributorCode": line.distributorCode, "drugCode": line.drugCode]
            // A line of an emergency purchase says so (issue 22).
            if let shortage = facts.orderLine?.emergencyShortageID { names["emergencyShortageId"] = String(shortage) }
            // A line read through the crosswalk says what the file wrote and the factor its quantity was converted by.
            if let code = line.fileDrugCode { names["fileDrugCode"] = code }
            if let factor = line.packageFactor { names["packageFactor"] = "\(factor)" }
            return names
        }
        func add(_ c: ReconciliationClassification, _ detail: [String: String], _ money: Decimal) {
            found.append(
                ReconciliationDiscrepancy(
                    lineNumber: line.lineNumber, classification: c,
                    detail: detail.merging(names) { a, _ in a }, moneyAtStake: fen(money)))
        }
        if let first = facts.duplicateOfLine {
            add(.duplicateLine, ["duplicateOfLine": String(first)], line.amount.amount)
            return found
        }
        if let recorded = facts.recordedInvoice {
            add(recorded.paid ? .alreadyPaid : .alreadyInvoiced, ["invoiceId": String(recorded.id)], line.amount.amount)
            return found
        }
        if let reason = facts.unmappedCode {
            add(.unmappedCode, ["institutionCode": line.institutionCode, "reason": reason], line.amount.amount)
            return found
        }
        for finding in InvoiceLineRules.judge(
            quantity: line.quantity, unitPrice: line.unitPrice, amount: line.amount,
            against: facts.orderLine)
        {
            var detail = finding.detail
            if finding.discrepancy == .noMatchingOrderOrReceipt {
                detail.merge(["institutionCode": line.institutionCode, "lotNumber": line.lotNumber]) { a, _ in a }
            }
            add(ReconciliationClassification(finding.discrepancy), detail, finding.moneyAtStake.amount)
        }
        if !facts.inMemberCatalogue {
            add(.outsideMemberCatalogue, ["institutionCode": line.institutionCode], line.amount.amount)
        }
        if let problem = facts.chainProblem {
            add(.twoInvoiceChain, ["reason": problem], line.amount.amount)
        }
        return found.sorted { $0.classification < $1.classification }
    }
}

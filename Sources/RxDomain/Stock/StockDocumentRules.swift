import Foundation

/// The decisions of the stock documents (a transfer's dispatch, a count's lines and approval) that span several
/// lines: each line decided by `StockRules`/`StockCountRules`, every broken line named at once.
package enum StockDocumentRules {
    /// A line of a transfer to dispatch: the drug, the quantity asked for, the lot named (if any) and the sender's
    /// lots of the drug at the sending location.
    package struct LineToDispatch: Sendable, Equatable {
        package var drugCode: String
        package var quantity: Quantity
        package var lotNumber: String?
        package var lots: [StockRules.LotOnHand]

        package init(drugCode: String, quantity: Quantity, lotNumber: String?, lots: [StockRules.LotOnHand]) {
            self.drugCode = drugCode
            self.quantity = quantity
            self.lotNumber = lotNumber
            self.lots = lots
        }
    }

    /// The lots each line leaves the sender from: FEFO (`StockRules.allocateFEFO`) over the sender's issuable lots,
    /// or the lot named. Expired, blocked (recalled, rejected) and under-shelf-life lots never leave: the minimum
    /// shelf life is the setting `stock_min_shelf_life_issue_days`, so the receiver does not get stock it could not
    /// issue. Lines of one drug share its lots: a later line takes what the earlier ones left. More than may be
    /// sent: 422 naming `lines[i].quantity` (or `lines[i].lotNumber`), every line at once.
    package static func allocateDispatch(
        _ lines: [LineToDispatch], on today: BusinessDate, minimumShelfLifeDays: Int
    ) throws(DomainError) -> [[StockRules.Allocation]] {
        var errors: [FieldError] = []
        var allocations: [[StockRules.Allocation]] = []
        var taken: [StockLot: Quantity] = [:]
        for (i, line) in lines.enumerated() {
            let left = line.lots.map { lot in
                var lot = lot
                lot.quantity = lot.quantity - (taken[lot.lot] ?? .zero)
                return lot
            }
            do {
                let allocation = try StockRules.allocateFEFO(
                    left, quantity: line.quantity, on: today, minimumShelfLifeDays: minimumShelfLifeDays,
                    lotNumber: line.lotNumber)
                for a in allocation { taken[a.lot] = (taken[a.lot] ?? .zero) + a.quantity }
                allocations.append(allocation)
            } catch {
                allocations.append([])
                for fieldError in error.fieldErrors {
                    errors.append(
                        FieldError(field: "lines[\(i)].\(fieldError.field)", reason: fieldError.reason))
                }
            }
        }
        try TransferRules.refuse(errors, "the dispatch is refused")
        return allocations
    }

    /// A lot a transfer line dispatched.
    package struct DispatchedLot: Sendable, Equatable {
        package var lineNo: Int
        package var lotNumber: String
        package var dispatched: Quantity

        package init(lineNo: Int, lotNumber: String, dispatched: Quantity) {
            self.lineNo = lineNo
            self.lotNumber = lotNumber
            self.dispatched = dispatched
        }
    }

    /// What the receiver reports of one dispatched lot of a line (the lot by its key).
    package struct ReceiptEntry: Sendable, Equatable {
        package var lineNo: Int
        package var lotNumber: String
        package var received: Quantity
        package var damaged: Quantity
        package var reason: String?

        package init(lineNo: Int, lotNumber: String, received: Quantity, damaged: Quantity = .zero, reason: String? = nil) {
            self.lineNo = lineNo
            self.lotNumber = lotNumber
            self.received = received
            self.damaged = damaged
            self.reason = reason
        }
    }

    /// A transfer's receipt: each entry names a dispatched lot of its line, once (422 naming `lines[i].lotNumber`);
    /// its shortfall or damage needs a reason (`StockTransferRules.discrepancies`, naming `lines[i].…` of the
    /// entry). A dispatched lot without an entry arrived in full and in good order. Returns what arrived of every
    /// dispatched lot, in the dispatched order (`lotNumber` as dispatched).
    package static func receive(_ dispatched: [DispatchedLot], entries: [ReceiptEntry]) throws(DomainError) -> [ReceiptEntry] {
        var errors: [FieldError] = []
        var reported: [Int: ReceiptEntry] = [:]
        var checked: [StockTransferRules.LineReceipt] = []
        for (i, entry) in entries.enumerated() {
            let key = LotKey(entry.lotNumber)
            guard let index = dispatched.firstIndex(where: { $0.lineNo == entry.lineNo && LotKey($0.lotNumber) == key }) else {
                errors.append(
                    FieldError(
                        field: "lines[\(i)].lotNumber", reason: "line \(entry.lineNo) dispatched no lot \(entry.lotNumber)"))
                checked.append(
                    .init(dispatched: entry.received + entry.damaged, received: entry.received, damaged: entry.damaged))
                continue
            }
            if reported.updateValue(entry, forKey: index) != nil {
                errors.append(
                    FieldError(
                        field: "lines[\(i)].lotNumber", reason: "lot \(entry.lotNumber) of line \(entry.lineNo) is reported twice"
                    ))
            }
            checked.append(
                .init(
                    dispatched: dispatched[index].dispatched, received: entry.received, damaged: entry.damaged,
                    reason: entry.reason))
        }
        do {
            _ = try StockTransferRules.discrepancies(checked)
        } catch {
            errors.append(contentsOf: error.fieldErrors)
        }
        try TransferRules.refuse(errors.sorted { $0.field < $1.field }, "the receipt is refused")
        return dispatched.enumerated().map { index, lot in
            guard let entry = reported[index] else {
                return ReceiptEntry(lineNo: lot.lineNo, lotNumber: lot.lotNumber, received: lot.dispatched)
            }
            let reason = entry.reason?.trimmingCharacters(in: .whitespaces)
            return ReceiptEntry(
                lineNo: lot.lineNo, lotNumber: lot.lotNumber, received: entry.received, damaged: entry.damaged,
                reason: reason?.isEmpty == false ? reason : nil)
        }
    }

    /// A counted quantity entered for a lot of the sheet.
    package struct CountEntry: Sendable, Equatable {
        package var drugCode: String
        package var lotNumber: String
        package var counted: Quantity

        package init(drugCode: String, lotNumber: String, counted: Quantity) {
            self.drugCode = drugCode
            self.lotNumber = lotNumber
            self.counted = counted
        }
    }

    /// Entries on a count sheet: the sheet is open (409, `StockCountRules.checkEntry`), each entry names a lot of
    /// the sheet (by drug and lot key) once, and its count is not negative (`StockCountRules.checkCounted`); 422
    /// naming `lines[i].…` for every broken entry. Returns the sheet's index of each entry's lot.
    package static func checkEntries(
        status: StockCountStatus, sheet: [StockCountRules.Line], entries: [CountEntry]
    ) throws(DomainError) -> [Int] {
        try StockCountRules.checkEntry(status: status)
        var errors: [FieldError] = []
        var indices: [Int] = []
        var seen: Set<Int> = []
        if entries.isEmpty { errors.append(FieldError(field: "lines", reason: "name at least one counted lot")) }
        for (i, entry) in entries.enumerated() {
            do {
                try StockCountRules.checkCounted(entry.counted, field: "lines[\(i)].countedQuantity")
            } catch {
                errors.append(contentsOf: error.fieldErrors)
            }
            let key = LotKey(entry.lotNumber)
            guard let index = sheet.firstIndex(where: { $0.lot.drugCode == entry.drugCode && $0.lot.lotKey == key }) else {
                errors.append(
                    FieldError(
                        field: "lines[\(i)].lotNumber",
                        reason: "lot \(entry.lotNumber) of \(entry.drugCode) is not on the count sheet"))
                continue
            }
            if !seen.insert(index).inserted {
                errors.append(
                    FieldError(
                        field: "lines[\(i)].lotNumber", reason: "lot \(entry.lotNumber) of \(entry.drugCode) is entered twice"))
            }
            indices.append(index)
        }
        try TransferRules.refuse(errors, "the counts are refused")
        return indices
    }

    /// Approving a count sheet (`StockCountRules.approve`) by a second person: neither the one who opened the sheet
    /// nor the one who entered its counts (403); a sheet without lots is not approved (422 naming `lines`).
    package static func approveCount(
        status: StockCountStatus, openerToken: String, counterToken: String, approverToken: String,
        lines: [StockCountRules.Line]
    ) throws(DomainError) -> [StockCountRules.Difference] {
        // A sheet opened where nothing was on hand has no counts to approve (and no counter to be second to).
        if status == .open && lines.isEmpty { throw .invalid("lines", "the count sheet has no lots to count") }
        if status == .open && openerToken == approverToken {
            throw .forbidden("a count is approved by a second person, not by the one who opened it")
        }
        return try StockCountRules.approve(
            status: status, counterToken: counterToken, approverToken: approverToken, lines: lines)
    }
}

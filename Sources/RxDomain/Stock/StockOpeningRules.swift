import Foundation

/// One line of an opening-balance file (期初库存) as read: a drug, a lot with its expiry date, a positive quantity
/// in the drug's unit, optionally a store location and a unit cost.
package struct StockOpeningLine: Sendable, Equatable {
    package var lot: StockLot
    package var quantity: Decimal
    package var locationCode: String?
    package var unitCost: Decimal?
}

/// What the database says of a line good as read (`StockImportStore.lineFacts`).
package struct StockOpeningLineFacts: Sendable, Equatable {
    package var line: Int
    package var drugCode: String
    package var lotNumber: String
    package var locationCode: String?
    package var drugKnown: Bool
    package var inMemberCatalogue: Bool
    /// A location code given that is not one of the member's locations.
    package var unknownLocation: Bool
    /// An earlier line of the file with the same drug, lot (by key) and location.
    package var earlierLine: Int?
    /// The member already holds an opening balance of this lot at this location (a file imported twice).
    package var alreadyOpened: Bool
    /// The lot is held at this place with another expiry date.
    package var heldExpiry: BusinessDate?

    package init(
        line: Int, drugCode: String, lotNumber: String, locationCode: String?, drugKnown: Bool, inMemberCatalogue: Bool,
        unknownLocation: Bool, earlierLine: Int?, alreadyOpened: Bool, heldExpiry: BusinessDate?
    ) {
        (self.line, self.drugCode, self.lotNumber, self.locationCode) = (line, drugCode, lotNumber, locationCode)
        (self.drugKnown, self.inMemberCatalogue, self.unknownLocation) = (drugKnown, inMemberCatalogue, unknownLocation)
        (self.earlierLine, self.alreadyOpened, self.heldExpiry) = (earlierLine, alreadyOpened, heldExpiry)
    }
}

/// The rules of an opening-balance import (`consortiumrx import stock`): each line's fields as read, then what the
/// database knows of it. All or nothing: the use case applies the file only when no line has a refusal.
///
/// Decisions: the drug must be in the member's catalogue in effect (the ledger holds what the member may use, as
/// transfers between members do); an expired lot may be opened (it is real stock, quarantined by the trigger from
/// its expiry date: it can only be destroyed or returned); a lot is opened once per member and location.
package enum StockOpeningRules {
    /// The columns a file must have; `location` and `unit_cost` are optional, other columns are ignored.
    package static let requiredColumns = ["drug_code", "lot_number", "expiry_date", "quantity"]
    package static let optionalColumns = ["location", "unit_cost"]

    /// Every field of a line that is wrong.
    package struct Refusals: Error, Equatable {
        package var errors: [FieldError]
    }

    /// A line's fields as read: the line, or every field that is wrong (English reasons, with their Chinese in
    /// `ChineseMessages`).
    package static func read(
        drugCode: String?, lotNumber: String?, expiryDate: String?, quantity: String?, location: String?,
        unitCost: String?
    ) -> Result<StockOpeningLine, Refusals> {
        var errors: [FieldError] = []
        let drug = drugCode ?? ""
        if drug.isEmpty {
            errors.append(FieldError(field: "drug_code", reason: "is required"))
        } else if let damage = SpreadsheetCell.codeDamage(drug) {
            errors.append(FieldError(field: "drug_code", reason: damage))
        } else if Codes.drugCodeError(drug) != nil {
            errors.append(FieldError(field: "drug_code", reason: "is not a drug code"))
        }
        if let lotNumber, let damage = SpreadsheetCell.codeDamage(lotNumber) {
            errors.append(FieldError(field: "lot_number", reason: damage))
        }
        let expiry = expiryDate.flatMap(SpreadsheetCell.date)
        if expiry == nil {
            errors.append(FieldError(field: "expiry_date", reason: "must be a date YYYY-MM-DD"))
        }
        var lot: StockLot?
        do {
            lot = try StockLot.parse(
                drugCode: drug, lotNumber: lotNumber ?? "", expiry: expiry ?? BusinessDate(daysSinceEpoch: 0))
        } catch {
            if case .unprocessable(_, let fields) = error {
                errors += fields.map { FieldError(field: "lot_number", reason: $0.reason) }
            }
        }
        let amount = quantity.flatMap(SpreadsheetCell.number).flatMap { Money($0, maxDecimals: 4)?.amount }
        if amount == nil || amount! <= 0 {
            errors.append(FieldError(field: "quantity", reason: "must be a positive number with at most four decimals"))
        }
        if let location, Codes.locationCodeError(location) != nil {
            errors.append(FieldError(field: "location", reason: "is not a location code"))
        }
        var cost: Decimal?
        if let unitCost {
            cost = SpreadsheetCell.number(unitCost).flatMap { Money($0, maxDecimals: 4)?.amount }
            if cost == nil {
                errors.append(FieldError(field: "unit_cost", reason: "must be an amount with at most four decimals"))
            }
        }
        guard errors.isEmpty, var lot, let amount else { return .failure(Refusals(errors: errors)) }
        lot.drugCode = drug
        return .success(StockOpeningLine(lot: lot, quantity: amount, locationCode: location, unitCost: cost))
    }

    /// What refuses a line good as read, by field; empty when the line may be opened.
    package static func refusals(_ facts: StockOpeningLineFacts) -> [FieldError] {
        var errors: [FieldError] = []
        if !facts.drugKnown {
            errors.append(FieldError(field: "drug_code", reason: "no drug \(facts.drugCode)"))
        } else if !facts.inMemberCatalogue {
            errors.append(FieldError(field: "drug_code", reason: "\(facts.drugCode) is not in the member's catalogue"))
        }
        if facts.unknownLocation {
            errors.append(FieldError(field: "location", reason: "no location \(facts.locationCode ?? "") at the member"))
        }
        if let earlier = facts.earlierLine {
            errors.append(FieldError(field: "lot_number", reason: "lot \(facts.lotNumber) is already on line \(earlier)"))
        }
        if facts.alreadyOpened {
            errors.append(FieldError(field: "lot_number", reason: "lot \(facts.lotNumber) already has an opening balance here"))
        }
        if let held = facts.heldExpiry {
            errors.append(FieldError(field: "expiry_date", reason: "lot \(facts.lotNumber) is held with the expiry date \(held)"))
        }
        return errors
    }

    /// A line's refusals as the person fixing the file reads them: `字段：原因` in Chinese, joined by `；`.
    package static func chinese(_ errors: [FieldError]) -> String {
        errors.map { "\($0.field)：\(ChineseMessages.translate($0.reason) ?? $0.reason)" }.joined(separator: "；")
    }
}

extension Codes {
    /// Store location codes (sql/020 `stock_locations.code`): upper-case letters, digits, `_` and `-`, 1 to 32 long,
    /// starting with a letter or digit.
    package static func locationCodeError(_ code: String) -> String? {
        let ok =
            (1...32).contains(code.utf8.count)
            && code.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
            && code.utf8.first.map { $0 != 45 && $0 != 95 } == true
        return ok ? nil : "must be 1 to 32 upper-case letters, digits, '-' or '_', starting with a letter or digit"
    }
}

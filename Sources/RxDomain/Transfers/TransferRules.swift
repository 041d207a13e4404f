import Foundation

/// How a preparation is registered: a 制剂批准文号, or for a TCM preparation made by traditional processes a
/// 备案号 (a filing, which carries no expiry of its own).
package enum RegistrationKind: String, Sendable, Codable, CaseIterable {
    case approvalNumber = "approval_number"
    case filingNumber = "filing_number"
}

/// What lets a preparation leave its producer (调剂使用).
package enum TransferApprovalKind: String, Sendable, Codable, CaseIterable {
    /// The drug regulator's approval: designated receivers, a period, a quantity.
    case regulatorApproval = "regulator_approval"
    /// Where the province lets a county medical community's lead share with its members without separate approval
    /// (setting `preparation_transfer_requires_approval` = false): the same limits, recorded by the consortium.
    case standingScope = "standing_scope"
}

/// The receiver's account of what arrived.
package enum ReceiptCondition: String, Sendable, Codable, CaseIterable {
    case intact
    case damaged
    case temperatureExcursion = "temperature_excursion"
    case other
}

/// Where an approval stands on a date.
package enum TransferStatus: String, Sendable, Codable, CaseIterable {
    case notYetValid = "not_yet_valid"
    case valid
    case usedUp = "used_up"
    case expired
}

/// The rules of transfers of hospital preparations between members (医疗机构制剂调剂使用). Pure: the store
/// gathers the facts, these decide.
package enum TransferRules {
    /// The facts an approval is checked against.
    package struct ApprovalCheck: Sendable {
        package var kind: TransferApprovalKind
        package var authority: String?
        package var documentNumber: String?
        package var documentDate: BusinessDate?
        /// The setting `preparation_transfer_requires_approval` in force.
        package var approvalRequired: Bool
        package var supplierInstitutionID: Int64
        package var producerInstitutionID: Int64
        package var leadInstitutionID: Int64?
        package var receiverInstitutionIDs: [Int64]
        package var validFrom: BusinessDate
        package var validTo: BusinessDate

        package init(
            kind: TransferApprovalKind, authority: String?, documentNumber: String?, documentDate: BusinessDate?,
            approvalRequired: Bool, supplierInstitutionID: Int64, producerInstitutionID: Int64, leadInstitutionID: Int64?,
            receiverInstitutionIDs: [Int64], validFrom: BusinessDate, validTo: BusinessDate
        ) {
            self.kind = kind
            self.authority = authority
            self.documentNumber = documentNumber
            self.documentDate = documentDate
            self.approvalRequired = approvalRequired
            self.supplierInstitutionID = supplierInstitutionID
            self.producerInstitutionID = producerInstitutionID
            self.leadInstitutionID = leadInstitutionID
            self.receiverInstitutionIDs = receiverInstitutionIDs
            self.validFrom = validFrom
            self.validTo = validTo
        }
    }

    /// Every way an approval breaks the rules, all at once.
    package static func approvalErrors(_ c: ApprovalCheck) -> [FieldError] {
        var errors: [FieldError] = []
        switch c.kind {
        case .regulatorApproval:
            if (c.authority ?? "").isEmpty {
                errors.append(FieldError(field: "authority", reason: "a regulator's approval names the authority"))
            }
            if (c.documentNumber ?? "").isEmpty {
                errors.append(FieldError(field: "documentNumber", reason: "a regulator's approval names its document number"))
            }
            if c.documentDate == nil {
                errors.append(FieldError(field: "documentDate", reason: "a regulator's approval is dated"))
            }
        case .standingScope:
            if c.approvalRequired {
                errors.append(
                    FieldError(
                        field: "kind",
                        reason:
                            "this consortium's transfers need the regulator's approval (preparation_transfer_requires_approval)"))
            } else if c.supplierInstitutionID != c.leadInstitutionID {
                errors.append(
                    FieldError(field: "kind", reason: "only the consortium's lead shares its preparations without approval"))
            }
        }
        if c.supplierInstitutionID != c.producerInstitutionID {
            errors.append(FieldError(field: "supplierInstitutionCode", reason: "only the preparation's producer may supply it"))
        }
        if c.receiverInstitutionIDs.isEmpty {
            errors.append(FieldError(field: "receiverInstitutionCodes", reason: "name at least one receiving institution"))
        } else if Set(c.receiverInstitutionIDs).count != c.receiverInstitutionIDs.count {
            errors.append(FieldError(field: "receiverInstitutionCodes", reason: "names an institution twice"))
        }
        if c.receiverInstitutionIDs.contains(c.supplierInstitutionID) {
            errors.append(FieldError(field: "receiverInstitutionCodes", reason: "the supplier does not transfer to itself"))
        }
        if c.validTo < c.validFrom {
            errors.append(FieldError(field: "validTo", reason: "ends before it begins (\(c.validFrom))"))
        }
        if let date = c.documentDate, c.validFrom < date, c.kind == .regulatorApproval {
            errors.append(FieldError(field: "validFrom", reason: "begins before the approval's date \(date)"))
        }
        return errors
    }

    /// A preparation's registration: an approval number lapses on its date; a filing need not have one.
    package static func registrationErrors(kind: RegistrationKind, number: String, validTo: BusinessDate?) -> [FieldError] {
        var errors: [FieldError] = []
        if number.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "registrationNumber", reason: "must not be empty"))
        }
        if kind == .approvalNumber && validTo == nil {
            errors.append(FieldError(field: "registrationValidTo", reason: "an approval number (制剂批准文号) is valid to a date"))
        }
        return errors
    }

    /// A preparation licence (医疗机构制剂许可证) runs at most five years.
    package static func licenceErrors(number: String, validFrom: BusinessDate, validTo: BusinessDate) -> [FieldError] {
        var errors: [FieldError] = []
        if number.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "licenceNumber", reason: "must not be empty"))
        }
        if validTo < validFrom {
            errors.append(FieldError(field: "validTo", reason: "ends before it begins (\(validFrom))"))
        } else if validFrom.adding(months: 60) <= validTo {
            errors.append(FieldError(field: "validTo", reason: "a preparation licence is valid five years at most"))
        }
        return errors
    }

    /// The facts a shipment is checked against.
    package struct ShipmentCheck: Sendable {
        package var receiverNamed: Bool
        package var shippedOn: BusinessDate
        package var today: BusinessDate
        package var approvalValidFrom: BusinessDate
        package var approvalValidTo: BusinessDate
        /// nil for a filing (备案), which has no expiry.
        package var registrationValidTo: BusinessDate?
        /// The producer holds a preparation licence (医疗机构制剂许可证) valid on the shipping date.
        package var producerLicensed: Bool
        package var productionDate: BusinessDate
        package var expiryDate: BusinessDate
        package var quantity: Quantity
        package var approved: Quantity
        package var alreadyShipped: Quantity

        package init(
            receiverNamed: Bool, shippedOn: BusinessDate, today: BusinessDate, approvalValidFrom: BusinessDate,
            approvalValidTo: BusinessDate, registrationValidTo: BusinessDate?, producerLicensed: Bool,
            productionDate: BusinessDate, expiryDate: BusinessDate, quantity: Quantity, approved: Quantity,
            alreadyShipped: Quantity
        ) {
            self.receiverNamed = receiverNamed
            self.shippedOn = shippedOn
            self.today = today
            self.approvalValidFrom = approvalValidFrom
            self.approvalValidTo = approvalValidTo
            self.registrationValidTo = registrationValidTo
            self.producerLicensed = producerLicensed
            self.productionDate = productionDate
            self.expiryDate = expiryDate
            self.quantity = quantity
            self.approved = approved
            self.alreadyShipped = alreadyShipped
        }
    }

    /// Every way a shipment breaks the approval or the preparation's rules, all at once.
    package static func shipmentErrors(_ c: ShipmentCheck) -> [FieldError] {
        var errors: [FieldError] = []
        if !c.receiverNamed {
            errors.append(FieldError(field: "receiverInstitutionCode", reason: "is not a receiver named on the approval"))
        }
        if c.today < c.shippedOn {
            errors.append(FieldError(field: "shippedOn", reason: "\(c.shippedOn) is in the future"))
        }
        if c.shippedOn < c.approvalValidFrom || c.approvalValidTo < c.shippedOn {
            errors.append(
                FieldError(
                    field: "shippedOn",
                    reason: "\(c.shippedOn) is outside the approval's period \(c.approvalValidFrom) to \(c.approvalValidTo)"))
        }
        if let lapse = c.registrationValidTo, lapse < c.shippedOn {
            errors.append(
                FieldError(field: "registrationValidTo", reason: "the preparation's registration lapsed after \(lapse)"))
        }
        if !c.producerLicensed {
            errors.append(
                FieldError(
                    field: "preparationLicence", reason: "the producer holds no preparation licence valid on \(c.shippedOn)"))
        }
        if c.shippedOn < c.productionDate {
            errors.append(FieldError(field: "productionDate", reason: "\(c.productionDate) is after the shipping date"))
        }
        if c.expiryDate <= c.productionDate {
            errors.append(FieldError(field: "expiryDate", reason: "is not after the production date"))
        }
        if c.expiryDate <= c.shippedOn {
            errors.append(FieldError(field: "expiryDate", reason: "the lot expired on \(c.expiryDate)"))
        }
        let remaining = c.approved - c.alreadyShipped
        if remaining < c.quantity {
            errors.append(
                FieldError(
                    field: "quantity",
                    reason: "\(c.quantity) would take the shipped total over the approved \(c.approved) (remaining \(remaining))")
            )
        }
        return errors
    }

    /// What a receipt differs from its shipment by: negative a shortfall, positive an excess, zero when it matches.
    package static func discrepancy(shipped: Quantity, received: Quantity) -> Quantity { received - shipped }

    /// Turns a list of broken rules into the error the caller sees (422, naming each field).
    package static func refuse(_ errors: [FieldError], _ what: String) throws(DomainError) {
        guard !errors.isEmpty else { return }
        throw .unprocessable(
            "\(what): " + errors.map { "\($0.field): \($0.reason)" }.joined(separator: "; "), errors)
    }
}

/// An approval's balance on a date: approved, shipped, received, what is left and for how long.
package struct TransferBalance: Sendable, Equatable {
    package var approved: Quantity
    package var shipped: Quantity
    package var received: Quantity
    package var validFrom: BusinessDate
    package var validTo: BusinessDate
    package var today: BusinessDate

    package init(
        approved: Quantity, shipped: Quantity, received: Quantity, validFrom: BusinessDate, validTo: BusinessDate,
        today: BusinessDate
    ) {
        self.approved = approved
        self.shipped = shipped
        self.received = received
        self.validFrom = validFrom
        self.validTo = validTo
        self.today = today
    }

    package var remaining: Quantity { approved - shipped }

    /// Days the approval still runs counting today (0 once it has ended).
    package var daysLeft: Int { max(0, today.days(to: validTo) + 1) }

    /// The share of the approved quantity still to ship, in percent.
    package var remainingPercent: Decimal {
        approved.value > 0 ? remaining.value * 100 / approved.value : 0
    }

    package var status: TransferStatus {
        if validTo < today { return .expired }
        if remaining.value <= 0 { return .usedUp }
        if today < validFrom { return .notYetValid }
        return .valid
    }

    /// Still open and ending within `days` days of today.
    package func expires(within days: Int) -> Bool {
        status == .valid || status == .notYetValid ? validTo <= today.adding(days: days) : false
    }

    /// Still open with less than `percent` of the approved quantity left.
    package func nearlyUsedUp(below percent: Decimal) -> Bool {
        (status == .valid || status == .notYetValid) && remainingPercent < percent
    }
}

/// A registration or a licence about to lapse, or lapsed.
package struct ExpiryWarning: Sendable, Equatable {
    package enum Subject: String, Sendable, Codable, CaseIterable {
        /// A preparation's registration number (制剂批准文号).
        case registration
        /// An institution's preparation licence (医疗机构制剂许可证).
        case licence
    }

    package var subject: Subject
    package var institutionCode: String
    package var drugCode: String?
    package var number: String
    package var validTo: BusinessDate
    /// Days from today to the last valid day; negative once lapsed.
    package var daysLeft: Int

    package init(
        subject: Subject, institutionCode: String, drugCode: String?, number: String, validTo: BusinessDate, today: BusinessDate
    ) {
        self.subject = subject
        self.institutionCode = institutionCode
        self.drugCode = drugCode
        self.number = number
        self.validTo = validTo
        self.daysLeft = today.days(to: validTo)
    }

    package var lapsed: Bool { daysLeft < 0 }

    /// The warnings among `candidates` due within `days` days (lapsed ones included), soonest first.
    package static func due(_ candidates: [ExpiryWarning], within days: Int) -> [ExpiryWarning] {
        candidates.filter { $0.daysLeft <= days }
            .sorted { ($0.validTo, $0.subject.rawValue, $0.number) < ($1.validTo, $1.subject.rawValue, $1.number) }
    }
}

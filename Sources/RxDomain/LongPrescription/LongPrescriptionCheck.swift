import Foundation

// The long-prescription (长处方) check and its records: what a prescriber asks, the facts the check needs that do not
// depend on the patient (`LongPrescriptionContext`), and the decisions on issuing, filling and ending. The item-level
// eligibility is `LongPrescriptionRules.check`.

package struct LongPrescriptionRequest: Sendable {
    package struct Item: Sendable {
        package var drugCode: String
        package var dailyDose: Decimal
        package var days: Int
        package var assessmentRecorded: Bool
        package var patientConfirmed: Bool
        package init(drugCode: String, dailyDose: Decimal, days: Int, assessmentRecorded: Bool, patientConfirmed: Bool) {
            self.drugCode = drugCode
            self.dailyDose = dailyDose
            self.days = days
            self.assessmentRecorded = assessmentRecorded
            self.patientConfirmed = patientConfirmed
        }
    }
    package var institutionCode: String
    package var prescriberPseudonym: String
    package var patientRef: String
    package var patient: LongPrescriptionRules.Patient
    package var items: [Item]
    package init(
        institutionCode: String, prescriberPseudonym: String, patientRef: String, patient: LongPrescriptionRules.Patient,
        items: [Item]
    ) {
        self.institutionCode = institutionCode
        self.prescriberPseudonym = prescriberPseudonym
        self.patientRef = patientRef
        self.patient = patient
        self.items = items
    }
}

package struct LongPrescriptionCheck: Sendable {
    package var decision: LongPrescriptionRules.Decision
    package var answers: [LongPrescriptionRules.Answer]
    /// The earlier prescriptions whose supply is still on hand, by drug.
    package var supplyOnHand: [String: Int64]
    /// The drugs whose supply on hand (`supplyOnHand`) is an extended prescription's, not a long prescription's.
    package var supplyFromExtended: Set<String>

    package init(
        decision: LongPrescriptionRules.Decision, answers: [LongPrescriptionRules.Answer], supplyOnHand: [String: Int64],
        supplyFromExtended: Set<String> = []
    ) {
        self.decision = decision
        self.answers = answers
        self.supplyOnHand = supplyOnHand
        self.supplyFromExtended = supplyFromExtended
    }
}

package struct IssuedPrescription: Sendable, Equatable, Encodable {
    package var id: Int64
    package var institutionCode: String
    package var patientRef: String
    package var drugCode: String
    package var dailyDose: Decimal
    package var days: Int
    package var quantity: Decimal
    package var startDate: BusinessDate
    package var status: String
    package var endReason: String?
    package var maxFills: Int
    package var minDaysBetweenFills: Int
    package var validityDays: Int
    package var dispensed: Decimal
    package var fills: Int

    package init(
        id: Int64, institutionCode: String, patientRef: String, drugCode: String, dailyDose: Decimal, days: Int,
        quantity: Decimal, startDate: BusinessDate, status: String, endReason: String? = nil, maxFills: Int,
        minDaysBetweenFills: Int, validityDays: Int, dispensed: Decimal, fills: Int
    ) {
        self.id = id
        self.institutionCode = institutionCode
        self.patientRef = patientRef
        self.drugCode = drugCode
        self.dailyDose = dailyDose
        self.days = days
        self.quantity = quantity
        self.startDate = startDate
        self.status = status
        self.endReason = endReason
        self.maxFills = maxFills
        self.minDaysBetweenFills = minDaysBetweenFills
        self.validityDays = validityDays
        self.dispensed = dispensed
        self.fills = fills
    }
}

/// Everything the long-prescription check needs that does not depend on the patient: the rules and national
/// limits in force, the members with their levels and catalogues, the prescribers and the drugs. Built for one
/// consortium and one business date.
package struct LongPrescriptionContext: Sendable {
    package var consortiumID: Int64
    package var date: BusinessDate
    package var rules: LongPrescriptionRuleSet?
    package var national: LongPrescriptionRules.National
    package var institutions: [String: (id: Int64, level: InstitutionLevel)]
    package var prescribers: [String: (institutionID: Int64, title: PrescriberTitle, level: InstitutionLevel)]
    /// Each member's catalogue in effect (its own list, or the consortium's as its level allows).
    package var catalogues: [Int64: Set<String>]
    package var drugs: [String: Drug]

    package init(
        consortiumID: Int64, date: BusinessDate, rules: LongPrescriptionRuleSet? = nil, national: LongPrescriptionRules.National,
        institutions: [String: (id: Int64, level: InstitutionLevel)],
        prescribers: [String: (institutionID: Int64, title: PrescriberTitle, level: InstitutionLevel)],
        catalogues: [Int64: Set<String>], drugs: [String: Drug]
    ) {
        self.consortiumID = consortiumID
        self.date = date
        self.rules = rules
        self.national = national
        self.institutions = institutions
        self.prescribers = prescribers
        self.catalogues = catalogues
        self.drugs = drugs
    }
}

/// An active long prescription (or, with `extended`, an extended prescription of a chronic-disease drug): its supply
/// lasts until `lastDay`.
package struct ActiveSupply: Sendable, Equatable {
    package var drugCode: String
    package var prescriptionID: Int64
    package var lastDay: BusinessDate
    package var extended: Bool

    package init(drugCode: String, prescriptionID: Int64, lastDay: BusinessDate, extended: Bool = false) {
        self.drugCode = drugCode
        self.prescriptionID = prescriptionID
        self.lastDay = lastDay
        self.extended = extended
    }
}

extension LongPrescriptionRules {
    /// The prescriber as the rules see them; refuses an unknown member or prescriber, or a consortium without rules.
    package static func prescriber(of request: LongPrescriptionRequest, in context: LongPrescriptionContext) throws(DomainError)
        -> LongPrescriptionRules.Prescriber
    {
        guard let institution = context.institutions[request.institutionCode] else {
            throw .invalid("institutionCode", "no member \(request.institutionCode)")
        }
        guard let prescriber = context.prescribers[request.prescriberPseudonym], prescriber.institutionID == institution.id else {
            throw .invalid(
                "prescriber", "\(request.prescriberPseudonym) is not a registered prescriber of \(request.institutionCode)")
        }
        guard context.rules != nil else {
            throw .unprocessable("the consortium has no long-prescription rules in effect on \(context.date)")
        }
        return LongPrescriptionRules.Prescriber(title: prescriber.title, institutionLevel: prescriber.level)
    }

    /// Drugs asked for that no member's catalogue holds, so the context does not know them.
    package static func drugsOutsideContext(_ request: LongPrescriptionRequest, _ context: LongPrescriptionContext) -> [String] {
        request.items.map(\.drugCode).filter { context.drugs[$0] == nil }
    }

    /// The decision, given the facts: `supply` is the patient's active long prescriptions, oldest first.
    package static func judge(
        _ request: LongPrescriptionRequest, context: LongPrescriptionContext, prescriber: LongPrescriptionRules.Prescriber,
        extraDrugs: [Drug], supply: [ActiveSupply]
    ) throws(DomainError) -> LongPrescriptionCheck {
        guard let rules = context.rules, let institution = context.institutions[request.institutionCode] else {
            throw .unprocessable("the consortium has no long-prescription rules in effect on \(context.date)")
        }
        let held = context.catalogues[institution.id] ?? []
        var lastDay: [String: (Int64, BusinessDate)] = [:]
        var fromExtended: Set<String> = []
        let asked = Set(request.items.map(\.drugCode))
        for row in supply where asked.contains(row.drugCode) {
            lastDay[row.drugCode] = (row.prescriptionID, row.lastDay)
            if row.extended { fromExtended.insert(row.drugCode) } else { fromExtended.remove(row.drugCode) }
        }
        var answers: [LongPrescriptionRules.Answer] = []
        for (index, item) in request.items.enumerated() {
            guard let drug = context.drugs[item.drugCode] ?? extraDrugs.first(where: { $0.code == item.drugCode }) else {
                throw .invalid("items[\(index)].drugCode", "no drug \(item.drugCode)")
            }
            answers.append(
                LongPrescriptionRules.check(
                    item: .init(
                        drug: drug, dailyDose: item.dailyDose, daysAsked: item.days, inCatalogue: held.contains(drug.code),
                        assessmentRecorded: item.assessmentRecorded, patientConfirmed: item.patientConfirmed,
                        supplyOnHandUntil: lastDay[drug.code]?.1, isFirst: lastDay[drug.code] == nil),
                    patient: request.patient, prescriber: prescriber, rules: rules, national: context.national,
                    today: context.date))
        }
        return LongPrescriptionCheck(
            decision: LongPrescriptionRules.decision(answers), answers: answers, supplyOnHand: lastDay.mapValues(\.0),
            supplyFromExtended: fromExtended)
    }

    /// A long prescription is issued for one drug at a time.
    package static func issuedItem(_ request: LongPrescriptionRequest) throws(DomainError) -> LongPrescriptionRequest.Item {
        guard request.items.count == 1, let item = request.items.first else {
            throw .invalid("items", "a long prescription is issued for one drug at a time")
        }
        return item
    }

    /// Issuing follows the check: supply still on hand beyond the tolerance is 409 naming the earlier prescription,
    /// any other refusal 422 naming its reasons; otherwise the days issued are those the check allows.
    package static func daysToIssue(_ item: LongPrescriptionRequest.Item, check: LongPrescriptionCheck) throws(DomainError) -> Int
    {
        let answer = check.answers[0]
        if answer.reasons.contains(where: { $0.code == "SUPPLY_ON_HAND" }), let earlier = check.supplyOnHand[item.drugCode] {
            if check.supplyFromExtended.contains(item.drugCode) {
                throw .conflict("the patient still holds supply from extended prescription \(earlier)")
            }
            throw .conflict("the patient still holds supply from long prescription \(earlier)")
        }
        guard answer.eligible else {
            throw .unprocessable(
                "not eligible: " + answer.reasons.filter(\.refuses).map(\.code).joined(separator: ", "),
                answer.reasons.filter(\.refuses).map { FieldError(field: $0.code, reason: $0.en) })
        }
        return min(item.days, answer.maxDays)
    }

    /// A fill's own quantity, before the prescription is read.
    package static func checkFillQuantity(_ quantity: Decimal) throws(DomainError) {
        guard quantity > 0 else { throw .invalid("quantity", "must be positive") }
    }

    /// A fill (取药) of an active prescription: not more fills than allowed, within the validity, not sooner than the
    /// minimum interval after the last fill, and never more in total than was issued.
    package static func checkFill(
        _ prescription: IssuedPrescription, quantity: Decimal, filledOn: BusinessDate, lastFill: BusinessDate?
    ) throws(DomainError) {
        let id = prescription.id
        guard prescription.status == "active" else { throw .conflict("long prescription \(id) was ended; it is not filled") }
        guard prescription.fills < prescription.maxFills else {
            throw .conflict("long prescription \(id) has had its \(prescription.maxFills) fills")
        }
        guard filledOn >= prescription.startDate, prescription.startDate.days(to: filledOn) < prescription.validityDays else {
            throw .invalid(
                "filledOn",
                "outside the prescription's validity of \(prescription.validityDays) days from \(prescription.startDate)")
        }
        if let lastFill, lastFill.days(to: filledOn) < prescription.minDaysBetweenFills {
            throw .invalid(
                "filledOn", "at least \(prescription.minDaysBetweenFills) days must pass after the fill of \(lastFill)")
        }
        guard prescription.dispensed + quantity <= prescription.quantity else {
            throw .invalid("quantity", "\(prescription.dispensed + quantity) would exceed the \(prescription.quantity) issued")
        }
    }

    /// A prescription is ended once.
    package static func checkEnd(_ prescription: IssuedPrescription) throws(DomainError) {
        guard prescription.status == "active" else { throw .conflict("long prescription \(prescription.id) is already ended") }
    }
}

/// A patient's supply of one drug across the consortium: the last day it lasts to (the latest of the prescriptions
/// that hold it), and the first day a new prescription of it passes the check's `SUPPLY_ON_HAND`.
package struct DrugRenewal: Sendable, Equatable {
    package var drugCode: String
    package var lastDay: BusinessDate
    /// No more than the tolerance's days of supply left: `lastDay` less `supplyOnHandToleranceDays`.
    package var earliestRenewal: BusinessDate
    /// The long and extended prescriptions holding it, soonest last day first.
    package var prescriptions: [ActiveSupply]
}

extension LongPrescriptionRules {
    /// Per drug, by code, the supply a patient holds on `today` or later and its earliest renewal: the day from which
    /// the check's `SUPPLY_ON_HAND` no longer refuses (today's supply lasting no more than `toleranceDays` beyond).
    package static func renewals(_ supply: [ActiveSupply], toleranceDays: Int, today: BusinessDate) -> [DrugRenewal] {
        Dictionary(grouping: supply.filter { $0.lastDay >= today }, by: \.drugCode).map { drug, held in
            let sorted = held.sorted { ($0.lastDay, $0.prescriptionID) < ($1.lastDay, $1.prescriptionID) }
            let last = sorted[sorted.count - 1].lastDay
            return DrugRenewal(
                drugCode: drug, lastDay: last, earliestRenewal: last.adding(days: -toleranceDays), prescriptions: sorted)
        }.sorted { $0.drugCode < $1.drugCode }
    }
}

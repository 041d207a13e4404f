import Foundation
import RxDomain
import RxStore

/// Unified prices: provincial ceilings, price agreements, and the one price in effect on each date.
package struct PriceUseCases: Sendable {
    let database: Database
    let prices: PriceStore
    let settings: Settings

    package init(database: Database) {
        self.database = database
        self.prices = PriceStore(database: database)
        self.settings = Settings(logger: database.logger)
    }

    // MARK: Reading

    /// The unified price of a drug on a date, and the ceiling then.
    package func inEffect(consortiumID: Int64, drugCode: String, on date: BusinessDate) async throws -> (
        PriceAgreement, BidCeiling?
    )? {
        try await prices.inEffect(consortiumID: consortiumID, drugCode: drugCode, on: date)
    }

    /// Every period a price was in effect, oldest first.
    package func history(consortiumID: Int64, drugCode: String) async throws -> [PriceAgreement] {
        try await prices.history(consortiumID: consortiumID, drugCode: drugCode)
    }

    package func list(
        consortiumID: Int64, drugCode: String?, status: PriceAgreementStatus?, on day: BusinessDate, page: PageRequest
    ) async throws -> Page<PriceAgreement> {
        try await prices.list(consortiumID: consortiumID, drugCode: drugCode, status: status, on: day, page: page)
    }

    // MARK: Agreeing

    /// Records a price agreement. A provincial bid price takes effect at once and becomes the ceiling from its
    /// date; a negotiated price is checked against the ceiling and the catalogue and waits to be reported.
    package func create(_ draft: PriceAgreementDraft, consortium: Consortium, by principal: Principal) async throws
        -> PriceAgreement
    {
        try principal.require(.setPrices(consortiumID: consortium.id))
        try PriceAgreementRules.checkSource(draft.source)
        return try await database.transaction { transaction in
            try await prices.lockDrug(consortiumID: consortium.id, drugCode: draft.drugCode, connection: transaction)
            try PriceAgreementRules.checkDrug(
                draft.drugCode, known: try await prices.drugExists(draft.drugCode, on: transaction))
            if draft.source == .consortiumNegotiated {
                let facts = try await prices.negotiationFacts(
                    draft.drugCode, on: draft.effectiveFrom, consortiumID: consortium.id, connection: transaction)
                try PriceAgreementRules.checkNegotiated(
                    draft.drugCode, draft.unitPrice, draft.priceUnit, on: draft.effectiveFrom,
                    inCatalogue: facts.inCatalogue, ceiling: facts.ceiling)
            }
            guard let id = try await prices.insert(draft, consortiumID: consortium.id, connection: transaction) else {
                throw DomainError.conflict("the agreement was not recorded")
            }
            let created = try await prices.agreement(id: id, consortiumID: consortium.id, connection: transaction)
            if draft.source == .provincialBid {
                try await prices.placeCeiling(draft, consortiumID: consortium.id, connection: transaction)
                try await prices.putInEffect(
                    created, from: draft.effectiveFrom, consortiumID: consortium.id, connection: transaction)
            }
            let after = try await prices.agreement(id: created.id, consortiumID: consortium.id, connection: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "price_agreement", entityKey: String(created.id), before: PriceAgreement?.none, after: after)
            return after
        }
    }

    /// Records that a negotiated price was reported to the provincial platform (网上价格维护): it takes effect
    /// from the later of its requested date and the report date.
    package func report(
        id: Int64, consortiumID: Int64, platformReference: String, reportedOn: BusinessDate, today: BusinessDate = .today(),
        by principal: Principal
    ) async throws -> PriceAgreement {
        try principal.require(.setPrices(consortiumID: consortiumID))
        try reportedOn.requireHappened(field: "reportedOn", today: today)
        return try await database.transaction { transaction in
            let peek = try await prices.agreement(id: id, consortiumID: consortiumID, connection: transaction)
            try await prices.lockDrug(consortiumID: consortiumID, drugCode: peek.drugCode, connection: transaction)
            let before = try await prices.agreement(id: id, consortiumID: consortiumID, connection: transaction, lock: true)
            try PriceAgreementRules.checkReportable(before)
            let start = max(before.requestedFrom, reportedOn)
            let facts = try await prices.negotiationFacts(
                before.drugCode, on: start, consortiumID: consortiumID, connection: transaction)
            try PriceAgreementRules.checkNegotiated(
                before.drugCode, before.unitPrice, before.priceUnit, on: start, inCatalogue: facts.inCatalogue,
                ceiling: facts.ceiling)
            try await prices.setReported(
                id: id, consortiumID: consortiumID, platformReference: platformReference, reportedOn: reportedOn,
                connection: transaction)
            try await prices.putInEffect(before, from: start, consortiumID: consortiumID, connection: transaction)
            let after = try await prices.agreement(id: id, consortiumID: consortiumID, connection: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "report",
                entityType: "price_agreement", entityKey: String(id), before: before, after: after)
            return after
        }
    }

    /// Corrects the mistyped report date of a negotiated price while it has not taken effect (consortium admin
    /// only, with a reason kept in the audit trail): its period is taken out of the timeline (the price before it
    /// runs on again) and put back from the corrected start, checked against the provincial price then.
    package func correctReportDate(
        id: Int64, consortiumID: Int64, reportedOn: BusinessDate, reason: String?, by principal: Principal,
        today: BusinessDate = .today()
    ) async throws -> PriceAgreement {
        try principal.require(.setPrices(consortiumID: consortiumID))
        guard principal.may(.correctPriceReportDate(consortiumID: consortiumID)) else {
            throw DomainError.forbidden("only the consortium admin corrects the report date of a price")
        }
        return try await database.transaction { transaction in
            let peek = try await prices.agreement(id: id, consortiumID: consortiumID, connection: transaction)
            try await prices.lockDrug(consortiumID: consortiumID, drugCode: peek.drugCode, connection: transaction)
            let before = try await prices.agreement(id: id, consortiumID: consortiumID, connection: transaction, lock: true)
            let start = try PriceReportCorrection.start(
                .init(
                    id: id, negotiated: before.source == .consortiumNegotiated, status: before.status(on: today),
                    requestedFrom: before.requestedFrom, effectiveFrom: before.effectiveFrom),
                reportedOn: reportedOn, reason: reason, today: today)
            let periods = try await prices.periodsInEffect(
                consortiumID: consortiumID, drugCode: before.drugCode, connection: transaction)
            try await prices.withdraw(
                id: id, consortiumID: consortiumID, reportedOn: reportedOn,
                ends: PriceTimeline.withdraw(existing: periods, id: id), connection: transaction)
            let facts = try await prices.negotiationFacts(
                before.drugCode, on: start, consortiumID: consortiumID, connection: transaction)
            try PriceAgreementRules.checkNegotiated(
                before.drugCode, before.unitPrice, before.priceUnit, on: start, inCatalogue: facts.inCatalogue,
                ceiling: facts.ceiling)
            try await prices.putInEffect(before, from: start, consortiumID: consortiumID, connection: transaction)
            let after = try await prices.agreement(id: id, consortiumID: consortiumID, connection: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "correct_report_date",
                entityType: "price_agreement", entityKey: String(id), before: before,
                after: ReasonedChange(value: after, reason: reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
            return after
        }
    }

    // MARK: Patients

    /// The price a patient pays at any member for a drug on a date: the unified price with the markup in force.
    package func patientPrice(consortiumID: Int64, drug: Drug, on date: BusinessDate) async throws -> (
        PriceAgreement, PatientPricing.Answer
    )? {
        try await database.read { connection in
            guard
                let agreement = try await prices.inEffect(
                    consortiumID: consortiumID, drugCode: drug.code, on: date, connection: connection)
            else {
                return nil
            }
            let markups = PatientPricing.Markups(
                drugPercent: try await settings.required(
                    .drugMarkupPercent, consortiumID: consortiumID, on: date, field: "on", connection: connection),
                decoctionPiecePercent: try await settings.required(
                    .decoctionPieceMarkupPercent, consortiumID: consortiumID, on: date, field: "on", connection: connection),
                decoctionPieceCapPercent: try await settings.required(
                    .decoctionPieceMarkupCapPercent, consortiumID: consortiumID, on: date, field: "on", connection: connection),
                hospitalPreparationPercent: try await settings.required(
                    .hospitalPreparationMarkupPercent, consortiumID: consortiumID, on: date, field: "on",
                    connection: connection))
            return (agreement, PatientPricing.price(unitPrice: agreement.unitPrice, category: drug.category, markups: markups))
        }
    }
}

import Crypto
import Foundation
import RxDomain
import RxStore

/// A dispensing (发药) as asked: a drug and a quantity, to a patient or a ward, first expiry first out unless a lot
/// is named, from a location or the member's stock outside locations, with the traceability codes scanned.
package struct DispensingRequest: Sendable, Equatable {
    package var drugCode: String
    package var quantity: Quantity
    package var lotNumber: String?
    package var locationCode: String?
    package var patientRef: String?
    package var ward: String?
    package var traceabilityCodes: [String]
    /// 拆零: issued split from its package (no traceability code needed).
    package var splitPackage: Bool

    package init(
        drugCode: String, quantity: Quantity, lotNumber: String? = nil, locationCode: String? = nil,
        patientRef: String? = nil, ward: String? = nil, traceabilityCodes: [String] = [], splitPackage: Bool = false
    ) {
        self.drugCode = drugCode
        self.quantity = quantity
        self.lotNumber = lotNumber
        self.locationCode = locationCode
        self.patientRef = patientRef
        self.ward = ward
        self.traceabilityCodes = traceabilityCodes
        self.splitPackage = splitPackage
    }
}

/// A dispensing done (or replayed for a retried Idempotency-Key).
package struct DispensingOutcome: Sendable, Equatable, Encodable {
    package var dispensing: DispensingRecord
    /// Why the drug needs no traceability code, if it needs none.
    package var exemption: TraceabilityExemption?
    package var replayed: Bool
}

/// Dispensing from a member's stock: the lots read, the domain's FEFO allocation, the codes checked, then the
/// dispensing, one movement per lot, the codes (flagged when dispensed before) and the audit row, all or nothing.
///
/// The lots are read without locks and the write re-checks them (`StockStore.writeDispensing`): a lot changed in
/// between (emptied, blocked) makes the dispensing decided again from fresh facts, so a dispensing holds no lock
/// for longer than its one write statement.
package struct DispensingUseCases: Sendable {
    let database: Database
    let stock: StockStore

    /// The audit trail's name of the change.
    static let auditAction = "dispense"
    static let auditEntity = "dispensing"

    package init(database: Database) {
        self.database = database
        self.stock = StockStore(database: database)
    }

    package func dispense(
        _ request: DispensingRequest, institution: Institution, idempotencyKey: String?, today: BusinessDate,
        by principal: Principal
    ) async throws -> DispensingOutcome {
        try principal.require(.dispenseStock(consortiumID: institution.consortiumID, institutionID: institution.id))
        let recipient = try DispensingRules.recipient(patientRef: request.patientRef, ward: request.ward)
        let consortiumID = institution.consortiumID
        let canonical = [
            institution.code, request.drugCode, "\(request.quantity)", request.lotNumber ?? "", request.locationCode ?? "",
            request.patientRef ?? "", request.ward ?? "", request.traceabilityCodes.joined(separator: ","),
            "\(request.splitPackage)",
        ].joined(separator: "|")
        let requestHash = Data(SHA256.hash(data: Data(canonical.utf8)))
        var attempt = 1
        while true {
            do {
                // Without a key to claim or codes to record, the dispensing is written whole in one statement: no
                // transaction needs to stay open around the read and the write.
                if idempotencyKey == nil && request.traceabilityCodes.isEmpty {
                    return try await database.autocommit { connection in
                        try await decideAndWrite(
                            request, recipient: recipient, institution: institution, today: today, by: principal,
                            on: connection)
                    }
                }
                return try await database.transaction { transaction in
                    if let key = idempotencyKey, let tokenID = principal.tokenID {
                        if let replayed = try await replay(
                            key, requestHash: requestHash, request: request, tokenID: tokenID,
                            consortiumID: consortiumID, on: transaction)
                        {
                            return replayed
                        }
                    }
                    let outcome = try await decideAndWrite(
                        request, recipient: recipient, institution: institution, today: today, by: principal,
                        on: transaction)
                    if let key = idempotencyKey, let tokenID = principal.tokenID {
                        try await IdempotencyKeyStore(database: database).record(
                            key, for: .createDispensing, recordID: outcome.dispensing.id, tokenID: tokenID,
                            consortiumID: consortiumID, on: transaction)
                    }
                    return outcome
                }
            } catch let changed as StockChangedSinceRead {
                // A lot changed between the read and the write: decide again from what the ledger holds now.
                guard attempt < Self.attempts else { throw DatabaseErrors.map(changed.refusal, logger: database.logger) }
                attempt += 1
            }
        }
    }

    /// How many times a dispensing is decided afresh when its lots change under it before it is refused.
    static let attempts = 3

    /// The dispensing a retried Idempotency-Key made, or nil when the key is new (claimed now).
    func replay(
        _ key: String, requestHash: Data, request: DispensingRequest, tokenID: Int64, consortiumID: Int64,
        on transaction: StoreConnection
    ) async throws -> DispensingOutcome? {
        let keys = IdempotencyKeyStore(database: database)
        let fresh = try await keys.claim(
            key, for: .createDispensing, requestHash: requestHash, tokenID: tokenID, consortiumID: consortiumID,
            on: transaction)
        if fresh { return nil }
        let stored = try await keys.stored(
            key, for: .createDispensing, tokenID: tokenID, consortiumID: consortiumID, on: transaction)
        let id = try DispensingRules.replayedDispensingID(
            stored.map { OrderRules.StoredKey(requestHash: $0.requestHash, orderID: $0.recordID) },
            requestHash: requestHash)
        let record = try await stock.dispensing(id: id, consortiumID: consortiumID, on: transaction)
            .orNotFound("no dispensing \(id)")
        let drug = try await stock.drugFacts(code: record.drugCode, on: transaction)
        return DispensingOutcome(
            dispensing: record,
            exemption: drug.flatMap {
                DispensingRules.traceabilityExemption(
                    category: $0.category, dosageForm: $0.dosageForm, splitPackage: request.splitPackage)
            }, replayed: true)
    }

    /// Reads the member's lots of the drug (unlocked), lets the domain allocate them first expiry first out, checks
    /// the codes, and writes the dispensing with its movements, codes and audit row.
    func decideAndWrite(
        _ request: DispensingRequest, recipient: DispensingRecipient, institution: Institution, today: BusinessDate,
        by principal: Principal, on connection: StoreConnection
    ) async throws -> DispensingOutcome {
        let consortiumID = institution.consortiumID
        let shelfLife = PolicySetting.stockMinimumShelfLifeForIssueDays
        let facts = try await stock.issueFacts(
            consortiumID: consortiumID, institutionID: institution.id, locationCode: request.locationCode,
            drugCode: request.drugCode, settingKey: shelfLife.key, on: today, connection: connection)
        let locationID = facts.locationID
        if let code = request.locationCode, locationID == nil { throw Self.noLocation(code, institution: institution) }
        guard let drug = facts.drug else { throw DomainError.invalid("drugCode", "no drug \(request.drugCode)") }
        let minimumDays =
            facts.settingText != nil
            ? try shelfLife.value(text: facts.settingText, firstEffective: nil, on: today, field: "date")
            : try await Settings(logger: database.logger).required(
                shelfLife, consortiumID: consortiumID, on: today, connection: connection)
        let allocations = try StockRules.allocateFEFO(
            facts.lots, quantity: request.quantity, on: today, minimumShelfLifeDays: minimumDays,
            lotNumber: request.lotNumber)
        let prefixes = try await stock.traceabilityPrefixes(
            Array(Set(request.traceabilityCodes.map { String($0.trimmingCharacters(in: .whitespaces).prefix(7)) })),
            on: connection)
        let codes = try TraceabilityRules.validate(
            request.traceabilityCodes, drugCode: request.drugCode, prefixes: prefixes)
        let exemption = DispensingRules.traceabilityExemption(
            category: drug.category, dosageForm: drug.dosageForm, splitPackage: request.splitPackage)
        let id = facts.dispensingID
        guard !allocations.isEmpty else { throw DomainError.conflict("the dispensing was not recorded") }
        let issues = try allocations.map { allocation in
            guard let movementID = facts.movementIDs[allocation.lot.lotNumber] else {
                throw DomainError.conflict("the dispensing was not recorded")
            }
            return (movementID: movementID, lot: allocation.lot, quantity: allocation.quantity)
        }
        // What is written, as `StockStore.dispensing` would read it back.
        var record = DispensingRecord(
            id: id, institutionCode: institution.code, locationCode: locationID == nil ? nil : request.locationCode,
            drugCode: request.drugCode, quantity: request.quantity, patientRef: recipient.patientRef,
            ward: recipient.ward, requestedLot: request.lotNumber, businessDate: today,
            lines: issues.map {
                DispensingRecord.Line(
                    movementID: $0.movementID, lotNumber: $0.lot.lotNumber, expiry: $0.lot.expiry, quantity: $0.quantity)
            },
            traceabilityCodes: [])
        // Without codes the audit row goes in the same statement; a code's reflow flag is known only once it is
        // recorded, which needs the movement written first (and so a transaction around them).
        let actor = Actor(principal)
        try await stock.writeDispensing(
            id: id, consortiumID: consortiumID, institutionID: institution.id, locationID: locationID,
            drugCode: request.drugCode, quantity: request.quantity, recipient: recipient,
            requestedLot: request.lotNumber, businessDate: today, issues: issues, actor: actor,
            audit: codes.isEmpty ? (Self.auditAction, Self.auditEntity, try AuditLog.json(record)) : nil,
            on: connection)
        if !codes.isEmpty {
            for code in codes {
                // A code is one package; it is recorded against the first lot issued.
                let reflow = try await stock.recordDispensedCode(
                    code.value, consortiumID: consortiumID, institutionID: institution.id,
                    movementID: issues[0].movementID, on: connection)
                record.traceabilityCodes.append(DispensingRecord.Code(code: code.value, reflow: reflow))
            }
            try await database.audit.record(
                on: connection, consortiumID: consortiumID, actor: actor, action: Self.auditAction,
                entityType: Self.auditEntity, entityKey: String(id), before: DispensingRecord?.none, after: record)
        }
        return DispensingOutcome(dispensing: record, exemption: exemption, replayed: false)
    }

    /// A location of the member by code (422 naming `locationCode` when it has none such); nil: the member's stock
    /// outside locations.
    func location(_ code: String?, institution: Institution, on connection: StoreConnection) async throws -> Int64? {
        guard let code else { return nil }
        guard
            let id = try await stock.locationID(
                consortiumID: institution.consortiumID, institutionID: institution.id, code: code, on: connection)
        else { throw Self.noLocation(code, institution: institution) }
        return id
    }

    static func noLocation(_ code: String, institution: Institution) -> DomainError {
        .invalid("locationCode", "\(institution.code) has no store location \(code)")
    }
}

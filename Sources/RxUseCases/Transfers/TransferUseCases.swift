import Foundation
import RxDomain
import RxStore

/// Transfer approvals (调剂使用), shipments against them, and receipts: every change in one transaction with its
/// audit row.
package struct TransferUseCases: Sendable {
    let database: Database
    let transfers: TransferStore
    let preparations: PreparationStore

    package init(database: Database) {
        self.database = database
        self.transfers = TransferStore(database: database)
        self.preparations = PreparationStore(database: database)
    }

    package func list(consortiumID: Int64, drugCode: String?, page: PageRequest) async throws -> Page<TransferApproval> {
        try await transfers.list(consortiumID: consortiumID, drugCode: drugCode, page: page)
    }

    /// Approvals still open that end within `days`, and those with less than `percent` of their quantity left.
    package func report(consortiumID: Int64, today: BusinessDate, withinDays days: Int, remainingBelow percent: Decimal)
        async throws -> (expiring: [TransferApproval], nearlyUsedUp: [TransferApproval])
    {
        let open = try await transfers.open(consortiumID: consortiumID, today: today)
        return (
            open.filter { $0.balance(today: today).expires(within: days) },
            open.filter { $0.balance(today: today).nearlyUsedUp(below: percent) }
        )
    }

    /// One approval with its shipments and receipts; another consortium's answers 404.
    package func detail(id: Int64, principal: Principal) async throws -> (TransferApproval, [TransferShipment]) {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no transfer approval \(id)")
            let approval = try await transfers.approval(id: id, consortiumID: consortiumID, connection: connection).orNotFound(
                "no transfer approval \(id)")
            let shipments = try await transfers.shipments(approvalID: id, consortiumID: consortiumID, connection: connection)
            return (approval, shipments)
        }
    }

    /// Records a regulator's approval, or a standing scope where the consortium's setting allows one.
    package func create(_ draft: TransferApprovalDraft, consortium: Consortium, today: BusinessDate, by principal: Principal)
        async throws -> TransferApproval
    {
        try principal.require(.recordTransferApproval(consortiumID: consortium.id))
        return try await database.transaction { transaction in
            var registered: TransferRules.RegisteredPreparation?
            if let preparation = try await preparations.find(
                consortiumID: consortium.id, drugCode: draft.drugCode, connection: transaction),
                let producerID = try await preparations.institutionID(
                    code: preparation.producerInstitutionCode, consortiumID: consortium.id, connection: transaction)
            {
                registered = TransferRules.RegisteredPreparation(unit: preparation.unit, producerInstitutionID: producerID)
            }
            var receivers: [(code: String, id: Int64?)] = []
            for code in draft.receiverInstitutionCodes {
                receivers.append(
                    (code, try await preparations.institutionID(code: code, consortiumID: consortium.id, connection: transaction))
                )
            }
            let parties = try TransferRules.approvalParties(
                drugCode: draft.drugCode, preparation: registered, supplierCode: draft.supplierInstitutionCode,
                supplierID: try await preparations.institutionID(
                    code: draft.supplierInstitutionCode, consortiumID: consortium.id, connection: transaction),
                receivers: receivers, unit: draft.unit, consortiumCode: consortium.code)
            let required = try await Settings(logger: database.logger).required(
                .preparationTransferRequiresApproval, consortiumID: consortium.id, on: today, connection: transaction)
            let leadID = try await transfers.leadInstitutionID(consortiumID: consortium.id, connection: transaction)
            try TransferRules.refuse(
                TransferRules.approvalErrors(
                    TransferRules.ApprovalCheck(
                        kind: draft.kind, authority: draft.authority, documentNumber: draft.documentNumber,
                        documentDate: draft.documentDate, approvalRequired: required,
                        supplierInstitutionID: parties.supplierInstitutionID,
                        producerInstitutionID: parties.producerInstitutionID,
                        leadInstitutionID: leadID, receiverInstitutionIDs: parties.receiverInstitutionIDs,
                        validFrom: draft.validFrom, validTo: draft.validTo)),
                "the transfer approval is refused")
            guard
                let id = try await transfers.insert(
                    draft, parties: parties, consortiumID: consortium.id, connection: transaction)
            else { throw DomainError.conflict("the approval was not recorded") }
            let created = try await transfers.approval(id: id, consortiumID: consortium.id, connection: transaction).orNotFound(
                "no transfer approval \(id)")
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "transfer_approval", entityKey: String(id), before: TransferApproval?.none, after: created)
            return created
        }
    }

    /// The producer ships a lot against an approval. The approval row is locked, the rules checked against the
    /// shipped total, and the total raised in the same transaction (its CHECK is the backstop).
    package func ship(approvalID: Int64, _ draft: ShipmentDraft, today: BusinessDate, by principal: Principal) async throws
        -> TransferShipment
    {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no transfer approval \(approvalID)")
            guard
                let before = try await transfers.approval(
                    id: approvalID, consortiumID: consortiumID, connection: transaction, lock: true)
            else {
                throw DomainError.notFound("no transfer approval \(approvalID)")
            }
            try principal.require(
                .shipPreparation(consortiumID: consortiumID, producerInstitutionID: before.supplierInstitutionID))
            let receiverID = try await preparations.institutionID(
                code: draft.receiverInstitutionCode, consortiumID: consortiumID, connection: transaction)
            let registration = try await transfers.registrationValidTo(
                consortiumID: consortiumID, drugCode: before.drugCode, connection: transaction)
            let licensed = try await transfers.licensed(
                consortiumID: consortiumID, institutionID: before.supplierInstitutionID, on: draft.shippedOn,
                connection: transaction)
            let named = receiverID != nil && before.receiverInstitutionCodes.contains(draft.receiverInstitutionCode)
            let check = TransferRules.ShipmentCheck(
                receiverNamed: named, shippedOn: draft.shippedOn, today: today, approvalValidFrom: before.validFrom,
                approvalValidTo: before.validTo, registrationValidTo: registration, producerLicensed: licensed,
                productionDate: draft.productionDate, expiryDate: draft.expiryDate, quantity: draft.quantity,
                approved: before.approvedQuantity, alreadyShipped: before.shippedQuantity)
            try TransferRules.refuse(TransferRules.shipmentErrors(check), "the shipment is refused")
            // `shipmentErrors` refused a receiver that is not a named member, so the receiver is known here.
            guard
                let receiverID,
                let id = try await transfers.insertShipment(
                    approvalID: approvalID, draft, receiverInstitutionID: receiverID, consortiumID: consortiumID,
                    connection: transaction)
            else { throw DomainError.conflict("the shipment was not recorded") }
            let created = try await transfers.shipment(id: id, consortiumID: consortiumID, connection: transaction).orNotFound(
                "no transfer shipment \(id)")
            // Out of the producer's stock (102) in the shipment's transaction.
            try await StockPostings(database: database).postPreparationShipment(
                created, producerInstitutionID: before.supplierInstitutionID, by: principal.tokenID, on: transaction)
            guard let after = try await transfers.approval(id: approvalID, consortiumID: consortiumID, connection: transaction)
            else {
                throw DomainError.notFound("no transfer approval \(approvalID)")
            }
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "create",
                entityType: "transfer_shipment", entityKey: String(id), before: TransferShipment?.none, after: created)
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "ship",
                entityType: "transfer_approval", entityKey: String(approvalID), before: before, after: after)
            return created
        }
    }

    /// The receiver records what arrived; a shortfall or excess is kept as the discrepancy.
    package func receive(shipmentID: Int64, _ draft: ReceiptDraft, today: BusinessDate, by principal: Principal) async throws
        -> TransferShipment
    {
        try await database.transaction { transaction in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no transfer shipment \(shipmentID)")
            guard
                let before = try await transfers.shipment(
                    id: shipmentID, consortiumID: consortiumID, connection: transaction, lock: true)
            else {
                throw DomainError.notFound("no transfer shipment \(shipmentID)")
            }
            try principal.require(
                .receivePreparation(consortiumID: consortiumID, receiverInstitutionID: before.receiverInstitutionID))
            try TransferRules.checkReceipt(
                shipmentID: shipmentID, alreadyReceived: before.receipt != nil, receivedOn: draft.receivedOn,
                shippedOn: before.shippedOn, today: today)
            let discrepancy = TransferRules.discrepancy(shipped: before.quantity, received: draft.quantityReceived)
            try await transfers.insertReceipt(
                shipmentID: shipmentID, draft, discrepancy: discrepancy, consortiumID: consortiumID, connection: transaction)
            guard let after = try await transfers.shipment(id: shipmentID, consortiumID: consortiumID, connection: transaction)
            else {
                throw DomainError.notFound("no transfer shipment \(shipmentID)")
            }
            // Into the receiver's stock (101) in the receipt's transaction.
            try await StockPostings(database: database).postPreparationReceipt(after, by: principal.tokenID, on: transaction)
            try await database.audit.record(
                on: transaction, consortiumID: consortiumID, actor: Actor(principal), action: "receive",
                entityType: "transfer_shipment", entityKey: String(shipmentID), before: before, after: after)
            return after
        }
    }
}

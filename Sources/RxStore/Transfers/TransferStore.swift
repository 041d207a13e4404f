import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The regulator's consent to transfer a preparation (or the consortium's standing scope), with its balance.
package struct TransferApproval: Sendable, Equatable, Encodable {
    package var id: Int64
    package var consortiumID: Int64
    package var kind: TransferApprovalKind
    package var authority: String?
    package var documentNumber: String?
    package var documentDate: BusinessDate?
    package var drugCode: String
    package var supplierInstitutionID: Int64
    package var supplierInstitutionCode: String
    package var receiverInstitutionCodes: [String]
    package var approvedQuantity: Quantity
    package var unit: String
    package var shippedQuantity: Quantity
    package var receivedQuantity: Quantity
    package var validFrom: BusinessDate
    package var validTo: BusinessDate

    package func balance(today: BusinessDate) -> TransferBalance {
        TransferBalance(
            approved: approvedQuantity, shipped: shippedQuantity, received: receivedQuantity, validFrom: validFrom,
            validTo: validTo, today: today)
    }
}

package struct TransferApprovalDraft: Sendable {
    package var kind: TransferApprovalKind
    package var authority: String?
    package var documentNumber: String?
    package var documentDate: BusinessDate?
    package var drugCode: String
    package var supplierInstitutionCode: String
    package var receiverInstitutionCodes: [String]
    package var approvedQuantity: Quantity
    /// When given, it must be the preparation's unit.
    package var unit: String?
    package var validFrom: BusinessDate
    package var validTo: BusinessDate

    package init(
        kind: TransferApprovalKind, authority: String?, documentNumber: String?, documentDate: BusinessDate?,
        drugCode: String, supplierInstitutionCode: String, receiverInstitutionCodes: [String], approvedQuantity: Quantity,
        unit: String?, validFrom: BusinessDate, validTo: BusinessDate
    ) {
        self.kind = kind
        self.authority = authority
        self.documentNumber = documentNumber
        self.documentDate = documentDate
        self.drugCode = drugCode
        self.supplierInstitutionCode = supplierInstitutionCode
        self.receiverInstitutionCodes = receiverInstitutionCodes
        self.approvedQuantity = approvedQuantity
        self.unit = unit
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

package struct TransferReceipt: Sendable, Equatable, Encodable {
    package var id: Int64
    package var shipmentID: Int64
    package var receivedOn: BusinessDate
    package var quantityReceived: Quantity
    /// Received minus shipped: negative a shortfall, positive an excess.
    package var discrepancy: Quantity
    package var condition: ReceiptCondition
    package var note: String?
}

package struct TransferShipment: Sendable, Equatable, Encodable {
    package var id: Int64
    package var consortiumID: Int64
    package var approvalID: Int64
    package var drugCode: String
    package var unit: String
    package var supplierInstitutionCode: String
    package var receiverInstitutionID: Int64
    package var receiverInstitutionCode: String
    package var lotNumber: String
    package var productionDate: BusinessDate
    package var expiryDate: BusinessDate
    package var quantity: Quantity
    package var shippedOn: BusinessDate
    package var receipt: TransferReceipt?
}

package struct ShipmentDraft: Sendable {
    package var receiverInstitutionCode: String
    package var lotNumber: String
    package var productionDate: BusinessDate
    package var expiryDate: BusinessDate
    package var quantity: Quantity
    package var shippedOn: BusinessDate

    package init(
        receiverInstitutionCode: String, lotNumber: String, productionDate: BusinessDate, expiryDate: BusinessDate,
        quantity: Quantity, shippedOn: BusinessDate
    ) {
        self.receiverInstitutionCode = receiverInstitutionCode
        self.lotNumber = lotNumber
        self.productionDate = productionDate
        self.expiryDate = expiryDate
        self.quantity = quantity
        self.shippedOn = shippedOn
    }
}

package struct ReceiptDraft: Sendable {
    package var receivedOn: BusinessDate
    package var quantityReceived: Quantity
    package var condition: ReceiptCondition
    package var note: String?

    package init(receivedOn: BusinessDate, quantityReceived: Quantity, condition: ReceiptCondition, note: String?) {
        self.receivedOn = receivedOn
        self.quantityReceived = quantityReceived
        self.condition = condition
        self.note = note
    }
}

/// Transfer approvals, shipments against them, and receipts: every change in one transaction with its audit row.
package struct TransferStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    // MARK: Approvals

    typealias ApprovalRow = (
        Int64, Int64, String, String?, String?, String?, String, Int64, String, [String], Decimal, String, Decimal,
        Decimal, String, String
    )

    static let approvalColumns = """
        a.id, a.consortium_id, a.kind, a.authority, a.document_number, a.document_date::text, a.drug_code,
        a.supplier_institution_id, s.code,
        COALESCE((SELECT array_agg(i.code ORDER BY i.code) FROM transfer_approval_receivers r
                  JOIN institutions i ON i.id = r.institution_id WHERE r.approval_id = a.id), '{}'::text[]),
        a.approved_quantity, a.unit, a.shipped_quantity,
        COALESCE((SELECT sum(rc.quantity_received) FROM transfer_receipts rc
                  JOIN transfer_shipments sh ON sh.id = rc.shipment_id WHERE sh.approval_id = a.id), 0),
        a.valid_from::text, a.valid_to::text
        """
    static let approvalFrom = "transfer_approvals a JOIN institutions s ON s.id = a.supplier_institution_id"

    static func approval(_ r: ApprovalRow) throws -> TransferApproval {
        TransferApproval(
            id: r.0, consortiumID: r.1, kind: try decodeEnum(r.2), authority: r.3, documentNumber: r.4,
            documentDate: r.5.flatMap(BusinessDate.init), drugCode: r.6, supplierInstitutionID: r.7,
            supplierInstitutionCode: r.8, receiverInstitutionCodes: r.9, approvedQuantity: Quantity(r.10), unit: r.11,
            shippedQuantity: Quantity(r.12), receivedQuantity: Quantity(r.13), validFrom: BusinessDate(r.14)!,
            validTo: BusinessDate(r.15)!)
    }

    func approval(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> TransferApproval
    {
        if lock {
            // Serialises shipments against one approval: the shipped total is read and raised under this lock.
            try await connection.run(
                "SELECT 1 FROM transfer_approvals WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE",
                logger: logger)
        }
        guard
            let row = try await connection.row(
                """
                SELECT \(unescaped: Self.approvalColumns) FROM \(unescaped: Self.approvalFrom)
                WHERE a.consortium_id = \(consortiumID) AND a.id = \(id)
                """, as: ApprovalRow.self, logger: logger)
        else { throw DomainError.notFound("no transfer approval \(id)") }
        return try Self.approval(row)
    }

    /// One approval with its shipments and receipts; another consortium's answers 404.
    package func detail(id: Int64, principal: Principal) async throws -> (TransferApproval, [TransferShipment]) {
        try await database.read { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no transfer approval \(id)")
            let approval = try await approval(id: id, consortiumID: consortiumID, connection: connection)
            let shipments = try await connection.rows(
                """
                SELECT \(unescaped: Self.shipmentColumns) FROM \(unescaped: Self.shipmentFrom)
                WHERE sh.consortium_id = \(consortiumID) AND sh.approval_id = \(id) ORDER BY sh.id
                """, as: ShipmentRow.self, logger: logger
            ).map(Self.shipment)
            return (approval, shipments)
        }
    }

    package func list(consortiumID: Int64, drugCode: String?, page: PageRequest) async throws -> Page<TransferApproval> {
        let after = page.after.flatMap(Int64.init) ?? 0
        let rows = try await database.rows(
            """
            SELECT \(unescaped: Self.approvalColumns) FROM \(unescaped: Self.approvalFrom)
            WHERE a.consortium_id = \(consortiumID) AND a.id > \(after)
              AND (\(drugCode)::text IS NULL OR a.drug_code = \(drugCode))
            ORDER BY a.id LIMIT \(page.limit + 1)
            """, as: ApprovalRow.self)
        return Page(rows: try rows.map(Self.approval), limit: page.limit, key: { String($0.id) })
    }

    /// Approvals still open that end within `days`, and those with less than `percent` of their quantity left.
    package func report(consortiumID: Int64, today: BusinessDate, withinDays days: Int, remainingBelow percent: Decimal)
        async throws -> (expiring: [TransferApproval], nearlyUsedUp: [TransferApproval])
    {
        let open = try await database.rows(
            """
            SELECT \(unescaped: Self.approvalColumns) FROM \(unescaped: Self.approvalFrom)
            WHERE a.consortium_id = \(consortiumID) AND a.valid_to >= \(today.description)::date
            ORDER BY a.valid_to, a.id
            """, as: ApprovalRow.self
        ).map(Self.approval)
        return (
            open.filter { $0.balance(today: today).expires(within: days) },
            open.filter { $0.balance(today: today).nearlyUsedUp(below: percent) }
        )
    }

    /// Records a regulator's approval, or a standing scope where the consortium's setting allows one.
    package func create(_ draft: TransferApprovalDraft, consortium: Consortium, today: BusinessDate, by principal: Principal)
        async throws -> TransferApproval
    {
        try principal.require(.recordTransferApproval(consortiumID: consortium.id))
        return try await database.transaction { connection in
            let preparations = PreparationStore(database: database)
            var registered: TransferRules.RegisteredPreparation?
            if let preparation = try await preparations.find(
                consortiumID: consortium.id, drugCode: draft.drugCode, connection: connection),
                let producerID = try await preparations.institutionID(
                    code: preparation.producerInstitutionCode, consortiumID: consortium.id, connection: connection)
            {
                registered = TransferRules.RegisteredPreparation(unit: preparation.unit, producerInstitutionID: producerID)
            }
            var receivers: [(code: String, id: Int64?)] = []
            for code in draft.receiverInstitutionCodes {
                receivers.append(
                    (code, try await preparations.institutionID(code: code, consortiumID: consortium.id, connection: connection)))
            }
            let parties = try TransferRules.approvalParties(
                drugCode: draft.drugCode, preparation: registered, supplierCode: draft.supplierInstitutionCode,
                supplierID: try await preparations.institutionID(
                    code: draft.supplierInstitutionCode, consortiumID: consortium.id, connection: connection),
                receivers: receivers, unit: draft.unit, consortiumCode: consortium.code)
            let required = try await Settings(logger: logger).required(
                .preparationTransferRequiresApproval, consortiumID: consortium.id, on: today, connection: connection)
            let leadRow: Int64?? = try await connection.row(
                "SELECT lead_institution_id FROM consortia WHERE id = \(consortium.id)", as: Int64?.self, logger: logger)
            let leadID: Int64? = leadRow ?? nil
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
                let id = try await connection.row(
                    """
                    INSERT INTO transfer_approvals (consortium_id, kind, authority, document_number, document_date, drug_code,
                                                    supplier_institution_id, approved_quantity, unit, valid_from, valid_to)
                    VALUES (\(consortium.id), \(draft.kind.rawValue), \(draft.authority), \(draft.documentNumber),
                            \(draft.documentDate?.description)::date, \(draft.drugCode), \(parties.supplierInstitutionID),
                            \(draft.approvedQuantity.value), \(parties.unit), \(draft.validFrom.description)::date,
                            \(draft.validTo.description)::date)
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the approval was not recorded") }
            try await connection.run(
                """
                INSERT INTO transfer_approval_receivers (consortium_id, approval_id, institution_id)
                SELECT \(consortium.id), \(id), unnest(\(parties.receiverInstitutionIDs)::bigint[])
                """, logger: logger)
            let created = try await approval(id: id, consortiumID: consortium.id, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "transfer_approval", entityKey: String(id), before: TransferApproval?.none, after: created)
            return created
        }
    }

    // MARK: Shipments

    typealias ShipmentRow = (
        Int64, Int64, Int64, String, String, String, Int64, String, String, String, String, Decimal, String,
        Int64?, String?, Decimal?, Decimal?, String?, String?
    )

    static let shipmentColumns = """
        sh.id, sh.consortium_id, sh.approval_id, a.drug_code, a.unit, s.code, sh.receiver_institution_id, r.code,
        sh.lot_number, sh.production_date::text, sh.expiry_date::text, sh.quantity, sh.shipped_on::text,
        rc.id, rc.received_on::text, rc.quantity_received, rc.discrepancy, rc.condition, rc.note
        """
    static let shipmentFrom = """
        transfer_shipments sh JOIN transfer_approvals a ON a.id = sh.approval_id
        JOIN institutions s ON s.id = a.supplier_institution_id JOIN institutions r ON r.id = sh.receiver_institution_id
        LEFT JOIN transfer_receipts rc ON rc.shipment_id = sh.id
        """

    static func shipment(_ r: ShipmentRow) throws -> TransferShipment {
        var receipt: TransferReceipt?
        if let id = r.13, let on = r.14, let received = r.15, let discrepancy = r.16, let condition = r.17 {
            receipt = TransferReceipt(
                id: id, shipmentID: r.0, receivedOn: BusinessDate(on)!, quantityReceived: Quantity(received),
                discrepancy: Quantity(discrepancy), condition: try decodeEnum(condition), note: r.18)
        }
        return TransferShipment(
            id: r.0, consortiumID: r.1, approvalID: r.2, drugCode: r.3, unit: r.4, supplierInstitutionCode: r.5,
            receiverInstitutionID: r.6, receiverInstitutionCode: r.7, lotNumber: r.8, productionDate: BusinessDate(r.9)!,
            expiryDate: BusinessDate(r.10)!, quantity: Quantity(r.11), shippedOn: BusinessDate(r.12)!, receipt: receipt)
    }

    func shipment(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> TransferShipment
    {
        if lock {
            try await connection.run(
                "SELECT 1 FROM transfer_shipments WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE", logger: logger
            )
        }
        guard
            let row = try await connection.row(
                """
                SELECT \(unescaped: Self.shipmentColumns) FROM \(unescaped: Self.shipmentFrom)
                WHERE sh.consortium_id = \(consortiumID) AND sh.id = \(id)
                """, as: ShipmentRow.self, logger: logger)
        else { throw DomainError.notFound("no transfer shipment \(id)") }
        return try Self.shipment(row)
    }

    /// The producer ships a lot against an approval. The approval row is locked, the rules checked against the
    /// shipped total, and the total raised in the same transaction (its CHECK is the backstop).
    package func ship(approvalID: Int64, _ draft: ShipmentDraft, today: BusinessDate, by principal: Principal) async throws
        -> TransferShipment
    {
        try await database.transaction { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no transfer approval \(approvalID)")
            let before = try await approval(id: approvalID, consortiumID: consortiumID, connection: connection, lock: true)
            try principal.require(
                .shipPreparation(consortiumID: consortiumID, producerInstitutionID: before.supplierInstitutionID))
            let receiverID = try await PreparationStore(database: database).institutionID(
                code: draft.receiverInstitutionCode, consortiumID: consortiumID, connection: connection)
            let registrationRow: String?? = try await connection.row(
                """
                SELECT registration_valid_to::text FROM hospital_preparations
                WHERE consortium_id = \(consortiumID) AND drug_code = \(before.drugCode)
                """, as: String?.self, logger: logger)
            let registration: BusinessDate? = (registrationRow ?? nil).flatMap(BusinessDate.init)
            let licensed =
                try await connection.row(
                    """
                    SELECT 1 FROM preparation_licences
                    WHERE consortium_id = \(consortiumID) AND institution_id = \(before.supplierInstitutionID)
                      AND valid_from <= \(draft.shippedOn.description)::date AND valid_to >= \(draft.shippedOn.description)::date
                    LIMIT 1
                    """, as: Int.self, logger: logger) != nil
            let named = receiverID != nil && before.receiverInstitutionCodes.contains(draft.receiverInstitutionCode)
            let check = TransferRules.ShipmentCheck(
                receiverNamed: named, shippedOn: draft.shippedOn, today: today, approvalValidFrom: before.validFrom,
                approvalValidTo: before.validTo, registrationValidTo: registration, producerLicensed: licensed,
                productionDate: draft.productionDate, expiryDate: draft.expiryDate, quantity: draft.quantity,
                approved: before.approvedQuantity, alreadyShipped: before.shippedQuantity)
            try TransferRules.refuse(TransferRules.shipmentErrors(check), "the shipment is refused")
            let receiver = try TransferRules.shipmentReceiver(receiverID)
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO transfer_shipments (consortium_id, approval_id, receiver_institution_id, lot_number,
                                                    production_date, expiry_date, quantity, shipped_on)
                    VALUES (\(consortiumID), \(approvalID), \(receiver), \(draft.lotNumber),
                            \(draft.productionDate.description)::date, \(draft.expiryDate.description)::date,
                            \(draft.quantity.value), \(draft.shippedOn.description)::date)
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the shipment was not recorded") }
            try await connection.run(
                """
                UPDATE transfer_approvals SET shipped_quantity = shipped_quantity + \(draft.quantity.value)
                WHERE consortium_id = \(consortiumID) AND id = \(approvalID)
                """, logger: logger)
            let created = try await shipment(id: id, consortiumID: consortiumID, connection: connection)
            let after = try await approval(id: approvalID, consortiumID: consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "create",
                entityType: "transfer_shipment", entityKey: String(id), before: TransferShipment?.none, after: created)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "ship",
                entityType: "transfer_approval", entityKey: String(approvalID), before: before, after: after)
            return created
        }
    }

    // MARK: Receipts

    /// The receiver records what arrived; a shortfall or excess is kept as the discrepancy.
    package func receive(shipmentID: Int64, _ draft: ReceiptDraft, today: BusinessDate, by principal: Principal) async throws
        -> TransferShipment
    {
        try await database.transaction { connection in
            let consortiumID = try principal.scopedConsortiumID(orNotFound: "no transfer shipment \(shipmentID)")
            let before = try await shipment(id: shipmentID, consortiumID: consortiumID, connection: connection, lock: true)
            try principal.require(
                .receivePreparation(consortiumID: consortiumID, receiverInstitutionID: before.receiverInstitutionID))
            try TransferRules.checkReceipt(
                shipmentID: shipmentID, alreadyReceived: before.receipt != nil, receivedOn: draft.receivedOn,
                shippedOn: before.shippedOn, today: today)
            let discrepancy = TransferRules.discrepancy(shipped: before.quantity, received: draft.quantityReceived)
            try await connection.run(
                """
                INSERT INTO transfer_receipts (consortium_id, shipment_id, received_on, quantity_received, discrepancy,
                                               condition, note)
                VALUES (\(consortiumID), \(shipmentID), \(draft.receivedOn.description)::date, \(draft.quantityReceived.value),
                        \(discrepancy.value), \(draft.condition.rawValue), \(draft.note))
                """, logger: logger)
            let after = try await shipment(id: shipmentID, consortiumID: consortiumID, connection: connection)
            try await audit.record(
                on: connection, consortiumID: consortiumID, actor: Actor(principal), action: "receive",
                entityType: "transfer_shipment", entityKey: String(shipmentID), before: before, after: after)
            return after
        }
    }
}

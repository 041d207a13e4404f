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

/// Transfer approvals, shipments against them, and receipts.
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
                  JOIN institutions i ON i.consortium_id = r.consortium_id AND i.id = r.institution_id
                  WHERE r.consortium_id = a.consortium_id AND r.approval_id = a.id), '{}'::text[]),
        a.approved_quantity, a.unit, a.shipped_quantity,
        COALESCE((SELECT sum(rc.quantity_received) FROM transfer_receipts rc
                  JOIN transfer_shipments sh ON sh.consortium_id = rc.consortium_id AND sh.id = rc.shipment_id
                  WHERE sh.consortium_id = a.consortium_id AND sh.approval_id = a.id), 0),
        a.valid_from::text, a.valid_to::text
        """
    static let approvalFrom = """
        transfer_approvals a
        JOIN institutions s ON s.consortium_id = a.consortium_id AND s.id = a.supplier_institution_id
        """

    static func approval(_ r: ApprovalRow) throws -> TransferApproval {
        TransferApproval(
            id: r.0, consortiumID: r.1, kind: try decodeEnum(r.2), authority: r.3, documentNumber: r.4,
            documentDate: r.5.flatMap(BusinessDate.init), drugCode: r.6, supplierInstitutionID: r.7,
            supplierInstitutionCode: r.8, receiverInstitutionCodes: r.9, approvedQuantity: Quantity(r.10), unit: r.11,
            shippedQuantity: Quantity(r.12), receivedQuantity: Quantity(r.13), validFrom: BusinessDate(r.14)!,
            validTo: BusinessDate(r.15)!)
    }

    package func approval(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> TransferApproval?
    {
        if lock {
            // Serialises shipments against one approval: the shipped total is read and raised under this lock.
            try await connection.run(
                "SELECT 1 FROM transfer_approvals WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE",
                logger: logger)
        }
        return try await connection.row(
            """
            SELECT \(unescaped: Self.approvalColumns) FROM \(unescaped: Self.approvalFrom)
            WHERE a.consortium_id = \(consortiumID) AND a.id = \(id)
            """, as: ApprovalRow.self, logger: logger
        ).map(Self.approval)
    }

    /// The shipments against one approval, with their receipts.
    package func shipments(approvalID: Int64, consortiumID: Int64, connection: PostgresConnection) async throws
        -> [TransferShipment]
    {
        try await connection.rows(
            """
            SELECT \(unescaped: Self.shipmentColumns) FROM \(unescaped: Self.shipmentFrom)
            WHERE sh.consortium_id = \(consortiumID) AND sh.approval_id = \(approvalID) ORDER BY sh.id
            """, as: ShipmentRow.self, logger: logger
        ).map(Self.shipment)
    }

    package func list(consortiumID: Int64, drugCode: String?, page: PageRequest) async throws -> Page<TransferApproval> {
        let after = page.afterID
        let rows = try await database.rows(
            """
            SELECT \(unescaped: Self.approvalColumns) FROM \(unescaped: Self.approvalFrom)
            WHERE a.consortium_id = \(consortiumID) AND a.id > \(after)
              AND (\(drugCode)::text IS NULL OR a.drug_code = \(drugCode))
            ORDER BY a.id LIMIT \(page.limit + 1)
            """, as: ApprovalRow.self)
        return Page(rows: try rows.map(Self.approval), limit: page.limit, key: { String($0.id) })
    }

    /// Approvals still open on `today`, by end date.
    package func open(consortiumID: Int64, today: BusinessDate) async throws -> [TransferApproval] {
        try await database.rows(
            """
            SELECT \(unescaped: Self.approvalColumns) FROM \(unescaped: Self.approvalFrom)
            WHERE a.consortium_id = \(consortiumID) AND a.valid_to >= \(today.description)::date
            ORDER BY a.valid_to, a.id
            """, as: ApprovalRow.self
        ).map(Self.approval)
    }

    /// The consortium's lead institution, if it has one.
    package func leadInstitutionID(consortiumID: Int64, connection: PostgresConnection) async throws -> Int64? {
        let row: Int64?? = try await connection.row(
            "SELECT lead_institution_id FROM consortia WHERE id = \(consortiumID)", as: Int64?.self, logger: logger)
        return row ?? nil
    }

    /// Inserts an approval and its receivers; returns its id.
    package func insert(
        _ draft: TransferApprovalDraft, parties: TransferRules.ApprovalParties, consortiumID: Int64,
        connection: PostgresConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                """
                INSERT INTO transfer_approvals (consortium_id, kind, authority, document_number, document_date, drug_code,
                                                supplier_institution_id, approved_quantity, unit, valid_from, valid_to)
                VALUES (\(consortiumID), \(draft.kind.rawValue), \(draft.authority), \(draft.documentNumber),
                        \(draft.documentDate?.description)::date, \(draft.drugCode), \(parties.supplierInstitutionID),
                        \(draft.approvedQuantity.value), \(parties.unit), \(draft.validFrom.description)::date,
                        \(draft.validTo.description)::date)
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            INSERT INTO transfer_approval_receivers (consortium_id, approval_id, institution_id)
            SELECT \(consortiumID), \(id), unnest(\(parties.receiverInstitutionIDs)::bigint[])
            """, logger: logger)
        return id
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
        transfer_shipments sh JOIN transfer_approvals a ON a.consortium_id = sh.consortium_id AND a.id = sh.approval_id
        JOIN institutions s ON s.consortium_id = a.consortium_id AND s.id = a.supplier_institution_id
        JOIN institutions r ON r.consortium_id = sh.consortium_id AND r.id = sh.receiver_institution_id
        LEFT JOIN transfer_receipts rc ON rc.consortium_id = sh.consortium_id AND rc.shipment_id = sh.id
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

    package func shipment(id: Int64, consortiumID: Int64, connection: PostgresConnection, lock: Bool = false) async throws
        -> TransferShipment?
    {
        if lock {
            try await connection.run(
                "SELECT 1 FROM transfer_shipments WHERE consortium_id = \(consortiumID) AND id = \(id) FOR UPDATE", logger: logger
            )
        }
        return try await connection.row(
            """
            SELECT \(unescaped: Self.shipmentColumns) FROM \(unescaped: Self.shipmentFrom)
            WHERE sh.consortium_id = \(consortiumID) AND sh.id = \(id)
            """, as: ShipmentRow.self, logger: logger
        ).map(Self.shipment)
    }

    /// The end of a preparation's registration: nil when it is not registered or a filing has no end.
    package func registrationValidTo(consortiumID: Int64, drugCode: String, connection: PostgresConnection) async throws
        -> BusinessDate?
    {
        let row: String?? = try await connection.row(
            """
            SELECT registration_valid_to::text FROM hospital_preparations
            WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode)
            """, as: String?.self, logger: logger)
        return (row ?? nil).flatMap(BusinessDate.init)
    }

    /// Whether the institution holds a preparation licence in force on `day`.
    package func licensed(consortiumID: Int64, institutionID: Int64, on day: BusinessDate, connection: PostgresConnection)
        async throws -> Bool
    {
        try await connection.row(
            """
            SELECT 1 FROM preparation_licences
            WHERE consortium_id = \(consortiumID) AND institution_id = \(institutionID)
              AND valid_from <= \(day.description)::date AND valid_to >= \(day.description)::date
            LIMIT 1
            """, as: Int.self, logger: logger) != nil
    }

    /// Inserts a shipment and raises its approval's shipped total; returns the shipment's id.
    package func insertShipment(
        approvalID: Int64, _ draft: ShipmentDraft, receiverInstitutionID: Int64, consortiumID: Int64,
        connection: PostgresConnection
    ) async throws -> Int64? {
        guard
            let id = try await connection.row(
                """
                INSERT INTO transfer_shipments (consortium_id, approval_id, receiver_institution_id, lot_number,
                                                production_date, expiry_date, quantity, shipped_on)
                VALUES (\(consortiumID), \(approvalID), \(receiverInstitutionID), \(draft.lotNumber),
                        \(draft.productionDate.description)::date, \(draft.expiryDate.description)::date,
                        \(draft.quantity.value), \(draft.shippedOn.description)::date)
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            UPDATE transfer_approvals SET shipped_quantity = shipped_quantity + \(draft.quantity.value)
            WHERE consortium_id = \(consortiumID) AND id = \(approvalID)
            """, logger: logger)
        return id
    }

    // MARK: Receipts

    package func insertReceipt(
        shipmentID: Int64, _ draft: ReceiptDraft, discrepancy: Quantity, consortiumID: Int64, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO transfer_receipts (consortium_id, shipment_id, received_on, quantity_received, discrepancy,
                                           condition, note)
            VALUES (\(consortiumID), \(shipmentID), \(draft.receivedOn.description)::date, \(draft.quantityReceived.value),
                    \(discrepancy.value), \(draft.condition.rawValue), \(draft.note))
            """, logger: logger)
    }
}

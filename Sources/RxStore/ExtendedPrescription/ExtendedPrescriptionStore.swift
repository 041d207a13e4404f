import Foundation
import Logging
import PostgresNIO
import RxDomain

/// An extended prescription (延伸处方) as stored: its parties, its one line, its state and the stamps of its moves.
package struct StoredExtendedPrescription: Sendable, Equatable, Encodable {
    package var id: Int64
    package var institutionID: Int64
    package var institutionCode: String
    package var prescriber: String
    package var patientRef: String
    package var dispensingInstitutionID: Int64
    package var dispensingInstitutionCode: String
    package var collectingInstitutionID: Int64
    package var collectingInstitutionCode: String
    package var delivery: String
    package var homeAddressRef: String?
    package var chronic: Bool
    package var businessDate: BusinessDate
    package var state: ExtendedPrescriptionState
    package var issuedAt: Date
    package var reviewedAt: Date?
    package var refusalReason: String?
    package var deliveryDueAt: Date?
    package var cancelledAt: Date?
    package var cancelReason: String?
    package var rxTraceCode: String
    package var validityDays: Int
    package var drugCode: String
    package var quantity: Decimal
    package var unit: String
    package var days: Int
    /// The dispensing member's location it was dispatched from (nil: its stock outside locations, or not dispatched).
    package var dispatchLocationID: Int64?
    package var dispatchLocationCode: String?
    package var dispatchedAt: Date?
    package var deliveredAt: Date?
    /// The last day to collect it, once delivered.
    package var collectBy: BusinessDate?
    package var collectedAt: Date?
    package var notCollectedAt: Date?
    /// What was dispatched, by lot.
    package var lots: [StockRules.Allocation]
    /// The e-prescription voided, with the insurance revoke in the same step.
    package var voidedAt: Date?
    package var voidReason: String?
}

/// Extended prescriptions (延伸处方): SQL only; `ExtendedPrescriptionRules` decides.
package struct ExtendedPrescriptionStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// Whether the drug is in the consortium's catalogue in effect on the date.
    package func inConsortiumCatalogue(drugCode: String, consortiumID: Int64, on date: BusinessDate, connection: StoreConnection)
        async throws -> Bool
    {
        try await connection.row(
            """
            SELECT EXISTS (
                SELECT 1 FROM catalogue_items
                WHERE consortium_id = \(consortiumID) AND drug_code = \(drugCode)
                  AND version_number = catalogue_version_in_effect(\(consortiumID), \(date.description)::date))
            """, as: Bool.self, logger: logger) ?? false
    }

    /// What a member holds of a drug, in every lot and location (zero when none).
    package func onHand(drugCode: String, institutionID: Int64, consortiumID: Int64, connection: StoreConnection) async throws
        -> Decimal
    {
        try await connection.row(
            """
            SELECT coalesce(sum(quantity), 0) FROM stock_on_hand
            WHERE consortium_id = \(consortiumID) AND institution_id = \(institutionID) AND drug_code = \(drugCode)
            """, as: Decimal.self, logger: logger) ?? 0
    }

    /// The unit a drug is counted in.
    package func unit(drugCode: String, connection: StoreConnection) async throws -> String? {
        try await connection.row("SELECT unit FROM drugs WHERE code = \(drugCode)", as: String.self, logger: logger)
    }

    /// The extended prescriptions of chronic-disease drugs a patient holds at every member (`PatientLinkRules`): by
    /// the first pseudonym's reference at any member, the others by member and reference.
    package func supply(of pseudonyms: [MemberPatient], consortiumID: Int64, connection: StoreConnection) async throws
        -> [ExtendedSupply]
    {
        guard let patient = pseudonyms.first else { return [] }
        let others = pseudonyms.dropFirst()
        return try await connection.rows(
            """
            SELECT e.id, l.drug_code, e.business_date::text, l.days, e.state, e.chronic
            FROM extended_prescriptions e
            JOIN extended_prescription_lines l ON l.consortium_id = e.consortium_id AND l.prescription_id = e.id
            WHERE e.consortium_id = \(consortiumID)
              AND (e.patient_ref = \(patient.pseudonym)
                   OR (e.institution_id, e.patient_ref) IN (
                       SELECT k.institution_id, k.patient_ref
                       FROM unnest(\(others.map(\.institutionID))::bigint[], \(others.map(\.pseudonym))::text[])
                            AS k(institution_id, patient_ref)))
            ORDER BY e.business_date, e.id
            """, as: (Int64, String, String, Int, String, Bool).self, logger: logger
        ).compactMap { row in
            guard let issuedOn = BusinessDate(row.2) else { return nil }
            return ExtendedSupply(
                prescriptionID: row.0, drugCode: row.1, issuedOn: issuedOn, days: row.3, state: try decodeEnum(row.4),
                chronic: row.5)
        }
    }

    /// What an issue records.
    package struct NewPrescription: Sendable {
        package var institutionID: Int64
        package var prescriberID: Int64
        package var patientRef: String
        package var dispensingInstitutionID: Int64
        package var collectingInstitutionID: Int64
        package var homeAddressRef: String?
        package var chronic: Bool
        package var businessDate: BusinessDate
        package var rxTraceCode: String
        package var validityDays: Int
        package var drugCode: String
        package var quantity: Decimal
        package var unit: String
        package var days: Int

        package init(
            institutionID: Int64, prescriberID: Int64, patientRef: String, dispensingInstitutionID: Int64,
            collectingInstitutionID: Int64, homeAddressRef: String?, chronic: Bool, businessDate: BusinessDate,
            rxTraceCode: String, validityDays: Int, drugCode: String, quantity: Decimal, unit: String, days: Int
        ) {
            self.institutionID = institutionID
            self.prescriberID = prescriberID
            self.patientRef = patientRef
            self.dispensingInstitutionID = dispensingInstitutionID
            self.collectingInstitutionID = collectingInstitutionID
            self.homeAddressRef = homeAddressRef
            self.chronic = chronic
            self.businessDate = businessDate
            self.rxTraceCode = rxTraceCode
            self.validityDays = validityDays
            self.drugCode = drugCode
            self.quantity = quantity
            self.unit = unit
            self.days = days
        }
    }

    /// Records an issued prescription and its line; its id.
    package func insert(_ p: NewPrescription, issuedBy tokenID: Int64?, consortiumID: Int64, connection: StoreConnection)
        async throws -> Int64?
    {
        guard
            let id = try await connection.row(
                """
                INSERT INTO extended_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref,
                    dispensing_institution_id, collecting_institution_id, delivery, home_address_ref, chronic,
                    business_date, issued_by, rx_trace_code, vali_days, long_rx_flag)
                VALUES (\(consortiumID), \(p.institutionID), \(p.prescriberID), \(p.patientRef), \(p.dispensingInstitutionID),
                    \(p.collectingInstitutionID), \(p.homeAddressRef == nil ? "institution" : "home"), \(p.homeAddressRef),
                    \(p.chronic), \(p.businessDate.description)::date, \(tokenID), \(p.rxTraceCode), \(p.validityDays),
                    \(p.chronic))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { return nil }
        try await connection.run(
            """
            INSERT INTO extended_prescription_lines (consortium_id, prescription_id, line_no, drug_code, quantity, unit, days)
            VALUES (\(consortiumID), \(id), 1, \(p.drugCode), \(p.quantity), \(p.unit), \(p.days))
            """, logger: logger)
        return id
    }

    /// One prescription; with `lock`, held until the transaction ends (racing moves queue, the first wins).
    package func prescription(id: Int64, consortiumID: Int64, lock: Bool = false, connection: StoreConnection) async throws
        -> StoredExtendedPrescription?
    {
        try await read("WHERE e.consortium_id = \(consortiumID) AND e.id = \(id)", lock: lock, connection: connection).first
    }

    /// A page of prescriptions of the consortium, newest first (keyset: ids below the cursor's), optionally of one state and of an institution on one
    /// side (issuing, dispensing, collecting; nil: any side).
    package func list(
        consortiumID: Int64, state: ExtendedPrescriptionState?, institutionID: Int64?, side: String?, page: PageRequest,
        connection: StoreConnection
    ) async throws -> Page<StoredExtendedPrescription> {
        let rows = try await read(
            """
            WHERE e.consortium_id = \(consortiumID) AND e.state = coalesce(\(state?.rawValue)::text, e.state)
              AND (\(institutionID)::bigint IS NULL
                   OR (coalesce(\(side)::text, 'issuer') = 'issuer' AND e.institution_id = \(institutionID))
                   OR (coalesce(\(side)::text, 'dispensing') = 'dispensing' AND e.dispensing_institution_id = \(institutionID))
                   OR (coalesce(\(side)::text, 'collecting') = 'collecting' AND e.collecting_institution_id = \(institutionID)))
              AND e.id < coalesce(\(page.after.flatMap { Int64($0) })::bigint, 9223372036854775807)
            ORDER BY e.id DESC LIMIT \(page.limit + 1)
            """, lock: false, connection: connection)
        return Page(rows: rows, limit: page.limit) { String($0.id) }
    }

    /// The prescriptions on their way (approved, not delivered yet), soonest deadline first; of one institution's
    /// sides when `institutionID` is given. At most `limit`.
    package func onTheirWay(consortiumID: Int64, institutionID: Int64?, limit: Int, connection: StoreConnection)
        async throws -> [StoredExtendedPrescription]
    {
        try await read(
            """
            WHERE e.consortium_id = \(consortiumID) AND e.state IN ('approved', 'dispatched')
              AND (\(institutionID)::bigint IS NULL OR \(institutionID) IN (e.institution_id, e.dispensing_institution_id,
                                                                            e.collecting_institution_id))
            ORDER BY e.delivery_due_at, e.id LIMIT \(limit)
            """, lock: false, connection: connection)
    }

    /// The outcome of each prescription issued from `from` to `to` (business dates), for the fulfilment figures: the
    /// issuing member, the drug, the state, when it was issued and collected.
    package func outcomes(consortiumID: Int64, from: BusinessDate, to: BusinessDate, connection: StoreConnection)
        async throws -> [ExtendedOutcome]
    {
        try await connection.rows(
            """
            SELECT i.code, l.drug_code, e.state, e.issued_at, e.collected_at
            FROM extended_prescriptions e
            JOIN institutions i ON i.consortium_id = e.consortium_id AND i.id = e.institution_id
            JOIN extended_prescription_lines l ON l.consortium_id = e.consortium_id AND l.prescription_id = e.id
                 AND l.line_no = 1
            WHERE e.consortium_id = \(consortiumID)
              AND e.business_date BETWEEN \(from.description)::date AND \(to.description)::date
            """, as: (String, String, String, Date, Date?).self, logger: logger
        ).map {
            ExtendedOutcome(memberCode: $0.0, drugCode: $0.1, state: try decodeEnum($0.2), issuedAt: $0.3, collectedAt: $0.4)
        }
    }

    private func read(_ condition: PostgresQuery, lock: Bool, connection: StoreConnection) async throws
        -> [StoredExtendedPrescription]
    {
        var query: PostgresQuery = """
            SELECT e.id, e.institution_id, i.code, p.pseudonym, e.patient_ref, e.dispensing_institution_id, d.code,
                   e.collecting_institution_id, c.code, e.delivery, e.home_address_ref, e.chronic, e.business_date::text,
                   e.state, e.issued_at, e.reviewed_at, e.refusal_reason, e.delivery_due_at, e.cancelled_at,
                   e.cancel_reason, e.rx_trace_code, e.vali_days, l.drug_code, l.quantity, l.unit, l.days,
                   e.dispatch_location_id, (SELECT code FROM stock_locations sl
                                            WHERE sl.consortium_id = e.consortium_id AND sl.id = e.dispatch_location_id),
                   e.dispatched_at, e.delivered_at, e.collect_by::text, e.collected_at, e.not_collected_at,
                   lots.numbers, lots.expiries, lots.quantities, e.voided_at, e.void_reason
            FROM extended_prescriptions e
            JOIN institutions i ON i.consortium_id = e.consortium_id AND i.id = e.institution_id
            JOIN institutions d ON d.consortium_id = e.consortium_id AND d.id = e.dispensing_institution_id
            JOIN institutions c ON c.consortium_id = e.consortium_id AND c.id = e.collecting_institution_id
            JOIN prescribers p ON p.consortium_id = e.consortium_id AND p.id = e.prescriber_id
            JOIN extended_prescription_lines l ON l.consortium_id = e.consortium_id AND l.prescription_id = e.id
                 AND l.line_no = 1
            CROSS JOIN LATERAL (
                SELECT array_agg(x.lot_number ORDER BY x.expiry_date, x.lot_key) AS numbers,
                       array_agg(x.expiry_date::text ORDER BY x.expiry_date, x.lot_key) AS expiries,
                       array_agg(x.quantity::text ORDER BY x.expiry_date, x.lot_key) AS quantities
                FROM extended_prescription_lots x WHERE x.consortium_id = e.consortium_id AND x.prescription_id = e.id
            ) lots

            """
        query.sql += condition.sql
        query.binds = condition.binds
        if lock { query.sql += " FOR UPDATE OF e" }
        var found: [StoredExtendedPrescription] = []
        for try await r in try await connection.stream(query, logger: logger).decode(
            (
                Int64, Int64, String, String, String, Int64, String, Int64, String, String, String?, Bool, String, String,
                Date, Date?, String?, Date?, Date?, String?, String, Int, String, Decimal, String, Int, Int64?, String?,
                Date?, Date?, String?, Date?, Date?, [String]?, [String]?, [String]?, Date?, String?
            ).self)
        {
            guard let businessDate = BusinessDate(r.12) else { continue }
            var lots: [StockRules.Allocation] = []
            for (number, (expiry, quantity)) in zip(r.33 ?? [], zip(r.34 ?? [], r.35 ?? [])) {
                guard let expiry = BusinessDate(expiry), let quantity = Decimal(string: quantity) else { continue }
                lots.append(.init(lot: StockLot(drugCode: r.22, lotNumber: number, expiry: expiry), quantity: Quantity(quantity)))
            }
            found.append(
                StoredExtendedPrescription(
                    id: r.0, institutionID: r.1, institutionCode: r.2, prescriber: r.3, patientRef: r.4,
                    dispensingInstitutionID: r.5, dispensingInstitutionCode: r.6, collectingInstitutionID: r.7,
                    collectingInstitutionCode: r.8, delivery: r.9, homeAddressRef: r.10, chronic: r.11,
                    businessDate: businessDate, state: try decodeEnum(r.13), issuedAt: r.14, reviewedAt: r.15,
                    refusalReason: r.16, deliveryDueAt: r.17, cancelledAt: r.18, cancelReason: r.19, rxTraceCode: r.20,
                    validityDays: r.21, drugCode: r.22, quantity: r.23, unit: r.24, days: r.25, dispatchLocationID: r.26,
                    dispatchLocationCode: r.27, dispatchedAt: r.28, deliveredAt: r.29, collectBy: r.30.flatMap(BusinessDate.init),
                    collectedAt: r.31, notCollectedAt: r.32, lots: lots, voidedAt: r.36, voidReason: r.37))
        }
        return found
    }

    /// The national insurance e-prescription record of a prescription (`EPrescriptionRecord`): the insurance drug code
    /// of a line is its `med_list_codg`, else the drug's code (the national insurance code where one exists); the
    /// in-house code is the drug's code.
    package func record(id: Int64, consortiumID: Int64, connection: StoreConnection) async throws -> EPrescriptionRecord? {
        guard
            let r = try await connection.row(
                """
                SELECT rx_trace_code, hi_rxno, business_date::text, vali_days, rept_flag, max_rept_cnt, reptd_cnt,
                       min_inrv_days, rx_cotn_flag, init_rxno, long_rx_flag, voided_at IS NOT NULL, revoked_at IS NOT NULL
                FROM extended_prescriptions WHERE consortium_id = \(consortiumID) AND id = \(id)
                """, as: (String, String?, String, Int, Bool, Int, Int, Int, Bool, String?, Bool, Bool, Bool).self,
                logger: logger),
            let issuedOn = BusinessDate(r.2)
        else { return nil }
        let lines = try await connection.rows(
            """
            SELECT coalesce(med_list_codg, drug_code), drug_code, quantity, unit, days, hospital_preparation
            FROM extended_prescription_lines WHERE consortium_id = \(consortiumID) AND prescription_id = \(id)
            ORDER BY line_no
            """, as: (String, String, Decimal, String, Int, Bool).self, logger: logger
        ).map {
            EPrescriptionRecord.Line(
                insuranceCode: $0.0, inHouseCode: $0.1, quantity: Quantity($0.2), unit: $0.3, days: $0.4,
                hospitalPreparation: $0.5)
        }
        return EPrescriptionRecord(
            traceCode: r.0, insuranceRxNumber: r.1, issuedOn: issuedOn, validityDays: r.3, refillable: r.4, maxRefills: r.5,
            refills: r.6, minDaysBetweenRefills: r.7, renewal: r.8, initialRxNumber: r.9, longPrescription: r.10,
            lines: lines, voided: r.11, revoked: r.12)
    }

    /// Records a review: approved (with the delivery deadline `hours` after it) or refused with its reason. False when
    /// the prescription was no longer `requested`.
    package func review(
        id: Int64, approved: Bool, reason: String?, deliveryDeadlineHours: Int, by tokenID: Int64?, consortiumID: Int64,
        connection: StoreConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            UPDATE extended_prescriptions
            SET state = \(approved ? "approved" : "refused"), reviewed_by = \(tokenID), reviewed_at = clock_timestamp(),
                refusal_reason = \(approved ? nil : reason)::text,
                delivery_due_at = CASE WHEN \(approved)::boolean THEN clock_timestamp() + make_interval(hours => \(deliveryDeadlineHours)::int)
                                  END
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND state = 'requested'
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
    }

    /// Records a dispatch from the dispensing member's `locationID` (nil: its stock outside locations) with its lots
    /// and their movements; false when the prescription was no longer `approved`.
    package func recordDispatch(
        id: Int64, locationID: Int64?, lots: [(lot: StockLot, quantity: Quantity, movementID: Int64)], by tokenID: Int64?,
        consortiumID: Int64, connection: StoreConnection
    ) async throws -> Bool {
        guard
            try await connection.row(
                """
                UPDATE extended_prescriptions
                SET state = 'dispatched', dispatched_by = \(tokenID), dispatched_at = clock_timestamp(),
                    dispatch_location_id = \(locationID)::bigint
                WHERE consortium_id = \(consortiumID) AND id = \(id) AND state = 'approved'
                RETURNING true
                """, as: Bool.self, logger: logger) ?? false
        else { return false }
        try await connection.run(
            """
            INSERT INTO extended_prescription_lots (consortium_id, prescription_id, line_no, lot_number, expiry_date,
                                                    quantity, movement_id)
            SELECT \(consortiumID), \(id), 1, x.lot_number, x.expiry::date, x.quantity::numeric, x.movement_id
            FROM unnest(\(lots.map(\.lot.lotNumber))::text[], \(lots.map(\.lot.expiry.description))::text[],
                        \(lots.map { "\($0.quantity.value)" })::text[], \(lots.map(\.movementID))::bigint[])
                 AS x(lot_number, expiry, quantity, movement_id)
            """, logger: logger)
        return true
    }

    /// Records the delivery, with the last day to collect; false when the prescription was no longer `dispatched`.
    package func recordDelivery(
        id: Int64, collectBy: BusinessDate, by tokenID: Int64?, consortiumID: Int64, connection: StoreConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            UPDATE extended_prescriptions
            SET state = 'delivered', delivered_by = \(tokenID), delivered_at = clock_timestamp(),
                collect_by = \(collectBy.description)::date
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND state = 'dispatched'
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
    }

    /// Records the collection by the patient, or that it was not collected by its deadline; false when the
    /// prescription was no longer `delivered`.
    package func recordHandOver(
        id: Int64, collected: Bool, by tokenID: Int64?, consortiumID: Int64, connection: StoreConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            UPDATE extended_prescriptions
            SET state = \(collected ? "collected" : "not_collected"),
                collected_by = CASE WHEN \(collected)::boolean THEN \(tokenID)::bigint END,
                collected_at = CASE WHEN \(collected)::boolean THEN clock_timestamp() END,
                not_collected_at = CASE WHEN NOT \(collected)::boolean THEN clock_timestamp() END
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND state = 'delivered'
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
    }

    /// Voids the e-prescription and records the insurance revoke in one step, with the reason; with `cancel`, the
    /// prescription is cancelled for the same reason. False when it was no longer in `expected` or already voided.
    package func void(
        id: Int64, reason: String, cancel: Bool, expected: ExtendedPrescriptionState, by tokenID: Int64?,
        consortiumID: Int64, connection: StoreConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            UPDATE extended_prescriptions
            SET voided_at = clock_timestamp(), revoked_at = clock_timestamp(), void_reason = \(reason),
                state = CASE WHEN \(cancel)::boolean THEN 'cancelled' ELSE state END,
                cancelled_by = CASE WHEN \(cancel)::boolean THEN \(tokenID)::bigint ELSE cancelled_by END,
                cancelled_at = CASE WHEN \(cancel)::boolean THEN clock_timestamp() ELSE cancelled_at END,
                cancel_reason = CASE WHEN \(cancel)::boolean THEN \(reason) ELSE cancel_reason END
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND state = \(expected.rawValue) AND voided_at IS NULL
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
    }

    /// Records a cancellation with its reason; false when the prescription was no longer in `expected`.
    package func cancel(
        id: Int64, reason: String, expected: ExtendedPrescriptionState, by tokenID: Int64?, consortiumID: Int64,
        connection: StoreConnection
    ) async throws -> Bool {
        try await connection.row(
            """
            UPDATE extended_prescriptions
            SET state = 'cancelled', cancelled_by = \(tokenID), cancelled_at = clock_timestamp(), cancel_reason = \(reason)
            WHERE consortium_id = \(consortiumID) AND id = \(id) AND state = \(expected.rawValue)
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
    }
}

import Foundation
import Logging
import PostgresNIO
import RxDomain

/// A hospital preparation (医疗机构制剂) of one producer in one consortium, with its registration.
package struct HospitalPreparation: Sendable, Equatable, Encodable {
    package var drugCode: String
    package var genericName: String
    package var dosageForm: String
    package var strength: String?
    package var unit: String
    package var producerInstitutionCode: String
    package var registrationKind: RegistrationKind
    package var registrationNumber: String
    /// nil for a filing (备案号).
    package var registrationValidTo: BusinessDate?
    package var reimbursable: Bool
}

package struct HospitalPreparationDraft: Sendable {
    package var drugCode: String
    package var producerInstitutionCode: String
    package var registrationKind: RegistrationKind
    package var registrationNumber: String
    package var registrationValidTo: BusinessDate?
    package var reimbursable: Bool

    package init(
        drugCode: String, producerInstitutionCode: String, registrationKind: RegistrationKind, registrationNumber: String,
        registrationValidTo: BusinessDate?, reimbursable: Bool
    ) {
        self.drugCode = drugCode
        self.producerInstitutionCode = producerInstitutionCode
        self.registrationKind = registrationKind
        self.registrationNumber = registrationNumber
        self.registrationValidTo = registrationValidTo
        self.reimbursable = reimbursable
    }
}

/// An institution's preparation licence (医疗机构制剂许可证).
package struct PreparationLicence: Sendable, Equatable, Encodable {
    package var id: Int64
    package var institutionCode: String
    package var licenceNumber: String
    package var validFrom: BusinessDate
    package var validTo: BusinessDate
}

/// Hospital preparations, their producers' licences, and the warnings ahead of their expiry.
package struct PreparationStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    typealias Row = (String, String, String, String?, String, String, String, String, String?, Bool)

    static let columns = """
        p.drug_code, d.generic_name, d.dosage_form, d.strength, d.unit, i.code, p.registration_kind,
        p.registration_number, p.registration_valid_to::text, p.reimbursable
        """
    static let from = """
        hospital_preparations p JOIN drugs d ON d.code = p.drug_code
        JOIN institutions i ON i.id = p.producer_institution_id
        """

    static func preparation(_ r: Row) throws -> HospitalPreparation {
        HospitalPreparation(
            drugCode: r.0, genericName: r.1, dosageForm: r.2, strength: r.3, unit: r.4, producerInstitutionCode: r.5,
            registrationKind: try decodeEnum(r.6), registrationNumber: r.7,
            registrationValidTo: r.8.flatMap(BusinessDate.init), reimbursable: r.9)
    }

    package func list(consortiumID: Int64, page: PageRequest) async throws -> Page<HospitalPreparation> {
        let rows = try await database.rows(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE p.consortium_id = \(consortiumID) AND p.drug_code > \(page.after ?? "")
            ORDER BY p.drug_code LIMIT \(page.limit + 1)
            """, as: Row.self)
        return Page(rows: try rows.map(Self.preparation), limit: page.limit, key: \.drugCode)
    }

    func find(consortiumID: Int64, drugCode: String, connection: PostgresConnection) async throws -> HospitalPreparation? {
        try await connection.row(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE p.consortium_id = \(consortiumID) AND p.drug_code = \(drugCode)
            """, as: Row.self, logger: logger
        ).map(Self.preparation)
    }

    /// Registers a preparation: a drug of category hospital_preparation, made by a member of the consortium.
    package func create(_ draft: HospitalPreparationDraft, consortium: Consortium, by principal: Principal) async throws
        -> HospitalPreparation
    {
        try principal.require(.managePreparations(consortiumID: consortium.id))
        try TransferRules.refuse(
            TransferRules.registrationErrors(
                kind: draft.registrationKind, number: draft.registrationNumber, validTo: draft.registrationValidTo),
            "the preparation is not registered")
        return try await database.transaction { connection in
            let category = try await connection.row(
                "SELECT category FROM drugs WHERE code = \(draft.drugCode)", as: String.self, logger: logger)
            let producerID = try TransferRules.preparationProducer(
                drugCode: draft.drugCode, category: category, producerCode: draft.producerInstitutionCode,
                producerID: try await institutionID(
                    code: draft.producerInstitutionCode, consortiumID: consortium.id, connection: connection),
                consortiumCode: consortium.code)
            try await connection.run(
                """
                INSERT INTO hospital_preparations (consortium_id, drug_code, producer_institution_id, registration_kind,
                                                   registration_number, registration_valid_to, reimbursable)
                VALUES (\(consortium.id), \(draft.drugCode), \(producerID), \(draft.registrationKind.rawValue),
                        \(draft.registrationNumber), \(draft.registrationValidTo?.description)::date, \(draft.reimbursable))
                """, logger: logger)
            guard let created = try await find(consortiumID: consortium.id, drugCode: draft.drugCode, connection: connection)
            else {
                throw DomainError.notFound(draft.drugCode)
            }
            try await audit.record(
                on: connection, consortiumID: consortium.id, actor: Actor(principal), action: "create",
                entityType: "hospital_preparation", entityKey: draft.drugCode, before: HospitalPreparation?.none, after: created)
            return created
        }
    }

    /// Records a preparation licence of a member (a renewal is another licence).
    package func addLicence(
        institution: Institution, number: String, validFrom: BusinessDate, validTo: BusinessDate, by principal: Principal
    ) async throws -> PreparationLicence {
        try principal.require(.managePreparations(consortiumID: institution.consortiumID))
        try TransferRules.refuse(
            TransferRules.licenceErrors(number: number, validFrom: validFrom, validTo: validTo), "the licence is refused")
        return try await database.transaction { connection in
            guard
                let id = try await connection.row(
                    """
                    INSERT INTO preparation_licences (consortium_id, institution_id, licence_number, valid_from, valid_to)
                    VALUES (\(institution.consortiumID), \(institution.id), \(number), \(validFrom.description)::date,
                            \(validTo.description)::date)
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            else { throw DomainError.conflict("the licence was not recorded") }
            let licence = PreparationLicence(
                id: id, institutionCode: institution.code, licenceNumber: number, validFrom: validFrom, validTo: validTo)
            try await audit.record(
                on: connection, consortiumID: institution.consortiumID, actor: Actor(principal), action: "create",
                entityType: "preparation_licence", entityKey: String(id), before: PreparationLicence?.none, after: licence)
            return licence
        }
    }

    /// Registrations and licences lapsing within `days` of `today`, or lapsed already: for each institution only
    /// its latest licence counts, and only producers' licences.
    package func expiring(consortiumID: Int64, today: BusinessDate, within days: Int) async throws -> [ExpiryWarning] {
        let registrations = try await database.rows(
            """
            SELECT i.code, p.drug_code, p.registration_number, p.registration_valid_to::text
            FROM hospital_preparations p JOIN institutions i ON i.id = p.producer_institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.registration_valid_to IS NOT NULL
            """, as: (String, String, String, String).self)
        let licences = try await database.rows(
            """
            SELECT DISTINCT ON (l.institution_id) i.code, l.licence_number, l.valid_to::text
            FROM preparation_licences l JOIN institutions i ON i.id = l.institution_id
            WHERE l.consortium_id = \(consortiumID)
              AND EXISTS (SELECT 1 FROM hospital_preparations p
                          WHERE p.consortium_id = l.consortium_id AND p.producer_institution_id = l.institution_id)
            ORDER BY l.institution_id, l.valid_to DESC
            """, as: (String, String, String).self)
        let candidates =
            registrations.map {
                ExpiryWarning(
                    subject: .registration, institutionCode: $0.0, drugCode: $0.1, number: $0.2,
                    validTo: BusinessDate($0.3)!, today: today)
            }
            + licences.map {
                ExpiryWarning(
                    subject: .licence, institutionCode: $0.0, drugCode: nil, number: $0.1,
                    validTo: BusinessDate($0.2)!, today: today)
            }
        return ExpiryWarning.due(candidates, within: days)
    }

    func institutionID(code: String, consortiumID: Int64, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)",
            as: Int64.self, logger: logger)
    }
}

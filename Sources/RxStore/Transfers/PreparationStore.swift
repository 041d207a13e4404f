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

    package init(id: Int64, institutionCode: String, licenceNumber: String, validFrom: BusinessDate, validTo: BusinessDate) {
        self.id = id
        self.institutionCode = institutionCode
        self.licenceNumber = licenceNumber
        self.validFrom = validFrom
        self.validTo = validTo
    }
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
        JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.producer_institution_id
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

    package func find(consortiumID: Int64, drugCode: String, connection: PostgresConnection) async throws
        -> HospitalPreparation?
    {
        try await connection.row(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE p.consortium_id = \(consortiumID) AND p.drug_code = \(drugCode)
            """, as: Row.self, logger: logger
        ).map(Self.preparation)
    }

    /// A drug's category (nil: no such drug).
    package func drugCategory(code: String, connection: PostgresConnection) async throws -> String? {
        try await connection.row("SELECT category FROM drugs WHERE code = \(code)", as: String.self, logger: logger)
    }

    package func insert(
        _ draft: HospitalPreparationDraft, consortiumID: Int64, producerID: Int64, connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO hospital_preparations (consortium_id, drug_code, producer_institution_id, registration_kind,
                                               registration_number, registration_valid_to, reimbursable)
            VALUES (\(consortiumID), \(draft.drugCode), \(producerID), \(draft.registrationKind.rawValue),
                    \(draft.registrationNumber), \(draft.registrationValidTo?.description)::date, \(draft.reimbursable))
            """, logger: logger)
    }

    /// Inserts a preparation licence and returns its id.
    package func insertLicence(
        institution: Institution, number: String, validFrom: BusinessDate, validTo: BusinessDate,
        connection: PostgresConnection
    ) async throws -> Int64? {
        try await connection.row(
            """
            INSERT INTO preparation_licences (consortium_id, institution_id, licence_number, valid_from, valid_to)
            VALUES (\(institution.consortiumID), \(institution.id), \(number), \(validFrom.description)::date,
                    \(validTo.description)::date)
            RETURNING id
            """, as: Int64.self, logger: logger)
    }

    /// Registrations with an end date, and each producer's latest licence (only producers' licences), as warnings
    /// to be sifted by `ExpiryWarning.due`.
    package func expiryCandidates(consortiumID: Int64, today: BusinessDate) async throws -> [ExpiryWarning] {
        let registrations = try await database.rows(
            """
            SELECT i.code, p.drug_code, p.registration_number, p.registration_valid_to::text
            FROM hospital_preparations p
            JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.producer_institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.registration_valid_to IS NOT NULL
            """, as: (String, String, String, String).self)
        let licences = try await database.rows(
            """
            SELECT DISTINCT ON (l.institution_id) i.code, l.licence_number, l.valid_to::text
            FROM preparation_licences l
            JOIN institutions i ON i.consortium_id = l.consortium_id AND i.id = l.institution_id
            WHERE l.consortium_id = \(consortiumID)
              AND EXISTS (SELECT 1 FROM hospital_preparations p
                          WHERE p.consortium_id = l.consortium_id AND p.producer_institution_id = l.institution_id)
            ORDER BY l.institution_id, l.valid_to DESC
            """, as: (String, String, String).self)
        return registrations.map {
            ExpiryWarning(
                subject: .registration, institutionCode: $0.0, drugCode: $0.1, number: $0.2,
                validTo: BusinessDate($0.3)!, today: today)
        }
            + licences.map {
                ExpiryWarning(
                    subject: .licence, institutionCode: $0.0, drugCode: nil, number: $0.1,
                    validTo: BusinessDate($0.2)!, today: today)
            }
    }

    package func institutionID(code: String, consortiumID: Int64, connection: PostgresConnection) async throws -> Int64? {
        try await connection.row(
            "SELECT id FROM institutions WHERE consortium_id = \(consortiumID) AND code = \(code)",
            as: Int64.self, logger: logger)
    }
}

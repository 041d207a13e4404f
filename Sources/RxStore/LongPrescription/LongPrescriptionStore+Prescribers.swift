import Foundation
import PostgresNIO
import RxDomain

/// A registered prescriber as the list shows them: the pseudonym, the institution and the title, nothing more.
package struct RegisteredPrescriber: Sendable, Equatable {
    package var pseudonym: String
    package var institutionCode: String
    package var title: PrescriberTitle
}

extension LongPrescriptionStore {
    /// Prescribers by pseudonym, of one institution when `institutionID` or `institutionCode` is given (an unknown
    /// code finds none).
    package func prescribers(
        consortiumID: Int64, institutionID own: Int64?, institutionCode: String?, title: PrescriberTitle?, page: PageRequest
    ) async throws -> Page<RegisteredPrescriber> {
        let rows = try await database.rows(
            """
            SELECT p.pseudonym, i.code, p.title FROM prescribers p
            JOIN institutions i ON i.consortium_id = p.consortium_id AND i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID) AND p.pseudonym > \(page.after ?? "")
              AND (\(own)::bigint IS NULL OR p.institution_id = \(own))
              AND (\(institutionCode)::text IS NULL OR i.code = \(institutionCode))
              AND (\(title?.rawValue)::text IS NULL OR p.title = \(title?.rawValue))
            ORDER BY p.pseudonym LIMIT \(page.limit + 1)
            """, as: (String, String, String).self)
        return Page(
            rows: try rows.map { RegisteredPrescriber(pseudonym: $0.0, institutionCode: $0.1, title: try decodeEnum($0.2)) },
            limit: page.limit, key: \.pseudonym)
    }
}

import Foundation
import PostgresNIO
import RxDomain

/// The pharmacopoeia's limits of a decoction piece: its monograph and each measure it limits, in the order of
/// `HerbQualityMeasure`.
package struct HerbQualityLimits: Sendable, Equatable {
    package struct Limit: Sendable, Equatable {
        package var measure: HerbQualityMeasure
        package var maximum: Decimal
    }
    package var drugCode: String
    package var genericName: String
    package var monograph: String
    package var limits: [Limit]
}

extension HerbQualityStore {
    /// The limits per piece (national data) by drug code, optionally one piece's or those whose generic name holds `q`.
    package func limits(drugCode: String?, q: String?, page: PageRequest) async throws -> Page<HerbQualityLimits> {
        let pattern = q.map { "%\($0.likeEscaped)%" }
        let columns = HerbQualityMeasure.allCases.map { "q.\($0.limitColumn)" }.joined(separator: ", ")
        let rows = try await database.rows(
            """
            SELECT q.drug_code, d.generic_name, q.monograph, \(unescaped: columns)
            FROM herb_quality_limits q JOIN drugs d ON d.code = q.drug_code
            WHERE q.drug_code > \(page.after ?? "")
              AND (\(drugCode)::text IS NULL OR q.drug_code = \(drugCode))
              AND (\(pattern)::text IS NULL OR d.generic_name LIKE \(pattern) ESCAPE '\\')
            ORDER BY q.drug_code LIMIT \(page.limit + 1)
            """,
            as: (
                String, String, String, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?,
                Decimal?
            ).self)
        return Page(
            rows: rows.map { r in
                let values = [r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12]
                return HerbQualityLimits(
                    drugCode: r.0, genericName: r.1, monograph: r.2,
                    limits: zip(HerbQualityMeasure.allCases, values).compactMap { m, v in v.map { .init(measure: m, maximum: $0) }
                    })
            }, limit: page.limit, key: \.drugCode)
    }
}

import Foundation
import Logging
import PostgresNIO
import RxDomain

/// The counts of a console home page's to-do list, each within the person's consortium and, when their account is
/// scoped to one, their institution.
package struct ConsoleHomeStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    package struct Counts: Sendable, Equatable {
        /// Catalogue versions put to the members on which the institution has not yet decided (待表态).
        package var cataloguesToEndorse: Int
        /// Objections to a version put to the members (待答复的异议).
        package var catalogueObjections: Int
        package var catalogueDrafts: Int
        package var ordersDraft: Int
        /// Orders submitted and not wholly received.
        package var ordersToReceive: Int
        /// Invoices with a line in discrepancy that finance has not yet reviewed (resolved or disputed).
        package var invoicesInDiscrepancy: Int
        /// Extended prescriptions requested of the institution as the dispensing one, not yet reviewed (待审核).
        package var prescriptionsToReview: Int
        /// Items of joint herb rounds open for commitments on which the institution has not committed (待报量).
        package var herbCommitmentsToEnter: Int
    }

    package func counts(consortiumID: Int64, institutionID: Int64?) async throws -> Counts {
        let rows = try await database.rows(
            """
            SELECT
              (SELECT count(*)::int FROM catalogue_versions v
                WHERE v.consortium_id = \(consortiumID) AND v.status = 'proposed' AND \(institutionID)::bigint IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM catalogue_endorsements e
                                   WHERE e.consortium_id = v.consortium_id AND e.version_number = v.number
                                     AND e.institution_id = \(institutionID)::bigint)),
              (SELECT count(*)::int FROM catalogue_endorsements e JOIN catalogue_versions v
                   ON v.consortium_id = e.consortium_id AND v.number = e.version_number
                WHERE e.consortium_id = \(consortiumID) AND v.status = 'proposed' AND e.decision = 'object'),
              (SELECT count(*)::int FROM catalogue_versions v
                WHERE v.consortium_id = \(consortiumID) AND v.status = 'draft'),
              (SELECT count(*)::int FROM purchase_orders o
                WHERE o.consortium_id = \(consortiumID) AND o.status = 'draft'
                  AND (\(institutionID)::bigint IS NULL OR o.institution_id = \(institutionID)::bigint)),
              (SELECT count(*)::int FROM purchase_orders o
                WHERE o.consortium_id = \(consortiumID) AND o.status IN ('submitted', 'consolidated', 'partly_received')
                  AND (\(institutionID)::bigint IS NULL OR o.institution_id = \(institutionID)::bigint)),
              (SELECT count(DISTINCT l.invoice_id)::int FROM invoice_lines l
                 JOIN invoices v ON v.consortium_id = l.consortium_id AND v.id = l.invoice_id
                WHERE l.consortium_id = \(consortiumID) AND cardinality(l.discrepancies) > 0
                  AND v.review_status IS NULL),
              (SELECT count(*)::int FROM extended_prescriptions x
                WHERE x.consortium_id = \(consortiumID) AND x.state = 'requested'
                  AND x.dispensing_institution_id = \(institutionID)::bigint),
              (SELECT count(*)::int FROM herb_round_items i JOIN herb_rounds r
                   ON r.consortium_id = i.consortium_id AND r.id = i.round_id
                WHERE i.consortium_id = \(consortiumID) AND r.status = \(HerbRoundStatus.commitmentsOpen.rawValue)
                  AND NOT EXISTS (SELECT 1 FROM herb_commitments c
                                   WHERE c.consortium_id = i.consortium_id AND c.item_id = i.id
                                     AND c.institution_id = \(institutionID)::bigint))
            """, as: (Int, Int, Int, Int, Int, Int, Int, Int).self)
        let r = rows[0]
        return Counts(
            cataloguesToEndorse: r.0, catalogueObjections: r.1, catalogueDrafts: r.2, ordersDraft: r.3, ordersToReceive: r.4,
            invoicesInDiscrepancy: r.5, prescriptionsToReview: r.6, herbCommitmentsToEnter: r.7)
    }
}

import RxDomain
import RxStore

/// A console home page's to-do list: for each thing the person may act on, how many wait. What they may act on is
/// the access model's (`Principal.may`), so the list never offers what a page would refuse.
package struct ConsoleHomeUseCases: Sendable {
    let store: ConsoleHomeStore
    let consortia: ConsortiumUseCases
    let supplyCentre: SupplyCentreUseCases

    package init(database: Database) {
        self.store = ConsoleHomeStore(database: database)
        self.consortia = ConsortiumUseCases(database: database)
        self.supplyCentre = SupplyCentreUseCases(database: database)
    }

    package enum Item: String, Sendable, CaseIterable {
        case catalogueToEndorse = "catalogue_to_endorse"
        case catalogueObjections = "catalogue_objections"
        case catalogueDrafts = "catalogue_drafts"
        case ordersDraft = "orders_draft"
        case ordersToReceive = "orders_to_receive"
        case prescriptionsToReview = "prescriptions_to_review"
        case invoicesInDiscrepancy = "invoices_in_discrepancy"
        case payablesOverdue = "payables_overdue"
        case herbCommitmentsToEnter = "herb_commitments_to_enter"
    }

    /// The person's to-do items with their counts, in the page's order.
    package func todo(for principal: Principal, today: BusinessDate) async throws -> [(item: Item, count: Int)] {
        guard let consortiumID = principal.consortiumID, let code = principal.consortiumCode,
            let consortium = try await consortia.find(code: code)
        else { return [] }
        let counts = try await store.counts(consortiumID: consortiumID, institutionID: principal.institutionID)
        var items: [(Item, Int)] = []
        if let institution = principal.institutionID {
            if principal.may(.endorseCatalogue(consortiumID: consortiumID, institutionID: institution)) {
                items.append((.catalogueToEndorse, counts.cataloguesToEndorse))
            }
            if principal.may(.raiseOrder(consortiumID: consortiumID, institutionID: institution)) {
                items.append((.ordersDraft, counts.ordersDraft))
                items.append((.ordersToReceive, counts.ordersToReceive))
            }
            if principal.may(.commitHerbVolume(consortiumID: consortiumID, institutionID: institution)) {
                items.append((.herbCommitmentsToEnter, counts.herbCommitmentsToEnter))
            }
            if principal.may(.reviewExtendedPrescription(consortiumID: consortiumID, dispensingInstitutionID: institution)) {
                items.append((.prescriptionsToReview, counts.prescriptionsToReview))
            }
        }
        if principal.may(.manageCatalogue(consortiumID: consortiumID)) {
            items.append((.catalogueObjections, counts.catalogueObjections))
            items.append((.catalogueDrafts, counts.catalogueDrafts))
        }
        if principal.institutionID == nil,
            principal.may(
                .runSupplyCentre(consortiumID: consortiumID, leadInstitutionCode: consortium.leadInstitutionCode))
        {
            items.append((.ordersToReceive, counts.ordersToReceive))
        }
        if principal.may(.reviewDiscrepancies(consortiumID: consortiumID)) {
            items.append((.invoicesInDiscrepancy, counts.invoicesInDiscrepancy))
        }
        if principal.may(.readFinance(consortiumID: consortiumID, leadInstitutionCode: consortium.leadInstitutionCode)) {
            // Overdue is the payables' own rule (the payment term after the accepted delivery), not counted twice.
            let overdue = try await supplyCentre.payables(
                consortium: consortium, status: .overdue, today: today, by: principal)
            items.append((.payablesOverdue, overdue.count))
        }
        return items
    }
}

import RxDomain
import RxStore

/// Hospital preparations (医疗机构制剂), their producers' licences, and the warnings ahead of their expiry.
package struct PreparationUseCases: Sendable {
    let database: Database
    let preparations: PreparationStore

    package init(database: Database) {
        self.database = database
        self.preparations = PreparationStore(database: database)
    }

    package func list(consortiumID: Int64, page: PageRequest) async throws -> Page<HospitalPreparation> {
        try await preparations.list(consortiumID: consortiumID, page: page)
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
        return try await database.transaction { transaction in
            let category = try await preparations.drugCategory(code: draft.drugCode, connection: transaction)
            let producerID = try TransferRules.preparationProducer(
                drugCode: draft.drugCode, category: category, producerCode: draft.producerInstitutionCode,
                producerID: try await preparations.institutionID(
                    code: draft.producerInstitutionCode, consortiumID: consortium.id, connection: transaction),
                consortiumCode: consortium.code)
            try await preparations.insert(draft, consortiumID: consortium.id, producerID: producerID, connection: transaction)
            guard
                let created = try await preparations.find(
                    consortiumID: consortium.id, drugCode: draft.drugCode, connection: transaction)
            else {
                throw DomainError.notFound(draft.drugCode)
            }
            try await database.audit.record(
                on: transaction, consortiumID: consortium.id, actor: Actor(principal), action: "create",
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
        return try await database.transaction { transaction in
            guard
                let id = try await preparations.insertLicence(
                    institution: institution, number: number, validFrom: validFrom, validTo: validTo,
                    connection: transaction)
            else { throw DomainError.conflict("the licence was not recorded") }
            let licence = PreparationLicence(
                id: id, institutionCode: institution.code, licenceNumber: number, validFrom: validFrom, validTo: validTo)
            try await database.audit.record(
                on: transaction, consortiumID: institution.consortiumID, actor: Actor(principal), action: "create",
                entityType: "preparation_licence", entityKey: String(id), before: PreparationLicence?.none, after: licence)
            return licence
        }
    }

    /// Registrations and licences lapsing within `days` of `today`, or lapsed already: for each institution only
    /// its latest licence counts, and only producers' licences.
    package func expiring(consortiumID: Int64, today: BusinessDate, within days: Int) async throws -> [ExpiryWarning] {
        ExpiryWarning.due(try await preparations.expiryCandidates(consortiumID: consortiumID, today: today), within: days)
    }
}

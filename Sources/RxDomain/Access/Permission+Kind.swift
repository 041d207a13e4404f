/// A permission without its scope, to name in tables (which permission an operation of the contract asks for).
extension Permission {
    package enum Kind: String, CaseIterable, Sendable {
        case readConsortium
        case updateConsortium
        case createInstitution
        case updateInstitution
        case manageSuppliers
        case manageDrugs
        case readAudit
        case manageCatalogue
        case endorseCatalogue
        case editMemberCatalogue
        case setPrices
        case correctPriceReportDate
        case raiseOrder
        case runSupplyCentre
        case moveOrder
        case readFinance
        case payInvoices
        case reviewDiscrepancies
        case reconcileInvoiceFiles
        case readOrders
        case readOrderLots
        case manageLongPrescriptionRules
        case issueLongPrescription
        case dispense
        case managePreparations
        case recordTransferApproval
        case shipPreparation
        case receivePreparation
        case runHerbRound
        case inspectHerbBatch
        case commitHerbVolume
        case readHerbCommitments
        case readAllHerbCommitments
        case readMissingHerbCommitments
        case readDistributorContracts
        case readSupplyCentreOrders
        case readPrescribers
        case readCatalogueEndorsements
        case readHerbQualityLimits
        case runDeskChecks
        case signConsoleRun
        case readStock
        case readAllStock
        case dispenseStock
        case manageStock
        case recallLot
        case moveStockDocument
        case readStockDocuments
        case readShortages
        case readAllShortages
        case recordSupplierReport
        case actOnShortage
        case signOffSubstitute
        case linkPatient
        case readPatientLinks
        case issueExtendedPrescription
        case reviewExtendedPrescription
        case cancelExtendedPrescription
        case dispatchExtendedPrescription
        case deliverExtendedPrescription
        case collectExtendedPrescription
        case manageVBPAgreements
        case settleRetainedSavings
        case readVBPAgreements
        case manageCrosswalk
        case readCrosswalk
        case manageConsoleUsers
    }

    package var kind: Kind {
        switch self {
        case .readConsortium: .readConsortium
        case .updateConsortium: .updateConsortium
        case .createInstitution: .createInstitution
        case .updateInstitution: .updateInstitution
        case .manageSuppliers: .manageSuppliers
        case .manageDrugs: .manageDrugs
        case .readAudit: .readAudit
        case .manageCatalogue: .manageCatalogue
        case .endorseCatalogue: .endorseCatalogue
        case .editMemberCatalogue: .editMemberCatalogue
        case .setPrices: .setPrices
        case .correctPriceReportDate: .correctPriceReportDate
        case .raiseOrder: .raiseOrder
        case .runSupplyCentre: .runSupplyCentre
        case .moveOrder: .moveOrder
        case .readFinance: .readFinance
        case .payInvoices: .payInvoices
        case .reviewDiscrepancies: .reviewDiscrepancies
        case .reconcileInvoiceFiles: .reconcileInvoiceFiles
        case .readOrders: .readOrders
        case .readOrderLots: .readOrderLots
        case .manageLongPrescriptionRules: .manageLongPrescriptionRules
        case .issueLongPrescription: .issueLongPrescription
        case .dispense: .dispense
        case .managePreparations: .managePreparations
        case .recordTransferApproval: .recordTransferApproval
        case .shipPreparation: .shipPreparation
        case .receivePreparation: .receivePreparation
        case .runHerbRound: .runHerbRound
        case .inspectHerbBatch: .inspectHerbBatch
        case .commitHerbVolume: .commitHerbVolume
        case .readHerbCommitments: .readHerbCommitments
        case .readAllHerbCommitments: .readAllHerbCommitments
        case .readMissingHerbCommitments: .readMissingHerbCommitments
        case .readDistributorContracts: .readDistributorContracts
        case .readSupplyCentreOrders: .readSupplyCentreOrders
        case .readPrescribers: .readPrescribers
        case .readCatalogueEndorsements: .readCatalogueEndorsements
        case .readHerbQualityLimits: .readHerbQualityLimits
        case .runDeskChecks: .runDeskChecks
        case .signConsoleRun: .signConsoleRun
        case .readStock: .readStock
        case .readAllStock: .readAllStock
        case .dispenseStock: .dispenseStock
        case .manageStock: .manageStock
        case .recallLot: .recallLot
        case .moveStockDocument: .moveStockDocument
        case .readStockDocuments: .readStockDocuments
        case .readShortages: .readShortages
        case .readAllShortages: .readAllShortages
        case .recordSupplierReport: .recordSupplierReport
        case .actOnShortage: .actOnShortage
        case .signOffSubstitute: .signOffSubstitute
        case .linkPatient: .linkPatient
        case .readPatientLinks: .readPatientLinks
        case .issueExtendedPrescription: .issueExtendedPrescription
        case .reviewExtendedPrescription: .reviewExtendedPrescription
        case .cancelExtendedPrescription: .cancelExtendedPrescription
        case .dispatchExtendedPrescription: .dispatchExtendedPrescription
        case .deliverExtendedPrescription: .deliverExtendedPrescription
        case .collectExtendedPrescription: .collectExtendedPrescription
        case .manageVBPAgreements: .manageVBPAgreements
        case .settleRetainedSavings: .settleRetainedSavings
        case .readVBPAgreements: .readVBPAgreements
        case .manageCrosswalk: .manageCrosswalk
        case .readCrosswalk: .readCrosswalk
        case .manageConsoleUsers: .manageConsoleUsers
        }
    }

    /// Each permission in a sample scope: consortium `SAMPLE` (id 1), its lead institution `LEAD` (id 1) as the
    /// institution, lead or producer named; both variants where a scope may be left out.
    package static let samples: [Permission] = {
        let (c, i, lead, code): (Int64, Int64, String, String) = (1, 1, "LEAD", "SAMPLE")
        return [
            .readConsortium(consortiumID: c),
            .updateConsortium(consortiumID: c),
            .createInstitution(consortiumID: c),
            .updateInstitution(consortiumID: c, institutionID: i),
            .manageSuppliers,
            .manageDrugs,
            .readAudit,
            .manageCatalogue(consortiumID: c),
            .endorseCatalogue(consortiumID: c, institutionID: i),
            .editMemberCatalogue(consortiumID: c, institutionID: i),
            .setPrices(consortiumID: c),
            .correctPriceReportDate(consortiumID: c),
            .raiseOrder(consortiumID: c, institutionID: i),
            .runSupplyCentre(consortiumID: c, leadInstitutionCode: lead),
            .moveOrder(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .readFinance(consortiumID: c, leadInstitutionCode: lead),
            .payInvoices(consortiumID: c, leadInstitutionCode: lead),
            .reviewDiscrepancies(consortiumID: c),
            .reconcileInvoiceFiles(consortiumID: c, leadInstitutionCode: lead),
            .readOrders(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .readOrderLots(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .manageLongPrescriptionRules(consortiumID: c),
            .issueLongPrescription(consortiumID: c, institutionID: i),
            .dispense(consortiumID: c),
            .managePreparations(consortiumID: c),
            .recordTransferApproval(consortiumID: c),
            .shipPreparation(consortiumID: c, producerInstitutionID: i),
            .receivePreparation(consortiumID: c, receiverInstitutionID: i),
            .runHerbRound(consortiumID: c, roundLeadCode: lead),
            .inspectHerbBatch(consortiumID: c, roundLeadCode: lead),
            .commitHerbVolume(consortiumID: c, institutionID: i),
            .readHerbCommitments(consortiumID: c, institutionID: i, roundLeadCode: lead),
            .readAllHerbCommitments(consortiumID: c, roundLeadCode: lead),
            .readMissingHerbCommitments(consortiumID: c, institutionID: i, roundLeadCode: lead),
            .readDistributorContracts(consortiumID: c),
            .readSupplyCentreOrders(consortiumID: c, leadInstitutionCode: lead),
            .readPrescribers(consortiumID: c, institutionID: i),
            .readPrescribers(consortiumID: c, institutionID: nil),
            .readCatalogueEndorsements(consortiumID: c),
            .readHerbQualityLimits,
            .runDeskChecks,
            .signConsoleRun(consortiumCode: code),
            .readStock(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .readAllStock(consortiumID: c, leadInstitutionCode: lead),
            .dispenseStock(consortiumID: c, institutionID: i),
            .manageStock(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .recallLot(consortiumID: c),
            .moveStockDocument(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .readStockDocuments(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .readStockDocuments(consortiumID: c, institutionID: nil, leadInstitutionCode: lead),
            .readShortages(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .readAllShortages(consortiumID: c, leadInstitutionCode: lead),
            .recordSupplierReport(consortiumID: c, leadInstitutionCode: lead),
            .actOnShortage(consortiumID: c, leadInstitutionCode: lead),
            .signOffSubstitute(consortiumID: c),
            .linkPatient(consortiumID: c, institutionID: i),
            .readPatientLinks(consortiumID: c),
            .issueExtendedPrescription(consortiumID: c, institutionID: i),
            .reviewExtendedPrescription(consortiumID: c, dispensingInstitutionID: i),
            .cancelExtendedPrescription(consortiumID: c, institutionID: i, dispensingInstitutionID: i),
            .dispatchExtendedPrescription(consortiumID: c, dispensingInstitutionID: i),
            .deliverExtendedPrescription(consortiumID: c, dispensingInstitutionID: i, collectingInstitutionID: i),
            .collectExtendedPrescription(consortiumID: c, collectingInstitutionID: i),
            .manageVBPAgreements(consortiumID: c, leadInstitutionCode: lead),
            .settleRetainedSavings(consortiumID: c, leadInstitutionCode: lead),
            .readVBPAgreements(consortiumID: c, institutionID: i, leadInstitutionCode: lead),
            .readVBPAgreements(consortiumID: c, institutionID: nil, leadInstitutionCode: lead),
            .manageCrosswalk(consortiumID: c),
            .readCrosswalk(consortiumID: c),
            .manageConsoleUsers(consortiumID: c),
        ]
    }()
}

extension Principal {
    /// Every shape a token of `role` may have in the sample consortium (`Permission.samples`): a national role's
    /// (no consortium, no institution), else consortium-wide, scoped to the lead `LEAD`, or to a member `MEMBER`.
    package static func samples(of role: Role) -> [Principal] {
        if role.isNational {
            return [
                Principal(
                    tokenID: nil, role: role, consortiumID: nil, consortiumCode: nil, institutionID: nil,
                    institutionCode: nil, name: "sample")
            ]
        }
        return [(nil, nil), (1, "LEAD"), (2, "MEMBER")].map { (institutionID: Int64?, institutionCode: String?) in
            Principal(
                tokenID: nil, role: role, consortiumID: 1, consortiumCode: "SAMPLE", institutionID: institutionID,
                institutionCode: institutionCode, name: "sample")
        }
    }
}

extension Permission.Kind {
    /// The roles that hold this permission somewhere: some token of the role may do it in the sample scope. An
    /// operation gated by these kinds must list exactly their holders in the contract's `x-roles`.
    package var holders: Set<Role> {
        let permissions = Permission.samples.filter { $0.kind == self }
        return Set(
            Role.allCases.filter { role in
                Principal.samples(of: role).contains { principal in permissions.contains(where: principal.may) }
            })
    }
}

/// Who may do what. Every write goes through `require(_:)`, so the rules live in one place.
package enum Permission: Sendable, Equatable {
    /// A consortium's data: any token of that consortium.
    case readConsortium(consortiumID: Int64)
    /// The consortium's own record: its admin.
    case updateConsortium(consortiumID: Int64)
    /// A new member institution: the consortium admin.
    case createInstitution(consortiumID: Int64)
    /// An institution's record: the consortium admin, or the institution's own pharmacist (or admin scoped to it).
    case updateInstitution(consortiumID: Int64, institutionID: Int64)
    /// Suppliers and drugs are national master data shared by every consortium: only the national
    /// `master_data_admin` changes them, never one consortium's admin for all the others.
    case manageSuppliers
    /// Drugs: the national `master_data_admin`, as for suppliers.
    case manageDrugs
    /// The audit trail: of the token's consortium, with the national master-data changes every consortium sees. Auditors,
    /// the consortium admin, regulators and the master-data admin.
    case readAudit
    /// Draft, propose, publish the consortium catalogue (the lead's pharmacy centre).
    case manageCatalogue(consortiumID: Int64)
    /// A member's endorsement of a proposed version: a token scoped to that member, its pharmacist or admin.
    case endorseCatalogue(consortiumID: Int64, institutionID: Int64)
    /// A member's own catalogue: the consortium admin, or the member's pharmacist (or admin scoped to it).
    case editMemberCatalogue(consortiumID: Int64, institutionID: Int64)
    /// Price agreements and their reporting: the supply centre.
    case setPrices(consortiumID: Int64)
    /// Correct the mistyped report date of a negotiated price: the consortium admin only.
    case correctPriceReportDate(consortiumID: Int64)
    /// A member's procurement officer or pharmacist orders for, and receives at, its own institution.
    case raiseOrder(consortiumID: Int64, institutionID: Int64)
    /// The drug supply centre (药品供应中心): the consortium admin, or a procurement officer of the lead.
    case runSupplyCentre(consortiumID: Int64, leadInstitutionCode: String?)
    /// Submit, cancel or close an order: the member's procurement officer or pharmacist, or the supply centre.
    case moveOrder(consortiumID: Int64, institutionID: Int64, leadInstitutionCode: String?)
    /// Payables, spend and reconciliations: the supply centre, finance, auditors and regulators.
    case readFinance(consortiumID: Int64, leadInstitutionCode: String?)
    /// Central payment (统一支付) of an invoice: the supply centre or finance.
    case payInvoices(consortiumID: Int64, leadInstitutionCode: String?)
    /// Mark a discrepancy (an invoice's, a reconciled file's) resolved or disputed: finance, not those who
    /// recorded the invoice.
    case reviewDiscrepancies(consortiumID: Int64)
    /// Reconcile a distributor's invoice file in the console (对账), which records a run: finance or the supply
    /// centre, not those who only read the figures.
    case reconcileInvoiceFiles(consortiumID: Int64, leadInstitutionCode: String?)
    /// Orders are seen by their member, the supply centre, auditors and regulators.
    case readOrders(consortiumID: Int64, institutionID: Int64, leadInstitutionCode: String?)
    /// The lots received on an order: who reads the order, but not a prescriber or finance (the lots are the
    /// receiving desk's and the supply centre's).
    case readOrderLots(consortiumID: Int64, institutionID: Int64, leadInstitutionCode: String?)
    /// Long-prescription rule sets: the pharmacy centre.
    case manageLongPrescriptionRules(consortiumID: Int64)
    /// Issue or end a long prescription: a prescriber or pharmacist of the prescribing institution.
    case issueLongPrescription(consortiumID: Int64, institutionID: Int64)
    /// Record a fill: a pharmacist of any member (prescriptions flow inside the consortium).
    case dispense(consortiumID: Int64)
    /// Register hospital preparations and their producers' licences: the lead's pharmacy centre.
    case managePreparations(consortiumID: Int64)
    /// Record a transfer approval: the regulator, or the pharmacy centre entering the regulator's document.
    case recordTransferApproval(consortiumID: Int64)
    /// Ship a preparation against an approval: a token scoped to the producing institution.
    case shipPreparation(consortiumID: Int64, producerInstitutionID: Int64)
    /// Record what arrived: a token scoped to the receiving institution.
    case receivePreparation(consortiumID: Int64, receiverInstitutionID: Int64)
    /// A joint decoction-piece round's setup, bids, award and supplier suspension: the consortium admin, or a
    /// procurement officer of the round's lead institution.
    case runHerbRound(consortiumID: Int64, roundLeadCode: String)
    /// Inspections of delivered lots: who runs the round, or a pharmacist of the round's lead (its lab).
    case inspectHerbBatch(consortiumID: Int64, roundLeadCode: String)
    /// A member's commitment to a round: its own procurement officer or pharmacist.
    case commitHerbVolume(consortiumID: Int64, institutionID: Int64)
    /// A member's commitments and progress: the member, the round's lead, auditors and regulators.
    case readHerbCommitments(consortiumID: Int64, institutionID: Int64, roundLeadCode: String)
    /// Every member's commitments and progress of a round: who runs or inspects the round, auditors and regulators.
    case readAllHerbCommitments(consortiumID: Int64, roundLeadCode: String)
    /// Who has not yet committed to a round: who sees every member's commitments, or a member's own procurement
    /// officer or pharmacist (those who commit).
    case readMissingHerbCommitments(consortiumID: Int64, institutionID: Int64, roundLeadCode: String)
    /// Which distributor is contracted for each drug: those who order and pay, auditors and regulators.
    case readDistributorContracts(consortiumID: Int64)
    /// The consortium's orders as the supply centre sees them (every member's, and the consolidated ones): the supply
    /// centre, auditors and regulators.
    case readSupplyCentreOrders(consortiumID: Int64, leadInstitutionCode: String?)
    /// Prescribers (pseudonyms, titles) of one institution, or of every institution when `institutionID` is nil: the
    /// pharmacy centre, auditors and regulators see all; a member's pharmacist or prescriber only its own.
    case readPrescribers(consortiumID: Int64, institutionID: Int64?)
    /// Who has not yet endorsed a catalogue version: the pharmacy centre, members' pharmacists, auditors, regulators.
    case readCatalogueEndorsements(consortiumID: Int64)
    /// The pharmacopoeia's limits per decoction piece (national data): those who buy, inspect, audit or keep it.
    case readHerbQualityLimits
    /// The desk checks (a long prescription, a referral's medication): every role of a consortium but finance.
    case runDeskChecks
    /// Put one's name to a console run of a consortium (`reconcile … --token`): any token of that consortium.
    case signConsoleRun(consortiumCode: String)
    /// The web console's accounts of a consortium (create, reset a password, disable): its pharmacy centre.
    case manageConsoleUsers(consortiumID: Int64)
    /// A member's stock (on hand, stock cards): its own pharmacist, and whoever reads every member's stock.
    case readStock(consortiumID: Int64, institutionID: Int64, leadInstitutionCode: String?)
    /// Every member's stock (a drug across the consortium, where a lot is): the consortium admin and the supply
    /// centre, auditors and regulators.
    case readAllStock(consortiumID: Int64, leadInstitutionCode: String?)
    /// Dispense (发药) from a member's stock: a pharmacist of that member.
    case dispenseStock(consortiumID: Int64, institutionID: Int64)
    /// Destroy or return a member's stock: its own pharmacist, the consortium admin or the supply centre.
    case manageStock(consortiumID: Int64, institutionID: Int64, leadInstitutionCode: String?)
    /// Recall a lot at every member (on the regulator's notice), or release a block: the consortium admin.
    case recallLot(consortiumID: Int64)
    /// A member's stock documents (transfers it sends or receives, its count sheets): its own pharmacist, or the
    /// supply centre (the consortium admin, a procurement officer of the lead) for every member.
    case moveStockDocument(consortiumID: Int64, institutionID: Int64, leadInstitutionCode: String?)
    /// Read stock documents: of one member (`institutionID`) its pharmacist; of every member (nil) the supply
    /// centre, auditors and regulators.
    case readStockDocuments(consortiumID: Int64, institutionID: Int64?, leadInstitutionCode: String?)
    /// Shortage records (短缺) as a member sees them (those affecting it and the consortium's, its digest): its own
    /// pharmacist, and whoever reads every record.
    case readShortages(consortiumID: Int64, institutionID: Int64, leadInstitutionCode: String?)
    /// Every shortage record, the alert feed, the suppliers' reports: the supply centre, auditors and regulators.
    case readAllShortages(consortiumID: Int64, leadInstitutionCode: String?)
    /// Record a supplier's shortage report, or its resumption: the supply centre.
    case recordSupplierReport(consortiumID: Int64, leadInstitutionCode: String?)
    /// Act on a shortage (调剂, 应急采购, 上报; close, reopen, cause, owner): the supply centre, that is the consortium
    /// admin and a procurement officer of the lead.
    case actOnShortage(consortiumID: Int64, leadInstitutionCode: String?)
    /// Sign off a substitute for a short drug (替代): a pharmacist of a member of the consortium.
    case signOffSubstitute(consortiumID: Int64)
    /// Link a member's pseudonym of a patient to a consortium patient (患者主索引), on a stated basis: that member's
    /// prescriber or pharmacist, or the consortium admin (the pharmacy centre) for any member.
    case linkPatient(consortiumID: Int64, institutionID: Int64)
    /// A patient's links across the consortium: the consortium admin, members' prescribers and pharmacists (who check
    /// the patient's supply at every member), auditors and regulators.
    case readPatientLinks(consortiumID: Int64)
    /// Issue an extended prescription (延伸处方): a prescriber of the patient's (the issuing) institution.
    case issueExtendedPrescription(consortiumID: Int64, institutionID: Int64)
    /// Review one (审方: approve, or refuse with a reason): a pharmacist of the dispensing institution.
    case reviewExtendedPrescription(consortiumID: Int64, dispensingInstitutionID: Int64)
    /// Cancel one with a reason: a prescriber or pharmacist of the issuing institution, or a pharmacist of the
    /// dispensing one.
    case cancelExtendedPrescription(consortiumID: Int64, institutionID: Int64, dispensingInstitutionID: Int64)
    /// Dispatch one from stock (配送): a pharmacist of the dispensing institution.
    case dispatchExtendedPrescription(consortiumID: Int64, dispensingInstitutionID: Int64)
    /// Record its delivery (送达): a pharmacist of the collecting institution, or of the dispensing one (a home
    /// delivery is confirmed by whoever sent it).
    case deliverExtendedPrescription(consortiumID: Int64, dispensingInstitutionID: Int64, collectingInstitutionID: Int64)
    /// Hand it to the patient (取药) or mark it not collected by its deadline (逾期未取): a pharmacist of the
    /// collecting institution, which holds it.
    case collectExtendedPrescription(consortiumID: Int64, collectingInstitutionID: Int64)
    /// National and provincial VBP agreements (国家集采协议) and the members' agreed volumes: the supply centre.
    case manageVBPAgreements(consortiumID: Int64, leadInstitutionCode: String?)
    /// The members' assessment scores and the settlement of retained savings (结余留用): finance or the supply centre.
    case settleRetainedSavings(consortiumID: Int64, leadInstitutionCode: String?)
    /// An agreement, its completion and its retained savings: of every member (`institutionID` nil) the supply
    /// centre, finance, auditors and regulators; of one member also that member's procurement officer or pharmacist.
    case readVBPAgreements(consortiumID: Int64, institutionID: Int64?, leadInstitutionCode: String?)
    /// Add, load or end a mapping of the consortium's drug code crosswalk (药品编码对照): the consortium admin and
    /// procurement officers. The national rows are master data, loaded at the console.
    case manageCrosswalk(consortiumID: Int64)
    /// The consortium's crosswalk (its own rows and the national ones): who writes it, finance, auditors and
    /// regulators.
    case readCrosswalk(consortiumID: Int64)
}

extension Principal {
    /// Auditors and regulators read everything of their consortium and change nothing.
    var overseesConsortium: Bool { role == .auditor || role == .regulator }

    package func may(_ permission: Permission) -> Bool {
        switch permission {
        case .readConsortium(let id):
            return id == consortiumID
        case .updateConsortium(let id), .createInstitution(let id):
            return id == consortiumID && role == .consortiumAdmin
        case .updateInstitution(let consortium, let institution):
            guard consortium == consortiumID else { return false }
            if role == .consortiumAdmin && institutionID == nil { return true }
            // A member's pharmacist changes only their own institution.
            return (role == .institutionPharmacist || role == .consortiumAdmin) && institutionID == institution
        case .manageSuppliers, .manageDrugs:
            return role == .masterDataAdmin && consortiumID == nil
        case .readAudit:
            return role == .auditor || role == .consortiumAdmin || role == .regulator || role == .masterDataAdmin
        case .manageCatalogue(let id):
            return id == consortiumID && role == .consortiumAdmin
        case .endorseCatalogue(let consortium, let institution):
            return consortium == consortiumID && institutionID == institution
                && (role == .institutionPharmacist || role == .consortiumAdmin)
        case .setPrices(let id):
            return id == consortiumID && (role == .consortiumAdmin || role == .procurementOfficer)
        case .correctPriceReportDate(let id):
            return id == consortiumID && role == .consortiumAdmin
        case .manageLongPrescriptionRules(let id):
            return id == consortiumID && role == .consortiumAdmin
        case .issueLongPrescription(let consortium, let institution):
            return consortium == consortiumID && institutionID == institution
                && (role == .prescriber || role == .institutionPharmacist)
        case .dispense(let id):
            return id == consortiumID && role == .institutionPharmacist
        case .raiseOrder(let consortium, let institution):
            return consortium == consortiumID && institutionID == institution
                && (role == .procurementOfficer || role == .institutionPharmacist)
        case .runSupplyCentre(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return role == .consortiumAdmin || (role == .procurementOfficer && institutionCode != nil && institutionCode == lead)
        case .readFinance(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return role == .finance || overseesConsortium
                || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .moveOrder(let consortium, let institution, let lead):
            return may(.raiseOrder(consortiumID: consortium, institutionID: institution))
                || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .payInvoices(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return role == .finance || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .reviewDiscrepancies(let id):
            return id == consortiumID && role == .finance
        case .reconcileInvoiceFiles(let consortium, let lead):
            return may(.payInvoices(consortiumID: consortium, leadInstitutionCode: lead))
        case .readOrders(let consortium, let institution, let lead):
            guard consortium == consortiumID else { return false }
            return overseesConsortium || institutionID == institution
                || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .readOrderLots(let consortium, let institution, let lead):
            let readers: Set<Role> = [.consortiumAdmin, .procurementOfficer, .institutionPharmacist, .auditor, .regulator]
            return role.map(readers.contains) == true
                && may(.readOrders(consortiumID: consortium, institutionID: institution, leadInstitutionCode: lead))
        case .managePreparations(let id):
            return id == consortiumID && role == .consortiumAdmin
        case .recordTransferApproval(let id):
            return id == consortiumID && (role == .regulator || role == .consortiumAdmin)
        case .shipPreparation(let consortium, let institution), .receivePreparation(let consortium, let institution):
            // Only the institution itself: its pharmacist or its purchasing, never a consortium-wide token.
            return consortium == consortiumID && institutionID == institution
                && (role == .institutionPharmacist || role == .procurementOfficer)
        case .runHerbRound(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return role == .consortiumAdmin || (role == .procurementOfficer && institutionCode == lead)
        case .inspectHerbBatch(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return may(.runHerbRound(consortiumID: consortium, roundLeadCode: lead))
                || (role == .institutionPharmacist && institutionCode == lead)
        case .commitHerbVolume(let consortium, let institution):
            return consortium == consortiumID && institutionID == institution
                && (role == .procurementOfficer || role == .institutionPharmacist)
        case .readHerbCommitments(let consortium, let institution, let lead):
            return may(.readAllHerbCommitments(consortiumID: consortium, roundLeadCode: lead))
                || (consortium == consortiumID && institutionID == institution)
        case .readAllHerbCommitments(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return overseesConsortium || may(.inspectHerbBatch(consortiumID: consortium, roundLeadCode: lead))
        case .readMissingHerbCommitments(let consortium, let institution, let lead):
            return may(.readAllHerbCommitments(consortiumID: consortium, roundLeadCode: lead))
                || may(.commitHerbVolume(consortiumID: consortium, institutionID: institution))
        case .readDistributorContracts(let id):
            let readers: Set<Role> = [
                .consortiumAdmin, .procurementOfficer, .institutionPharmacist, .finance, .auditor, .regulator,
            ]
            return id == consortiumID && role.map(readers.contains) == true
        case .readSupplyCentreOrders(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return overseesConsortium
                || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .readPrescribers(let consortium, let institution):
            guard consortium == consortiumID else { return false }
            if role == .consortiumAdmin || overseesConsortium { return true }
            return (role == .institutionPharmacist || role == .prescriber) && institution != nil && institutionID == institution
        case .readCatalogueEndorsements(let id):
            return id == consortiumID
                && (role == .consortiumAdmin || role == .institutionPharmacist || overseesConsortium)
        case .readHerbQualityLimits:
            let readers: Set<Role> = [
                .consortiumAdmin, .procurementOfficer, .institutionPharmacist, .auditor, .regulator, .masterDataAdmin,
            ]
            return role.map(readers.contains) == true
        case .editMemberCatalogue(let consortium, let institution):
            guard consortium == consortiumID else { return false }
            if role == .consortiumAdmin && institutionID == nil { return true }
            return (role == .institutionPharmacist || role == .consortiumAdmin) && institutionID == institution
        case .runDeskChecks:
            let checkers: Set<Role> = [
                .consortiumAdmin, .institutionPharmacist, .procurementOfficer, .prescriber, .regulator, .auditor,
            ]
            return consortiumID != nil && role.map(checkers.contains) == true
        case .manageConsoleUsers(let id):
            return id == consortiumID && role == .consortiumAdmin
        case .signConsoleRun(let code):
            return consortiumCode == code
        case .readStock(let consortium, let institution, let lead):
            return may(.readAllStock(consortiumID: consortium, leadInstitutionCode: lead))
                || (consortium == consortiumID && role == .institutionPharmacist && institutionID == institution)
        case .readAllStock(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return overseesConsortium || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .dispenseStock(let consortium, let institution):
            return consortium == consortiumID && role == .institutionPharmacist && institutionID == institution
        case .manageStock(let consortium, let institution, let lead):
            return may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
                || may(.dispenseStock(consortiumID: consortium, institutionID: institution))
        case .recallLot(let id):
            return id == consortiumID && role == .consortiumAdmin
        case .moveStockDocument(let consortium, let institution, let lead):
            guard consortium == consortiumID else { return false }
            return (role == .institutionPharmacist && institutionID == institution)
                || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .readStockDocuments(let consortium, let institution, let lead):
            guard consortium == consortiumID else { return false }
            if overseesConsortium || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead)) { return true }
            return role == .institutionPharmacist && institution != nil && institutionID == institution
        case .readShortages(let consortium, let institution, let lead):
            return may(.readAllShortages(consortiumID: consortium, leadInstitutionCode: lead))
                || (consortium == consortiumID && role == .institutionPharmacist && institutionID == institution)
        case .readAllShortages(let consortium, let lead):
            guard consortium == consortiumID else { return false }
            return overseesConsortium || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .recordSupplierReport(let consortium, let lead):
            return may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .actOnShortage(let consortium, let lead):
            return may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .signOffSubstitute(let consortium):
            return consortium == consortiumID && role == .institutionPharmacist
        case .linkPatient(let consortium, let institution):
            guard consortium == consortiumID else { return false }
            if role == .consortiumAdmin { return institutionID == nil || institutionID == institution }
            return (role == .prescriber || role == .institutionPharmacist) && institutionID == institution
        case .readPatientLinks(let id):
            return id == consortiumID
                && (role == .consortiumAdmin || role == .prescriber || role == .institutionPharmacist || overseesConsortium)
        case .issueExtendedPrescription(let consortium, let institution):
            return consortium == consortiumID && role == .prescriber && institutionID == institution
        case .reviewExtendedPrescription(let consortium, let dispensing):
            return consortium == consortiumID && role == .institutionPharmacist && institutionID == dispensing
        case .cancelExtendedPrescription(let consortium, let institution, let dispensing):
            guard consortium == consortiumID else { return false }
            return ((role == .prescriber || role == .institutionPharmacist) && institutionID == institution)
                || (role == .institutionPharmacist && institutionID == dispensing)
        case .dispatchExtendedPrescription(let consortium, let dispensing):
            return consortium == consortiumID && role == .institutionPharmacist && institutionID == dispensing
        case .deliverExtendedPrescription(let consortium, let dispensing, let collecting):
            return consortium == consortiumID && role == .institutionPharmacist
                && (institutionID == collecting || institutionID == dispensing)
        case .collectExtendedPrescription(let consortium, let collecting):
            return consortium == consortiumID && role == .institutionPharmacist && institutionID == collecting
        case .manageVBPAgreements(let consortium, let lead):
            return may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .settleRetainedSavings(let consortium, let lead):
            return (consortium == consortiumID && role == .finance)
                || may(.runSupplyCentre(consortiumID: consortium, leadInstitutionCode: lead))
        case .readVBPAgreements(let consortium, let institution, let lead):
            if may(.readFinance(consortiumID: consortium, leadInstitutionCode: lead)) { return true }
            return consortium == consortiumID && institution != nil && institutionID == institution
                && (role == .procurementOfficer || role == .institutionPharmacist)
        case .manageCrosswalk(let id):
            return id == consortiumID && (role == .consortiumAdmin || role == .procurementOfficer)
        case .readCrosswalk(let id):
            return id == consortiumID
                && (role == .consortiumAdmin || role == .procurementOfficer || role == .finance || overseesConsortium)
        }
    }

    package func require(_ permission: Permission) throws(DomainError) {
        guard may(permission) else {
            throw .forbidden("the \(role?.rawValue ?? "console") role may not do this here")
        }
    }

    /// As `require(_:)`, refusing with the area's own words (`refusal`) where it names who may.
    package func require(_ permission: Permission, refusal: String) throws(DomainError) {
        guard may(permission) else { throw .forbidden(refusal) }
    }
}

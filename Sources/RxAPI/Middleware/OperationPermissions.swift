import RxDomain

/// The permission each role-gated operation of the contract asks of the access model (`Principal.may`), by
/// `operationId`; an operation that takes either of two lists both. Its roles in `x-roles` are exactly the holders of
/// these permissions (`PermissionContractTests`), so the gate and the model cannot drift apart.
package enum OperationPermissions {
    package static let byOperation: [String: [Permission.Kind]] = [
        // Consortia, institutions and national master data.
        "updateConsortium": [.updateConsortium],
        "createInstitution": [.createInstitution],
        "updateInstitution": [.updateInstitution],
        "createSupplier": [.manageSuppliers],
        "createDrug": [.manageDrugs],
        "updateDrug": [.manageDrugs],
        // The consortium catalogue and the members' catalogues.
        "openCatalogueDraft": [.manageCatalogue],
        "putCatalogueItem": [.manageCatalogue],
        "removeCatalogueItem": [.manageCatalogue],
        "proposeCatalogueVersion": [.manageCatalogue],
        "reopenCatalogueVersion": [.manageCatalogue],
        "publishCatalogueVersion": [.manageCatalogue],
        "recordCatalogueEndorsement": [.endorseCatalogue],
        "listPendingEndorsements": [.readCatalogueEndorsements],
        "putMemberCatalogue": [.editMemberCatalogue],
        "checkReferralMedication": [.runDeskChecks],
        // Prices.
        "createPriceAgreement": [.setPrices],
        "reportPriceAgreement": [.setPrices],
        "correctPriceReportDate": [.correctPriceReportDate],
        // Orders, the supply centre, invoices and reconciliations.
        "createOrder": [.raiseOrder],
        "addOrderLine": [.raiseOrder],
        "changeOrderLine": [.raiseOrder],
        "removeOrderLine": [.raiseOrder],
        "moveOrder": [.moveOrder],
        "recordDelivery": [.raiseOrder],
        "listOrderLots": [.readOrderLots],
        "listConsortiumOrders": [.readSupplyCentreOrders],
        "listDistributorContracts": [.readDistributorContracts],
        "contractDistributor": [.runSupplyCentre],
        "consolidateOrders": [.runSupplyCentre],
        "listConsolidatedOrders": [.readSupplyCentreOrders],
        "recordInvoice": [.runSupplyCentre],
        "reviewInvoice": [.reviewDiscrepancies],
        "payInvoice": [.payInvoices],
        "reviewReconciliationLine": [.reviewDiscrepancies],
        // Hospital preparations and their transfers.
        "createPreparation": [.managePreparations],
        "createPreparationLicence": [.managePreparations],
        "createTransferApproval": [.recordTransferApproval],
        "createTransferShipment": [.shipPreparation],
        "createTransferReceipt": [.receivePreparation],
        // Long prescriptions.
        "createLongPrescriptionRules": [.manageLongPrescriptionRules],
        "listPrescribers": [.readPrescribers],
        "registerPrescriber": [.manageLongPrescriptionRules, .editMemberCatalogue],
        "checkLongPrescription": [.runDeskChecks],
        "issueLongPrescription": [.issueLongPrescription],
        "fillLongPrescription": [.dispense],
        "endLongPrescription": [.issueLongPrescription],
        // Stock documents: transfers between members and counts.
        "listStockTransfers": [.readStockDocuments],
        "createStockTransfer": [.moveStockDocument],
        "getStockTransfer": [.readStockDocuments],
        "dispatchStockTransfer": [.moveStockDocument],
        "receiveStockTransfer": [.moveStockDocument],
        "cancelStockTransfer": [.moveStockDocument],
        "listStockCounts": [.readStockDocuments],
        "openStockCount": [.moveStockDocument],
        "getStockCount": [.readStockDocuments],
        "enterStockCounts": [.moveStockDocument],
        "approveStockCount": [.moveStockDocument],
        // Joint decoction-piece rounds.
        "createHerbRound": [.runHerbRound],
        "moveHerbRound": [.runHerbRound],
        "addHerbRoundItem": [.runHerbRound],
        "createHerbCommitment": [.commitHerbVolume],
        "listMissingHerbCommitments": [.readAllHerbCommitments, .readMissingHerbCommitments],
        "changeHerbCommitment": [.commitHerbVolume],
        "decideHerbCommitment": [.runHerbRound],
        "createHerbBid": [.runHerbRound],
        "withdrawHerbBid": [.runHerbRound],
        "createHerbInspection": [.inspectHerbBatch],
        "suspendHerbSupplier": [.runHerbRound],
        "listHerbQualityLimits": [.readHerbQualityLimits],
    ]
}

internal import Foundation
import RxDomain
import RxStore
import RxUseCases

extension Components.Schemas.HospitalPreparation {
    init(_ p: HospitalPreparation) throws {
        self.init(
            drugCode: p.drugCode, genericName: p.genericName, dosageForm: p.dosageForm, strength: p.strength, unit: p.unit,
            producerInstitutionCode: p.producerInstitutionCode, registrationKind: try convert(p.registrationKind),
            registrationNumber: p.registrationNumber, registrationValidTo: p.registrationValidTo?.description,
            reimbursable: p.reimbursable)
    }
}

extension Components.Schemas.TransferReceipt {
    init(_ r: TransferReceipt) throws {
        let kind: DiscrepancyKindPayload = r.discrepancy.value < 0 ? .shortfall : r.discrepancy.value > 0 ? .excess : .none
        let magnitude = Quantity(r.discrepancy.value < 0 ? -r.discrepancy.value : r.discrepancy.value)
        self.init(
            id: r.id, receivedOn: r.receivedOn.description, quantityReceived: r.quantityReceived.description,
            discrepancy: (r.discrepancy.value < 0 ? "-" : "") + magnitude.description, discrepancyKind: kind,
            condition: try convert(r.condition), note: r.note)
    }
}

extension Components.Schemas.TransferShipment {
    init(_ s: TransferShipment) throws {
        self.init(
            id: s.id, approvalId: s.approvalID, drugCode: s.drugCode, unit: s.unit,
            supplierInstitutionCode: s.supplierInstitutionCode, receiverInstitutionCode: s.receiverInstitutionCode,
            lotNumber: s.lotNumber, productionDate: s.productionDate.description, expiryDate: s.expiryDate.description,
            quantity: s.quantity.description, shippedOn: s.shippedOn.description, receipt: try s.receipt.map { try .init($0) })
    }
}

extension Components.Schemas.TransferApproval {
    init(_ a: TransferApproval, today: BusinessDate, shipments: [TransferShipment]? = nil) throws {
        let balance = a.balance(today: today)
        self.init(
            id: a.id, kind: try convert(a.kind), authority: a.authority, documentNumber: a.documentNumber,
            documentDate: a.documentDate?.description, drugCode: a.drugCode, supplierInstitutionCode: a.supplierInstitutionCode,
            receiverInstitutionCodes: a.receiverInstitutionCodes, approvedQuantity: a.approvedQuantity.description,
            unit: a.unit, shippedQuantity: a.shippedQuantity.description, receivedQuantity: a.receivedQuantity.description,
            remainingQuantity: balance.remaining.description,
            remainingPercent: DecimalText.format(balance.remainingPercent, places: 2),
            validFrom: a.validFrom.description, validTo: a.validTo.description, daysLeft: balance.daysLeft,
            status: try convert(balance.status), shipments: try shipments?.map { try .init($0) })
    }
}

extension APIHandler {
    var preparations: PreparationUseCases { PreparationUseCases(database: database) }
    var transfers: TransferUseCases { TransferUseCases(database: database) }

    /// A required date field of a body, naming it when malformed.
    func day(_ text: String, field: String) throws -> BusinessDate {
        guard let date = try BusinessDate.parse(text, field: field) else { throw DomainError.invalid(field, "is required") }
        return date
    }

    func listPreparations(_ input: Operations.ListPreparations.Input) async throws -> Operations.ListPreparations.Output {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await preparations.list(consortiumID: consortium.id, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map(Components.Schemas.HospitalPreparation.init), nextCursor: result.nextCursor)))
        )
    }

    func createPreparation(_ input: Operations.CreatePreparation.Input) async throws -> Operations.CreatePreparation.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let created = try await preparations.create(
            HospitalPreparationDraft(
                drugCode: body.drugCode, producerInstitutionCode: body.producerInstitutionCode,
                registrationKind: try convert(body.registrationKind), registrationNumber: body.registrationNumber,
                registrationValidTo: try BusinessDate.parse(body.registrationValidTo, field: "registrationValidTo"),
                reimbursable: body.reimbursable ?? false),
            consortium: consortium, by: principal)
        return .created(.init(body: .json(try .init(created))))
    }

    func listExpiringPreparations(_ input: Operations.ListExpiringPreparations.Input) async throws
        -> Operations.ListExpiringPreparations.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let today = self.today
        let within = input.query.withinDays ?? 90
        let warnings = try await preparations.expiring(consortiumID: consortium.id, today: today, within: within)
        return .ok(
            .init(
                body: .json(
                    .init(
                        asOf: today.description, withinDays: within,
                        items: try warnings.map {
                            Components.Schemas.ExpiryWarning(
                                subject: try convert($0.subject), institutionCode: $0.institutionCode, drugCode: $0.drugCode,
                                number: $0.number, validTo: $0.validTo.description, daysLeft: $0.daysLeft, lapsed: $0.lapsed)
                        }))))
    }

    func createPreparationLicence(_ input: Operations.CreatePreparationLicence.Input) async throws
        -> Operations.CreatePreparationLicence.Output
    {
        let principal = try RequestPrincipal.require()
        let institution = try await visibleInstitution(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let licence = try await preparations.addLicence(
            institution: institution, number: body.licenceNumber, validFrom: try day(body.validFrom, field: "validFrom"),
            validTo: try day(body.validTo, field: "validTo"), by: principal)
        return .created(
            .init(
                body: .json(
                    .init(
                        id: licence.id, institutionCode: licence.institutionCode, licenceNumber: licence.licenceNumber,
                        validFrom: licence.validFrom.description, validTo: licence.validTo.description))))
    }

    func listTransferApprovals(_ input: Operations.ListTransferApprovals.Input) async throws
        -> Operations.ListTransferApprovals.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await transfers.list(consortiumID: consortium.id, drugCode: input.query.drugCode, page: page)
        let today = self.today
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map { try .init($0, today: today) }, nextCursor: result.nextCursor))))
    }

    func createTransferApproval(_ input: Operations.CreateTransferApproval.Input) async throws
        -> Operations.CreateTransferApproval.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let today = self.today
        let created = try await transfers.create(
            TransferApprovalDraft(
                kind: try convert(body.kind) ?? .regulatorApproval, authority: body.authority,
                documentNumber: body.documentNumber,
                documentDate: try BusinessDate.parse(body.documentDate, field: "documentDate"), drugCode: body.drugCode,
                supplierInstitutionCode: body.supplierInstitutionCode, receiverInstitutionCodes: body.receiverInstitutionCodes,
                approvedQuantity: try Quantity.parse(body.approvedQuantity, field: "approvedQuantity"), unit: body.unit,
                validFrom: try day(body.validFrom, field: "validFrom"), validTo: try day(body.validTo, field: "validTo")),
            consortium: consortium, today: today, by: principal)
        return .created(.init(body: .json(try .init(created, today: today))))
    }

    func getTransferApprovalReport(_ input: Operations.GetTransferApprovalReport.Input) async throws
        -> Operations.GetTransferApprovalReport.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let today = self.today
        let within = input.query.withinDays ?? 30
        let below = input.query.remainingBelowPct ?? 10
        let report = try await transfers.report(
            consortiumID: consortium.id, today: today, withinDays: within, remainingBelow: Decimal(below))
        return .ok(
            .init(
                body: .json(
                    .init(
                        asOf: today.description, withinDays: within, remainingBelowPct: below,
                        expiring: try report.expiring.map { try .init($0, today: today) },
                        nearlyUsedUp: try report.nearlyUsedUp.map { try .init($0, today: today) }))))
    }

    func getTransferApproval(_ input: Operations.GetTransferApproval.Input) async throws -> Operations.GetTransferApproval.Output
    {
        let principal = try RequestPrincipal.require()
        let (approval, shipments) = try await transfers.detail(id: input.path.id, principal: principal)
        return .ok(.init(body: .json(try .init(approval, today: today, shipments: shipments))))
    }

    func createTransferShipment(_ input: Operations.CreateTransferShipment.Input) async throws
        -> Operations.CreateTransferShipment.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let today = self.today
        let shipment = try await transfers.ship(
            approvalID: input.path.id,
            ShipmentDraft(
                receiverInstitutionCode: body.receiverInstitutionCode, lotNumber: body.lotNumber,
                productionDate: try day(body.productionDate, field: "productionDate"),
                expiryDate: try day(body.expiryDate, field: "expiryDate"),
                quantity: try Quantity.parse(body.quantity, field: "quantity"),
                shippedOn: try BusinessDate.parse(body.shippedOn, field: "shippedOn") ?? today),
            today: today, by: principal)
        return .created(.init(body: .json(try .init(shipment))))
    }

    func createTransferReceipt(_ input: Operations.CreateTransferReceipt.Input) async throws
        -> Operations.CreateTransferReceipt.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let today = self.today
        let shipment = try await transfers.receive(
            shipmentID: input.path.id,
            ReceiptDraft(
                receivedOn: try BusinessDate.parse(body.receivedOn, field: "receivedOn") ?? today,
                quantityReceived: try Quantity.parse(body.quantityReceived, field: "quantityReceived", allowZero: true),
                condition: try convert(body.condition), note: body.note),
            today: today, by: principal)
        return .created(.init(body: .json(try .init(shipment))))
    }
}

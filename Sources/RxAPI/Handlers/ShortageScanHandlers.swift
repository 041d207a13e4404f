internal import Foundation
import NIOCore
import RxDomain
import RxStore
import RxUseCases

// Issue 22: the shortage scan's records and reads, suppliers' reports (tag `shortages`).

extension Components.Schemas.Shortage {
    init(_ s: ShortageView) throws {
        self.init(
            id: s.id, drugCode: s.drugCode, genericName: s.genericName,
            specification: ShortageEscalationReport.specification(
                strength: s.strength, packageSize: s.packageSize, unit: s.unit, packageUnit: s.packageUnit),
            manufacturer: s.manufacturer, status: try convert(s.status), level: try convert(s.level),
            cause: s.cause?.rawValue, openedOn: s.openedOn.description, closedOn: s.closedOn?.description,
            outcome: s.outcome?.rawValue, reopenings: s.reopenings, expectedRecovery: s.expectedRecovery?.description,
            lists: try s.lists.map { try convert($0) }, members: s.members.map(Components.Schemas.ShortageMember.init),
            updatedAt: s.updatedAt)
    }
}

extension Components.Schemas.ShortageMember {
    init(_ m: ShortageMemberLine) {
        self.init(
            institutionCode: m.institutionCode, institutionName: m.institutionName, affected: m.affected,
            onHand: m.onHand.description, daysOfStock: m.daysOfStock.map(DecimalText.plain),
            firstAffectedOn: m.firstAffectedOn.description, lastSeenOn: m.lastSeenOn.description)
    }
}

extension Components.Schemas.ShortageSignal {
    init(_ l: ShortageSignalLine) throws {
        let s = l.signal
        self.init(
            kind: try convert(s.kind), institutionCode: s.institutionCode, onHand: s.onHand?.description,
            daysOfStock: s.daysOfStock.map(DecimalText.plain), orderId: s.orderID, lineNo: s.lineNo,
            extendedPrescriptionId: s.extendedPrescriptionID, daysLate: s.daysLate, supplierCode: s.supplierCode,
            firstSeenOn: l.firstSeenOn.description, lastSeenOn: l.lastSeenOn.description,
            clearedOn: l.clearedOn?.description)
    }
}

extension Components.Schemas.ShortageActionEntry {
    init(_ a: ShortageActionLine) {
        self.init(
            id: a.id, kind: a.kind.rawValue, actedAt: a.actedAt, businessDate: a.businessDate.description, reason: a.reason,
            substituteDrugCode: a.substituteDrugCode, supplierCode: a.supplierCode, quantity: a.quantity?.description,
            purchaseOrderId: a.purchaseOrderID, expectedRecovery: a.expectedRecovery?.description)
    }
}

extension Components.Schemas.SupplierShortageReport {
    init(_ r: StoredSupplierReport) {
        self.init(
            id: r.id, drugCode: r.drugCode, supplierCode: r.report.supplierCode, reportedOn: r.report.reportedOn.description,
            resumedOn: r.report.resumedOn?.description, notice: r.report.notice,
            expectedRecovery: r.report.expectedRecovery?.description)
    }
}

extension APIHandler {
    var shortageReads: ShortageReadUseCases { ShortageReadUseCases(database: database) }
    var supplierReports: ShortageSupplierReportUseCases { ShortageSupplierReportUseCases(database: database) }

    func listOpenShortages(_ input: Operations.ListOpenShortages.Input) async throws
        -> Operations.ListOpenShortages.Output
    {
        .ok(
            .init(
                body: .json(
                    try await openShortages(
                        code: input.path.code, level: try convert(input.query.level), list: try convert(input.query.list),
                        member: input.query.member, limit: input.query.limit, cursor: input.query.cursor))))
    }

    /// A page of the consortium's open shortages, for the generated route and `DirectGetRoute.openShortages`.
    func openShortages(
        code: String, level: ShortageLevel?, list: ShortageListKind?, member: String?, limit: Int?, cursor: String?
    ) async throws -> Operations.ListOpenShortages.Output.Ok.Body.JsonPayload {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(code, for: principal)
        let today = self.today
        let page = try await shortageReads.open(
            consortium: consortium, level: level, list: list, institutionCode: member, today: today,
            page: try PageRequest(limit: limit, cursor: cursor), by: principal)
        return try .init(page, asOf: today)
    }

    /// A page of every open shortage the caller may see as compact JSON (`DirectGetRoute.openShortages`), shared by
    /// the same page's reads under load (`shortagePages`).
    func openShortagesJSON(code: String, limit: Int?, cursor: String?) async throws -> ByteBuffer {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(code, for: principal)
        let today = self.today
        return try await shortageReads.open(
            consortium: consortium, today: today, page: try PageRequest(limit: limit, cursor: cursor), by: principal,
            sharing: shortagePages
        ) { try Operations.ListOpenShortages.Output.Ok.Body.JsonPayload($0, asOf: today).json() }
    }

    func getShortage(_ input: Operations.GetShortage.Input) async throws -> Operations.GetShortage.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let detail = try await shortageReads.one(id: input.path.id, consortium: consortium, today: today, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        shortage: try .init(detail.shortage),
                        signals: try detail.signals.map(Components.Schemas.ShortageSignal.init),
                        actions: detail.actions.map(Components.Schemas.ShortageActionEntry.init)))))
    }

    func getShortageFeed(_ input: Operations.GetShortageFeed.Input) async throws -> Operations.GetShortageFeed.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let (items, next) = try await shortageReads.feed(
            consortium: consortium, cursor: input.query.cursor, limit: input.query.limit ?? 50, today: today, by: principal)
        return .ok(.init(body: .json(.init(items: try items.map(Components.Schemas.Shortage.init), nextCursor: next))))
    }

    func getShortageDigest(_ input: Operations.GetShortageDigest.Input) async throws
        -> Operations.GetShortageDigest.Output
    {
        let principal = try RequestPrincipal.require()
        let (institution, consortium) = try await memberScope(input.path.code, for: principal)
        let digest = try await shortageReads.digest(
            institutionCode: institution.code, consortium: consortium, today: today, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        institutionCode: digest.institutionCode, asOf: digest.on.description, window: .init(digest.window),
                        items: try digest.lines.map {
                            .init(shortage: try .init($0.shortage), daysOfStock: $0.position.map { .init($0) })
                        }))))
    }

    func listSupplierShortageReports(_ input: Operations.ListSupplierShortageReports.Input) async throws
        -> Operations.ListSupplierShortageReports.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let reports = try await supplierReports.list(
            consortium: consortium, standingOn: try BusinessDate.parse(input.query.standingOn, field: "standingOn"),
            by: principal)
        return .ok(.init(body: .json(.init(items: reports.map(Components.Schemas.SupplierShortageReport.init)))))
    }

    func recordSupplierShortageReport(_ input: Operations.RecordSupplierShortageReport.Input) async throws
        -> Operations.RecordSupplierShortageReport.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let report = try await supplierReports.record(
            drugCode: body.drugCode, supplierCode: body.supplierCode,
            reportedOn: try BusinessDate.parse(body.reportedOn, field: "reportedOn"), notice: body.notice,
            expectedRecovery: try BusinessDate.parse(body.expectedRecovery, field: "expectedRecovery"),
            consortium: consortium, today: today, by: principal)
        return .created(.init(body: .json(.init(report))))
    }

    func resumeSupplierShortageReport(_ input: Operations.ResumeSupplierShortageReport.Input) async throws
        -> Operations.ResumeSupplierShortageReport.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        var resumedOn: BusinessDate?
        if case .json(let body)? = input.body {
            resumedOn = try BusinessDate.parse(body.resumedOn, field: "resumedOn")
        }
        let report = try await supplierReports.resume(
            id: input.path.id, resumedOn: resumedOn, consortium: consortium, today: today, by: principal)
        return .ok(.init(body: .json(.init(report))))
    }
}

internal import Foundation
import RxDomain
import RxStore
import RxUseCases

/// National and provincial VBP agreements (国家/省级集采) and retained savings (结余留用), issue 24.
extension APIHandler {
    var vbp: VBPUseCases { VBPUseCases(database: database) }

    /// An amount as the contract writes it: at most four decimals (422 naming `field` otherwise).
    func money(_ text: String, field: String) throws -> Money {
        guard let money = Money(text) else {
            throw DomainError.invalid(field, "'\(text)' is not an amount with at most four decimals")
        }
        return money
    }

    func listVbpAgreements(_ input: Operations.ListVbpAgreements.Input) async throws -> Operations.ListVbpAgreements.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let items = try await vbp.list(consortium: consortium, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: items.map {
                            .init(
                                id: $0.id, batch: $0.batch, periodStart: $0.periodStart.description,
                                periodEnd: $0.periodEnd.description)
                        }))))
    }

    func createVbpAgreement(_ input: Operations.CreateVbpAgreement.Input) async throws
        -> Operations.CreateVbpAgreement.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let generics = try body.generics.enumerated().map { i, g in
            VBPGeneric(
                genericName: g.genericName,
                preProcurementAveragePrice: try money(
                    g.preProcurementAveragePrice, field: "generics[\(i)].preProcurementAveragePrice"),
                products: try g.products.enumerated().map { j, p in
                    VBPWinningProduct(
                        drugCode: p.drugCode,
                        winningPrice: try money(p.winningPrice, field: "generics[\(i)].products[\(j)].winningPrice"))
                })
        }
        let created = try await vbp.create(
            .init(
                batch: body.batch, periodStart: try day(body.periodStart, field: "periodStart"),
                periodEnd: try day(body.periodEnd, field: "periodEnd"), generics: generics),
            consortium: consortium, by: principal)
        return .created(.init(body: .json(.init(created))))
    }

    func getVbpAgreement(_ input: Operations.GetVbpAgreement.Input) async throws -> Operations.GetVbpAgreement.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no VBP agreement \(input.path.id)")
        return .ok(.init(body: .json(.init(try await vbp.agreement(id: input.path.id, consortium: consortium, by: principal)))))
    }

    func setVbpVolumes(_ input: Operations.SetVbpVolumes.Input) async throws -> Operations.SetVbpVolumes.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let consortium = try await ownConsortium(principal, orNotFound: "no VBP agreement \(input.path.id)")
        let volumes = try body.volumes.enumerated().map { i, v in
            VBPUseCases.VolumeInput(
                institutionCode: v.institutionCode, genericName: v.genericName,
                volume: try v.volume.map { text in
                    guard let value = Money(text, maxDecimals: 0)?.amount else {
                        throw DomainError.invalid("volumes[\(i)].volume", "'\(text)' is not a whole number of units")
                    }
                    return value
                })
        }
        let after = try await vbp.setVolumes(
            agreementID: input.path.id, volumes, consortium: consortium, by: principal)
        return .ok(.init(body: .json(.init(after))))
    }

    func getVbpCompletion(_ input: Operations.GetVbpCompletion.Input) async throws -> Operations.GetVbpCompletion.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no VBP agreement \(input.path.id)")
        let on = try date(input.query.on)
        let result = try await vbp.completion(agreementID: input.path.id, asOf: on, consortium: consortium, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        agreementId: input.path.id, asOf: on.description,
                        behindPace: result.completion.contains(where: \.behindPace),
                        items: result.completion.map {
                            .init(
                                institutionCode: $0.institutionCode, genericName: $0.genericName, agreed: "\($0.agreed)",
                                completed: "\($0.completed)", share: $0.share.map { "\($0)" }, expected: "\($0.expected)",
                                behindPace: $0.behindPace, overVolume: "\($0.overVolume)", nonWinning: "\($0.nonWinning)",
                                dispensed: "\($0.dispensed)",
                                elapsedDays: $0.elapsedDays, periodDays: $0.periodDays)
                        }))))
    }

    func assessVbpMember(_ input: Operations.AssessVbpMember.Input) async throws -> Operations.AssessVbpMember.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let consortium = try await ownConsortium(principal, orNotFound: "no VBP agreement \(input.path.id)")
        guard let score = Money(body.score, maxDecimals: 2)?.amount else {
            throw DomainError.invalid("score", "'\(body.score)' is not a score from 0 to 100 with at most two decimals")
        }
        try await vbp.assess(
            agreementID: input.path.id, institutionCode: body.institutionCode, score: score, consortium: consortium,
            by: principal)
        return .noContent(.init())
    }

    func getRetainedSavings(_ input: Operations.GetRetainedSavings.Input) async throws
        -> Operations.GetRetainedSavings.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no VBP agreement \(input.path.id)")
        let on = try date(input.query.on)
        let lines = try await vbp.retainedSavings(
            agreementID: input.path.id, asOf: on, consortium: consortium, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        agreementId: input.path.id, asOf: on.description,
                        items: lines.map(Components.Schemas.RetainedSavingsLine.init)))))
    }

    func settleRetainedSavings(_ input: Operations.SettleRetainedSavings.Input) async throws
        -> Operations.SettleRetainedSavings.Output
    {
        let principal = try RequestPrincipal.require()
        let consortium = try await ownConsortium(principal, orNotFound: "no VBP agreement \(input.path.id)")
        let on = try date(input.query.on)
        let settled = try await vbp.settle(agreementID: input.path.id, asOf: on, consortium: consortium, by: principal)
        return .created(
            .init(
                body: .json(
                    .init(
                        agreementId: input.path.id, asOf: on.description, settlementId: settled.id,
                        items: settled.lines.map(Components.Schemas.RetainedSavingsLine.init)))))
    }
}

extension Components.Schemas.VbpAgreement {
    init(_ a: VBPAgreement) {
        self.init(
            id: a.id, batch: a.batch, periodStart: a.periodStart.description, periodEnd: a.periodEnd.description,
            generics: a.generics.map {
                .init(
                    genericName: $0.genericName, preProcurementAveragePrice: $0.preProcurementAveragePrice.description,
                    products: $0.products.map { .init(drugCode: $0.drugCode, winningPrice: $0.winningPrice.description) })
            },
            volumes: a.volumes.map {
                .init(
                    institutionCode: $0.institutionCode, genericName: $0.genericName, volume: "\($0.volume)",
                    proposed: $0.proposed.map { "\($0)" })
            })
    }
}

extension Components.Schemas.RetainedSavingsLine {
    init(_ s: RetainedSavings) {
        let t = s.settings
        self.init(
            institutionCode: s.institutionCode, genericName: s.genericName, agreedVolume: "\(s.agreedVolume)",
            purchasedVolume: "\(s.purchasedVolume)", countedVolume: "\(s.countedVolume)",
            preProcurementAveragePrice: s.preProcurementAveragePrice.description, winningPrice: s.winningPrice.description,
            score: s.score.map { "\($0)" },
            settings: .init(
                fundPaymentRatioPercent: "\(t.fundPaymentRatioPercent)", insuredSharePercent: "\(t.insuredSharePercent)",
                gradeAMinScore: "\(t.gradeAMinScore)", gradeBMinScore: "\(t.gradeBMinScore)",
                gradeCMinScore: "\(t.gradeCMinScore)", retainedPercentA: "\(t.retainedPercentA)",
                retainedPercentB: "\(t.retainedPercentB)", retainedPercentC: "\(t.retainedPercentC)",
                retainedPercentD: "\(t.retainedPercentD)"),
            budget: s.budget.formatted(places: 2), actual: s.actual.formatted(places: 2),
            savingsBase: s.savingsBase.formatted(places: 2), grade: s.grade.map { .init(rawValue: $0.rawValue)! },
            retainedPercent: s.retainedPercent.map { "\($0)" }, retained: s.retained?.formatted(places: 2))
    }
}

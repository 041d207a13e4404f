internal import Foundation
import RxDomain
import RxStore
import RxUseCases

/// Kilograms as the contract writes them: three decimals.
func kgText(_ value: Decimal) -> String { DecimalText.format(value, places: 3) }

/// A percent of a request ("80", "12.5"), naming the field when malformed.
func percent(_ text: String?, field: String) throws -> Decimal? {
    guard let text else { return nil }
    guard let value = Money(text, maxDecimals: 2)?.amount, value <= 100 else {
        throw DomainError.invalid(field, "'\(text)' is not a percent between 0 and 100 with at most two decimals")
    }
    return value
}

extension Components.Schemas.HerbRound {
    init(_ r: HerbRound) throws {
        self.init(
            id: r.id, name: r.name, leadInstitutionCode: r.leadInstitutionCode, periodStart: r.periodStart.description,
            periodEnd: r.periodEnd.description, priorYear: r.priorYear, status: try convert(r.status),
            awardRule: try convert(r.awardRule),
            marginPercent: DecimalText.format(r.marginPercent, places: 2),
            proposalPercent: DecimalText.format(r.proposalPercent, places: 2),
            minimumPercent: DecimalText.format(r.minimumPercent, places: 2),
            items: r.items.map {
                .init(
                    id: $0.id, drugCode: $0.drugCode, drugName: $0.drugName, grade: $0.grade, qualityStandard: $0.qualityStandard,
                    ceilingPrice: $0.ceilingPrice.description, awardAgreementId: $0.awardAgreementID,
                    awardedPrice: $0.awardedPrice?.description)
            })
    }
}

extension Components.Schemas.HerbCommitment {
    init(_ c: HerbCommitment) throws {
        self.init(
            id: c.id, drugCode: c.drugCode, institutionCode: c.institutionCode, quantityKg: kgText(c.quantityKg),
            priorUsageKg: c.priorUsageKg.map(kgText), proposedKg: c.proposedKg.map(kgText), status: try convert(c.status),
            reason: c.reason)
    }
}

extension Components.Schemas.HerbBid {
    init(_ bid: HerbBid) {
        self.init(
            id: bid.id, drugCode: bid.drugCode, supplierCode: bid.supplierCode, unitPrice: bid.unitPrice.description,
            grade: bid.grade,
            origin: bid.origin, qualityScore: DecimalText.format(bid.qualityScore, places: 2),
            qualityReference: bid.qualityReference,
            withdrawalReason: bid.withdrawalReason)
    }
}

extension Components.Schemas.HerbSupplierStanding {
    init(_ s: HerbSupplierStanding) {
        self.init(
            supplierCode: s.supplierCode, supplierName: s.supplierName, bids: s.bids, rejections: s.rejections,
            flagged: s.flagged,
            suspended: s.suspended, suspensionReason: s.suspensionReason)
    }
}

extension APIHandler {
    var herbRounds: HerbRoundUseCases { HerbRoundUseCases(database: database) }
    var herbCommitments: HerbCommitmentUseCases { HerbCommitmentUseCases(database: database) }
    var herbQuality: HerbQualityUseCases { HerbQualityUseCases(database: database) }

    func listHerbRounds(_ input: Operations.ListHerbRounds.Input) async throws -> Operations.ListHerbRounds.Output {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let result = try await herbRounds.list(consortium: consortium, page: page)
        return .ok(
            .init(
                body: .json(.init(items: try result.items.map(Components.Schemas.HerbRound.init), nextCursor: result.nextCursor)))
        )
    }

    func createHerbRound(_ input: Operations.CreateHerbRound.Input) async throws -> Operations.CreateHerbRound.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let start = try BusinessDate.parse(body.periodStart, field: "periodStart") else {
            throw DomainError.invalid("periodStart", "is required")
        }
        guard let end = try BusinessDate.parse(body.periodEnd, field: "periodEnd") else {
            throw DomainError.invalid("periodEnd", "is required")
        }
        let round = try await herbRounds.create(
            HerbRoundDraft(
                name: body.name, leadInstitutionCode: body.leadInstitutionCode, periodStart: start, periodEnd: end,
                awardRule: try convert(body.awardRule), marginPercent: try percent(body.marginPercent, field: "marginPercent"),
                proposalPercent: try percent(body.proposalPercent, field: "proposalPercent"),
                minimumPercent: try percent(body.minimumPercent, field: "minimumPercent"), priorYear: body.priorYear),
            consortium: consortium, by: principal)
        return .created(.init(body: .json(try .init(round))))
    }

    func getHerbRound(_ input: Operations.GetHerbRound.Input) async throws -> Operations.GetHerbRound.Output {
        let principal = try RequestPrincipal.require()
        return .ok(.init(body: .json(try .init(try await herbRounds.round(id: input.path.id, by: principal)))))
    }

    func moveHerbRound(_ input: Operations.MoveHerbRound.Input) async throws -> Operations.MoveHerbRound.Output {
        let principal = try RequestPrincipal.require()
        let moved = try await herbRounds.move(roundID: input.path.id, action: try convert(input.path.action), by: principal)
        return .ok(.init(body: .json(try .init(moved))))
    }

    func addHerbRoundItem(_ input: Operations.AddHerbRoundItem.Input) async throws -> Operations.AddHerbRoundItem.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let round = try await herbRounds.addItem(
            roundID: input.path.id,
            HerbItemDraft(
                drugCode: body.drugCode, grade: body.grade, qualityStandard: body.qualityStandard,
                ceilingPrice: try Money.parse(body.ceilingPrice, field: "ceilingPrice")),
            by: principal)
        return .created(.init(body: .json(try .init(round))))
    }

    func listHerbCommitments(_ input: Operations.ListHerbCommitments.Input) async throws -> Operations.ListHerbCommitments.Output
    {
        let principal = try RequestPrincipal.require()
        let items = try await herbCommitments.list(roundID: input.path.id, by: principal)
        return .ok(.init(body: .json(.init(items: try items.map(Components.Schemas.HerbCommitment.init)))))
    }

    func createHerbCommitment(_ input: Operations.CreateHerbCommitment.Input) async throws
        -> Operations.CreateHerbCommitment.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let institution = body.institutionCode ?? principal.institutionCode else {
            throw DomainError.invalid("institutionCode", "is required when the token names no institution")
        }
        let created = try await herbCommitments.commit(
            roundID: input.path.id,
            HerbCommitmentDraft(
                drugCode: body.drugCode, institutionCode: institution,
                quantityKg: try body.quantityKg.map { try quantity($0, field: "quantityKg") }, reason: body.reason),
            by: principal)
        return .created(.init(body: .json(try .init(created))))
    }

    func decideHerbCommitment(_ input: Operations.DecideHerbCommitment.Input) async throws
        -> Operations.DecideHerbCommitment.Output
    {
        let principal = try RequestPrincipal.require()
        let decided = try await herbCommitments.decide(
            roundID: input.path.id, commitmentID: input.path.commitmentId, decision: try convert(input.path.decision),
            by: principal)
        return .ok(.init(body: .json(try .init(decided))))
    }

    func changeHerbCommitment(_ input: Operations.ChangeHerbCommitment.Input) async throws
        -> Operations.ChangeHerbCommitment.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let changed = try await herbCommitments.change(
            roundID: input.path.id, commitmentID: input.path.commitmentId,
            quantityKg: try quantity(body.quantityKg, field: "quantityKg"), reason: body.reason, by: principal)
        return .ok(.init(body: .json(try .init(changed))))
    }

    func getHerbDemand(_ input: Operations.GetHerbDemand.Input) async throws -> Operations.GetHerbDemand.Output {
        let principal = try RequestPrincipal.require()
        let (round, demand) = try await herbCommitments.demand(roundID: input.path.id, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        roundId: round.id, status: try convert(round.status),
                        items: demand.map {
                            .init(
                                drugCode: $0.drugCode, grade: $0.grade, ceilingPrice: $0.ceilingPrice.description,
                                committedKg: kgText($0.committedKg),
                                members: $0.members, pendingKg: kgText($0.pendingKg))
                        }))))
    }

    func createHerbBid(_ input: Operations.CreateHerbBid.Input) async throws -> Operations.CreateHerbBid.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        guard let score = Money(body.qualityScore, maxDecimals: 2)?.amount else {
            throw DomainError.invalid("qualityScore", "'\(body.qualityScore)' is not a score from 0 to 100")
        }
        let bid = try await herbRounds.bid(
            roundID: input.path.id,
            HerbBidDraft(
                drugCode: body.drugCode, supplierCode: body.supplierCode,
                unitPrice: try Money.parse(body.unitPrice, field: "unitPrice"),
                grade: body.grade, origin: body.origin, qualityScore: score, qualityReference: body.qualityReference),
            by: principal)
        return .created(.init(body: .json(.init(bid))))
    }

    func withdrawHerbBid(_ input: Operations.WithdrawHerbBid.Input) async throws -> Operations.WithdrawHerbBid.Output {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let withdrawn = try await herbRounds.withdrawBid(
            roundID: input.path.id, bidID: input.path.bidId, reason: body.reason, by: principal)
        return .ok(.init(body: .json(.init(withdrawn))))
    }

    func getHerbRanking(_ input: Operations.GetHerbRanking.Input) async throws -> Operations.GetHerbRanking.Output {
        let principal = try RequestPrincipal.require()
        let round = try await herbRounds.round(id: input.path.id, by: principal)
        let (provisional, rows) = try await herbRounds.ranking(roundID: input.path.id, by: principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        roundId: round.id, provisional: provisional, awardRule: try convert(round.awardRule),
                        items: rows.map {
                            .init(
                                drugCode: $0.drugCode, bidId: $0.bidID, supplierCode: $0.supplierCode,
                                unitPrice: $0.unitPrice.description,
                                qualityScore: DecimalText.format($0.qualityScore, places: 2), rank: $0.rank,
                                qualified: $0.qualified,
                                winner: $0.winner, share: DecimalText.format($0.share, places: 4), volumeKg: kgText($0.volumeKg),
                                reason: $0.reason)
                        }))))
    }

    func createHerbInspection(_ input: Operations.CreateHerbInspection.Input) async throws
        -> Operations.CreateHerbInspection.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let m = body.measurements
        var measured: [HerbQualityMeasure: Decimal] = [:]
        for measure in HerbQualityMeasure.allCases {
            let text: String?
            switch measure {
            case .moisturePct: text = m.moisturePct
            case .totalAshPct: text = m.totalAshPct
            case .sulfurDioxideMgPerKg: text = m.sulfurDioxideMgPerKg
            case .leadMgPerKg: text = m.leadMgPerKg
            case .cadmiumMgPerKg: text = m.cadmiumMgPerKg
            case .arsenicMgPerKg: text = m.arsenicMgPerKg
            case .mercuryMgPerKg: text = m.mercuryMgPerKg
            case .copperMgPerKg: text = m.copperMgPerKg
            case .aflatoxinB1UgPerKg: text = m.aflatoxinB1UgPerKg
            case .aflatoxinsTotalUgPerKg: text = m.aflatoxinsTotalUgPerKg
            }
            guard let text else { continue }
            guard let value = Money(text, maxDecimals: 4)?.amount else {
                throw DomainError.invalid(measure.rawValue, "'\(text)' is not a measured value")
            }
            measured[measure] = value
        }
        let inspection = try await herbQuality.inspect(
            roundID: input.path.id,
            HerbInspectionDraft(
                drugCode: body.drugCode, lotNumber: body.lotNumber, supplierCode: body.supplierCode,
                inspectedOn: try BusinessDate.parse(body.inspectedOn, field: "inspectedOn") ?? today,
                identificationPassed: body.identificationPassed, measured: measured),
            by: principal)
        return .created(
            .init(
                body: .json(
                    .init(
                        id: inspection.id, drugCode: inspection.drugCode, lotNumber: inspection.lotNumber,
                        supplierCode: inspection.supplierCode,
                        inspectedOn: inspection.inspectedOn.description, identificationPassed: inspection.identificationPassed,
                        result: try convert(inspection.result), failures: inspection.failures,
                        supplierRejections: inspection.supplierRejections,
                        supplierFlagged: inspection.supplierFlagged))))
    }

    func listHerbRoundSuppliers(_ input: Operations.ListHerbRoundSuppliers.Input) async throws
        -> Operations.ListHerbRoundSuppliers.Output
    {
        let principal = try RequestPrincipal.require()
        let items = try await herbQuality.suppliers(roundID: input.path.id, by: principal)
        return .ok(.init(body: .json(.init(items: items.map(Components.Schemas.HerbSupplierStanding.init)))))
    }

    func suspendHerbSupplier(_ input: Operations.SuspendHerbSupplier.Input) async throws -> Operations.SuspendHerbSupplier.Output
    {
        let principal = try RequestPrincipal.require()
        guard case .json(let body) = input.body else { throw DomainError.badRequest("a JSON body is required") }
        let standing = try await herbQuality.suspend(
            roundID: input.path.id, supplierCode: input.path.supplierCode, reason: body.reason, by: principal)
        return .ok(.init(body: .json(.init(standing))))
    }

    func getHerbProgress(_ input: Operations.GetHerbProgress.Input) async throws -> Operations.GetHerbProgress.Output {
        let principal = try RequestPrincipal.require()
        let on = try date(input.query.on)
        let (round, rows) = try await herbCommitments.progress(roundID: input.path.id, on: on, by: principal)
        let pace = HerbProcurementRules.pace(committed: 0, bought: 0, start: round.periodStart, end: round.periodEnd, on: on)
        return .ok(
            .init(
                body: .json(
                    .init(
                        roundId: round.id, on: on.description, periodStart: round.periodStart.description,
                        periodEnd: round.periodEnd.description,
                        elapsedDays: pace.elapsedDays, periodDays: pace.periodDays,
                        rows: rows.map {
                            .init(
                                institutionCode: $0.institutionCode, drugCode: $0.drugCode, committedKg: kgText($0.committedKg),
                                boughtKg: kgText($0.boughtKg), receivedKg: kgText($0.receivedKg),
                                overCommitmentKg: kgText($0.pace.overCommitment),
                                completionRate: $0.pace.completionRate.map { DecimalText.format($0, places: 4) },
                                expectedKg: kgText($0.pace.expected),
                                behind: $0.pace.behind)
                        }))))
    }

    func getHerbBatch(_ input: Operations.GetHerbBatch.Input) async throws -> Operations.GetHerbBatch.Output {
        let principal = try RequestPrincipal.require()
        let consortium = try await visibleConsortium(input.path.code, for: principal)
        let batch = try await herbQuality.batch(
            consortiumID: consortium.id, drugCode: input.path.drugCode, lotNumber: input.path.lot)
        return .ok(
            .init(
                body: .json(
                    .init(
                        drugCode: batch.drugCode, lotNumber: batch.lotNumber, status: try convert(batch.status),
                        mayUse: batch.mayUse,
                        roundId: batch.roundID, supplierCode: batch.supplierCode, reasons: batch.failures))))
    }
}

/// Who has not committed yet, and the limits a piece is inspected against (issue 19.12).
extension APIHandler {
    func listMissingHerbCommitments(_ input: Operations.ListMissingHerbCommitments.Input) async throws
        -> Operations.ListMissingHerbCommitments.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let result = try await herbCommitments.missing(
            roundID: input.path.id, institutionCode: input.query.institutionCode, drugCode: input.query.drugCode, by: principal,
            page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: result.items.map {
                            .init(
                                institutionCode: $0.institutionCode, institutionName: $0.institutionName, itemId: $0.itemID,
                                drugCode: $0.drugCode,
                                priorUsageKg: $0.priorUsageKg.map(quantityText), proposedKg: $0.proposedKg.map(quantityText))
                        },
                        nextCursor: result.nextCursor))))
    }

    func listHerbQualityLimits(_ input: Operations.ListHerbQualityLimits.Input) async throws
        -> Operations.ListHerbQualityLimits.Output
    {
        let principal = try RequestPrincipal.require()
        let page = try PageRequest(input.query.limit, input.query.cursor)
        let result = try await herbQuality.limits(drugCode: input.query.drugCode, q: input.query.q, by: principal, page: page)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try result.items.map { piece in
                            .init(
                                drugCode: piece.drugCode, genericName: piece.genericName, monograph: piece.monograph,
                                limits: try piece.limits.map { .init(measure: try convert($0.measure), maximum: "\($0.maximum)") }
                            )
                        },
                        nextCursor: result.nextCursor))))
    }
}

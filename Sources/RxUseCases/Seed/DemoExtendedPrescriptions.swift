import Foundation
import RxDomain
import RxStore

extension SeedLoader {
    /// The demo's extended prescriptions (issue 23), after the seed committed, through the use cases (each move in its
    /// own transaction with its audit row, as the members' staff would make it): patients of the community centre
    /// CY-BJL-CHC, one in each state, of a drug the centre does not hold, dispensed by the lead from the place that
    /// holds it. The one not collected was delivered ten days ago (its last day to collect has passed). Once: nothing
    /// when the consortium has any. How many moves it made.
    func seedExtendedPrescriptions(consortiumCode: String) async throws -> Int {
        let today = clock.today()
        guard let consortium = try await ConsortiumStore(database: database).find(code: consortiumCode) else { return 0 }
        let demo = DemoExtendedPrescriptionStore(database: database)
        if try await demo.any(consortiumID: consortium.id) { return 0 }
        let institutions = try await database.read { c in
            try await InstitutionStore(database: database).list(consortiumID: consortium.id, connection: c)
        }
        guard let issuer = institutions.first(where: { $0.code == Self.demoIssuer }),
            let lead = institutions.first(where: \.isLead),
            let drug = try await demo.candidate(
                consortiumID: consortium.id, issuerID: issuer.id, dispensingID: lead.id, minimum: 5 * 56,
                lastsUntil: today.adding(days: 180), on: today)
        else { return 0 }
        func staff(_ role: Role, _ institution: Institution, prescriber: String? = nil) -> Principal {
            Principal(
                tokenID: nil, role: role, consortiumID: consortium.id, consortiumCode: consortium.code,
                institutionID: institution.id, institutionCode: institution.code, name: "console:seed",
                prescriberPseudonym: prescriber)
        }
        let prescriber = staff(.prescriber, issuer, prescriber: Self.demoPrescriber)
        let centre = staff(.institutionPharmacist, lead)
        let clinic = staff(.institutionPharmacist, issuer)
        let cases = ExtendedPrescriptionUseCases(database: database)
        var moves = 0
        // All issued first: once one is delivered the centre holds the drug, and would prescribe it itself.
        var issued: [(id: Int64, state: ExtendedPrescriptionState)] = []
        for (n, state) in ExtendedPrescriptionState.allCases.enumerated() {
            let request = LongPrescriptionRequest(
                institutionCode: issuer.code, prescriberPseudonym: Self.demoPrescriber, patientRef: "P-EXT-\(n + 1)",
                patient: .init(
                    hasFamilyDoctorContract: true,
                    diagnoses: [.init(icd: "I10", stable: true, lastAssessedOn: today.adding(days: -20))],
                    goodAdherence: true),
                items: [
                    .init(drugCode: drug.drugCode, dailyDose: 2, days: 28, assessmentRecorded: true, patientConfirmed: true)
                ])
            let id = try await cases.issue(
                .init(
                    request: request, dispensingInstitutionCode: lead.code, collectingInstitutionCode: nil,
                    homeAddressRef: nil, chronic: true, businessDate: nil, validityDays: 3),
                consortiumID: consortium.id, today: today, by: prescriber
            ).id
            issued.append((id, state))
            moves += 1
        }
        for (id, state) in issued {
            // The moves that lead to `state`, in order.
            let path: [ExtendedPrescriptionState] =
                switch state {
                case .requested: []
                case .approved: [.approved]
                case .refused: [.refused]
                case .dispatched: [.approved, .dispatched]
                case .delivered: [.approved, .dispatched, .delivered]
                case .collected: [.approved, .dispatched, .delivered, .collected]
                case .notCollected: [.approved, .dispatched, .delivered, .notCollected]
                case .cancelled: [.approved, .dispatched, .cancelled]
                }
            for step in path {
                switch step {
                case .approved, .refused:
                    _ = try await cases.review(
                        id: id, approve: step == .approved, reason: step == .refused ? Self.demoRefusal : nil,
                        consortiumID: consortium.id, today: today, by: centre)
                case .dispatched:
                    _ = try await cases.dispatch(
                        id: id, locationCode: drug.locationCode, lotNumber: nil, consortiumID: consortium.id, today: today,
                        by: centre)
                case .delivered:
                    // The one left uncollected arrived ten days ago, past its last day to collect.
                    _ = try await cases.deliver(
                        id: id, consortiumID: consortium.id,
                        today: state == .notCollected ? today.adding(days: -10) : today, by: clinic)
                case .collected, .notCollected:
                    _ = try await cases.handOver(
                        id: id, collected: step == .collected, consortiumID: consortium.id, today: today, by: clinic)
                case .cancelled:
                    _ = try await cases.cancel(
                        id: id, reason: Self.demoCancellation, consortiumID: consortium.id, today: today, by: centre)
                case .requested:
                    break
                }
                moves += 1
            }
        }
        return moves
    }

    /// The community centre whose patients the demo's extended prescriptions are for, and its prescriber.
    static let demoIssuer = "CY-BJL-CHC"
    static let demoPrescriber = "DR-CY-0001"
    /// The reasons the demo's refused and cancelled prescriptions give.
    static let demoRefusal = "剂量需与上级医院复核（演示数据）"
    static let demoCancellation = "患者转上级医院住院治疗（演示数据）"
}

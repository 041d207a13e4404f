import Testing

@testable import RxDomain

/// The permission cases that took over the hand-written role checks of the stores, the handlers and the CLI (issue
/// 20), each against the check it replaced, and the sample scopes the contract test reads holders from.
@Suite("Permission model")
struct PermissionModelTests {
    /// Every token shape of every role in consortium 1 and 2, institution-wide or scoped to the lead or a member.
    static let principals: [Principal] = Role.allCases.flatMap { role -> [Principal] in
        if role.isNational { return Principal.samples(of: role) }
        return [Int64(1), 2].flatMap { consortium in
            [(nil, nil), (1, "LEAD"), (2, "MEMBER")].map { (institutionID: Int64?, institutionCode: String?) in
                Principal(
                    tokenID: 1, role: role, consortiumID: consortium, consortiumCode: "C\(consortium)",
                    institutionID: institutionID, institutionCode: institutionCode, name: "t")
            }
        }
    }

    @Test("every permission kind has a sample, and every sample's kind is its case")
    func samplesCoverEveryKind() {
        #expect(Set(Permission.samples.map(\.kind)) == Set(Permission.Kind.allCases))
        for kind in Permission.Kind.allCases {
            #expect(!kind.holders.isEmpty, "no role holds \(kind.rawValue)")
        }
    }

    @Test("the sample tokens: a national role has no consortium; the others are consortium-wide, at the lead or at a member")
    func sampleTokens() throws {
        #expect(Principal.samples(of: .masterDataAdmin).map(\.consortiumID) == [nil])
        for role in Role.allCases where !role.isNational {
            let samples = Principal.samples(of: role)
            #expect(samples.map(\.institutionCode) == [nil, "LEAD", "MEMBER"])
            for sample in samples {
                try role.checkTokenScope(consortiumCode: sample.consortiumCode, institutionCode: sample.institutionCode)
            }
        }
    }

    @Test(
        "auditors and regulators, with who runs or inspects the round, see every member's herb commitments (was a role check in the store)"
    )
    func readAllHerbCommitments() {
        for principal in Self.principals {
            let permission = Permission.readAllHerbCommitments(consortiumID: 1, roundLeadCode: "LEAD")
            let before =
                principal.role == .auditor || principal.role == .regulator
                || principal.may(.inspectHerbBatch(consortiumID: 1, roundLeadCode: "LEAD"))
            // The store asked for the round of the token's own consortium; so does the permission.
            #expect(principal.may(permission) == (before && principal.consortiumID == 1), "\(principal)")
        }
        #expect(
            Permission.Kind.readAllHerbCommitments.holders
                == [.consortiumAdmin, .procurementOfficer, .institutionPharmacist, .auditor, .regulator])
    }

    @Test("a member's commitments are still read by any token of the member, the lead, auditors and regulators")
    func readHerbCommitmentsUnchanged() {
        for principal in Self.principals {
            for institution in [Int64(1), 2, 3] {
                let before =
                    principal.consortiumID == 1
                    && (principal.role == .auditor || principal.role == .regulator || principal.institutionID == institution
                        || principal.may(.inspectHerbBatch(consortiumID: 1, roundLeadCode: "LEAD")))
                #expect(
                    principal.may(.readHerbCommitments(consortiumID: 1, institutionID: institution, roundLeadCode: "LEAD"))
                        == before)
            }
        }
    }

    @Test("missing commitments: who sees all, or the member's own procurement officer or pharmacist, as x-roles lists")
    func readMissingHerbCommitments() {
        #expect(
            Permission.Kind.readMissingHerbCommitments.holders
                == [.consortiumAdmin, .procurementOfficer, .institutionPharmacist, .auditor, .regulator])
        let member = Permission.readMissingHerbCommitments(consortiumID: 1, institutionID: 2, roundLeadCode: "LEAD")
        for principal in Self.principals where principal.institutionCode == "MEMBER" {
            let own = [Role.procurementOfficer, .institutionPharmacist].contains(principal.role!)
            let all = principal.may(.readAllHerbCommitments(consortiumID: 1, roundLeadCode: "LEAD"))
            #expect(principal.may(member) == (principal.consortiumID == 1 && (own || all)), "\(principal)")
        }
    }

    @Test("only the consortium admin corrects a price's report date (was a role check in the store)")
    func correctPriceReportDate() {
        for principal in Self.principals {
            let before = principal.may(.setPrices(consortiumID: 1)) && principal.role == .consortiumAdmin
            #expect(principal.may(.correctPriceReportDate(consortiumID: 1)) == before, "\(principal)")
        }
        #expect(Permission.Kind.correctPriceReportDate.holders == [.consortiumAdmin])
    }

    @Test("an order's lots: who reads the order, but not a prescriber or finance (as the contract's gate had it)")
    func readOrderLots() {
        for principal in Self.principals {
            for institution in [Int64(1), 2, 3] {
                let orders = principal.may(.readOrders(consortiumID: 1, institutionID: institution, leadInstitutionCode: "LEAD"))
                let lots = principal.may(.readOrderLots(consortiumID: 1, institutionID: institution, leadInstitutionCode: "LEAD"))
                #expect(lots == (orders && principal.role != .prescriber && principal.role != .finance), "\(principal)")
            }
        }
        #expect(
            Permission.Kind.readOrderLots.holders
                == [.consortiumAdmin, .procurementOfficer, .institutionPharmacist, .auditor, .regulator])
    }

    @Test("the desk checks: every role of a consortium but finance (was the contract's gate alone)")
    func deskChecks() {
        #expect(
            Permission.Kind.runDeskChecks.holders
                == [.consortiumAdmin, .institutionPharmacist, .procurementOfficer, .prescriber, .regulator, .auditor])
        #expect(throws: DomainError.self) { try Principal.samples(of: .finance)[0].require(.runDeskChecks) }
        #expect(throws: DomainError.self) { try Principal.samples(of: .masterDataAdmin)[0].require(.runDeskChecks) }
    }

    @Test("a console run is signed by a token of its own consortium only (was a code comparison in the CLI)")
    func signConsoleRun() {
        for principal in Self.principals {
            #expect(principal.may(.signConsoleRun(consortiumCode: "C1")) == (principal.consortiumCode == "C1"), "\(principal)")
        }
        #expect(!Principal.samples(of: .masterDataAdmin)[0].may(.signConsoleRun(consortiumCode: "C1")))
    }

    @Test("auditors and regulators, named once: what they read is unchanged")
    func overseers() {
        let reads: [Permission] = [
            .readFinance(consortiumID: 1, leadInstitutionCode: "LEAD"),
            .readOrders(consortiumID: 1, institutionID: 2, leadInstitutionCode: "LEAD"),
            .readSupplyCentreOrders(consortiumID: 1, leadInstitutionCode: "LEAD"),
            .readPrescribers(consortiumID: 1, institutionID: nil), .readPrescribers(consortiumID: 1, institutionID: 2),
            .readCatalogueEndorsements(consortiumID: 1),
            .readHerbCommitments(consortiumID: 1, institutionID: 2, roundLeadCode: "LEAD"),
            .readAllHerbCommitments(consortiumID: 1, roundLeadCode: "LEAD"),
        ]
        for role in [Role.auditor, .regulator] {
            for principal in Principal.samples(of: role) {
                for permission in reads { #expect(principal.may(permission), "\(role.rawValue): \(permission)") }
                #expect(
                    !principal.may(.setPrices(consortiumID: 1))
                        && !principal.may(.payInvoices(consortiumID: 1, leadInstitutionCode: "LEAD")))
            }
        }
    }
}

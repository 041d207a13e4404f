import Foundation
import Testing

@testable import RxDomain

@Suite("Access policy")
struct AccessPolicyTests {
    func principal(_ role: Role, consortium: Int64 = 1, institution: Int64? = nil) -> Principal {
        Principal(
            tokenID: 1, role: role, consortiumID: consortium, consortiumCode: "C\(consortium)",
            institutionID: institution, institutionCode: institution.map { "I\($0)" }, name: "t")
    }

    @Test("only a consortium admin of the same consortium updates it and adds institutions")
    func consortiumChanges() {
        #expect(principal(.consortiumAdmin).may(.updateConsortium(consortiumID: 1)))
        #expect(!principal(.consortiumAdmin, consortium: 2).may(.updateConsortium(consortiumID: 1)))
        for role in Role.allCases where role != .consortiumAdmin {
            #expect(!principal(role).may(.updateConsortium(consortiumID: 1)))
            #expect(!principal(role).may(.createInstitution(consortiumID: 1)))
        }
    }

    @Test("a member's pharmacist changes only their own institution")
    func ownInstitutionOnly() {
        let pharmacist = principal(.institutionPharmacist, institution: 7)
        #expect(pharmacist.may(.updateInstitution(consortiumID: 1, institutionID: 7)))
        #expect(!pharmacist.may(.updateInstitution(consortiumID: 1, institutionID: 8)))
        #expect(principal(.consortiumAdmin).may(.updateInstitution(consortiumID: 1, institutionID: 8)))
        #expect(!principal(.prescriber, institution: 7).may(.updateInstitution(consortiumID: 1, institutionID: 7)))
    }

    @Test("audit is read by auditors, admins and regulators")
    func audit() {
        #expect(principal(.auditor).may(.readAudit))
        #expect(principal(.regulator).may(.readAudit))
        #expect(principal(.consortiumAdmin).may(.readAudit))
        #expect(!principal(.prescriber).may(.readAudit))
        #expect(!principal(.institutionPharmacist).may(.readAudit))
    }

    /// A national master-data token: no consortium, no institution.
    var masterDataAdmin: Principal {
        Principal(
            tokenID: 1, role: .masterDataAdmin, consortiumID: nil, consortiumCode: nil,
            institutionID: nil, institutionCode: nil, name: "t")
    }

    @Test("18.12: drugs and suppliers are written by the national master_data_admin only, never by a consortium's admin")
    func nationalMasterData() {
        #expect(masterDataAdmin.may(.manageDrugs))
        #expect(masterDataAdmin.may(.manageSuppliers))
        for role in Role.allCases where role != .masterDataAdmin {
            #expect(!principal(role).may(.manageDrugs), "\(role.rawValue) may change drugs")
            #expect(!principal(role).may(.manageSuppliers), "\(role.rawValue) may change suppliers")
        }
        // A consortium admin still writes its own consortium's data.
        #expect(principal(.consortiumAdmin).may(.createInstitution(consortiumID: 1)))
        #expect(principal(.consortiumAdmin).may(.manageCatalogue(consortiumID: 1)))
        #expect(Role.masterDataAdmin.isNational)
        #expect(Role.allCases.filter(\.isNational) == [.masterDataAdmin])
    }

    @Test("19.11: a token lives 1 to 3650 days, or forever when no lifetime is given")
    func tokenLifetime() throws {
        let now = Date(timeIntervalSince1970: 1_795_451_400)
        #expect(try TokenLifetime.expiry(days: nil, from: now) == nil)
        #expect(try TokenLifetime.expiry(days: 1, from: now) == now.addingTimeInterval(86_400))
        #expect(try TokenLifetime.expiry(days: 3650, from: now) == now.addingTimeInterval(3650 * 86_400))
        for days in [0, -1, 3651, Int.max] {
            #expect(throws: DomainError.self) { try TokenLifetime.expiry(days: days, from: now) }
        }
    }

    @Test("18.12: a master_data_admin token reads no consortium's data and changes none of it")
    func nationalTokenSeesNoConsortium() throws {
        let national = masterDataAdmin
        let consortium: Int64 = 1
        let denied: [Permission] = [
            .readConsortium(consortiumID: consortium), .updateConsortium(consortiumID: consortium),
            .createInstitution(consortiumID: consortium), .updateInstitution(consortiumID: consortium, institutionID: 1),
            .manageCatalogue(consortiumID: consortium), .endorseCatalogue(consortiumID: consortium, institutionID: 1),
            .editMemberCatalogue(consortiumID: consortium, institutionID: 1), .setPrices(consortiumID: consortium),
            .raiseOrder(consortiumID: consortium, institutionID: 1),
            .runSupplyCentre(consortiumID: consortium, leadInstitutionCode: "L"),
            .readOrders(consortiumID: consortium, institutionID: 1, leadInstitutionCode: "L"),
            .manageLongPrescriptionRules(consortiumID: consortium),
            .issueLongPrescription(consortiumID: consortium, institutionID: 1), .dispense(consortiumID: consortium),
            .managePreparations(consortiumID: consortium), .recordTransferApproval(consortiumID: consortium),
            .shipPreparation(consortiumID: consortium, producerInstitutionID: 1),
            .receivePreparation(consortiumID: consortium, receiverInstitutionID: 1),
            .runHerbRound(consortiumID: consortium, roundLeadCode: "L"),
            .inspectHerbBatch(consortiumID: consortium, roundLeadCode: "L"),
            .commitHerbVolume(consortiumID: consortium, institutionID: 1),
            .readHerbCommitments(consortiumID: consortium, institutionID: 1, roundLeadCode: "L"),
            .readDistributorContracts(consortiumID: consortium),
            .readSupplyCentreOrders(consortiumID: consortium, leadInstitutionCode: "L"),
            .readPrescribers(consortiumID: consortium, institutionID: nil),
            .readPrescribers(consortiumID: consortium, institutionID: 1),
            .readCatalogueEndorsements(consortiumID: consortium),
        ]
        for permission in denied {
            #expect(!national.may(permission), "\(permission)")
        }
        // Its audit trail holds the national master-data changes only (the store's query, given no consortium).
        #expect(national.may(.readAudit))
        #expect(throws: DomainError.self) { try national.scopedConsortiumID(orNotFound: "no order 1") }
    }

    @Test("19.12: the supply centre's order lists: the admin, the lead's procurement officer, auditors, regulators")
    func supplyCentreOrders() {
        let lead = Principal(
            tokenID: 1, role: .procurementOfficer, consortiumID: 1, consortiumCode: "C1", institutionID: 5,
            institutionCode: "LEAD", name: "t")
        let read = Permission.readSupplyCentreOrders(consortiumID: 1, leadInstitutionCode: "LEAD")
        #expect(
            lead.may(read) && principal(.consortiumAdmin).may(read) && principal(.auditor).may(read)
                && principal(.regulator).may(read))
        #expect(!principal(.procurementOfficer, institution: 7).may(read), "a member's officer is not the supply centre")
        for role in [Role.institutionPharmacist, .prescriber, .finance] {
            #expect(!principal(role, institution: 5).may(read), "\(role.rawValue)")
        }
        #expect(!principal(.consortiumAdmin, consortium: 2).may(read))
    }

    @Test("19.12: distributor contracts are read by all who order, pay or oversee, not prescribers")
    func distributorContracts() {
        for role in [Role.consortiumAdmin, .procurementOfficer, .institutionPharmacist, .finance, .auditor, .regulator] {
            #expect(principal(role).may(.readDistributorContracts(consortiumID: 1)), "\(role.rawValue)")
            #expect(!principal(role, consortium: 2).may(.readDistributorContracts(consortiumID: 1)))
        }
        #expect(!principal(.prescriber).may(.readDistributorContracts(consortiumID: 1)))
    }

    @Test("19.12: prescribers: the pharmacy centre, auditors and regulators see all; a member's pharmacist or prescriber its own")
    func prescribers() {
        for role in [Role.consortiumAdmin, .auditor, .regulator] {
            #expect(principal(role).may(.readPrescribers(consortiumID: 1, institutionID: nil)))
            #expect(principal(role).may(.readPrescribers(consortiumID: 1, institutionID: 7)))
        }
        for role in [Role.institutionPharmacist, .prescriber] {
            #expect(principal(role, institution: 7).may(.readPrescribers(consortiumID: 1, institutionID: 7)))
            #expect(!principal(role, institution: 7).may(.readPrescribers(consortiumID: 1, institutionID: 8)))
            #expect(!principal(role, institution: 7).may(.readPrescribers(consortiumID: 1, institutionID: nil)))
            #expect(!principal(role).may(.readPrescribers(consortiumID: 1, institutionID: nil)))
        }
        for role in [Role.procurementOfficer, .finance] {
            #expect(!principal(role, institution: 7).may(.readPrescribers(consortiumID: 1, institutionID: 7)))
        }
        #expect(!principal(.consortiumAdmin, consortium: 2).may(.readPrescribers(consortiumID: 1, institutionID: nil)))
    }

    @Test("19.12: pending endorsements and quality limits: who reads them")
    func endorsementsAndLimits() {
        let endorsements = Role.allCases.filter { principal($0).may(.readCatalogueEndorsements(consortiumID: 1)) }
        #expect(Set(endorsements) == [.consortiumAdmin, .institutionPharmacist, .auditor, .regulator])
        #expect(!principal(.auditor, consortium: 2).may(.readCatalogueEndorsements(consortiumID: 1)))
        let limits = Role.allCases.filter {
            $0 == .masterDataAdmin ? masterDataAdmin.may(.readHerbQualityLimits) : principal($0).may(.readHerbQualityLimits)
        }
        #expect(
            Set(limits) == [
                .consortiumAdmin, .procurementOfficer, .institutionPharmacist, .auditor, .regulator, .masterDataAdmin,
            ])
    }

    @Test("forbidden is an error naming the role")
    func requireThrows() {
        #expect(throws: DomainError.self) { try principal(.auditor).require(.manageDrugs) }
    }
}

@Suite("Paging")
struct PagingTests {
    @Test func cursorRoundTrip() throws {
        let page = Page(rows: ["a", "b", "c"], limit: 2, key: { $0 })
        #expect(page.items == ["a", "b"])
        let next = try PageRequest(limit: 2, cursor: page.nextCursor)
        #expect(next.after == "b")
        #expect(Page(rows: ["a"], limit: 2, key: { $0 }).nextCursor == nil)
    }

    @Test(arguments: [0, 201, -1])
    func limitOutOfRange(limit: Int) {
        #expect(throws: DomainError.self) { try PageRequest(limit: limit, cursor: nil) }
    }

    @Test func foreignCursorRefused() {
        #expect(throws: DomainError.self) { try PageRequest(limit: nil, cursor: "not-a-cursor!") }
    }

    @Test("a page keyed by id starts after the previous page's last id; the first page, and a key that is not an id, at 0")
    func afterID() throws {
        let idPage = Page(rows: [Int64(7), 9, 12], limit: 2, key: { String($0) })
        #expect(try PageRequest(limit: 2, cursor: idPage.nextCursor).afterID == 9)
        #expect(try PageRequest(limit: nil, cursor: nil).afterID == 0)
        let named = Page(rows: ["a", "b"], limit: 1, key: { $0 })
        #expect(try PageRequest(limit: nil, cursor: named.nextCursor).afterID == 0)
    }
}

@Suite("Master data validation")
struct MasterDataValidationTests {
    @Test func manufacturerNeedsLicence() {
        let s = Supplier(code: "M1", name: "x", isManufacturer: true, isDistributor: false)
        #expect(s.validationErrors().map(\.field) == ["manufacturingLicence"])
    }

    @Test func supplierIsSomething() {
        let s = Supplier(code: "M1", name: "x", isManufacturer: false, isDistributor: false)
        #expect(s.validationErrors().map(\.field).contains("isManufacturer"))
    }

    @Test func decoctionPieceNamesItsHerbAndCountsInGramsOrKilograms() {
        var d = Drug(
            code: "T1", genericName: "黄芪", dosageForm: "饮片", packageSize: 1, packageUnit: "kg", unit: "袋",
            category: .decoctionPiece)
        #expect(d.validationErrors().map(\.field) == ["decoctionPiece"])
        d.decoctionPiece = DecoctionPiece(herbName: "黄芪", processing: .raw, grade: "统货")
        #expect(d.validationErrors().map(\.field) == ["unit"])
        d.unit = "kg"
        #expect(d.validationErrors().isEmpty)
    }

    @Test func onlyPiecesNameAHerb() {
        let d = Drug(
            code: "X1", genericName: "x", dosageForm: "片剂", packageSize: 1, packageUnit: "盒", unit: "片",
            category: .western, decoctionPiece: DecoctionPiece(herbName: "h", processing: .raw, grade: "统货"))
        #expect(d.validationErrors().map(\.field) == ["decoctionPiece"])
    }

    @Test(arguments: ["", "a b", "x'; DROP TABLE drugs; --", String(repeating: "A", count: 41)])
    func badDrugCodes(code: String) {
        #expect(Codes.drugCodeError(code) != nil)
    }

    @Test(arguments: ["JLTCM", "JL-TCMH", "A1"])
    func goodInstitutionCodes(code: String) {
        #expect(Codes.institutionCodeError(code) == nil)
    }

    @Test(arguments: ["jl", "-A", "A", "A B"])
    func badInstitutionCodes(code: String) {
        #expect(Codes.institutionCodeError(code) != nil)
    }

    @Test func levelsOrderTertiaryHighest() {
        #expect(
            InstitutionLevel.village < .primary && InstitutionLevel.primary < .secondary && InstitutionLevel.secondary < .tertiary
        )
    }
}

@Suite("Catalogue rules")
struct CatalogueRulesTests {
    @Test(arguments: [(8, 5), (9, 5), (1, 1), (0, 0)])
    func simpleMajority(members: Int, required: Int) {
        #expect(Quorum.simpleMajority.required(members: members) == required)
    }

    @Test func quorumSettings() {
        #expect(Quorum(setting: "simple_majority") == .simpleMajority)
        #expect(Quorum(setting: "two_thirds")?.required(members: 9) == 6)
        #expect(Quorum(setting: "3") == .count(3))
        #expect(Quorum(setting: "most") == nil)
    }

    @Test("19.12: endorsements are awaited from a version put to the members; a draft is put to no one (409)")
    func endorsementsAwaited() throws {
        #expect(throws: DomainError.conflict("version 2 is a draft; endorsements are awaited once it is proposed")) {
            try CatalogueRules.requirePutToMembers(.draft, number: 2)
        }
        try CatalogueRules.requirePutToMembers(.proposed, number: 2)
        try CatalogueRules.requirePutToMembers(.published, number: 1)
    }

    @Test("the lead's endorsement is required besides the members', and objections block")
    func publication() {
        let members = ["L", "A", "B", "C"]
        var decisions: [String: EndorsementDecision] = ["A": .endorse, "B": .endorse]
        var check = CatalogueRules.publicationCheck(decisions: decisions, lead: "L", members: members, quorum: .simpleMajority)
        #expect(!check.leadEndorsed && check.endorsements == 2 && check.required == 2)
        decisions["L"] = .endorse
        decisions["C"] = .object
        check = CatalogueRules.publicationCheck(decisions: decisions, lead: "L", members: members, quorum: .simpleMajority)
        #expect(check.problems == ["open objections from C"])
        decisions["C"] = .endorse
        #expect(CatalogueRules.publicationCheck(decisions: decisions, lead: "L", members: members, quorum: .all).problems.isEmpty)
    }

    @Test func levelRestrictions() {
        let catalogue = ["A": CatalogueItem(drugCode: "A", levels: [.tertiary, .secondary]), "B": CatalogueItem(drugCode: "B")]
        let errors = CatalogueRules.outOfLine(memberDrugs: ["B", "A", "Z"], level: .village, catalogue: catalogue)
        #expect(errors.map(\.field) == ["A", "Z"])
        #expect(CatalogueRules.outOfLine(memberDrugs: ["A", "B"], level: .secondary, catalogue: catalogue).isEmpty)
    }

    @Test func alternativesSameGenericFirstThenATCGroup() {
        func drug(_ code: String, _ name: String, _ atc: String) -> Drug {
            Drug(
                code: code, genericName: name, dosageForm: "片剂", packageSize: 1, packageUnit: "盒", unit: "片", atcCode: atc,
                category: .western)
        }
        let asked = drug("1", "硝苯地平", "C08CA05")
        let available = [drug("3", "氨氯地平", "C08CA01"), drug("2", "硝苯地平", "C08CA05"), drug("4", "美托洛尔", "C07AB02")]
        #expect(CatalogueRules.alternatives(for: asked, among: available).map(\.code) == ["2", "3"])
    }

    @Test func diff() {
        let v1 = [CatalogueItem(drugCode: "A"), CatalogueItem(drugCode: "B", note: "x")]
        let v2 = [CatalogueItem(drugCode: "B", note: "y"), CatalogueItem(drugCode: "C")]
        let d = CatalogueRules.difference(v2, against: v1)
        #expect(d.added.map(\.drugCode) == ["C"])
        #expect(d.removed.map(\.drugCode) == ["A"])
        #expect(d.changed.map(\.after.note) == ["y"])
    }

    @Test func businessDates() {
        #expect(BusinessDate("2026-02-29") == nil)
        #expect(BusinessDate("2028-02-29")?.adding(days: 1).description == "2028-03-01")
        #expect(BusinessDate("2026-01-31")!.days(to: BusinessDate("2026-03-01")!) == 29)
        #expect(Share.fraction(1, of: 3) == "0.3333")
        #expect(Share.fraction(0, of: 0) == "0.0000")
    }
}

@Suite("Pricing rules")
struct PricingRulesTests {
    func d(_ s: String) -> BusinessDate { BusinessDate(s)! }

    @Test("a new price closes the one in effect the day before, and stops where a later one starts")
    func timeline() {
        let existing = [
            PriceTimeline.Period(id: 1, from: d("2026-01-01"), to: nil)
        ]
        var plan = PriceTimeline.plan(existing: existing, start: d("2026-03-01"))
        #expect(plan.close.map(\.id) == [1] && plan.close.map(\.to) == [d("2026-03-01")] && plan.newTo == nil)

        let two = [
            PriceTimeline.Period(id: 1, from: d("2026-01-01"), to: d("2026-06-01")),
            PriceTimeline.Period(id: 2, from: d("2026-06-01"), to: nil),
        ]
        plan = PriceTimeline.plan(existing: two, start: d("2026-03-01"))
        #expect(plan.close.map(\.id) == [1] && plan.newTo == d("2026-06-01") && plan.supersede.isEmpty)
        plan = PriceTimeline.plan(existing: two, start: d("2026-06-01"))
        #expect(plan.supersede == [2] && plan.close.isEmpty && plan.newTo == nil)
    }

    @Test func money() {
        #expect(Money("12.5")?.description == "12.5000")
        #expect(Money("0.0860") != nil)
        #expect(Money("1.23456") == nil)
        #expect(Money("-1") == nil)
        #expect(Money("1e3") == nil)
        #expect(Money("12.") == nil)
        #expect((Money("10.00")! * Decimal(string: "1.25")!).rounded().description == "12.5000")
    }

    @Test("patient prices: zero markup for drugs, the capped markup for pieces")
    func patientPrices() {
        let markups = PatientPricing.Markups(
            drugPercent: 0, decoctionPiecePercent: 30, decoctionPieceCapPercent: 25, hospitalPreparationPercent: 5)
        #expect(
            PatientPricing.price(unitPrice: Money("8.00")!, category: .western, markups: markups).patientPrice == Money("8.00")!)
        #expect(
            PatientPricing.price(unitPrice: Money("8.00")!, category: .chinesePatent, markups: markups).patientPrice == Money(
                "8.00")!)
        #expect(
            PatientPricing.price(unitPrice: Money("8.00")!, category: .decoctionPiece, markups: markups).patientPrice == Money(
                "10.00")!)
        #expect(
            PatientPricing.price(unitPrice: Money("8.00")!, category: .hospitalPreparation, markups: markups).patientPrice
                == Money("8.40")!)
    }
}

@Suite("Business dates")
struct BusinessDateTests {
    @Test("integer day arithmetic agrees with the calendar over decades")
    func agreesWithCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = BusinessDate.zone
        let start = BusinessDate("1999-12-25")!
        var date = calendar.date(from: DateComponents(year: 1999, month: 12, day: 25, hour: 12))!
        for offset in stride(from: 0, to: 12_000, by: 37) {
            let expected = calendar.dateComponents([.year, .month, .day], from: date)
            let computed = start.adding(days: offset)
            #expect(computed.year == expected.year && computed.month == expected.month && computed.day == expected.day)
            #expect(start.days(to: computed) == offset)
            date = calendar.date(byAdding: .day, value: 37, to: date)!
        }
    }

    @Test func monthsAndParsing() {
        #expect(BusinessDate("2026-01-31")!.adding(months: 1).description == "2026-02-28")
        #expect(BusinessDate("2026-11-23")!.adding(months: 6).description == "2027-05-23")
        #expect(BusinessDate("2026-11-23")!.adding(months: -11).description == "2025-12-23")
        #expect(BusinessDate("2026-13-01") == nil && BusinessDate("2026-1-01") == nil && BusinessDate("２０２６-01-01") == nil)
    }

    @Test("today is the calendar date in Shanghai")
    func today() {
        // 2026-11-23T16:30:00Z is 00:30 on the 24th in Shanghai.
        #expect(BusinessDate.today(now: Date(timeIntervalSince1970: 1_795_451_400)).description == "2026-11-24")
        #expect(BusinessDate.today(now: Date(timeIntervalSince1970: 1_795_449_600 - 1)).description == "2026-11-23")
    }
}

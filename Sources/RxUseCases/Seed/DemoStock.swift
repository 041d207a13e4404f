import Foundation
import RxDomain
import RxStore

/// The demo consortium's opening stock (`seed --demo`): for every member a few drugs of its catalogue in lots whose
/// expiry dates are set from the seed's "today", so the expiry classes stay right whenever the demo is loaded: most
/// lots a year or more away, at every member one lot inside the first near-expiry threshold (about 150 days) and one
/// inside the second (about 60 days), at the lead one lot below the minimum shelf life for issue (20 days) and one
/// expired (15 days ago), and one lot held by the lead and a second member recalled (`recall`).
struct DemoStock {
    struct Member {
        var code: String
        var level: InstitutionLevel
        var isLead: Bool
        /// The member's catalogue in effect, in code order.
        var drugs: [Drug]
    }

    struct Location { var member: String; var code: String; var name: String; var kind: String }

    struct Recall { var drugCode: String; var lotNumber: String; var noticeNumber: String; var cause: String }

    /// Each member's opening-balance file (the columns of `import stock`), by member code.
    var files: [(member: String, csv: String)] = []
    var locations: [Location] = []
    var recall: Recall?

    /// Drugs stocked per member, by level.
    static func drugCount(_ level: InstitutionLevel) -> Int {
        switch level {
        case .tertiary: 24
        case .secondary: 16
        case .primary: 10
        case .village: 6
        }
    }

    init(members: [Member], today: BusinessDate) {
        var lead: (code: String, drug: Drug)?
        for (m, member) in members.enumerated() {
            guard !member.drugs.isEmpty else { continue }
            // Spread over the catalogue, a different slice for each member.
            let count = min(Self.drugCount(member.level), member.drugs.count)
            let step = max(1, member.drugs.count / count)
            let chosen = (0..<count).map { member.drugs[(m * 7 + $0 * step) % member.drugs.count] }
            // Every member's stock is in its pharmacy (a count of the member's stock outside locations, or of another
            // location, does not meet it); the lead's also on a ward and in the supply centre's warehouse.
            let locations = member.isLead ? ["PHARMACY", "WARD", "WAREHOUSE"] : ["PHARMACY"]
            if !member.isLead {
                self.locations.append(Location(member: member.code, code: "PHARMACY", name: "药房", kind: "pharmacy"))
            } else {
                self.locations += [
                    Location(member: member.code, code: "PHARMACY", name: "门诊药房", kind: "pharmacy"),
                    Location(member: member.code, code: "WARD", name: "病区小药柜", kind: "ward_stock"),
                    Location(member: member.code, code: "WAREHOUSE", name: "中心药库", kind: "warehouse"),
                ]
            }
            var csv = CSVWriter(header: ["drug_code", "lot_number", "expiry_date", "quantity", "location"])
            var seen = Set<String>()
            for (i, drug) in chosen.enumerated() where seen.insert(drug.code).inserted {
                // Days to expiry: the first lots are the special ones, the rest a year or two away.
                var offsets = [400 + (i * 37) % 400]
                switch i {
                case 0: offsets.append(760)
                case 1: offsets = [150]
                case 2: offsets = [60, 500]
                case 3 where member.isLead: offsets = [20, 600]
                case 4 where member.isLead: offsets = [-15]
                default: break
                }
                for (k, days) in offsets.enumerated() {
                    let expiry = today.adding(days: days)
                    let lot = Self.lotNumber(expiry: expiry, serial: m * 10 + k + 1)
                    let packages = 2 + (i * 5 + k * 3 + m) % 18
                    let location = locations[(i + k) % locations.count]
                    csv.append([
                        drug.code, lot, expiry.description, String(packages * drug.packageSize), location,
                    ])
                    if member.isLead && i == 0 && k == 0 { lead = (member.code, drug) }
                }
            }
            files.append((member.code, csv.text))
        }
        // The recalled lot: the lead's first lot, also held by the first other member whose catalogue has the drug.
        guard let lead, let lotIndex = files.firstIndex(where: { $0.member == lead.code }) else { return }
        let firstLine = files[lotIndex].csv.split(separator: "\r\n")[1].split(separator: ",").map(String.init)
        let (lotNumber, expiry) = (firstLine[1], firstLine[2])
        if let other = members.first(where: { !$0.isLead && $0.drugs.contains { $0.code == lead.drug.code } }),
            let otherIndex = files.firstIndex(where: { $0.member == other.code })
        {
            files[otherIndex].csv += CSVWriter.line([
                lead.drug.code, lotNumber, expiry, String(lead.drug.packageSize * 3), "PHARMACY",
            ])
        }
        recall = Recall(
            drugCode: lead.drug.code, lotNumber: lotNumber, noticeNumber: "吉药监召〔\(today.year)〕3号",
            cause: "生产企业主动召回：含量测定不合格（演示数据）")
    }

    /// A lot number as printed on a package: the production date (two years before expiry, YYMMDD) and a serial.
    static func lotNumber(expiry: BusinessDate, serial: Int) -> String {
        let made = expiry.adding(months: -24)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n % 100) }
        return "\(two(made.year % 100))\(two(made.month))\(two(made.day))\(two(serial % 100))"
    }
}

extension CSVWriter {
    /// One CSV line (with its line break).
    static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }
}

extension SeedLoader {
    /// The demo's opening stock (`DemoStock`), loaded through the opening-balance import, once: nothing when the
    /// consortium holds an opening balance already. How many movements, locations and recalls it added.
    func seedStock(consortiumCode: String, on connection: StoreConnection) async throws -> Int {
        let stock = StockImportStore(database: database)
        let consortiumID = try await ProvincialPriceImport(database: database).consortiumID(code: consortiumCode, on: connection)
            .orNotFound("no consortium \(consortiumCode)")
        if try await stock.hasOpeningBalances(consortiumID: consortiumID, on: connection) { return 0 }
        let today = clock.today()
        let institutions = try await InstitutionStore(database: database).list(consortiumID: consortiumID, connection: connection)
        var members: [DemoStock.Member] = []
        for institution in institutions {
            let catalogue = try await MemberCatalogueUseCases(database: database).get(
                institution: institution, on: today, connection: connection)
            members.append(
                DemoStock.Member(
                    code: institution.code, level: institution.level, isLead: institution.isLead,
                    drugs: catalogue.drugs.sorted { $0.code < $1.code }))
        }
        let demo = DemoStock(members: members, today: today)
        var changes = 0
        for location in demo.locations {
            guard let member = institutions.first(where: { $0.code == location.member }) else { continue }
            if try await stock.addLocation(
                consortiumID: consortiumID, institutionID: member.id, code: location.code, name: location.name,
                kind: location.kind, on: connection)
            {
                changes += 1
            }
        }
        for (member, csv) in demo.files {
            do {
                changes +=
                    try await StockImportUseCases(database: database).load(
                        .data(Data(csv.utf8)), encoding: .utf8, institutionCode: member, consortiumCode: consortiumCode,
                        today: today, actor: .console("seed"), on: connection
                    ).movements
            } catch let rejected as StockImportUseCases.Rejected {
                throw Invalid(file: "demo stock of \(member)", line: rejected.errors[0].line, reason: rejected.errors[0].reason)
            }
        }
        changes += try await seedShortageHistory(consortiumID: consortiumID, today: today, on: connection)
        if let recall = demo.recall,
            try await stock.addRecall(
                consortiumID: consortiumID, drugCode: recall.drugCode, lotNumber: recall.lotNumber,
                noticeNumber: recall.noticeNumber, reason: recall.cause, on: connection)
        {
            changes += 1
        }
        return changes
    }
}

extension SeedLoader {
    /// The demo's shortage history (issue 22), with its opening stock: ward dispensings over the consumption window
    /// (30, every third day) so that the seed's scan finds one drug out of stock at a member (all of its lasting
    /// stock dispensed), one low at another (nine tenths dispensed: about ten days left, below the 15-day threshold),
    /// and a third drug with a supplier's report standing (5 days ago). Real dispensings rows, so the stock card and
    /// the NHSA sales export show where the stock went.
    func seedShortageHistory(consortiumID: Int64, today: BusinessDate, on connection: StoreConnection) async throws -> Int {
        let demo = DemoShortageStore(database: database)
        let lastsUntil = today.adding(days: 180)
        // At least ten units a dispensing, so that the history is spread over the window.
        let candidates = try await demo.candidates(
            consortiumID: consortiumID, lastsUntil: lastsUntil, minimum: 300, on: connection)
        var plan: [(institutionCode: String, drugCode: String, fraction: Decimal)] = []
        var usedDrugs = Set<String>()
        var usedMembers = Set<String>()
        for c in candidates where plan.count < 2 && !usedDrugs.contains(c.drugCode) && !usedMembers.contains(c.institutionCode) {
            plan.append((c.institutionCode, c.drugCode, plan.isEmpty ? 1 : Decimal(string: "0.9")!))
            usedDrugs.insert(c.drugCode)
            usedMembers.insert(c.institutionCode)
        }
        var changes = try await demo.dispense(
            consortiumID: consortiumID, plan: plan, lastsUntil: lastsUntil, today: today, count: 30, everyDays: 3,
            on: connection)
        if let reported = candidates.first(where: { !usedDrugs.contains($0.drugCode) }) {
            changes += try await demo.report(
                consortiumID: consortiumID, drugCode: reported.drugCode, reportedOn: today.adding(days: -5),
                notice: "生产企业停产检修，暂停供货（演示数据）", on: connection)
        }
        return changes
    }
}

import Foundation
import Testing

@testable import RxDomain

/// The rules of `reconcile herbs|transfers|catalogues`, pure: classification, money at stake, counts, rendering.
@Suite("Record reconciliation rules")
struct RecordReconciliationRulesTests {
    func d(_ s: String) -> BusinessDate { BusinessDate(s)! }
    /// A period of 100 days; 2026-02-19 is its 50th.
    var start: BusinessDate { d("2026-01-01") }
    var end: BusinessDate { d("2026-04-10") }
    var half: BusinessDate { d("2026-02-19") }

    func herb(committed: Decimal, ordered: Decimal, price: Money? = Money("75.00")!) -> HerbCommitmentFacts {
        HerbCommitmentFacts(
            institutionCode: "YJ-TCMH", drugCode: "T001700001", drugName: "黄芪", committedKg: committed,
            orderedKg: ordered, receivedKg: 0, awardedPrice: price)
    }

    func field(_ e: ReportEntry<some RecordClassification>, _ name: String) -> String? {
        e.fields.first { $0.name == name }?.value
    }

    @Test("herbs: behind pace at half the period, money = shortfall × awarded price; on pace; completed; over commitment")
    func herbPace() {
        let behind = HerbCommitmentReconciliation.classify(
            herb(committed: 300, ordered: 50), periodStart: start, periodEnd: end, asOf: half)
        #expect(behind.classifications == [.behindPace])
        #expect(field(behind, "expectedKg") == "150.000" && field(behind, "shortfallKg") == "100.000")
        #expect(field(behind, "completionPercent") == "16.67" && field(behind, "elapsedPercent") == "50.00")
        #expect(behind.moneyAtStake == Money("7500.00")!)

        let onPace = HerbCommitmentReconciliation.classify(
            herb(committed: 300, ordered: 150), periodStart: start, periodEnd: end, asOf: half)
        #expect(onPace.classifications == [.onPace] && onPace.isInLine && onPace.moneyAtStake == nil)

        let done = HerbCommitmentReconciliation.classify(
            herb(committed: 300, ordered: 300), periodStart: start, periodEnd: end, asOf: end)
        #expect(done.classifications == [.completed] && field(done, "completionPercent") == "100.00")

        let over = HerbCommitmentReconciliation.classify(
            herb(committed: 336, ordered: 350), periodStart: start, periodEnd: end, asOf: half)
        #expect(over.classifications == [.overCommitment] && over.moneyAtStake == Money("1050.00")!)
        #expect(field(over, "overCommitmentKg") == "14.000")

        let none = HerbCommitmentReconciliation.classify(
            herb(committed: 0, ordered: 10), periodStart: start, periodEnd: end, asOf: half)
        #expect(none.classifications == [.overCommitment] && field(none, "completionPercent") == "-")
    }

    @Test("herbs: before the period nothing is expected; after it, all of the commitment; no award, no money")
    func herbPeriodEdges() {
        let early = HerbCommitmentReconciliation.classify(
            herb(committed: 300, ordered: 0), periodStart: start, periodEnd: end,
            asOf: d("2025-12-31"))
        #expect(early.classifications == [.onPace] && field(early, "expectedKg") == "0.000")
        let late = HerbCommitmentReconciliation.classify(
            herb(committed: 300, ordered: 299, price: nil), periodStart: start,
            periodEnd: end, asOf: d("2026-06-01"))
        #expect(late.classifications == [.behindPace] && field(late, "expectedKg") == "300.000")
        #expect(late.moneyAtStake == Money(0))
    }

    @Test("herbs: a rejected lot received is a discrepancy, whether before or after the verdict; at stake: its cost")
    func rejectedBatch() {
        let b = RejectedBatchFacts(
            institutionCode: "YJ-TCMH", drugCode: "T001700009", drugName: "陈皮", lotNumber: "CP-1",
            supplierCode: "MFR-029", inspectedOn: d("2026-02-10"), failures: ["moisture 14 exceeds the limit 13"],
            receivedKg: 20, firstReceivedOn: d("2026-02-01"), lastReceivedOn: d("2026-02-12"), value: Money("1000.004")!)
        let e = HerbCommitmentReconciliation.classify(b)
        #expect(e.classifications == [.rejectedBatchReceived] && e.moneyAtStake == Money("1000.00")!)
        #expect(field(e, "receivedAfterVerdict") == "yes" && field(e, "receivedOn") == "2026-02-01..2026-02-12")
    }

    func approval(
        approved: Decimal = 20, running: Decimal = 9, total: Decimal = 9, shipped: Decimal = 9,
        from: String = "2026-01-01", to: String = "2026-06-30"
    ) -> TransferApprovalFacts {
        TransferApprovalFacts(
            approvalID: 1, kind: "regulator_approval", documentNumber: "吉药监制调1", drugCode: "H-1", drugName: "复方黄芪颗粒",
            supplierCode: "JL-TCMH", receiverCodes: ["SL-TCMH", "YJ-TCMH"], unit: "袋", approved: approved,
            runningShippedTotal: running, shipmentsTotal: total, shipped: shipped, received: 8.5, inTransit: 0,
            shipments: 2, validFrom: d(from), validTo: d(to))
    }

    @Test("transfers: an approval's standing and balance; a running total that is not the shipments' sum")
    func approvals() {
        let asOf = d("2026-05-16")
        let active = TransferApprovalReconciliation.classify(approval(), asOf: asOf)
        #expect(active.classifications == [.active])
        #expect(field(active, "remaining") == "11" && field(active, "received") == "8.5" && field(active, "daysLeft") == "46")
        #expect(TransferApprovalReconciliation.classify(approval(), asOf: d("2025-12-01")).classifications == [.notYetValid])
        let expired = TransferApprovalReconciliation.classify(approval(), asOf: d("2026-07-01"))
        #expect(expired.classifications == [.expired] && field(expired, "daysLeft") == "0")
        #expect(TransferApprovalReconciliation.classify(approval(shipped: 20), asOf: asOf).classifications == [.usedUp])
        let differs = TransferApprovalReconciliation.classify(approval(running: 9, total: 12), asOf: asOf)
        #expect(differs.classifications == [.shippedTotalDiffers] && !differs.isInLine)
    }

    func shipment(
        quantity: Decimal = 2, on: String = "2026-03-01", cumulative: Decimal = 2, registrationTo: String? = "2027-01-01",
        licensed: Bool = true, received: Decimal? = nil, receivedOn: String? = nil
    ) -> TransferShipmentFacts {
        TransferShipmentFacts(
            shipmentID: 5, approvalID: 1, drugCode: "H-1", receiverCode: "YJ-TCMH", lotNumber: "L1", unit: "袋",
            quantity: quantity, shippedOn: d(on), validFrom: d("2026-01-01"), validTo: d("2026-06-30"), approved: 20,
            cumulativeShipped: cumulative, registrationValidTo: registrationTo.map(d), licensed: licensed,
            receivedQuantity: received, receivedOn: receivedOn.map(d))
    }

    @Test("transfers: every way a shipment lies outside its approval, and none for one inside it")
    func shipments() {
        #expect(TransferApprovalReconciliation.classify(shipment(received: 2, receivedOn: "2026-03-02")) == nil)
        #expect(TransferApprovalReconciliation.discrepancies(shipment(on: "2025-12-31")) == [.shippedBeforeValidity])
        #expect(TransferApprovalReconciliation.discrepancies(shipment(on: "2026-07-01")) == [.shippedAfterExpiry])
        let over = TransferApprovalReconciliation.classify(shipment(quantity: 5, cumulative: 23))
        #expect(over?.classifications == [.overApprovedQuantity] && over.flatMap { field($0, "overBy") } == "3")
        #expect(TransferApprovalReconciliation.discrepancies(shipment(registrationTo: "2026-02-01")) == [.registrationLapsed])
        #expect(TransferApprovalReconciliation.discrepancies(shipment(registrationTo: nil)) == [])
        #expect(TransferApprovalReconciliation.discrepancies(shipment(licensed: false)) == [.noValidLicence])
        #expect(
            TransferApprovalReconciliation.discrepancies(shipment(received: 1.5, receivedOn: "2026-03-02")) == [.receiptShort])
        #expect(
            TransferApprovalReconciliation.discrepancies(shipment(received: 3, receivedOn: "2026-02-28")) == [
                .receiptOver, .receivedBeforeShipped,
            ])
    }

    @Test("catalogues: not in the version in effect (or none), or restricted to other levels; in line otherwise")
    func catalogues() {
        func facts(_ item: CatalogueItem?, version: Int? = 2) -> MemberCatalogueItemFacts {
            MemberCatalogueItemFacts(
                institutionCode: "CY-BJL-CHC", level: .primary, drugCode: "X1", drugName: "甲", catalogueVersion: version,
                catalogueItem: item)
        }
        #expect(MemberCatalogueReconciliation.classify(facts(nil))?.classifications == [.notInCatalogue])
        let none = MemberCatalogueReconciliation.classify(facts(nil, version: nil))
        #expect(none.flatMap { field($0, "catalogueVersion") } == "none in effect")
        let restricted = MemberCatalogueReconciliation.classify(
            facts(CatalogueItem(drugCode: "X1", levels: [.tertiary, .secondary])))
        #expect(restricted?.classifications == [.levelNotAllowed])
        #expect(restricted.flatMap { field($0, "allowedLevels") } == "tertiary secondary")
        #expect(MemberCatalogueReconciliation.classify(facts(CatalogueItem(drugCode: "X1", levels: [.primary]))) == nil)
        #expect(MemberCatalogueReconciliation.classify(facts(CatalogueItem(drugCode: "X1"))) == nil)
    }

    @Test("a report: counts, in line, money counted once per entry, exit status, and its three renderings")
    func report() throws {
        let entries = RecordReconciliationReport<HerbCommitmentClassification>.numbered([
            HerbCommitmentReconciliation.classify(
                herb(committed: 300, ordered: 150), periodStart: start, periodEnd: end, asOf: half),
            HerbCommitmentReconciliation.classify(
                herb(committed: 300, ordered: 50), periodStart: start, periodEnd: end, asOf: half),
            HerbCommitmentReconciliation.classify(
                herb(committed: 336, ordered: 350), periodStart: start, periodEnd: end, asOf: half),
        ])
        let r = RecordReconciliationReport(
            kind: "herbs", runID: 7, subject: "round 3", asOf: half, entries: entries, hasMoney: true)
        #expect(entries.map(\.row) == [1, 2, 3])
        #expect(r.inLine == 1 && r.count(.behindPace) == 1 && r.count(.overCommitment) == 1 && r.exitStatus == 1)
        #expect(r.moneyAtStake == Money("8550.00")!)
        #expect(r.counts["lines"] == 3 && r.counts["in_line"] == 1 && r.counts["on_pace"] == 1)

        #expect(RecordReconciliationReport<HerbCommitmentClassification>.displayWidth("黄芪 ab") == 7)
        let table = r.render(.table)
        #expect(table.contains("herbs run 7: round 3, as of 2026-02-19, 3 examined"))
        #expect(table.contains("behind_pace *") && table.contains("8550.00"))
        let csv = r.render(.csv).split(separator: "\n")
        #expect(csv.first == "row,subject,classification,money_at_stake,detail")
        #expect(csv.count == 4 && csv[2].hasPrefix("2,YJ-TCMH T001700001 黄芪,behind_pace,7500.00,committedKg=300.000;"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.render(.json).utf8)) as? [String: Any])
        #expect(json["kind"] as? String == "herbs" && json["runId"] as? Int == 7 && json["inLine"] as? Int == 1)
        #expect(json["moneyAtStake"] as? String == "8550.00")
        let rows = try #require(json["entries"] as? [[String: Any]])
        #expect(rows.count == 3 && rows[1]["classifications"] as? [String] == ["behind_pace"])
        #expect((rows[1]["detail"] as? [String: String])?["shortfallKg"] == "100.000")

        let inLine = RecordReconciliationReport<MemberCatalogueClassification>(
            kind: "catalogues", runID: 8, subject: "consortium JLTCM", asOf: half, lines: 12, entries: [], hasMoney: false)
        #expect(inLine.exitStatus == 0 && inLine.inLine == 12)
        #expect(inLine.render(.csv) == "row,subject,classification,detail\n")
        #expect(!inLine.render(.table).contains("money_at_stake"))
        let noMoney = try #require(try JSONSerialization.jsonObject(with: Data(inLine.render(.json).utf8)) as? [String: Any])
        #expect(noMoney["moneyAtStake"] == nil && (noMoney["entries"] as? [Any])?.isEmpty == true)
    }
}

import Foundation
import Testing

@testable import RxDomain

@Suite("Stock: opening balances and the NHSA export shapes (issue 21)")
struct StockOpeningAndExportTests {
    static func read(
        _ drug: String? = "XJ01", _ lot: String? = "BS2601", _ expiry: String? = "2027-06-30", _ quantity: String? = "120",
        location: String? = nil, cost: String? = nil
    ) -> Result<StockOpeningLine, StockOpeningRules.Refusals> {
        StockOpeningRules.read(
            drugCode: drug, lotNumber: lot, expiryDate: expiry, quantity: quantity, location: location, unitCost: cost)
    }

    static func fields(_ result: Result<StockOpeningLine, StockOpeningRules.Refusals>) -> [String] {
        if case .failure(let refusals) = result { return refusals.errors.map(\.field) }
        return []
    }

    @Test("a good line: the lot as typed with its key, the quantity, the optional location and unit cost")
    func goodLine() throws {
        let line = try Self.read("XJ01", " ｂｓ2601 ", "2027-06-30", "120.5", location: "PHARMACY", cost: "0.4125").get()
        #expect(line.lot.drugCode == "XJ01" && line.lot.lotKey.value == "BS2601")
        #expect(line.lot.expiry == BusinessDate("2027-06-30"))
        #expect(line.quantity == Decimal(string: "120.5") && line.locationCode == "PHARMACY")
        #expect(line.unitCost == Decimal(string: "0.4125"))
        #expect(try Self.read().get().locationCode == nil)
    }

    @Test("every bad field of a line is named at once: drug, lot, expiry date, quantity, location, unit cost")
    func badFields() {
        #expect(Self.fields(Self.read(nil)) == ["drug_code"])
        #expect(Self.fields(Self.read("bad code!")) == ["drug_code"])
        #expect(Self.fields(Self.line(lot: "  ")) == ["lot_number"])
        #expect(Self.fields(Self.line(lot: String(repeating: "A", count: 51))) == ["lot_number"])
        #expect(Self.fields(Self.line(expiry: "2027-02-30")) == ["expiry_date"])
        #expect(Self.fields(Self.line(quantity: "0")) == ["quantity"])
        #expect(Self.fields(Self.line(quantity: "-3")) == ["quantity"])
        #expect(Self.fields(Self.line(quantity: "1.23456")) == ["quantity"])
        #expect(Self.fields(Self.line(location: "pharmacy")) == ["location"])
        #expect(Self.fields(Self.line(cost: "abc")) == ["unit_cost"])
        #expect(
            Self.fields(Self.read(nil, "", "tomorrow", "x", location: "a b", cost: "-1"))
                == ["drug_code", "expiry_date", "lot_number", "quantity", "location", "unit_cost"])
    }

    static func line(
        lot: String? = "BS2601", expiry: String? = "2027-06-30", quantity: String? = "120",
        location: String? = nil, cost: String? = nil
    ) -> Result<StockOpeningLine, StockOpeningRules.Refusals> {
        read("XJ01", lot, expiry, quantity, location: location, cost: cost)
    }

    @Test("an expired lot may be opened: it is real stock, quarantined by its date")
    func expiredLot() throws {
        #expect(try Self.line(expiry: "2020-01-01").get().lot.expiry == BusinessDate("2020-01-01"))
    }

    @Test(
        "what the database knows refuses a line: unknown drug, outside the member's catalogue, unknown location, twice in the file, opened before, another expiry"
    )
    func refusals() {
        let good = StockOpeningLineFacts(
            line: 3, drugCode: "XJ01", lotNumber: "BS2601", locationCode: nil, drugKnown: true, inMemberCatalogue: true,
            unknownLocation: false, earlierLine: nil, alreadyOpened: false, heldExpiry: nil)
        #expect(StockOpeningRules.refusals(good).isEmpty)
        var f = good
        f.drugKnown = false
        f.inMemberCatalogue = false
        #expect(StockOpeningRules.refusals(f) == [FieldError(field: "drug_code", reason: "no drug XJ01")])
        f = good
        f.inMemberCatalogue = false
        #expect(StockOpeningRules.refusals(f).map(\.reason) == ["XJ01 is not in the member's catalogue"])
        f = good
        (f.unknownLocation, f.locationCode, f.earlierLine, f.alreadyOpened, f.heldExpiry) = (
            true, "WARD", 2, true, BusinessDate("2027-01-31")
        )
        #expect(StockOpeningRules.refusals(f).map(\.field) == ["location", "lot_number", "lot_number", "expiry_date"])
    }

    @Test("a line's refusals read in Chinese, field by field")
    func chinese() {
        let text = StockOpeningRules.chinese([
            FieldError(field: "quantity", reason: "must be a positive number with at most four decimals"),
            FieldError(field: "drug_code", reason: "XJ01 is not in the member's catalogue"),
            FieldError(field: "lot_number", reason: "lot BS2601 is already on line 2"),
            FieldError(field: "lot_number", reason: "must not be blank"),
        ])
        #expect(text == "quantity：必须是大于 0、最多四位小数的数；drug_code：XJ01 不在本成员单位的目录中；lot_number：批号 BS2601 已在第 2 行；lot_number：不能为空白")
    }

    @Test("the interfaces' fields: 3501 counts, 3502 changes, 3503 purchases, 3505 sales; --shape names them")
    func interfaces() {
        #expect(NHSAInterface.parse(shape: "all") == [.counts, .changes, .purchases, .sales])
        #expect(NHSAInterface.parse(shape: "sales") == [.sales] && NHSAInterface.parse(shape: "3503") == [.purchases])
        #expect(NHSAInterface.parse(shape: "returns") == nil)
        #expect(NHSAInterface.counts.fields.contains("inv_cnt") && NHSAInterface.counts.fields.contains("invdate"))
        #expect(NHSAInterface.changes.fields.prefix(2) == ["med_list_codg", "inv_chg_type"])
        #expect(NHSAInterface.purchases.fields.contains("purc_retn_cnt") && NHSAInterface.sales.fields.contains("sel_retn_cnt"))
        #expect(NHSAInterface.changes.reasons.map(\.rawValue) == (101...111).map(String.init))
        #expect(!NHSAInterface.changes.reasons.contains(.opening) && !NHSAInterface.changes.reasons.contains(.dispensing))
        #expect(
            NHSAInterface.purchases.reasons == [.purchaseReceipt, .donationIn] && NHSAInterface.sales.reasons == [.dispensing])
    }

    static func movement(_ id: Int64, _ reason: StockMovementReason, _ quantity: Decimal, cost: Decimal? = nil) -> NHSAMovement {
        NHSAMovement(
            id: id, drugCode: "XJ01", drugName: "青霉素", manufacturer: "华北制药", lotNumber: "bs2601", lotKey: "BS2601",
            expiry: BusinessDate("2027-06-30")!, reason: reason, quantity: quantity, unitCost: cost,
            occurredAt: "2026-11-30 09:15:00", actorName: "王药师", documentType: reason == .dispensing ? "dispensing" : "delivery",
            documentID: 7, supplierName: "国药控股吉林", supplierLicence: "吉AA4310001", traceabilityCode: nil)
    }

    static func field(_ interface: NHSAInterface, _ row: [String], _ name: String) -> String {
        row[interface.fields.firstIndex(of: name)!]
    }

    @Test("a known day's records: the count at its end, the 108 as a change and a purchase, the dispensing as a sale")
    func records() {
        let day = BusinessDate("2026-11-30")!
        let balances = [
            NHSALotBalance(
                drugCode: "XJ01", drugName: "青霉素", lotNumber: "bs2601", lotKey: "BS2601",
                expiry: BusinessDate("2027-06-30")!, quantity: Decimal(string: "95.5")!),
            NHSALotBalance(
                drugCode: "XJ02", drugName: "阿莫西林", lotNumber: "A1", lotKey: "A1",
                expiry: BusinessDate("2027-01-31")!, quantity: 0),
        ]
        let moves = [
            Self.movement(1, .opening, 20), Self.movement(2, .purchaseReceipt, 100, cost: Decimal(string: "0.5")),
            Self.movement(3, .dispensing, Decimal(string: "24.5")!, cost: Decimal(string: "0.5")),
        ]
        let counts = NHSAStockExport.records(.counts, balances: balances, movements: moves, to: day)
        #expect(counts.count == 1, "a lot with nothing left is not counted")
        #expect(Self.field(.counts, counts[0], "invdate") == "2026-11-30" && Self.field(.counts, counts[0], "inv_cnt") == "95.50")
        #expect(
            Self.field(.counts, counts[0], "manu_lotnum") == "bs2601"
                && Self.field(.counts, counts[0], "fixmedins_bchno") == "BS2601")
        #expect(
            Self.field(.counts, counts[0], "expy_end") == "2027-06-30"
                && Self.field(.counts, counts[0], "med_list_codg") == "XJ01")
        let changes = NHSAStockExport.records(.changes, balances: balances, movements: moves, to: day)
        #expect(changes.count == 1 && Self.field(.changes, changes[0], "inv_chg_type") == "108")
        #expect(Self.field(.changes, changes[0], "cnt") == "100.0000" && Self.field(.changes, changes[0], "pric") == "0.5000")
        #expect(Self.field(.changes, changes[0], "inv_chg_time") == "2026-11-30 09:15:00")
        #expect(
            Self.field(.changes, changes[0], "inv_chg_opter_name") == "王药师"
                && Self.field(.changes, changes[0], "memo") == "delivery 7")
        let purchases = NHSAStockExport.records(.purchases, balances: balances, movements: moves, to: day)
        #expect(purchases.count == 1 && Self.field(.purchases, purchases[0], "spler_name") == "国药控股吉林")
        #expect(
            Self.field(.purchases, purchases[0], "spler_pmtno") == "吉AA4310001"
                && Self.field(.purchases, purchases[0], "prdr_name") == "华北制药")
        #expect(
            Self.field(.purchases, purchases[0], "purc_retn_cnt") == "100.0000"
                && Self.field(.purchases, purchases[0], "prod_geay_flag") == "0")
        let sales = NHSAStockExport.records(.sales, balances: balances, movements: moves, to: day)
        #expect(sales.count == 1 && Self.field(.sales, sales[0], "sel_retn_cnt") == "24.5000")
        #expect(Self.field(.sales, sales[0], "stoout_no") == "3" && Self.field(.sales, sales[0], "rtal_docno") == "7")
        #expect(Self.field(.sales, sales[0], "psn_name") == "", "the ledger has no patient: left empty")
        #expect(sales[0].count == NHSAInterface.sales.fields.count)
        let csv = NHSAStockExport.csv(.counts, counts)
        #expect(csv.hasPrefix("med_list_codg,fixmedins_hilist_id,fixmedins_hilist_name,rx_flag,invdate,inv_cnt,"))
        #expect(csv.contains("XJ01,XJ01,青霉素,,2026-11-30,95.50,bs2601,BS2601,,2027-06-30,"))
    }

    @Test("the period runs forward: to before from is 422 naming to")
    func period() {
        #expect(throws: DomainError.self) {
            try NHSAStockExport.checkPeriod(from: BusinessDate("2026-12-01")!, to: BusinessDate("2026-11-30")!)
        }
        #expect(throws: Never.self) {
            try NHSAStockExport.checkPeriod(from: BusinessDate("2026-11-30")!, to: BusinessDate("2026-11-30")!)
        }
    }
}

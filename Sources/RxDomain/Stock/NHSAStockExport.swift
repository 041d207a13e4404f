import Foundation

/// The national insurance 进销存 interfaces a member's stock is reported through (`consortiumrx export stock
/// --format nhsa`): 3501 stock counts (商品盘存), 3502 stock changes (商品信息变更), 3503 purchases (商品采购),
/// 3505 sales (商品销售). Field names as the interfaces' input (`data` of each interface); docs/features/stock.md says
/// which ones the ledger fills and which stay empty.
package enum NHSAInterface: String, Sendable, CaseIterable, Codable {
    case counts = "3501"
    case changes = "3502"
    case purchases = "3503"
    case sales = "3505"

    /// `--shape`: counts, changes, purchases, sales.
    package var shape: String {
        switch self {
        case .counts: "counts"
        case .changes: "changes"
        case .purchases: "purchases"
        case .sales: "sales"
        }
    }

    /// The interfaces of a `--shape` value (`all`: every one); nil when it is none of them.
    package static func parse(shape: String) -> [NHSAInterface]? {
        if shape == "all" { return allCases }
        return allCases.first { $0.shape == shape || $0.rawValue == shape }.map { [$0] }
    }

    package var fields: [String] {
        switch self {
        case .counts:
            [
                "med_list_codg", "fixmedins_hilist_id", "fixmedins_hilist_name", "rx_flag", "invdate", "inv_cnt",
                "manu_lotnum", "fixmedins_bchno", "manu_date", "expy_end", "memo",
            ]
        case .changes:
            [
                "med_list_codg", "inv_chg_type", "fixmedins_hilist_id", "fixmedins_hilist_name", "fixmedins_bchno", "pric",
                "cnt", "rx_flag", "inv_chg_time", "inv_chg_opter_name", "memo", "trdn_flag",
            ]
        case .purchases:
            [
                "med_list_codg", "fixmedins_hilist_id", "fixmedins_hilist_name", "dynt_no", "fixmedins_bchno", "spler_name",
                "spler_pmtno", "manu_lotnum", "prdr_name", "aprvno", "manu_date", "expy_end", "finl_trns_pric",
                "purc_retn_cnt", "purc_invo_codg", "purc_invo_no", "rx_flag", "purc_retn_stoin_time",
                "purc_retn_opter_name", "prod_geay_flag", "memo",
            ]
        case .sales:
            [
                "med_list_codg", "fixmedins_hilist_id", "fixmedins_hilist_name", "fixmedins_bchno", "prsc_dr_cert_type",
                "prsc_dr_certno", "prsc_dr_name", "phar_cert_type", "phar_certno", "phar_name", "phar_prac_cert_no",
                "hi_feesetl_type", "setl_id", "mdtrt_sn", "psn_no", "psn_cert_type", "certno", "psn_name", "manu_lotnum",
                "manu_date", "expy_end", "rx_flag", "trdn_flag", "finl_trns_pric", "rxno", "rx_circ_flag", "rtal_docno",
                "stoout_no", "bchno", "drug_trac_codg", "drug_prod_barc", "shelf_posi", "sel_retn_cnt", "sel_retn_time",
                "sel_retn_opter_name", "memo",
            ]
        }
    }

    /// The movement reasons the interface reports: 3502 the national stock-change codes 101–111, 3503 purchase and
    /// donation receipts (108, 110), 3505 dispensing. Opening balances are no change: the 3501 count reports them.
    package var reasons: [StockMovementReason] {
        switch self {
        case .counts: []
        case .changes: StockMovementReason.allCases.filter(\.isNationalCode)
        case .purchases: [.purchaseReceipt, .donationIn]
        case .sales: [.dispensing]
        }
    }
}

/// A lot's stock at a member at the end of a day (3501), summed over its locations.
package struct NHSALotBalance: Sendable, Equatable {
    package var drugCode: String
    package var drugName: String
    package var lotNumber: String
    package var lotKey: String
    package var expiry: BusinessDate
    package var quantity: Decimal

    package init(drugCode: String, drugName: String, lotNumber: String, lotKey: String, expiry: BusinessDate, quantity: Decimal) {
        (self.drugCode, self.drugName, self.lotNumber, self.lotKey, self.expiry, self.quantity) = (
            drugCode, drugName, lotNumber, lotKey, expiry, quantity
        )
    }
}

/// A movement as the exports read it (3502, 3503, 3505).
package struct NHSAMovement: Sendable, Equatable {
    package var id: Int64
    package var drugCode: String
    package var drugName: String
    package var manufacturer: String?
    package var lotNumber: String
    package var lotKey: String
    package var expiry: BusinessDate
    package var reason: StockMovementReason
    package var quantity: Decimal
    package var unitCost: Decimal?
    /// `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai.
    package var occurredAt: String
    package var actorName: String?
    package var documentType: String
    package var documentID: Int64?
    /// The distributor of a delivery (3503 `spler_name`).
    package var supplierName: String?
    /// Its 药品经营许可证 (3503 `spler_pmtno`).
    package var supplierLicence: String?
    /// A traceability code dispensed with the movement (3505 `drug_trac_codg`).
    package var traceabilityCode: String?

    package init(
        id: Int64, drugCode: String, drugName: String, manufacturer: String?, lotNumber: String, lotKey: String,
        expiry: BusinessDate, reason: StockMovementReason, quantity: Decimal, unitCost: Decimal?, occurredAt: String,
        actorName: String?, documentType: String, documentID: Int64?, supplierName: String?, supplierLicence: String? = nil,
        traceabilityCode: String?
    ) {
        (self.id, self.drugCode, self.drugName, self.manufacturer) = (id, drugCode, drugName, manufacturer)
        (self.lotNumber, self.lotKey, self.expiry, self.reason) = (lotNumber, lotKey, expiry, reason)
        (self.quantity, self.unitCost, self.occurredAt, self.actorName) = (quantity, unitCost, occurredAt, actorName)
        (self.documentType, self.documentID, self.supplierName, self.traceabilityCode) = (
            documentType, documentID, supplierName, traceabilityCode
        )
        self.supplierLicence = supplierLicence
    }

    /// The document the movement comes from, for `memo`: `delivery 12`, `opening`.
    var document: String { documentID.map { "\(documentType) \($0)" } ?? documentType }
}

/// The records of the interfaces, each a value per field of `NHSAInterface.fields` ("" where the ledger has
/// nothing). `med_list_codg` and `fixmedins_hilist_id` are the drug's code (the national insurance code where one
/// exists); `fixmedins_bchno` (the institution's own batch number) is the lot's key, so one lot has one batch number
/// in every interface.
package enum NHSAStockExport {
    /// The period asked for: `from` not after `to` (422 naming `to`).
    package static func checkPeriod(from: BusinessDate, to: BusinessDate) throws(DomainError) {
        guard from <= to else { throw .invalid("to", "must not be before from (\(from))") }
    }

    package static func records(
        _ interface: NHSAInterface, balances: [NHSALotBalance], movements: [NHSAMovement], to: BusinessDate
    ) -> [[String]] {
        switch interface {
        case .counts:
            return balances.filter { $0.quantity > 0 }.map { b in
                values(
                    interface,
                    [
                        "med_list_codg": b.drugCode, "fixmedins_hilist_id": b.drugCode, "fixmedins_hilist_name": b.drugName,
                        "invdate": to.description, "inv_cnt": DecimalText.format(b.quantity, places: 2),
                        "manu_lotnum": b.lotNumber, "fixmedins_bchno": b.lotKey, "expy_end": b.expiry.description,
                    ])
            }
        case .changes, .purchases, .sales:
            let reasons = Set(interface.reasons)
            return movements.filter { reasons.contains($0.reason) }.map { record(interface, $0) }
        }
    }

    static func record(_ interface: NHSAInterface, _ m: NHSAMovement) -> [String] {
        var v: [String: String] = [
            "med_list_codg": m.drugCode, "fixmedins_hilist_id": m.drugCode, "fixmedins_hilist_name": m.drugName,
            "fixmedins_bchno": m.lotKey, "manu_lotnum": m.lotNumber, "expy_end": m.expiry.description, "memo": m.document,
        ]
        let quantity = DecimalText.format(m.quantity, places: 4)
        let price = m.unitCost.map { DecimalText.format($0, places: 4) } ?? ""
        let actor = m.actorName ?? ""
        switch interface {
        case .counts:
            break
        case .changes:
            v["inv_chg_type"] = m.reason.rawValue
            v["pric"] = price
            v["cnt"] = quantity
            v["inv_chg_time"] = m.occurredAt
            v["inv_chg_opter_name"] = actor
        case .purchases:
            v["spler_name"] = m.supplierName ?? ""
            v["spler_pmtno"] = m.supplierLicence ?? ""
            v["prdr_name"] = m.manufacturer ?? ""
            v["finl_trns_pric"] = price
            v["purc_retn_cnt"] = quantity
            v["purc_retn_stoin_time"] = m.occurredAt
            v["purc_retn_opter_name"] = actor
            v["prod_geay_flag"] = m.reason == .donationIn ? "1" : "0"
        case .sales:
            v["finl_trns_pric"] = price
            v["rtal_docno"] = m.documentID.map(String.init) ?? ""
            v["stoout_no"] = String(m.id)
            v["drug_trac_codg"] = m.traceabilityCode ?? ""
            v["sel_retn_cnt"] = quantity
            v["sel_retn_time"] = m.occurredAt
            v["sel_retn_opter_name"] = actor
        }
        return values(interface, v)
    }

    static func values(_ interface: NHSAInterface, _ byField: [String: String]) -> [String] {
        interface.fields.map { byField[$0] ?? "" }
    }
}

extension NHSAStockExport {
    /// One interface's records as CSV: a header of its field names, then a line per record.
    package static func csv(_ interface: NHSAInterface, _ rows: [[String]]) -> String {
        var writer = CSVWriter(header: interface.fields)
        for row in rows { writer.append(row) }
        return writer.text
    }

    /// The interfaces' records as one JSON object: the member, the period, and per interface code an array of
    /// objects keyed by field name.
    package static func json(
        institutionCode: String, from: BusinessDate, to: BusinessDate, _ records: [(interface: NHSAInterface, rows: [[String]])]
    ) throws -> Data {
        struct Document: Encodable {
            var institution: String
            var from: String
            var to: String
            var interfaces: [String: [[String: String]]]
        }
        var interfaces: [String: [[String: String]]] = [:]
        for (interface, rows) in records {
            interfaces[interface.rawValue] = rows.map { Dictionary(uniqueKeysWithValues: zip(interface.fields, $0)) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(
            Document(institution: institutionCode, from: from.description, to: to.description, interfaces: interfaces))
    }
}

import Foundation

/// The files the service imports, each with a template to download (导入模板): its columns under their Chinese
/// headers and one example row, as a CSV Excel on Chinese Windows opens. Every import reads a column under its
/// English name or its Chinese header alike (`columnName`), so a template filled in and saved imports as it is.
package enum ImportTemplate: String, CaseIterable, Sendable {
    /// 省级中标价: `import prices`.
    case prices
    /// 中药饮片历史用量: `import herb-usage`.
    case herbUsage = "herb-usage"
    /// 期初库存: `import stock`.
    case stock
    /// 药品编码对照: `crosswalk load`.
    case crosswalk
    /// 配送企业发票明细: `reconcile invoices` and the console's upload.
    case invoices
    /// 短缺药品清单: `import shortage-lists`.
    case shortageLists = "shortage-lists"

    package struct Column: Sendable {
        package let name: String
        package let chinese: String
        package let example: String
    }

    package var columns: [Column] {
        func c(_ name: String, _ chinese: String, _ example: String) -> Column {
            Column(name: name, chinese: chinese, example: example)
        }
        switch self {
        case .prices:
            return [
                c("drug_code", "药品编码", "XJ01CEA010A001010100001"), c("unit_price", "中标价", "8.80"),
                c("price_unit", "计价单位", "package"), c("bid_reference", "中标批次", "吉林省药品集中采购第三批"),
                c("effective_from", "执行日期", "2027/1/1"),
            ]
        case .herbUsage:
            return [
                c("institution_code", "机构编码", "JL-TCMH"), c("drug_code", "药品编码", "T001700001"),
                c("year", "年度", "2025"), c("quantity_kg", "用量（千克）", "1,200.000"),
            ]
        case .stock:
            return [
                c("drug_code", "药品编码", "XJ01CEA010A001010100001"), c("lot_number", "批号", "20261101"),
                c("expiry_date", "有效期至", "2028/10/31"), c("quantity", "数量", "120"),
                c("location", "库位", "MAIN"), c("unit_cost", "单位成本", "8.80"),
            ]
        case .crosswalk:
            return [
                c("code_type", "编码类型", "in_house"), c("code", "编码", "000123"),
                c("specification", "规格", ""), c("drug_code", "药品编码", "XJ01CEA010A001010100001"),
                c("package_factor", "包装换算系数", "1"), c("valid_from", "生效日期", "2027/1/1"),
                c("valid_to", "失效日期", ""), c("source", "来源", "本院HIS"),
            ]
        case .invoices:
            return [
                c("distributor_code", "配送企业编码", "DST-SINOPHARM-JL"), c("invoice_number", "发票号码", "01234567"),
                c("invoice_date", "开票日期", "2026/12/1"),
                c("manufacturer_invoice_number", "生产企业发票号码", "76543210"),
                c("manufacturer_code", "生产企业编码", "MFR-001"),
                c("institution_code", "机构编码", "YJ-TCMH"), c("drug_code", "药品编码", "XJ01CEA010A001010100001"),
                c("lot_number", "批号", "20261101"), c("quantity", "数量", "10"), c("unit_price", "单价", "8.80"),
                c("amount", "金额", "88.00"),
            ]
        case .shortageLists:
            return [
                c("drug_code", "药品编码", "XJ01CEA010A001010100001"), c("list_kind", "清单类别", "national_shortage"),
                c("region", "省份", ""), c("valid_from", "生效日期", "2026/1/1"),
                c("valid_until", "截止日期", ""), c("source", "来源", "国家短缺药品清单（2026年版）"),
            ]
        }
    }

    /// The template's name as a user sees it.
    package var title: String {
        switch self {
        case .prices: "省级中标价导入模板"
        case .herbUsage: "中药饮片历史用量导入模板"
        case .stock: "期初库存导入模板"
        case .crosswalk: "药品编码对照导入模板"
        case .invoices: "配送企业发票明细模板"
        case .shortageLists: "短缺药品清单导入模板"
        }
    }

    /// The template: the Chinese headers and the example row, for Excel.
    package var csv: String {
        var writer = CSVWriter.forExcel(header: columns.map(\.chinese))
        writer.append(columns.map(\.example))
        return writer.text
    }

    /// The English name of a header written in English or Chinese (trimmed); any other header as it is.
    package static func columnName(_ header: String) -> String {
        let name = header.trimmingCharacters(in: .whitespaces)
        return chineseHeaders[name] ?? name
    }

    /// Each Chinese header, once: two imports that share a column share its header.
    static let chineseHeaders: [String: String] = Dictionary(
        allCases.flatMap { $0.columns.map { ($0.chinese, $0.name) } }, uniquingKeysWith: { a, _ in a })
}

import RxDomain
import Testing

/// `SpreadsheetCell`: what Excel does to a CSV's cells, read back or refused.
@Suite("Spreadsheet cells")
struct SpreadsheetCellTests {
    @Test("dates in the shapes Excel writes, year first, and only days that exist")
    func dates() {
        let first = BusinessDate("2026-12-01")
        for text in ["2026/12/1", "2026-12-1", "2026/12/01", "2026-12-01"] {
            #expect(SpreadsheetCell.date(text) == first, "\(text)")
        }
        #expect(SpreadsheetCell.date("2028/2/29") == BusinessDate("2028-02-29"))
        for text in [
            "12/1/2026", "1/12/2026", "2026/13/1", "2026/2/30", "2026/1", "2026.12.1", "20261201", "2026/012/1", "2026/12-1",
            "２026/12/1", "",
        ] {
            #expect(SpreadsheetCell.date(text) == nil, "\(text)")
        }
    }

    @Test("thousands separators are dropped only between groups of three digits")
    func numbers() {
        #expect(SpreadsheetCell.number("1,234.50") == "1234.50")
        #expect(SpreadsheetCell.number("12,345,678") == "12345678")
        #expect(SpreadsheetCell.number("-1,234") == "-1234")
        #expect(SpreadsheetCell.number("1234.5") == "1234.5")
        for text in ["1,23", "1234,567", "1,234,5.6", ",123", "1,234.5,6", "1,2a4", "1,,234"] {
            #expect(SpreadsheetCell.number(text) == nil, "\(text)")
        }
    }

    @Test("a code in scientific notation is refused; other codes are the database's to judge")
    func scientificNotation() {
        for text in ["2.5222E+13", "1E+20", "8.6e19", "2.5E-3"] {
            #expect(SpreadsheetCell.codeDamage(text)?.contains("scientific notation") == true, "\(text)")
        }
        for text in ["E123", "XJ01CEA010A001010100001", "2.5", "12E", "2.5E+", "T001700001", "H-JLTCMH-001"] {
            #expect(SpreadsheetCell.codeDamage(text) == nil, "\(text)")
        }
    }

    @Test("an invoice number of digits has 8 or 20 of them; fewer means Excel dropped its leading zeros")
    func invoiceNumbers() {
        #expect(
            SpreadsheetCell.invoiceNumberDamage("1234567")
                == "'1234567' has 7 digits where an invoice number has 8 or 20: the spreadsheet dropped its leading zeros. Format the column as text and type the numbers again"
        )
        #expect(SpreadsheetCell.invoiceNumberDamage("1234567890123456789") != nil)
        #expect(SpreadsheetCell.invoiceNumberDamage("2.5222E+13")?.contains("scientific notation") == true)
        for text in ["01234567", "12345678", "01234567890123456789", "INV-1", "发票-7", "123456789012345678901"] {
            #expect(SpreadsheetCell.invoiceNumberDamage(text) == nil, "\(text)")
        }
    }

    @Test("the refusals read in Chinese")
    func chinese() {
        #expect(
            ChineseMessages.translate(SpreadsheetCell.invoiceNumberDamage("1234567")!)
                == "“1234567”只有 7 位数字，而发票号码为 8 位或 20 位：表格软件去掉了开头的 0。请把该列设为“文本”格式后重新填写号码")
        #expect(ChineseMessages.translate(SpreadsheetCell.codeDamage("2.5222E+13")!)?.hasPrefix("“2.5222E+13”是科学计数法的数字") == true)
    }
}

import Foundation
import Testing

@testable import RxDomain

/// Reading an invoice file's drug codes through the crosswalk (issue 24): which drug, the conversion into the order
/// lines' unit, unmapped codes with their reason, dated mappings, and the run's key.
@Suite("Crosswalk: reading an invoice file's drug codes")
struct InvoiceCodeReadingTests {
    static let amlodipine = "XC08CAA010D123010100170"
    /// The same product in a box of 28 (the package digits).
    static let amlodipine28 = "XC08CAA010D123010200170"
    static let standard = "86900170001016"
    static let units = [amlodipine: DrugOrderUnit(priceUnit: .package, packageSize: 14)]

    static func mapping(
        _ type: DrugCodeType, _ code: String, factor: Decimal, spec: String? = nil, consortium: Int64? = 1,
        from: String = "2026-01-01", to: String? = nil, drug: String = amlodipine
    ) -> CrosswalkMapping {
        CrosswalkMapping(
            consortiumID: consortium, code: DrugCode(stored: code, type: type), specification: spec, drugCode: drug,
            packageFactor: Quantity(factor), validFrom: BusinessDate(from)!, validTo: to.flatMap(BusinessDate.init),
            source: "test")
    }

    static func read(
        _ text: String, _ mappings: [CrosswalkMapping] = [], type: FileCodeType = .auto, isDrugCode: Bool = false,
        units: [String: DrugOrderUnit] = units
    ) -> InvoiceCodeTranslation {
        InvoiceCodeReading.translate(text, type: type, isDrugCode: isDrugCode, mappings: mappings, orderUnits: units)
    }

    @Test("a drug's own code reads as itself; a mapping that restates its package is the same reading")
    func identity() {
        #expect(Self.read(Self.amlodipine, isDrugCode: true).isIdentity)
        #expect(Self.read(Self.amlodipine, type: .only(.insurance), isDrugCode: true).isIdentity)
        let restated = Self.read(Self.amlodipine, [Self.mapping(.insurance, Self.amlodipine, factor: 14)], isDrugCode: true)
        #expect(restated.isIdentity, "\(restated)")
        // Read as anything but an insurance code, a drug's own code is not itself.
        #expect(!Self.read(Self.amlodipine, type: .only(.platform), isDrugCode: true).isIdentity)
    }

    @Test("two packages of one product: each converted into packages of the order lines; per tablet, to the unit price")
    func packages() throws {
        let box28 = Self.read(Self.amlodipine28, [Self.mapping(.insurance, Self.amlodipine28, factor: 28)])
        let segment = try #require(box28.segments.last)
        #expect(segment.drugCode == Self.amlodipine && segment.numerator / segment.denominator == 2)
        #expect(segment.packageFactor == 28 && segment.from == BusinessDate("2026-01-01") && segment.to == nil)
        // before the mapping begins the code is unmapped
        #expect(box28.segments.first?.drugCode == nil && box28.segments.first?.to == BusinessDate("2026-01-01"))

        let perTablet = Self.read(Self.standard, [Self.mapping(.standard, Self.standard, factor: 1)])
        #expect(perTablet.segments.last?.numerator == 1 && perTablet.segments.last?.denominator == 14)
        // A price per tablet counts tablets: no division by the package.
        let byUnit = Self.read(
            Self.standard, [Self.mapping(.standard, Self.standard, factor: 1)],
            units: [Self.amlodipine: DrugOrderUnit(priceUnit: .unit, packageSize: 14)])
        #expect(byUnit.segments.last?.numerator == 1 && byUnit.segments.last?.denominator == 1)
        // A drug with no unified price cannot be counted: unmapped, saying so.
        let noPrice = Self.read(Self.standard, [Self.mapping(.standard, Self.standard, factor: 1)], units: [:])
        #expect(noPrice.segments.last?.drugCode == nil)
        #expect(noPrice.segments.last?.reason?.contains("no unified price") == true)
    }

    @Test("unmapped codes say why: no mapping of the types tried, not the shape of --code-type, no specification")
    func unmapped() {
        let platform = Self.read("JL-YP-9")
        #expect(platform.segments.count == 1 && platform.segments[0].drugCode == nil)
        #expect(platform.segments[0].reason == "no mapping of this platform or in_house code on this date")
        let wrongShape = Self.read(Self.amlodipine, type: .only(.standard), isDrugCode: true)
        #expect(wrongShape.segments[0].reason?.contains("14 digits") == true, "\(wrongShape)")
        let approval = Self.mapping(.approval, "国药准字H20990170", factor: 1, spec: "5mg")
        #expect(Self.read("国药准字H20990170", [approval]).segments[0].reason?.contains("|规格") == true)
        #expect(Self.read("国药准字H20990170|10mg", [approval]).segments.allSatisfy { $0.drugCode == nil })
        #expect(Self.read("国药准字H20990170|5mg", [approval]).segments.last?.drugCode == Self.amlodipine)
    }

    @Test("the platform's code before the in-house one; the consortium's mapping before the national one")
    func precedence() {
        let inHouse = Self.mapping(.inHouse, "C-1", factor: 14, drug: "XOTHER")
        let platform = Self.mapping(.platform, "C-1", factor: 28)
        let units = Self.units.merging(["XOTHER": DrugOrderUnit(priceUnit: .package, packageSize: 14)]) { a, _ in a }
        #expect(Self.read("C-1", [inHouse, platform], units: units).segments.last?.drugCode == Self.amlodipine)
        #expect(Self.read("C-1", [inHouse, platform], type: .only(.inHouse), units: units).segments.last?.drugCode == "XOTHER")
        let national = Self.mapping(.platform, "C-2", factor: 14, consortium: nil, drug: "XOTHER")
        let own = Self.mapping(.platform, "C-2", factor: 28)
        #expect(Self.read("C-2", [national, own], units: units).segments.last?.drugCode == Self.amlodipine)
    }

    @Test("dated mappings give dated segments; the run's key changes when a reading does")
    func datesAndKey() {
        let first = Self.mapping(.platform, "P-1", factor: 14, to: "2026-07-01")
        let second = Self.mapping(.platform, "P-1", factor: 28, from: "2026-07-01")
        let reading = Self.read("P-1", [first, second])
        #expect(reading.segments.map(\.from) == [nil, BusinessDate("2026-01-01"), BusinessDate("2026-07-01")])
        #expect(reading.segments.map(\.packageFactor) == [nil, 14, 28])

        let identity = Self.read(Self.amlodipine, isDrugCode: true)
        #expect(InvoiceCodeReading.key([identity]) == "")
        let unmapped = InvoiceCodeReading.key([Self.read("P-1")])
        #expect(!unmapped.isEmpty && unmapped != InvoiceCodeReading.key([reading]))
        #expect(InvoiceCodeReading.key([reading, identity]) == InvoiceCodeReading.key([identity, reading]))
    }

    @Test("--code-type reads auto and every type, in-house with a hyphen")
    func codeTypes() {
        #expect(FileCodeType(name: "auto") == .auto)
        #expect(FileCodeType(name: "in-house") == .only(.inHouse))
        #expect(FileCodeType(name: "traceability-prefix") == .only(.traceabilityPrefix))
        #expect(FileCodeType(name: "drug") == nil)
        #expect(FileCodeType.only(.inHouse).description == "in_house")
    }

    @Test("an unmapped line is only that, with the file's code and the reason; a translated one names its factor")
    func classify() {
        let line = InvoiceFileLine(
            lineNumber: 2, distributorCode: "D", invoiceNumber: "I-1", invoiceDate: BusinessDate("2026-11-02")!,
            manufacturerInvoiceNumber: nil, manufacturerCode: nil, institutionCode: "M", drugCode: "JL-YP-9",
            lotNumber: "L", quantity: 10, unitPrice: Money("8.50")!, amount: Money("85.00")!)
        let found = ReconciliationRules.classify(
            line, InvoiceLineFacts(inMemberCatalogue: false, chainProblem: "no manufacturer invoice", unmappedCode: "no mapping"))
        #expect(found.map(\.classification) == [.unmappedCode])
        #expect(found.first?.detail["reason"] == "no mapping" && found.first?.moneyAtStake == Money("85.00")!)

        var translated = line
        translated.drugCode = Self.amlodipine
        translated.fileDrugCode = Self.amlodipine28
        translated.packageFactor = 28
        let judged = ReconciliationRules.classify(translated, InvoiceLineFacts())
        #expect(judged.first?.classification == .noMatchingOrderOrReceipt)
        #expect(judged.first?.detail["fileDrugCode"] == Self.amlodipine28 && judged.first?.detail["packageFactor"] == "28")
    }
}

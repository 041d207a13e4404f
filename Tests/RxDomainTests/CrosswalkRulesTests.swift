import Foundation
import Testing

@testable import RxDomain

@Suite("Crosswalk: drug codes and mappings (issue 24)")
struct CrosswalkRulesTests {
    struct Case: CustomStringConvertible, Sendable {
        var type: DrugCodeType
        var text: String
        /// The code as kept, or nil when refused.
        var kept: String?
        var description: String { "\(type.rawValue) '\(text)'" }
    }

    static let cases: [Case] = [
        // Insurance: X or Z + 22 (the last 9 digits), Z + 19, T + 9 digits; upper-cased, trimmed.
        Case(type: .insurance, text: "XC08CAA010D123010100170", kept: "XC08CAA010D123010100170"),
        Case(type: .insurance, text: " xc08caa010d123010100170 ", kept: "XC08CAA010D123010100170"),
        Case(type: .insurance, text: "ZA21AA02470101000321", kept: "ZA21AA02470101000321"),
        Case(type: .insurance, text: "T001700001", kept: "T001700001"),
        Case(type: .insurance, text: "XC08CAA010D12301010017", kept: nil),  // 22
        Case(type: .insurance, text: "XC08CAA010D1230101001700", kept: nil),  // 24
        Case(type: .insurance, text: "YC08CAA010D123010100170", kept: nil),  // no such category
        Case(type: .insurance, text: "XC08CAA010D1230101A0170", kept: nil),  // enterprise not digits
        Case(type: .insurance, text: "XC08CAA010D12301010017-", kept: nil),
        Case(type: .insurance, text: "T00170000A", kept: nil),
        // 本位码: 14 digits, 869, MOD 11,10 check digit.
        Case(type: .standard, text: "86900017000013", kept: "86900017000013"),
        Case(type: .standard, text: "86900017000021", kept: "86900017000021"),
        Case(type: .standard, text: "86900017000014", kept: nil),  // wrong check digit
        Case(type: .standard, text: "8690001700001", kept: nil),  // 13
        Case(type: .standard, text: "87900017000013", kept: nil),  // not 86
        Case(type: .standard, text: "86800017000013", kept: nil),  // not 9 (drugs)
        Case(type: .standard, text: "8690001700001A", kept: nil),
        // Approval numbers: 国药准字 + letter + 8 digits; spaces dropped, the letter upper-cased.
        Case(type: .approval, text: "国药准字H20051234", kept: "国药准字H20051234"),
        Case(type: .approval, text: "国药准字 z11020001", kept: "国药准字Z11020001"),
        Case(type: .approval, text: "国药准字S20100003", kept: "国药准字S20100003"),
        Case(type: .approval, text: "国药准字J20150088", kept: "国药准字J20150088"),
        Case(type: .approval, text: "国药准字H2005123", kept: nil),  // 7 digits
        Case(type: .approval, text: "国药准字Q20051234", kept: nil),  // no such letter
        Case(type: .approval, text: "H20051234", kept: nil),
        Case(type: .approval, text: "国药准字HH0051234", kept: nil),
        // Traceability prefixes: 7 digits.
        Case(type: .traceabilityPrefix, text: "8100001", kept: "8100001"),
        Case(type: .traceabilityPrefix, text: "810000", kept: nil),
        Case(type: .traceabilityPrefix, text: "81000012", kept: nil),
        Case(type: .traceabilityPrefix, text: "810000A", kept: nil),
        // Platform and in-house: 1 to 40 characters without spaces.
        Case(type: .platform, text: "JL-2026-000123", kept: "JL-2026-000123"),
        Case(type: .platform, text: "", kept: nil),
        Case(type: .platform, text: "A B", kept: nil),
        Case(type: .inHouse, text: "YP０００1", kept: "YP０００1"),
        Case(type: .inHouse, text: String(repeating: "A", count: 40), kept: String(repeating: "A", count: 40)),
        Case(type: .inHouse, text: String(repeating: "A", count: 41), kept: nil),
    ]

    @Test("each code type's shape", arguments: cases)
    func shapes(_ c: Case) {
        do {
            let code = try DrugCode(c.text, type: c.type, field: "code")
            #expect(code.value == c.kept, "\(c)")
            #expect(code.type == c.type)
        } catch {
            #expect(c.kept == nil, "\(c) refused: \(error)")
            #expect(error.fieldErrors.map(\.field) == ["code"])
        }
    }

    @Test("the 本位码 check digit is ISO/IEC 7064 MOD 11,10 (the standard's example 0794 → 5)")
    func checkDigit() {
        #expect(DrugCode.standardCheckDigit("0794") == "5")
        #expect(DrugCode.standardCheckDigit("8690001700001") == "3")
        #expect(DrugCode.standardCheckDigit("8690001700002") == "1")
        // Every single-digit slip of a valid code is caught.
        let valid = Array("86900017000013")
        for i in 0..<13 {
            for d in "0123456789" where d != valid[i] {
                var slipped = valid
                slipped[i] = d
                #expect(DrugCode.standardCheckDigit(String(slipped[0..<13])) != "3", "\(String(slipped))")
            }
        }
        let refusal = #expect(throws: DomainError.self) {
            try DrugCode("86900017000014", type: .standard, field: "rows[3].code")
        }
        #expect(refusal?.fieldErrors.first?.field == "rows[3].code")
        #expect(refusal?.message.contains("expected 3") == true)
    }

    @Test("an insurance code's parts, decoded as RULES.md lays them out")
    func insuranceParts() throws {
        let code = try DrugCode("XC08CAA010D123010100170", type: .insurance, field: "code")
        #expect(
            code.insuranceParts
                == InsuranceCodeParts(
                    category: "X", classification: "C08CA", genericName: "A010", dosageForm: "D123", specification: "01",
                    package: "01", enterprise: "00170"))
        #expect(try DrugCode("ZA21AA02470101000321", type: .insurance, field: "code").insuranceParts?.category == "Z")
        #expect(try DrugCode("86900017000013", type: .standard, field: "code").insuranceParts == nil)
    }

    @Test(
        "auto recognises the type by shape; platform and in-house codes have none",
        arguments: [
            ("XC08CAA010D123010100170", DrugCodeType?.some(.insurance)),
            ("86900017000013", .standard),
            ("国药准字H20051234", .approval),
            ("8100001", .traceabilityPrefix),
            ("86900017000014", nil),  // a 本位码 with a wrong check digit is no 本位码
            ("JL-2026-000123", nil),
            ("YP0001", nil),
        ])
    func auto(_ text: String, _ type: DrugCodeType?) throws {
        #expect(DrugCodeRecognition.recognise(text)?.type == type)
        let candidates = try DrugCodeRecognition.candidates(text, type: nil, field: "drugCode")
        #expect(candidates.map(\.type) == (type.map { [$0] } ?? [.platform, .inHouse]))
    }

    @Test("a given --code-type refuses a code of another shape, naming the field")
    func givenType() {
        let refusal = #expect(throws: DomainError.self) {
            try DrugCodeRecognition.candidates("XC08CAA010D123010100170", type: .standard, field: "line 4: drugCode")
        }
        #expect(refusal?.fieldErrors.map(\.field) == ["line 4: drugCode"])
        #expect(DrugCodeType(name: "in-house") == .inHouse && DrugCodeType(name: "IN_HOUSE") == .inHouse)
        #expect(DrugCodeType(name: "auto") == nil)
    }

    func input(
        type: String = "standard", code: String = "86900017000013", spec: String? = nil, drug: String = "D1",
        factor: String = "28", from: String = "2026-01-01", to: String? = nil, source: String = "test"
    ) -> CrosswalkMappingInput {
        CrosswalkMappingInput(
            codeType: type, code: code, specification: spec, drugCode: drug, packageFactor: factor, validFrom: from,
            validTo: to, source: source)
    }

    func refused(_ input: CrosswalkMappingInput, drugExists: Bool = true) -> [String] {
        do {
            _ = try CrosswalkRules.validate(input, consortiumID: 1, drugExists: drugExists)
            return []
        } catch {
            return error.fieldErrors.map(\.field)
        }
    }

    @Test("a mapping's checks, each naming its field")
    func mappingChecks() throws {
        let mapping = try CrosswalkRules.validate(input(factor: "0.5", to: "2026-12-31"), consortiumID: 1, drugExists: true)
        #expect(mapping.packageFactor == Quantity("0.5")! && mapping.validTo == BusinessDate("2027-01-01"))
        #expect(mapping.lastDay == BusinessDate("2026-12-31"))
        #expect(refused(input(to: "2026-01-01")) == [])  // one day
        #expect(refused(input()) == [])
        #expect(refused(input(type: "auto")) == ["codeType"])
        #expect(refused(input(code: "123")) == ["code"])
        #expect(refused(input(), drugExists: false) == ["drugCode"])
        #expect(refused(input(drug: " ")) == ["drugCode"])
        #expect(refused(input(factor: "0")) == ["packageFactor"])
        #expect(refused(input(factor: "-1")) == ["packageFactor"])
        #expect(refused(input(factor: "1.5e3")) == ["packageFactor"])
        #expect(refused(input(factor: "2000000")) == ["packageFactor"])
        #expect(refused(input(from: "2026-02-30")) == ["validFrom"])
        #expect(refused(input(from: "1999-12-31")) == ["validFrom"])
        #expect(refused(input(to: "2025-12-31")) == ["validTo"])
        #expect(refused(input(source: "")) == ["source"])
        #expect(refused(input(spec: "5mg")) == ["specification"])
        #expect(refused(input(type: "approval", code: "国药准字H20051234")) == ["specification"])
        #expect(refused(input(type: "approval", code: "国药准字H20051234", spec: "5mg")) == [])
        // Every broken rule at once.
        #expect(
            refused(input(code: "1", factor: "0", source: ""), drugExists: false) == [
                "code", "drugCode", "packageFactor", "source",
            ])
    }

    @Test("one 本位码, two package sizes: the 本位码 counts the drug's unit, each package's insurance code its box")
    func conversion() throws {
        // A 本位码 names the product and specification, not the package: its mapping counts tablets (factor 1); the
        // insurance codes of the box of 14 and of 28 count boxes.
        let standard = try CrosswalkRules.validate(input(factor: "1"), consortiumID: 1, drugExists: true)
        let box14 = try CrosswalkRules.validate(
            input(type: "insurance", code: "XC08CAA010D123010100170", factor: "14"), consortiumID: 1, drugExists: true)
        let box28 = try CrosswalkRules.validate(
            input(type: "insurance", code: "XC08CAA010D123010200170", factor: "28"), consortiumID: 1, drugExists: true)
        #expect(Set([standard.drugCode, box14.drugCode, box28.drugCode]).count == 1)
        #expect(standard.toDrugUnit(Quantity("84")!) == Quantity("84")!)
        #expect(box14.toDrugUnit(Quantity("3")!) == Quantity("42")!)
        #expect(box28.toDrugUnit(Quantity("2.5")!) == Quantity("70")!)
        // Summed in the drug's unit, never in boxes of different sizes.
        let total = [box14.toDrugUnit(Quantity("3")!), box28.toDrugUnit(Quantity("3")!)].reduce(Quantity.zero, +)
        #expect(total == Quantity("126")!)
    }

    @Test("which mapping a code finds on a date: the consortium's own before the national, none outside validity")
    func resolution() throws {
        let national = try CrosswalkRules.validate(input(factor: "10"), consortiumID: nil, drugExists: true)
        var own = try CrosswalkRules.validate(
            input(factor: "28", from: "2026-06-01", to: "2026-06-30"), consortiumID: 1, drugExists: true)
        own.id = 7
        let day = { (text: String) in BusinessDate(text)! }
        #expect(CrosswalkRules.resolve([national, own], on: day("2026-06-15"))?.packageFactor == Quantity("28"))
        #expect(CrosswalkRules.resolve([national, own], on: day("2026-07-01"))?.packageFactor == Quantity("10"))
        #expect(CrosswalkRules.resolve([own], on: day("2026-05-31")) == nil)
        #expect(CrosswalkRules.resolve([own], on: day("2026-06-30")) != nil)
        #expect(CrosswalkRules.resolve([], on: day("2026-06-30")) == nil)
    }

    @Test("ending a mapping: after its start, never reopening it")
    func ending() throws {
        let open = try CrosswalkRules.validate(input(), consortiumID: 1, drugExists: true)
        let day = { (text: String) in BusinessDate(text)! }
        #expect(try CrosswalkRules.end(open, lastDay: day("2026-02-28")).validTo == day("2026-03-01"))
        #expect(try CrosswalkRules.end(open, lastDay: day("2026-01-01")).lastDay == day("2026-01-01"))
        #expect(throws: DomainError.self) { try CrosswalkRules.end(open, lastDay: day("2025-12-31")) }
        let ended = try CrosswalkRules.end(open, lastDay: day("2026-02-28"))
        #expect(try CrosswalkRules.end(ended, lastDay: day("2026-01-31")).validTo == day("2026-02-01"))
        #expect(try CrosswalkRules.end(ended, lastDay: day("2026-02-28")).validTo == day("2026-03-01"))
        #expect(throws: DomainError.conflict("the mapping already ends on 2026-02-28; a later end would reopen it")) {
            try CrosswalkRules.end(ended, lastDay: day("2026-04-01"))
        }
    }

    @Test("a file: every bad line named with its field, lines overlapping each other refused, nothing kept")
    func file() {
        let lines: [(line: Int, input: CrosswalkMappingInput)] = [
            (2, input(factor: "28")),
            (3, input(code: "86900017000021", factor: "7")),
            (4, input(code: "86900017000014")),  // check digit
            (5, input(factor: "28", from: "2026-03-01")),  // overlaps line 2
            (6, input(factor: "28", from: "2025-01-01", to: "2025-12-31")),  // before line 2: fine
            (7, input(drug: "NOPE")),
        ]
        let result = CrosswalkRules.checkFile(lines, consortiumID: 1, knownDrugs: ["D1"])
        #expect(result.mappings.isEmpty)
        #expect(result.refusals.map(\.line) == [4, 5, 7])
        #expect(result.refusals.map(\.field) == ["code", "validFrom", "drugCode"])
        #expect(result.refusals[1].reason == "the code is already mapped on these dates by line 2")
        let good = CrosswalkRules.checkFile(Array(lines[0..<2]) + [lines[4]], consortiumID: nil, knownDrugs: ["D1"])
        #expect(good.refusals.isEmpty && good.mappings.map(\.line) == [2, 3, 6])
        #expect(good.mappings.allSatisfy { $0.mapping.consortiumID == nil })
    }

    @Test("a refusal for a mapping already kept names it and its dates")
    func existingOverlap() throws {
        var kept = try CrosswalkRules.validate(input(to: "2026-06-30"), consortiumID: 1, drugExists: true)
        kept.id = 12
        #expect(
            CrosswalkRules.overlapRefusal(existing: kept).reason
                == "the code is already mapped by mapping 12 from 2026-01-01 to 2026-06-30")
        kept.validTo = nil
        #expect(
            ChineseMessages.translate(CrosswalkRules.overlapRefusal(existing: kept).reason)
                == "该编码已有对照 12，自 2026-01-01 起，未设截止日期")
    }

    @Test("every crosswalk refusal has its Chinese")
    func chinese() {
        #expect(ChineseMessages.translate("'86900017000014' has the check digit 4, expected 3") == "“86900017000014”的校验码为 4，应为 3")
        #expect(ChineseMessages.translateFieldMessage("packageFactor: must be positive") == "packageFactor：必须大于 0")
    }
}

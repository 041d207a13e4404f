import Foundation
import Testing

@testable import RxDomain

@Suite("Drug traceability codes (药品追溯码, issue 21)")
struct StockTraceabilityTests: RuleRefusals {
    let prefixes = ["8100001": "XA01", "8100002": "XB02"]

    @Test("a code is 20 digits; its first 7 are the product prefix")
    func parsing() throws {
        let code = try TraceabilityCode(parsing: " 81000011234567890123 ", field: "code")
        #expect(code.value == "81000011234567890123" && code.prefix == "8100001")
        for bad in ["8100001123456789012", "810000112345678901234", "8100001123456789012X", "８１０００011234567890123", ""] {
            #expect(field { _ = try TraceabilityCode(parsing: bad, field: "code") } == "code", "\(bad)")
        }
    }

    @Test("every code maps through the prefix table to the drug; unknown, foreign, malformed and repeated codes named")
    func validation() throws {
        let good = try TraceabilityRules.validate(
            ["81000011234567890123", "81000011234567890124"], drugCode: "XA01", prefixes: prefixes)
        #expect(good.map(\.value) == ["81000011234567890123", "81000011234567890124"])
        let refused = refusal {
            _ = try TraceabilityRules.validate(
                ["81000011234567890123", "123", "99999991234567890123", "81000021234567890123", "81000011234567890123"],
                drugCode: "XA01", prefixes: prefixes)
        }
        #expect(
            refused?.fieldErrors.map(\.field) == [
                "traceabilityCodes[1]", "traceabilityCodes[2]", "traceabilityCodes[3]", "traceabilityCodes[4]",
            ])
        #expect(
            refused?.fieldErrors.map(\.reason) == [
                "'123' is not a traceability code of 20 digits", "the product prefix 9999999 maps to no drug",
                "the product prefix 8100002 is XB02, not XA01", "81000011234567890123 is given twice",
            ])
        #expect(try TraceabilityRules.validate([], drugCode: "XA01", prefixes: prefixes).isEmpty)
    }

    @Test("decoction pieces, formula granules, hospital preparations, split packages and bulk injections are exempt")
    func exemptions() {
        func exempt(_ category: DrugCategory, granule: Bool = false, split: Bool = false, bulk: Bool = false)
            -> TraceabilityExemption?
        {
            TraceabilityRules.exemption(category: category, formulaGranule: granule, splitPackage: split, bulkInjection: bulk)
        }
        #expect(exempt(.decoctionPiece) == .decoctionPiece)
        #expect(exempt(.hospitalPreparation) == .hospitalPreparation)
        #expect(exempt(.chinesePatent, granule: true) == .formulaGranule)
        #expect(exempt(.western, split: true) == .splitPackage)
        #expect(exempt(.western, bulk: true) == .bulkInjection)
        #expect(exempt(.western) == nil && exempt(.chinesePatent) == nil)
        #expect(TraceabilityExemption.allCases.count == 5)
    }

    @Test("a receipt's codes enter the consortium once: one received before is 409 naming it and where it came in")
    func firstReceipt() throws {
        let codes = try ["81234500000000000001", "81234500000000000002"].map {
            try TraceabilityCode(parsing: $0, field: "c")
        }
        try TraceabilityRules.checkFirstReceipt(codes, receivedAt: [:])
        guard
            case .conflict(let message) = refusal({
                try TraceabilityRules.checkFirstReceipt(codes, receivedAt: ["81234500000000000002": "YJ-TCMH"])
            })
        else { Issue.record("a code received before is not a 409"); return }
        #expect(message.contains("traceabilityCodes[1]") && message.contains("YJ-TCMH"), "\(message)")
        #expect(!message.contains("traceabilityCodes[0]"))
    }

    @Test("a code dispensed before is flagged as flowing back (回流药), not refused")
    func doubleDispensing() throws {
        #expect(!TraceabilityRules.isReflow(previousDispensings: 0))
        #expect(TraceabilityRules.isReflow(previousDispensings: 1))
        let codes = try TraceabilityRules.validate(
            ["81000011234567890123", "81000011234567890124"], drugCode: "XA01", prefixes: prefixes)
        #expect(
            TraceabilityRules.reflowCodes(codes, dispensedBefore: ["81000011234567890124", "81000021111111111111"]).map(\.value)
                == ["81000011234567890124"])
        #expect(TraceabilityRules.reflowCodes(codes, dispensedBefore: []).isEmpty)
    }
}

@Suite("Every message the stock rules raise has its Chinese (issue 21)")
struct StockMessagesTests {
    @Test("the messages of Sources/RxDomain/Stock are in the catalogue")
    func stockMessages() throws {
        let (files, messages, missing) = try SourceMessages.coverage(of: "RxDomain/Stock")
        #expect(files >= 5)
        #expect(messages.count > 20, "the scan found only \(messages.count) messages")
        #expect(missing.isEmpty, "no Chinese for:\n\(missing.joined(separator: "\n"))")
        #expect(
            ChineseMessages.translateFieldMessage("quantity: 6 is more than the 5 that may be issued") == "quantity：6 超过可发的 5")
        #expect(
            ChineseMessages.translate(
                "lot EXP expired on 2026-11-30 and is quarantined and leaves only destroyed (105) or returned (109)")
                == "批号 EXP 已于 2026-11-30 过期，已隔离，只能销毁（105）或退货（109）出库")
    }
}

import Foundation
import Testing

@testable import RxDomain

@Suite("Every message the shortage rules raise has its Chinese (issue 22)")
struct ShortageMessagesTests {
    @Test("the messages of Sources/RxDomain/Shortages are in the catalogue")
    func shortageMessages() throws {
        let (files, messages, missing) = try SourceMessages.coverage(of: "RxDomain/Shortages")
        #expect(files >= 6)
        #expect(messages.count > 15, "the scan found only \(messages.count) messages")
        #expect(missing.isEmpty, "no Chinese for:\n\(missing.joined(separator: "\n"))")
        #expect(
            ChineseMessages.translate(
                "the action is refused: substituteDrugCode: a substitution names the substitute; signOff: a substitute is signed off by a pharmacist"
            )
                == "应对措施被拒绝：substituteDrugCode：替代须写明替代药品；signOff：替代药品须经药师签字确认")
        #expect(ChineseMessages.translate("a shortage of XAML is already open (5)") == "药品 XAML 已有未关闭的短缺记录（5）")
        #expect(ChineseMessages.translate("a shortage that is closed cannot be acted on") == "状态为 closed 的短缺记录不能执行该操作（acted on）")
    }
}

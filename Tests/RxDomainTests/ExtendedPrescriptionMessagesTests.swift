import Foundation
import Testing

@testable import RxDomain

@Suite("Extended prescriptions: every message raised has its Chinese")
struct ExtendedPrescriptionMessagesTests {
    @Test("every message of Sources/RxDomain/ExtendedPrescription is in the Chinese catalogue")
    func everyMessageIsTranslated() throws {
        let (files, messages, missing) = try SourceMessages.coverage(of: "RxDomain/ExtendedPrescription")
        #expect(files == 4)
        #expect(messages.count > 20, "the scan found only \(messages.count) messages")
        #expect(missing.isEmpty, "no Chinese for:\n\(missing.joined(separator: "\n"))")
    }

    @Test("a refusal of a move reads in Chinese, its values kept")
    func translated() {
        #expect(
            ChineseMessages.translate("extended prescription 7 is collected; it cannot be cancelled")
                == "延伸处方 7 的状态为 collected，不能执行该操作（cancelled）")
        #expect(
            ChineseMessages.translate("2027-03-01 is more than 3 days before today (2027-03-10)")
                == "2027-03-01 早于今天（2027-03-10）超过 3 天")
    }
}

import Foundation
import Testing

@testable import RxDomain

@Suite("Extended prescriptions: every message raised has its Chinese")
struct ExtendedPrescriptionMessagesTests {
    @Test("every message of Sources/RxDomain/ExtendedPrescription is in the Chinese catalogue")
    func everyMessageIsTranslated() throws {
        let folder = SourceMessages.sources.appendingPathComponent("RxDomain/ExtendedPrescription")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
        #expect(files.count == 4)
        var messages: [String] = []
        for file in files { messages += SourceMessages.scan(try String(contentsOf: file, encoding: .utf8)) }
        #expect(messages.count > 20, "the scan found only \(messages.count) messages")
        let missing = messages.filter { !SourceMessages.isTranslated($0) }
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

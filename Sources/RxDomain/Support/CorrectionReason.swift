import Foundation

/// Why a user corrects what they typed before it takes effect (issue 18, point 13): required, kept with the change
/// and in the audit trail.
package enum CorrectionReason {
    /// The longest reason kept.
    package static let maximumLength = 1000

    /// The reason, trimmed; 422 naming `field` when it is missing, blank or too long.
    package static func require(_ reason: String?, field: String = "reason") throws(DomainError) -> String {
        let trimmed = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid(field, "is required: say why the change is made") }
        guard trimmed.count <= maximumLength else { throw .invalid(field, "is longer than \(maximumLength) characters") }
        return trimmed
    }
}

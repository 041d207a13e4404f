import Foundation

/// Optimistic concurrency for drafts and lists: a change names the ETag it read, so two people editing at once
/// never overwrite each other silently.
package enum ETag {
    /// Passes when `ifMatch` names the current ETag (or `*`); none is 428, a stale one 412.
    package static func check(_ ifMatch: String?, current: String) throws(DomainError) {
        guard let ifMatch else {
            throw .preconditionRequired("send If-Match with the ETag you read (\(current) now)")
        }
        let tags = ifMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard tags.contains(current) || tags.contains("*") else {
            throw .preconditionFailed("it changed since you read it: its ETag is \(current) now")
        }
    }
}

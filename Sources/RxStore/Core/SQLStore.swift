import Logging

/// What every store shares: the database, its logger, and the audit trail it writes changes to.
protocol SQLStore: Sendable {
    var database: Database { get }
}

extension SQLStore {
    var logger: Logger { database.logger }
    var audit: AuditLog { database.audit }
}

extension Database {
    /// The audit trail, written inside the transaction that makes each change.
    package var audit: AuditLog { AuditLog(logger: logger) }
}

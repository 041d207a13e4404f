import Foundation
import Logging
import PostgresNIO
import RxDomain
import Synchronization

/// Everything the long-prescription check needs that does not depend on the patient: the rules and national
/// limits in force, the members with their levels and catalogues, the prescribers and the drugs. Built for one
/// consortium and one business date.
public struct LongPrescriptionContext: Sendable {
    public var consortiumID: Int64
    public var date: BusinessDate
    public var rules: LongPrescriptionRuleSet?
    public var national: LongPrescriptionRules.National
    public var institutions: [String: (id: Int64, level: InstitutionLevel)]
    public var prescribers: [String: (institutionID: Int64, title: PrescriberTitle, level: InstitutionLevel)]
    /// Each member's catalogue in effect (its own list, or the consortium's as its level allows).
    public var catalogues: [Int64: Set<String>]
    public var drugs: [String: Drug]

    static func load(consortiumID: Int64, on date: BusinessDate, database: Database, connection: PostgresConnection) async throws -> LongPrescriptionContext {
        let logger = database.logger
        let store = LongPrescriptionStore(database: database)
        let rules = try await store.ruleSet(consortiumID: consortiumID, on: date, connection: connection)
        let national = try await store.national(consortiumID: consortiumID, on: date, connection: connection)
        var institutions: [String: (id: Int64, level: InstitutionLevel)] = [:]
        var catalogues: [Int64: Set<String>] = [:]
        let members = MemberCatalogueStore(database: database)
        let all = try await InstitutionStore(database: database).list(consortiumID: consortiumID, connection: connection)
        for institution in all {
            institutions[institution.code] = (institution.id, institution.level)
            catalogues[institution.id] = Set(try await members.get(institution: institution, on: date, connection: connection).drugs.map(\.code))
        }
        var prescribers: [String: (institutionID: Int64, title: PrescriberTitle, level: InstitutionLevel)] = [:]
        for row in try await connection.rows(
            """
            SELECT p.pseudonym, p.institution_id, p.title, i.level FROM prescribers p JOIN institutions i ON i.id = p.institution_id
            WHERE p.consortium_id = \(consortiumID)
            """, as: (String, Int64, String, String).self, logger: logger)
        {
            prescribers[row.0] = (row.1, try decodeEnum(row.2), try decodeEnum(row.3))
        }
        let codes = Array(catalogues.values.reduce(into: Set<String>()) { $0.formUnion($1) })
        let drugs = Dictionary(
            try await DrugStore(database: database).find(codes: codes, on: connection).map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        return LongPrescriptionContext(
            consortiumID: consortiumID, date: date, rules: rules, national: national, institutions: institutions,
            prescribers: prescribers, catalogues: catalogues, drugs: drugs)
    }
}

/// Contexts per consortium, kept until anything they hold changes (LISTEN crx_changes, fed by triggers; see
/// sql/008) or the business date turns. A server that misses a notification still refreshes every `lifetime`.
public final class LongPrescriptionContextCache: Sendable {
    /// A load in flight or done: concurrent checks of a cold consortium wait for one load, not one each.
    struct Entry { var load: Task<LongPrescriptionContext, any Error>; var date: BusinessDate; var startedAt: ContinuousClock.Instant }
    private let entries = Mutex<[Int64: Entry]>([:])
    let lifetime: Duration

    public init(lifetime: Duration = .seconds(60)) { self.lifetime = lifetime }

    public func context(consortiumID: Int64, on date: BusinessDate, database: Database) async throws -> LongPrescriptionContext {
        let now = ContinuousClock.now
        let load = entries.withLock { entries in
            if let entry = entries[consortiumID], entry.date == date, now - entry.startedAt < lifetime { return entry.load }
            let load = Task {
                try await database.read { connection in
                    try await LongPrescriptionContext.load(consortiumID: consortiumID, on: date, database: database, connection: connection)
                }
            }
            entries[consortiumID] = Entry(load: load, date: date, startedAt: now)
            return load
        }
        do {
            return try await load.value
        } catch {
            entries.withLock { entries in
                if entries[consortiumID]?.load == load { entries[consortiumID] = nil }
            }
            throw error
        }
    }

    public func invalidateAll() { entries.withLock { $0.removeAll() } }
}

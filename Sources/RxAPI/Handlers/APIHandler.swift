internal import Foundation
import Logging
import NIOCore
internal import OpenAPIRuntime
import RxDomain
import RxStore
import RxUseCases

/// Implements the contract's operations by calling the domain and the stores. Handlers stay thin:
/// read the input, check who may, call the store, map the result.
struct APIHandler: APIProtocol {
    let database: Database
    let consortia: ConsortiumUseCases
    let institutions: InstitutionUseCases
    let suppliers: SupplierUseCases
    let drugs: DrugUseCases
    let audit: AuditLog
    let longPrescriptionContexts: LongPrescriptionContextCache
    let longPrescriptions: LongPrescriptionUseCases
    let patientLinks: PatientLinkUseCases
    let extendedPrescriptions: ExtendedPrescriptionUseCases
    let clock: BusinessClock
    /// What a kept page's entry costs besides its buffer: the key, the stamp, the buffer's header and the map's slot,
    /// rounded up, so that many small pages (short or empty ones) are bounded by the budget as large ones are.
    static let keptPageOverhead = 256
    /// The catalogue in effect as this server wrote it last, by consortium (`catalogueInEffectToday`).
    let catalogueAnswers = CatalogueInEffectAnswers()
    /// A member's orders page and the open shortages as JSON, shared by the same page's reads under load
    /// (`memberOrdersJSON`, `openShortagesJSON`).
    let orderPages: ReadSharing<MemberOrdersPage, Stamped<ByteBuffer>>
    /// A member's orders pages as this server wrote them, each with the member's orders' stamp it was read at; what a
    /// page costs of the budget is its buffer's storage, not only its JSON, and its entry (`keptPageOverhead`).
    let keptOrderPages: KeptAnswers<MemberOrdersPage, ByteBuffer>
    let shortagePages: ReadSharing<OpenShortagesPage, ByteBuffer>

    /// The business date of this request (`AppConfiguration.clock`).
    var today: BusinessDate { clock.today() }

    /// `keptPagesBudget`: bytes of orders pages kept (`AppConfiguration.keptPagesBudget`).
    init(
        database: Database, longPrescriptionContexts: LongPrescriptionContextCache = .init(), clock: BusinessClock = .system,
        keptPagesBudget: Int = 64 << 20
    ) {
        self.longPrescriptionContexts = longPrescriptionContexts
        self.clock = clock
        self.database = database
        self.consortia = ConsortiumUseCases(database: database)
        self.institutions = InstitutionUseCases(database: database)
        self.suppliers = SupplierUseCases(database: database)
        self.drugs = DrugUseCases(database: database, sharedLookups: true)
        self.longPrescriptions = LongPrescriptionUseCases(database: database, sharedReads: true)
        self.patientLinks = PatientLinkUseCases(database: database)
        self.extendedPrescriptions = ExtendedPrescriptionUseCases(database: database)
        self.audit = AuditLog(logger: database.logger)
        self.orderPages = ReadSharing(name: "member-orders-page", health: database.readHealth)
        self.keptOrderPages = KeptAnswers(name: "member-orders-page", budget: keptPagesBudget) {
            $0.capacity + Self.keptPageOverhead
        }
        self.shortagePages = ReadSharing(name: "open-shortages-page", health: database.readHealth)
    }

    /// The consortium by code, visible only to tokens of that consortium (others get 404, learning nothing).
    func visibleConsortium(_ code: String, for principal: Principal) async throws -> Consortium {
        guard code == principal.consortiumCode else { throw DomainError.notFound("no consortium \(code)") }
        return try visible(try await consortia.find(code: code), code: code, for: principal)
    }

    /// A member visible to the token, with its consortium (the supply centre is its lead), for the reads of a
    /// member's stock, orders and shortages. Both read in one query, checked as `visibleInstitution` then
    /// `visibleConsortium` check them.
    func memberScope(_ code: String, for principal: Principal) async throws -> (Institution, Consortium) {
        let found = try await institutions.findWithConsortium(code: code, for: principal)
        let institution = try visible(found?.institution, code: code, for: principal)
        return (institution, try visible(found?.consortium, code: institution.consortiumCode, for: principal))
    }

    /// `visibleConsortium`'s check of a consortium already read.
    func visible(_ consortium: Consortium?, code: String, for principal: Principal) throws -> Consortium {
        guard code == principal.consortiumCode, let consortium, principal.may(.readConsortium(consortiumID: consortium.id))
        else { throw DomainError.notFound("no consortium \(code)") }
        return consortium
    }

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    /// Ready when the database answers and no shared read (a `ReadCoalescer`, or the long-prescription context
    /// load) has been stuck for well past the lease timeout: its callers could not be served.
    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        func unavailable(_ detail: String) -> Operations.GetReadiness.Output {
            .serviceUnavailable(
                .init(
                    headers: .init(retryAfter: 2),
                    body: .applicationProblemJson(
                        .init(
                            _type: "https://consortiumrx.example/problems/unavailable", title: "Service Unavailable",
                            status: 503, detail: detail))))
        }
        let stuck = database.readHealth.stuck(longerThan: database.leaseTimeout + .seconds(5))
        guard stuck.isEmpty else { return unavailable("shared reads are stuck: \(stuck.joined(separator: ", "))") }
        do {
            try await withDeadline(.seconds(2)) {
                try await database.ping()
            }
            return .ok(.init(body: .json(.init(status: .ok))))
        } catch {
            return unavailable("the database is not reachable")
        }
    }
}

/// Runs `work`, giving up with `DomainError.unavailable` after `limit`.
func withDeadline<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DomainError.unavailable("the database did not answer within \(limit)")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}

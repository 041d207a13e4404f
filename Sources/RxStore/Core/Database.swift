import Foundation
import Logging
import NIOCore
import PostgresNIO
import RxDomain
import Synchronization

/// A leased connection, in a transaction or not, as the use cases hand it to the stores: they pass it on and never
/// query it (RxUseCases does not import PostgresNIO).
package typealias StoreConnection = PostgresConnection

/// The store's handle on PostgreSQL: a connection pool plus the conventions every store follows
/// (one transaction per change, errors mapped to `DomainError`).
package struct Database: Sendable {
    /// Where connections come from; renewed after an outage when it runs as a service (`DatabasePool`).
    package let pool: DatabasePool
    package var client: PostgresClient { pool.client }
    package let logger: Logger
    /// How long a caller waits for a pooled connection before it is told the database is unavailable (503):
    /// a saturated pool or a database that is down never queues requests without bound.
    package let leaseTimeout: Duration

    /// How many connections of `client` this handle may lease at once, when known.
    package let poolSize: Int?

    /// How the shared reads (`ReadCoalescer`) made on this handle are doing, for readiness.
    package let readHealth = ReadHealth()

    /// A streaming replica's pool (`DATABASE_READ_URL`), for the reads that tolerate its lag (`lagTolerant`).
    package let replicaPool: DatabasePool?

    /// When the current request must be answered by (set by the server for each request): every lease it makes
    /// waits at most until then, so a request that leases twice still waits at most `leaseTimeout` in all.
    @TaskLocal package static var requestDeadline: ContinuousClock.Instant?

    package init(client: PostgresClient, logger: Logger, leaseTimeout: Duration = .seconds(5), poolSize: Int? = nil) {
        self.init(
            pool: DatabasePool(fixed: client, logger: logger), logger: logger, leaseTimeout: leaseTimeout, poolSize: poolSize)
    }

    package init(
        pool: DatabasePool, logger: Logger, leaseTimeout: Duration = .seconds(5), poolSize: Int? = nil,
        replicaPool: DatabasePool? = nil
    ) {
        self.pool = pool
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        self.poolSize = poolSize
        self.replicaPool = replicaPool
    }

    /// Where a read that tolerates a replica's lag goes: reports, exports, dashboards and lists that nobody decides
    /// a write by. The replica, unless there is none, it seems away (its last lease failed: the primary answers until
    /// it is back), or the current request has written (`RequestWrites`: a request never reads its own write from the
    /// replica). Writes, the long-prescription check and every read that decides a write use `self`.
    package var lagTolerant: Database {
        guard let replicaPool, !replicaPool.seemsAway, RequestWrites.current?.wrote != true else { return self }
        return Database(pool: replicaPool, logger: logger, leaseTimeout: leaseTimeout, poolSize: poolSize)
    }

    /// How many queries each `ReadCoalescer` may run at once: one per eight pooled connections. Fewer, larger
    /// queries served best (`docs/performance.md`: with a pool of 8 on two cores, 1 beat 2, and 2 beat 4), and the rest
    /// of the pool stays free for everything else.
    package var sharedReadConcurrency: Int { max(1, (poolSize ?? 8) / 8) }

    /// A pool configured from a URL, with the pool size a setting (small pools serve best on few cores).
    ///
    /// With `keepOpen` (a server's pool), connections stay open once opened (idle for up to ten minutes), without
    /// keep-alive pings: otherwise PostgresNIO's pool schedules a keep-alive timer, a task on Swift's global
    /// executor, every time a connection goes back unused, and cancels it at the next lease (`docs/performance.md`).
    /// A connection the server closes is still noticed and replaced. Without it (commands, and tests that start
    /// many apps), connections close after a minute idle.
    ///
    /// The minimum stays 0, never the maximum: PostgresNIO 1.33's pool traps (a precondition, the process dies)
    /// when the database comes back after an outage while leases are queued and fewer connections exist than its
    /// minimum (`docs/upstream/postgres-nio-pool-precondition.md`). With a minimum of 0 that cannot happen.
    ///
    /// With `lockTimeout` (a server's pool), every statement waits at most that long for a lock (PostgreSQL's
    /// `lock_timeout`, set when each connection starts); then it fails with 55P03, a 503 (`DatabaseErrors.map`).
    package static func makeClient(
        url: String, poolSize: Int, keepOpen: Bool = false, lockTimeout: Duration? = nil,
        logger: Logger
    ) throws -> PostgresClient {
        try makeClient(
            configuration: DatabaseURL.configuration(url), poolSize: poolSize, keepOpen: keepOpen, lockTimeout: lockTimeout,
            logger: logger)
    }

    /// A pool on one host of the URL (`DatabaseHosts`), as `makeClient(url:)` makes it.
    package static func makeClient(
        configuration: PostgresClient.Configuration, poolSize: Int, keepOpen: Bool = false, lockTimeout: Duration? = nil,
        logger: Logger
    ) throws -> PostgresClient {
        var configuration = configuration
        if let lockTimeout {
            let (seconds, attoseconds) = lockTimeout.components
            let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            configuration.options.additionalStartupParameters.append(("lock_timeout", "\(milliseconds)ms"))
        }
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.minimumConnections = 0
        if keepOpen {
            configuration.options.keepAliveBehavior = nil
            configuration.options.connectionIdleTimeout = .seconds(600)
        }
        configuration.options.connectTimeout = .seconds(5)
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs `body` in one transaction; its own errors come back unwrapped, database errors as `DomainError`.
    package func transaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        RequestWrites.current?.mark()
        do {
            return try await withConnection { connection in
                try await connection.inTransaction(logger: logger) { connection in try await body(connection) }
            }
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }

    /// Runs `body` on one pooled connection, outside a transaction (reads).
    package func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await withConnection { connection in try await body(connection) }
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }

    /// Runs `body` on one pooled connection outside a transaction: each statement commits on its own. For reads, and
    /// for a change written whole in one statement whose guards re-check what was read before it.
    package func autocommit<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        RequestWrites.current?.mark()
        do {
            return try await withConnection { connection in try await body(connection) }
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }

    /// Lends a pooled connection to `body`, waiting at most `leaseTimeout` (and never past `requestDeadline`).
    ///
    /// PostgresNIO's pool queues a lease until a connection frees up or, when the database is down, until its
    /// circuit breaker trips a minute later. So a child task leases the connection and hands it over; if none
    /// arrives in time, the lease is cancelled and the caller gets `DomainError.unavailable`. `body` itself runs in
    /// the caller's task, so it needs not be `Sendable` and is never cut off by the timeout. Every lease is timed:
    /// an untimed one taken "while the pool looked healthy" hung for a whole outage when the database went away
    /// just then (issue 19), and saved no measurable time (`docs/performance.md`).
    package func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        var wait = leaseTimeout
        if let deadline = Self.requestDeadline {
            wait = min(wait, ContinuousClock.now.duration(to: deadline))
            guard wait > .zero else {
                throw DomainError.unavailable("no database connection within \(leaseTimeout); retry later")
            }
        }
        return try await timedLease(wait: wait, body)
    }

    /// `body` runs on the connection's event loop, so each query it sends is checked open and written in one step
    /// (`PostgresConnection.ensureOpen`).
    ///
    /// The lease runs in a task of its own, not a child: a caller that gives up (timeout, cancellation) leaves at
    /// once, even when the pool does not answer the lease's cancellation (after an outage, PostgresNIO 1.33 can keep
    /// a cancelled lease queued; a task group would wait for it and strand the caller, issue 19.4). A connection
    /// that arrives after the caller left is given straight back.
    private func timedLease<Result>(wait: Duration, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let handoff = ConnectionHandoff()
        let lessor = Task { [pool] in
            var client = pool.client
            while true {
                do {
                    try await client.withConnection { connection in
                        pool.served()
                        guard handoff.offer(connection) else { return }
                        await handoff.untilReturned()
                    }
                    return
                } catch {
                    // The pool was renewed while this lease waited on the old one: wait on the new one.
                    if handoff.isWaiting, pool.client !== client {
                        client = pool.client
                        continue
                    }
                    if handoff.isWaiting { pool.mayBeAway() }
                    handoff.fail(error)
                    return
                }
            }
        }
        let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: TimeAmount(wait)) { [pool] in
            if handoff.isWaiting { pool.leaseTimedOut(waited: wait) }
            handoff.fail(DomainError.unavailable("no database connection within \(leaseTimeout); retry later"))
        }
        let connection: PostgresConnection
        do {
            connection = try await withTaskCancellationHandler {
                try await handoff.take()
            } onCancel: {
                handoff.fail(CancellationError())
            }
            timer.cancel()
        } catch {
            timer.cancel()
            lessor.cancel()
            throw error
        }
        defer { handoff.giveBack() }
        do {
            return try await withTaskExecutorPreference(EventLoopTaskExecutor.of(connection.eventLoop)) {
                try await body(connection)
            }
        } catch {
            // A lost connection, or a host that no longer takes writes (a primary demoted under the pool).
            if connection.isClosed || DatabaseErrors.isReadOnly(error) { pool.mayBeAway() }
            throw error
        }
    }

    /// Collects every row of a query into values.
    package func rows<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as type: (repeat each Column).Type
    ) async throws -> [(repeat each Column)] {
        do {
            return try await withConnection { connection in try await connection.rows(query, as: type, logger: logger) }
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }

    /// Collects every row of a query through `read` (`PostgresConnection.rows(_:logger:reading:)`).
    package func rows<Row>(_ query: PostgresQuery, reading read: (inout RowReader) throws -> Row) async throws -> [Row] {
        do {
            return try await withConnection { connection in
                try await connection.rows(query, logger: logger, reading: read)
            }
        } catch {
            throw DatabaseErrors.map(error, logger: logger)
        }
    }

    /// Answers once the database answers a trivial query (the health check's probe).
    package func ping() async throws {
        _ = try await rows("SELECT 1", as: Int.self)
    }
}

extension TimeAmount {
    /// A `Duration` as NIO's timers take it, never shorter (rounded up to the nanosecond), never negative.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(max(0, seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000))
    }
}

/// Hands a leased connection from the leasing child task to the caller, and back when the caller is done.
/// Whichever comes first, a connection or a failure (the lease's own, or the timeout), settles the caller; once
/// offered, the connection stays leased until the caller gives it back, never before.
final class ConnectionHandoff: Sendable {
    typealias Lessor = CheckedContinuation<Void, Never>

    enum State {
        case waiting
        case caller(CheckedContinuation<PostgresConnection, any Error>)
        /// Offered before the caller asked for it; the lessor may already be waiting for its return.
        case offered(PostgresConnection, lessor: Lessor?)
        case failed(any Error)
        case taken(lessor: Lessor?)
        case returned
    }

    private let state = Mutex<State>(.waiting)

    /// The caller still waits for a connection (none offered, no failure yet).
    var isWaiting: Bool {
        state.withLock { state in
            switch state {
            case .waiting, .caller: return true
            default: return false
            }
        }
    }

    /// The caller waits for a connection or a failure.
    func take() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            let settled: Result<PostgresConnection, any Error>? = state.withLock { state in
                switch state {
                case .waiting:
                    state = .caller(continuation)
                    return nil
                case .offered(let connection, let lessor):
                    state = .taken(lessor: lessor)
                    return .success(connection)
                case .failed(let error):
                    return .failure(error)
                case .caller, .taken, .returned:
                    return .failure(CancellationError())
                }
            }
            if let settled { continuation.resume(with: settled) }
        }
    }

    /// The lessor offers its connection; false when the caller has already given up (the lease is released).
    func offer(_ connection: PostgresConnection) -> Bool {
        let (accepted, caller): (Bool, CheckedContinuation<PostgresConnection, any Error>?) = state.withLock { state in
            switch state {
            case .waiting:
                state = .offered(connection, lessor: nil)
                return (true, nil)
            case .caller(let continuation):
                state = .taken(lessor: nil)
                return (true, continuation)
            default:
                return (false, nil)
            }
        }
        caller?.resume(returning: connection)
        return accepted
    }

    /// The lease failed or the timeout fired: settles a caller still waiting; too late once it has a connection.
    func fail(_ error: any Error) {
        let caller: CheckedContinuation<PostgresConnection, any Error>? = state.withLock { state in
            switch state {
            case .waiting:
                state = .failed(error)
                return nil
            case .caller(let continuation):
                state = .failed(error)
                return continuation
            default:
                return nil
            }
        }
        caller?.resume(throwing: error)
    }

    /// The lessor keeps the lease until the caller gives the connection back.
    func untilReturned() async {
        await withCheckedContinuation { (continuation: Lessor) in
            let waits: Bool = state.withLock { state in
                switch state {
                case .offered(let connection, nil):
                    state = .offered(connection, lessor: continuation)
                    return true
                case .taken(nil):
                    state = .taken(lessor: continuation)
                    return true
                default:
                    return false
                }
            }
            if !waits { continuation.resume() }
        }
    }

    func giveBack() {
        let lessor: Lessor? = state.withLock { state in
            defer { state = .returned }
            if case .taken(let lessor) = state { return lessor }
            return nil
        }
        lessor?.resume()
    }
}

/// A row's columns read in order (`PostgresConnection.rows(_:logger:reading:)`).
package struct RowReader: CellReader {
    private let row: PostgresRow
    private var index: PostgresRow.Index

    init(_ row: PostgresRow) {
        self.row = row
        index = row.startIndex
    }

    /// The next column's cell; a row with fewer columns than its reader reads is a mistake in the store.
    package mutating func nextCell() -> PostgresCell {
        precondition(index < row.endIndex, "a row has fewer columns than its reader reads")
        defer { index = row.index(after: index) }
        return row[index]
    }

    /// Passes over `count` columns without making their cells: a row whose first columns repeat what the first row
    /// said (a page of orders repeats the order on each of its lines).
    package mutating func skip(_ count: Int) {
        for _ in 0..<count {
            precondition(index < row.endIndex, "a row has fewer columns than its reader skips")
            index = row.index(after: index)
        }
    }
}

/// Every query the stores send goes through these, never through `PostgresConnection.query`, `execute` or
/// `withTransaction` directly (`QueryPathTests` holds them to it).
///
/// PostgresNIO 1.33 hands a query to its channel without a promise for the write: a query written after the channel
/// closed (the database ended the session, say in an outage, just before) is dropped, and its caller waits forever
/// (issue 19.4, `docs/upstream/postgres-nio-query-after-close.md`). So each query first checks that the connection
/// is open, on the connection's event loop, where `Database.timedLease` runs every lease's work: the check and the
/// write then happen in one turn of the loop, with no moment between them for the channel to close unseen. A query
/// written to an open channel is always answered, or failed when it closes.
extension PostgresConnection {
    /// Throws `unavailable` (503) when the connection is closed: nothing sent on it now would be answered.
    package func ensureOpen() throws {
        guard isClosed else { return }
        throw DomainError.unavailable("the database is not available")
    }

    /// The rows of a query as they come (large results, cursors).
    package func stream(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try ensureOpen()
        return try await self.query(query, logger: logger)
    }

    /// The rows of a prepared statement as they come.
    package func stream<Statement: PostgresPreparedStatement>(
        _ statement: Statement, logger: Logger
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, Statement.Row> {
        try ensureOpen()
        return try await self.execute(statement, logger: logger)
    }

    /// Collects every row of a prepared statement.
    package func rows<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> [Statement.Row]
    {
        var result: [Statement.Row] = []
        for try await row in try await stream(statement, logger: logger) { result.append(row) }
        return result
    }

    /// The first row of a prepared statement, if any.
    package func row<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> Statement.Row?
    {
        for try await row in try await stream(statement, logger: logger) { return row }
        return nil
    }

    /// Collects every row of a query into values. (A tuple's columns are decoded through the generic runtime: a list
    /// of hundreds of rows reads them with `rows(_:logger:reading:)`.)
    package func rows<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as type: (repeat each Column).Type, logger: Logger
    ) async throws -> [(repeat each Column)] {
        var result: [(repeat each Column)] = []
        for try await row in try await stream(query, logger: logger) {
            result.append(try row.decode(type))
        }
        return result
    }

    /// Collects every row of a query through `read`, which takes the row's columns in order, each as a concrete type.
    /// For the lists of hundreds of rows: the compiler specializes this decoding, while a tuple type's parameter pack
    /// is decoded column by column through the generic runtime, which cost a list more than writing its answer.
    package func rows<Row>(_ query: PostgresQuery, logger: Logger, reading read: (inout RowReader) throws -> Row)
        async throws -> [Row]
    {
        var result: [Row] = []
        for try await row in try await stream(query, logger: logger) {
            var reader = RowReader(row)
            result.append(try read(&reader))
        }
        return result
    }

    /// The first row of a query, if any.
    package func row<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as type: (repeat each Column).Type, logger: Logger
    ) async throws -> (repeat each Column)? {
        for try await row in try await stream(query, logger: logger) {
            return try row.decode(type)
        }
        return nil
    }

    package func run(_ query: PostgresQuery, logger: Logger) async throws {
        try await stream(query, logger: logger)
    }

    /// Runs `body` between BEGIN and COMMIT, or ROLLBACK when it throws; errors come back as thrown, not wrapped.
    package func inTransaction<Result>(logger: Logger, _ body: (PostgresConnection) async throws -> Result) async throws -> Result
    {
        try await run("BEGIN", logger: logger)
        let result: Result
        do {
            result = try await body(self)
        } catch {
            try? await run("ROLLBACK", logger: logger)
            throw error
        }
        try await run("COMMIT", logger: logger)
        return result
    }
}

/// An event loop as a task executor: jobs preferring it run on the loop's thread.
package final class EventLoopTaskExecutor: TaskExecutor {
    package let eventLoop: any EventLoop

    package init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// One executor per loop, made once.
    package static func of(_ eventLoop: any EventLoop) -> EventLoopTaskExecutor {
        let key = ObjectIdentifier(eventLoop)
        return executors.withLock { executors in
            if let executor = executors[key] { return executor }
            let executor = EventLoopTaskExecutor(eventLoop: eventLoop)
            executors[key] = executor
            return executor
        }
    }
    private static let executors = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Maps PostgreSQL's errors to what the caller can act on (SQLSTATE classes, not message text).
package enum DatabaseErrors {
    /// The database did not answer (no connection, or one lost), as opposed to answering with an error.
    static func isUnavailable(_ error: any Error) -> Bool {
        if case .unavailable = error as? DomainError { return true }
        if let error = error as? PostgresTransactionError {
            return isUnavailable(error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        }
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == nil }
        return false
    }

    /// The host refused a write as read-only (SQLSTATE 25006): a standby, or a primary being demoted.
    static func isReadOnly(_ error: any Error) -> Bool {
        if let error = error as? PostgresTransactionError {
            return isReadOnly(error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState] == "25006"
    }

    /// A lock was not granted within `lock_timeout` (SQLSTATE 55P03, lock_not_available).
    static func isLockTimeout(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "55P03"
    }

    package static func map(_ error: any Error, logger: Logger) -> any Error {
        if error is DomainError || error is CancellationError { return error }
        if let error = error as? PostgresTransactionError {
            return map(
                error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error, logger: logger)
        }
        guard let psql = error as? PSQLError else { return error }
        guard let server = psql.serverInfo, let state = server[.sqlState] else {
            logger.error("database unreachable", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unavailable("the database is not reachable")
        }
        switch state {
        case "23505", "23P01", "23503", "23514", "23502":
            // The constraint's and the table's names stay in the log.
            logger.info("constraint violated", metadata: ["error": "\(String(reflecting: psql))"])
            return ConstraintExplanations.error(state: state, constraint: server[.constraintName])
        case "22021", "22P05":
            // PostgreSQL text cannot hold U+0000 (and a value must be valid UTF-8): malformed input.
            return DomainError.badRequest("text must not contain the NUL character (U+0000)")
        case _ where state.hasPrefix("22"), "54000":
            // Class 22 is a value PostgreSQL cannot take (too long, out of range, a bad date);
            // 54000 a value too large to index.
            logger.info("value refused", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unprocessable("a value cannot be stored: too long, out of range, or not a valid date or number")
        case "40001", "40P01":
            return DomainError.conflict("a concurrent change won; retry")
        case "55P03":
            // lock_timeout: another transaction (an import, most often) holds what this change needs. Temporary,
            // so 503 with Retry-After rather than 409: the same request succeeds once the holder commits.
            logger.info("lock not granted in time", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unavailable(
                "a record this change needs is locked by another transaction (an import?); retry in a moment")
        case "57014":
            // A statement cut off by its timeout (the server's reads bound theirs, see `LongPrescriptionContextCache`).
            logger.error("database statement timed out", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unavailable("the database did not answer in time")
        case "25006":
            // read_only_sql_transaction: the pool's host became a standby (a failover); the pool looks for the new
            // primary (`DatabasePool`), so the same request succeeds in a moment.
            logger.error("database host is read-only", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unavailable("the database is switching to its standby; retry in a moment")
        case "57P01", "57P02", "57P03", "08000", "08003", "08006", "53300":
            logger.error("database unavailable", metadata: ["error": "\(String(reflecting: psql))"])
            return DomainError.unavailable("the database is not available")
        default:
            logger.error("database error", metadata: ["error": "\(String(reflecting: psql))"])
            return error
        }
    }
}

/// Whether the current request has written (a transaction, or a change in autocommit): set for each request by the
/// server, so that its later reads stay on the primary (`Database.lagTolerant`).
package final class RequestWrites: Sendable {
    @TaskLocal package static var current: RequestWrites?
    private let flag = Atomic<Bool>(false)

    package init() {}

    package var wrote: Bool { flag.load(ordering: .relaxed) }

    func mark() { flag.store(true, ordering: .relaxed) }
}

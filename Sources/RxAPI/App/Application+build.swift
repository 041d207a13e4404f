internal import Foundation
import Hummingbird
import Logging
import Metrics
import OpenAPIHummingbird
internal import OpenAPIRuntime
import PostgresNIO
import Prometheus
import RxDomain
import RxStore
import RxUseCases
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Builds the whole service from its configuration; `serve` and the tests both call it, so tests exercise
/// the real wiring.
package func buildApplication(_ configuration: AppConfiguration) throws -> some ApplicationProtocol {
    var logger = Logger(label: "consortiumrx")
    logger.logLevel = configuration.logLevel
    let registry = Observability.bootstrap()

    // One extra connection for the change listener, which holds its connection.
    // Renewed when the database returns after an outage, or on the new primary after a failover (DatabasePool).
    let hosts = try DatabaseHosts(url: configuration.databaseURL)
    let choose: (@Sendable () async -> Int?)? =
        hosts.choosing ? { @Sendable [logger] in await hosts.writable(logger: logger) } : nil
    let pool = try DatabasePool(
        logger: logger, choose: choose,
        reach: { [logger] host in await DatabasePool.reach(hosts.connections[host], logger: logger) }
    ) { [logger] host in
        try Database.makeClient(
            configuration: hosts.configurations[host], poolSize: configuration.poolSize + 1,
            keepOpen: configuration.keepConnectionsOpen, lockTimeout: configuration.lockTimeout ?? configuration.leaseTimeout,
            logger: logger)
    }
    // A replica for the reads that tolerate its lag, renewed after an outage like the primary's pool.
    let replicaPool = try configuration.databaseReadURL.map { url in
        let connection = try DatabaseURL.connectionConfiguration(url)
        return try DatabasePool(
            logger: logger, reach: { [logger] _ in await DatabasePool.reach(connection, logger: logger) }
        ) { [logger] _ in
            try Database.makeClient(
                url: url, poolSize: configuration.poolSize, keepOpen: configuration.keepConnectionsOpen, logger: logger)
        }
    }
    let database = Database(
        pool: pool, logger: logger, leaseTimeout: configuration.leaseTimeout, poolSize: configuration.poolSize,
        replicaPool: replicaPool)
    let authenticator = Authenticator(tokens: TokenUseCases(database: database))
    let contexts = LongPrescriptionContextCache(health: database.readHealth)

    let router = try buildRouter(
        configuration, database: database, authenticator: authenticator, contexts: contexts, registry: registry)

    var app = Application(
        router: router,
        server: .http1OnEventLoops(),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "consortiumrx"),
        logger: logger)
    app.addServices(pool, ChangeListener(database: database, authenticator: authenticator, contexts: contexts))
    if let replicaPool { app.addServices(replicaPool) }
    if let interval = configuration.shortageScanInterval {
        app.addServices(ShortageScanService(database: database, clock: configuration.clock, interval: interval))
    }
    return app
}

/// The router: the server middlewares every request passes, then the direct hot routes (last, so that they get every
/// server middleware the generated routes get: `HotPathTests` checks the order), then the routes.
func buildRouter(
    _ configuration: AppConfiguration, database: Database, authenticator: Authenticator, contexts: LongPrescriptionContextCache,
    registry: PrometheusCollectorRegistry
) throws -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    // First, so that it sees the body as the middlewares below leave it (MetricsMiddleware wraps it).
    router.add(middleware: SingleWriteMiddleware())
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: EntityTagMiddleware())
    router.add(
        middleware: MethodNotAllowedMiddleware(
            paths: ContractPaths(contract: String(decoding: PackageResources.openapi_yaml, as: UTF8.self))))
    router.add(middleware: LeaseDeadlineMiddleware(leaseTimeout: configuration.leaseTimeout))
    router.add(
        middleware: BodyLimitMiddleware(
            maximumBytes: configuration.maximumBodyBytes, streamedPaths: [ConsoleReconciliationPages.uploadPath]))
    router.add(middleware: MediaTypeGuard())
    router.add(middleware: AuthMiddleware(authenticator: authenticator))
    let roles = try OperationRoles(contract: String(decoding: PackageResources.openapi_yaml, as: UTF8.self))
    let handler = APIHandler(
        database: database, longPrescriptionContexts: contexts, clock: configuration.clock,
        keptPagesBudget: configuration.keptPagesBudget)
    let contract = try ContractValidator.served()
    router.add(
        middleware: LongPrescriptionCheckRoute(
            handler: handler, roles: roles, maximumBodyBytes: configuration.maximumBodyBytes, validator: contract))
    router.add(middleware: DrugLookupRoute(handler: handler, roles: roles))
    router.add(middleware: DirectGetRoute.memberStock(handler: handler, roles: roles))
    router.add(middleware: DirectGetRoute.drugStock(handler: handler, roles: roles))
    router.add(middleware: DirectGetRoute.catalogueInEffect(handler: handler, roles: roles))
    router.add(middleware: DirectGetRoute.memberOrders(handler: handler, roles: roles))
    router.add(middleware: DirectGetRoute.openShortages(handler: handler, roles: roles))
    router.add(middleware: DirectGetRoute.spendReport(handler: handler, roles: roles))

    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
    }
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
    // The web console (issue 26): its own pages and errors, never problem+json; after the hot routes.
    ConsoleRoutes(
        database: database, templates: try ConsoleTemplates(), secureCookies: configuration.consoleSecureCookies,
        clock: configuration.clock
    ).register(on: router)
    try handler.registerHandlers(
        on: router, serverURL: URL(string: "/")!, configuration: .init(jsonEncodingOptions: []),
        middlewares: operationMiddlewares(roles: roles, validator: contract, maximumBodyBytes: configuration.maximumBodyBytes))
    return router
}

/// What the generated routes get on top of the server middlewares. A direct route does the same itself
/// (`DirectRoute.operationMiddlewares`; `HotPathTests` checks the two lists agree).
func operationMiddlewares(roles: OperationRoles, validator: ContractValidator, maximumBodyBytes: Int) -> [any ServerMiddleware] {
    [
        RoleGate(roles: roles),
        ContractGuard(validator: validator, maximumBodyBytes: maximumBodyBytes),
        VerbatimHeaders(),
    ]
}

/// Serves until SIGTERM or SIGINT, then stops within a bound: the server stops accepting, requests in flight get
/// their answer (each waits at most the lease timeout for the database), and whatever still runs after the lease
/// timeout plus 5 s is cancelled (a request cut off so gets 503), then the process exits.
package func serve(_ configuration: AppConfiguration) async throws {
    let app = try buildApplication(configuration)
    var group = ServiceGroupConfiguration(
        services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
    group.maximumGracefulShutdownDuration = configuration.leaseTimeout + .seconds(5)
    group.maximumCancellationDuration = .seconds(5)
    try await ServiceGroup(configuration: group).run()
}

/// Metrics go to one Prometheus registry per process, bootstrapped once (tests build many apps).
enum Observability {
    private static let registry = Mutex<PrometheusCollectorRegistry?>(nil)

    static func bootstrap() -> PrometheusCollectorRegistry {
        registry.withLock { existing in
            if let existing { return existing }
            let created = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: created)
            factory.nameAndLabelSanitizer = { name, labels in
                func clean(_ s: String) -> String { s.replacingOccurrences(of: ".", with: "_") }
                return (clean(name), labels.map { (clean($0.0), $0.1) })
            }
            MetricsSystem.bootstrap(factory)
            existing = created
            return created
        }
    }
}

/// Listens for changes, made by any server, to what this one caches (verified tokens, the long-prescription
/// contexts), and forgets them: triggers and the token store notify `crx_changes` when a change commits.
struct ChangeListener: Service {
    let database: Database
    let authenticator: Authenticator
    let contexts: LongPrescriptionContextCache

    func forget() {
        authenticator.forgetAll()
        contexts.invalidateAll()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await database.client.withConnection { connection in
                        try await connection.listen(on: "crx_changes") { notifications in
                            forget()
                            for try await _ in notifications { forget() }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    database.logger.warning("change listener lost its connection; retrying", metadata: ["error": "\(error)"])
                    forget()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}

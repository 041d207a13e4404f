import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOFoundationEssentialsCompat
import PostgresNIO
import RxAPI
import RxDomain
import RxStore
import RxUseCases
import Testing

/// A running application on its own seeded database, with helpers to call it.
struct TestApp: Sendable {
    let database: Database
    let databaseURL: String
    let client: any TestClientProtocol

    static let demoConsortium = "JLTCM"

    /// A fresh token of a role, scoped as asked. A national role's token (master_data_admin) belongs to no
    /// consortium, whatever `consortium` says.
    /// `prescriber` binds a prescriber token to that registered prescriber (its pseudonym).
    func token(
        _ role: Role, consortium: String = demoConsortium, institution: String? = nil, prescriber: String? = nil
    ) async throws -> String {
        try await TokenUseCases(database: database).create(
            role: role, consortiumCode: role.isNational ? nil : consortium, institutionCode: institution,
            prescriber: prescriber, name: "test \(role.rawValue)",
            expiresAt: nil, actor: .console("test")
        ).token
    }

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Counts rows, for checking that a refused request wrote nothing.
    func count(_ query: PostgresQuery) async throws -> Int {
        try await database.rows(query, as: Int.self).first ?? 0
    }

    /// The demo consortium's id (member codes are unique within a consortium only).
    var demoConsortiumID: Int64 {
        get async throws {
            try #require(
                try await database.rows("SELECT id FROM consortia WHERE code = \(Self.demoConsortium)", as: Int64.self).first)
        }
    }

    /// Runs `body` against an application on a fresh copy of the seeded database, then drops the copy.
    static func run(
        configure: @escaping @Sendable (inout AppConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (TestApp) async throws -> Void
    ) async throws {
        let name = try await TestDatabases.shared.seededDatabase()
        let url = await TestDatabases.shared.url(of: name)
        do {
            try await TestDatabases.withDatabase(url: url) { database in
                // A long lease wait: tests that race many requests through a pool of two must not get 503 on a
                // loaded machine; the reliability tests set their own.
                // Connections on demand: many apps share the test cluster's connection slots.
                var configuration = AppConfiguration(
                    databaseURL: url, poolSize: 2, keepConnectionsOpen: false, leaseTimeout: .seconds(60), logLevel: .error)
                configure(&configuration)
                let app = try buildApplication(configuration)
                try await app.test(.router) { client in
                    try await body(TestApp(database: database, databaseURL: url, client: client))
                }
            }
        } catch {
            try? await TestDatabases.shared.drop(name)
            throw error
        }
        try await TestDatabases.shared.drop(name)
    }
}

extension TestResponse {
    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }

    var contentType: String? { headers[.contentType] }

    /// A problem response: the right media type, the status inside, the fields it names.
    func expectProblem(
        _ status: HTTPResponse.Status, naming field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(self.status == status, "\(text)", sourceLocation: sourceLocation)
        #expect(contentType == "application/problem+json", sourceLocation: sourceLocation)
        #expect(json["status"] as? Int == status.code, sourceLocation: sourceLocation)
        if let field {
            let fields = (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            let detail = json["detail"] as? String ?? ""
            #expect(
                fields.contains(field) || detail.contains(field), "expected \(field) in \(text)", sourceLocation: sourceLocation)
        }
    }
}

extension PostgresConnection {
    /// Runs one statement with bound values. (PostgresConnection also has a legacy `query(String)` that
    /// returns a future; a `try await` on it does not wait, so tests use this instead.)
    func sql(_ query: PostgresQuery) async throws {
        try await self.query(query, logger: Logger(label: "test-sql"))
    }
}

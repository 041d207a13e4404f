import CoreMetrics
internal import Foundation
import HTTPTypes
import Hummingbird
internal import NIOFoundationEssentialsCompat

/// Serves a dispensing (发药), `POST /v1/institutions/{code}/dispensings`, directly (see `DirectRoute`): the write a
/// pharmacy makes for every patient, a few round trips to the database (`StockStore.issueFacts`, `writeDispensing`),
/// so the generated server's `Codable` round trip and body streams were a good part of its cost. A request with an
/// `Idempotency-Key` the contract's pattern reads plainly (1 to 200 visible ASCII characters) is served here too;
/// any other is the generated route's.
struct DispensingRoute<Context: RequestContext>: RouterMiddleware {
    static var endpoint: String { "/v1/institutions/{code}/dispensings" }

    let handler: APIHandler
    let roles: OperationRoles
    let maximumBodyBytes: Int
    /// The same contract check as the generated route's (`ContractGuard`), so both refuse alike.
    let validator: ContractValidator
    private let counters = DirectRoute.Counters(operation: Operations.CreateDispensing.id)

    init(handler: APIHandler, roles: OperationRoles, maximumBodyBytes: Int, validator: ContractValidator) {
        self.handler = handler
        self.roles = roles
        self.maximumBodyBytes = maximumBodyBytes
        self.validator = validator
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .post, context.endpointPath == Self.endpoint else { return try await next(request, context) }
        let keys = request.headers[values: DirectRoute.idempotencyKey]
        guard let code = context.parameters.get("code"), DirectRoute.isCode(code), DirectRoute.hasJSONBody(request),
            DirectRoute.acceptsJSON(request), DirectRoute.hasNoQuery(request), keys.count <= 1,
            keys.allSatisfy(Self.isPlainKey)
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(Operations.CreateDispensing.id)
        var request = request
        let body = try await request.collectBody(upTo: maximumBodyBytes)
        guard let input = body.withUnsafeReadableBytes({ Components.Schemas.DispensingInput.read(strictJSON: $0) }) else {
            counters.generated.increment()
            return try await next(request, context)
        }
        counters.direct.increment()
        let problems = validator.problems(operationID: Operations.CreateDispensing.id, body: Data(buffer: body)) ?? []
        if let refusal = ContractValidator.refusal(problems) { throw refusal }
        let output = try await handler.createDispensing(
            .init(path: .init(code: code), headers: .init(idempotencyKey: keys.first), body: .json(input)))
        return DirectRoute.created(try output.created.body.json.json)
    }

    /// The contract's `^[!-~]+$`, 1 to 200 characters.
    static func isPlainKey(_ key: String) -> Bool {
        (1...200).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}

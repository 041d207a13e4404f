import CoreMetrics
internal import Foundation
import Hummingbird
internal import NIOFoundationEssentialsCompat

/// Serves the long-prescription desk check (长处方) directly (see `DirectRoute`): the one call prescribers make
/// at the desk for every patient, whose own work is small (rules cached, one query for the patient's supply on
/// hand), so `JSONDecoder`, `JSONEncoder` and the OpenAPI transport's body streams were most of its cost.
struct LongPrescriptionCheckRoute<Context: RequestContext>: RouterMiddleware {
    /// The route as the router names it: middleware runs once the router has matched the request.
    static var endpoint: String { "/v1/long-prescriptions/check" }

    let handler: APIHandler
    let roles: OperationRoles
    let maximumBodyBytes: Int
    /// The same contract check as the generated route's (`ContractGuard`), so both refuse alike.
    let validator: ContractValidator
    private let counters = DirectRoute.Counters(operation: Operations.CheckLongPrescription.id)

    init(handler: APIHandler, roles: OperationRoles, maximumBodyBytes: Int, validator: ContractValidator) {
        self.handler = handler
        self.roles = roles
        self.maximumBodyBytes = maximumBodyBytes
        self.validator = validator
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard request.method == .post, context.endpointPath == Self.endpoint else { return try await next(request, context) }
        guard DirectRoute.hasJSONBody(request), DirectRoute.acceptsJSON(request), DirectRoute.hasNoQuery(request) else {
            counters.generated.increment()
            return try await next(request, context)
        }
        try roles.authorize(Operations.CheckLongPrescription.id)
        var request = request
        let body = try await request.collectBody(upTo: maximumBodyBytes)
        guard let input = body.withUnsafeReadableBytes({ Components.Schemas.LongPrescriptionCheckInput.read(strictJSON: $0) })
        else {
            counters.generated.increment()
            return try await next(request, context)
        }
        counters.direct.increment()
        let problems = validator.problems(operationID: Operations.CheckLongPrescription.id, body: Data(buffer: body)) ?? []
        if let refusal = ContractValidator.refusal(problems) { throw refusal }
        return DirectRoute.ok(try await handler.checkLongPrescription(input).json)
    }
}

import Hummingbird
import Metrics

/// Serves the long-prescription desk check (长处方) without the generated server's `Codable` round trip.
///
/// The check is the one call prescribers make at the desk for every patient, and its own work is small (the rules
/// are cached, one query for the patient's supply on hand), so `JSONDecoder`, `JSONEncoder` and the OpenAPI
/// transport's body streams were a third of its cost. Here a well-formed request is read by `StrictJSONReader`
/// into the generated input type, checked by the same role gate and the same handler, and answered with the
/// generated result type written by `JSONWriter`. Anything else (another content type or `Accept`, a body
/// outside the reader's subset) goes on to the generated route, which answers it as the contract says; so
/// errors, and the body of every unusual request, still come from the generated server.
///
/// `/metrics` counts both: `crx_hot_path_requests{operation, path="direct"|"generated"}`.
struct LongPrescriptionCheckRoute<Context: RequestContext>: RouterMiddleware {
    static var path: String { "/v1/long-prescriptions/check" }

    let handler: APIHandler
    let roles: OperationRoles
    let maximumBodyBytes: Int
    private let direct = Counter(label: "crx.hot_path.requests", dimensions: [("operation", Operations.CheckLongPrescription.id), ("path", "direct")])
    private let generated = Counter(label: "crx.hot_path.requests", dimensions: [("operation", Operations.CheckLongPrescription.id), ("path", "generated")])

    init(handler: APIHandler, roles: OperationRoles, maximumBodyBytes: Int) {
        self.handler = handler
        self.roles = roles
        self.maximumBodyBytes = maximumBodyBytes
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path == Self.path else { return try await next(request, context) }
        guard Self.isPlainJSON(request.headers[.contentType]), Self.acceptsJSON(request.headers[values: .accept]) else {
            generated.increment()
            return try await next(request, context)
        }
        context.coreContext.endpointPath.value = Self.path
        try roles.authorize(Operations.CheckLongPrescription.id)
        var request = request
        let body = try await request.collectBody(upTo: maximumBodyBytes)
        guard let input = body.withUnsafeReadableBytes({ Components.Schemas.LongPrescriptionCheckInput.read(strictJSON: $0) }) else {
            generated.increment()
            return try await next(request, context)
        }
        direct.increment()
        let result = try await handler.checkLongPrescription(input)
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: result.json))
    }

    /// `application/json`, alone or with `charset=utf-8`.
    static func isPlainJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        if contentType == "application/json" { return true }
        let parts = contentType.split(separator: ";").map { trimmed($0).lowercased() }
        return parts.first == "application/json" && parts.dropFirst().allSatisfy { $0 == "charset=utf-8" }
    }

    /// No `Accept`, or one that names JSON or anything, without parameters.
    static func acceptsJSON(_ accept: [String]) -> Bool {
        accept.allSatisfy { value in
            value.split(separator: ",").allSatisfy {
                let range = trimmed($0)
                return range == "application/json" || range == "*/*" || range == "application/*"
            }
        }
    }
}

private func trimmed(_ text: Substring) -> Substring {
    let isSpace = { (c: Character) in c == " " || c == "\t" }
    guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
    return text[first...last]
}

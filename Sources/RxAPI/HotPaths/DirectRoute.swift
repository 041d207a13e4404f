import Hummingbird
import Metrics

/// What the direct routes (`LongPrescriptionCheckRoute`, `DrugLookupRoute` and the reads of `DirectGetRoute`) share:
/// which requests they may answer themselves, how they answer, and the count of who answered.
///
/// A direct route serves one hot operation of the contract without the generated server's `Codable` round trip
/// and body streams, which cost more than the operation's own work. It answers only the plain requests it reads
/// exactly (`StrictJSONReader`) with the generated types, through the same role gate and handler, and writes the
/// generated response type with `JSONText`. Every other request goes on to the generated route, so malformed
/// and unusual requests are answered by the generated server as the contract says.
///
/// The errors a direct route's handler throws (403, 404, 422) are the same `DomainError`s the generated route
/// throws; `ProblemMiddleware` answers both alike because it unwraps the generated server's `ServerError` first,
/// so keep that unwrapping if it changes. The routes are router middleware: they run for matched routes only, so
/// each checks the endpoint the router matched.
enum DirectRoute {
    /// `crx_hot_path_requests{operation, path="direct"|"generated"}` on `/metrics`.
    struct Counters: Sendable {
        let direct: Counter
        let generated: Counter

        init(operation: String) {
            direct = Counter(label: "crx.hot_path.requests", dimensions: [("operation", operation), ("path", "direct")])
            generated = Counter(label: "crx.hot_path.requests", dimensions: [("operation", operation), ("path", "generated")])
        }
    }

    /// The generated routes' operation middlewares (`operationMiddlewares(roles:validator:maximumBodyBytes:)`) whose
    /// work a direct route does itself: `RoleGate` (`OperationRoles.authorize`) and `ContractGuard` (the body through
    /// the same `ContractValidator`; a direct route answers no query string and reads only parameters within the
    /// contract's bounds), and `VerbatimHeaders` (a direct route writes its headers as they are). `HotPathTests` fails
    /// when the generated routes get one more.
    static let operationMiddlewares: [Any.Type] = [RoleGate.self, ContractGuard.self, VerbatimHeaders.self]

    /// No query string: `ContractGuard` refuses a query parameter the operation does not have, so a request with one
    /// is the generated route's to answer.
    static func hasNoQuery(_ request: Request) -> Bool { (request.uri.query ?? "").isEmpty }

    /// No `Accept`, or one that names JSON or anything, without parameters: what the generated server would
    /// answer with `application/json` too.
    static func acceptsJSON(_ request: Request) -> Bool {
        request.headers[values: .accept].allSatisfy { value in
            value.split(separator: ",").allSatisfy {
                let range = trimmed($0)
                return range == "application/json" || range == "*/*" || range == "application/*"
            }
        }
    }

    /// A body sent as `application/json`, alone or with `charset=utf-8`.
    static func hasJSONBody(_ request: Request) -> Bool {
        guard let contentType = request.headers[.contentType] else { return false }
        if contentType == "application/json" { return true }
        let parts = contentType.split(separator: ";").map { trimmed($0).lowercased() }
        return parts.first == "application/json" && parts.dropFirst().allSatisfy { $0 == "charset=utf-8" }
    }

    /// 200 with a JSON body, as the generated server labels it.
    static func ok(_ json: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: json))
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return text[first...last]
    }
}

import HTTPTypes
import Hummingbird
internal import Yams

/// The contract's paths and the methods each has, read from the served `openapi.yaml` (like `OperationRoles`).
package struct ContractPaths: Sendable, Equatable {
    package struct Path: Sendable, Equatable {
        /// The template's segments; `nil` stands for a `{parameter}`.
        package var segments: [String?]
        package var methods: [HTTPRequest.Method]
    }

    package var paths: [Path]

    /// Reads `paths` with Yams, in the contract's order. A contract Yams cannot read gives no paths; the server
    /// never starts with one, since `OperationRoles` refuses it first.
    package init(contract: String) {
        let root = (try? Yams.compose(yaml: contract)) ?? nil
        self.paths = (root?["paths"]?.mapping ?? [:]).compactMap { template, item in
            guard let template = template.string else { return nil }
            let segments = template.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }
            let methods = (item.mapping ?? [:]).compactMap { key, _ -> HTTPRequest.Method? in
                guard let name = key.string, Self.methods.contains(name) else { return nil }
                return HTTPRequest.Method(name.uppercased())
            }
            return Path(segments: segments, methods: methods)
        }
    }

    private static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// The methods of the contract's path that `path` (a request path, without its query) matches, if any.
    package func methods(of path: Substring) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        var found: [HTTPRequest.Method]?
        for candidate in paths where candidate.segments.count == segments.count {
            if zip(candidate.segments, segments).allSatisfy({ $0.0 == nil ? !$0.1.isEmpty : $0.0! == $0.1 }) {
                found = (found ?? []) + candidate.methods
            }
        }
        return found
    }
}

/// A method the path does not have is 405 with `Allow` (RFC 9110 §15.5.6), not the router's 404.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let paths: ContractPaths

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = paths.methods(of: request.uri.path[...]), !methods.isEmpty, !methods.contains(request.method)
            else {
                throw error
            }
            var allowed = methods.map(\.rawValue)
            if methods.contains(.get) { allowed.append("HEAD") }
            throw HTTPError(
                .methodNotAllowed, headers: [.allow: allowed.joined(separator: ", ")],
                message: "\(request.method.rawValue) is not a method of this path; it allows \(allowed.joined(separator: ", "))")
        }
    }
}

import HTTPTypes
import Hummingbird

/// The contract's paths and the methods each has, read from the served `openapi.yaml` (like `OperationRoles`).
package struct ContractPaths: Sendable, Equatable {
    package struct Path: Sendable, Equatable {
        /// The template's segments; `nil` stands for a `{parameter}`.
        package var segments: [String?]
        package var methods: [HTTPRequest.Method]
    }

    package var paths: [Path]

    package init(contract: String) {
        var paths: [Path] = []
        var inPaths = false
        for line in contract.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && line.hasSuffix(":") {
                inPaths = line == "paths:"
            } else if inPaths && line.hasPrefix("  /") && line.hasSuffix(":") {
                let template = line.dropFirst(2).dropLast()
                let segments = template.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }
                paths.append(Path(segments: segments, methods: []))
            } else if inPaths, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), !paths.isEmpty,
                let method = HTTPRequest.Method(String(line.dropFirst(4).dropLast()).uppercased()),
                ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(method.rawValue)
            {
                paths[paths.count - 1].methods.append(method)
            }
        }
        self.paths = paths
    }

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

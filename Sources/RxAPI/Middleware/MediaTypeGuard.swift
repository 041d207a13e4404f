import Hummingbird
import RxDomain

/// Refuses, with 400, a `Content-Type` that names one parameter twice in different cases
/// (`application/json; charset=utf-8; Charset=utf-8`).
///
/// swift-openapi-runtime 1.13 keeps a media type's parameters by their names as sent, then compares them
/// lower-cased through `Dictionary(uniqueKeysWithValues:)`, which traps on the repeated name: such a header on any
/// operation with a body would stop the server. Parameter names are case-insensitive (RFC 2045), so the header
/// is malformed anyway.
struct MediaTypeGuard<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        if let contentType = request.headers[.contentType], let name = Self.repeatedParameter(in: contentType) {
            throw DomainError.badRequest("Content-Type: the parameter '\(name)' is given more than once")
        }
        return try await next(request, context)
    }

    /// The first parameter name that appears twice, ignoring case.
    static func repeatedParameter(in mediaType: String) -> String? {
        var seen: Set<String> = []
        for parameter in mediaType.split(separator: ";").dropFirst() {
            let name =
                parameter.split(separator: "=", maxSplits: 1).first.map { $0.lowercased().filter { $0 != " " && $0 != "\t" } }
                ?? ""
            guard !name.isEmpty else { continue }
            if !seen.insert(name).inserted { return name }
        }
        return nil
    }
}

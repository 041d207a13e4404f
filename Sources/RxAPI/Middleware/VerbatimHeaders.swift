internal import Foundation
import HTTPTypes
internal import OpenAPIRuntime

/// Response headers whose values are structured text, given back as the handler wrote them: the generated server
/// percent-encodes every header value (swift-openapi-generator issues 529 and 857), which turns
/// `attachment; filename="x.csv"` into `attachment%3B%20filename…`, a header no browser reads.
struct VerbatimHeaders: ServerMiddleware {
    static let names: [HTTPField.Name] = [.contentDisposition]

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, body) = try await next(request, body, metadata)
        for name in Self.names {
            if let value = response.headerFields[name] {
                response.headerFields[name] = value.removingPercentEncoding ?? value
            }
        }
        return (response, body)
    }
}

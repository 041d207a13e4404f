internal import Foundation
import HTTPTypes
internal import OpenAPIRuntime
import RxDomain

/// Refuses, with 400 naming each field, what the contract forbids (`ContractValidator`): after the role gate, before
/// the generated server decodes the request.
struct ContractGuard: ServerMiddleware {
    let validator: ContractValidator
    let maximumBodyBytes: Int

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var problems = validator.problems(
            operationID: operationID, query: Self.query(of: request.path ?? ""),
            path: metadata.pathParameters.mapValues { $0.removingPercentEncoding ?? String($0) }, headers: request.headerFields)
        var body = body
        if let received = body, validator.operations[operationID]?.body != nil,
            request.headerFields[.contentType]?.lowercased().contains("json") == true
        {
            let data = try await Data(collecting: received, upTo: maximumBodyBytes)
            problems += validator.problems(operationID: operationID, body: data) ?? []
            body = HTTPBody(data)
        }
        if let refusal = ContractValidator.refusal(problems) { throw refusal }
        return try await next(request, body, metadata)
    }

    /// The query's name–value pairs, decoded (`+` is a space, as in a form).
    static func query(of path: String) -> [(String, String)] {
        guard let start = path.firstIndex(of: "?") else { return [] }
        func decode(_ s: Substring) -> String {
            let spaced = s.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return path[path.index(after: start)...].split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}

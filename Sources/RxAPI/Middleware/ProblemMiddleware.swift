internal import Foundation
import Hummingbird
import Logging
internal import OpenAPIRuntime
import RxDomain

/// Turns every error into an `application/problem+json` response: domain errors by kind, malformed requests
/// as 400 naming the field, and anything unexpected as a 500 logged at error level (never an empty body). In
/// Chinese when the request prefers it (`Accept-Language: zh`), English otherwise.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let language = ProblemLanguage(acceptLanguage: request.headers[.acceptLanguage])
            return Self.problem(for: error, logger: context.logger).response(
                headers: Self.headers(for: error), language: language)
        }
    }

    static func headers(for error: any Error) -> HTTPFields {
        switch unwrap(error) {
        case DomainError.unavailable, is CancellationError: return [.retryAfter: "2"]
        case DomainError.unauthorized: return [.wwwAuthenticate: "Bearer"]
        case let http as HTTPError: return http.headers
        default: return [:]
        }
    }

    static func unwrap(_ error: any Error) -> any Error {
        if let error = error as? ServerError { return unwrap(error.underlyingError) }
        return error
    }

    static func problem(for error: any Error, logger: Logger) -> Problem {
        let underlying = unwrap(error)
        switch underlying {
        case let domain as DomainError:
            return Problem(domain)
        case is CancellationError:
            // The request was cut off (the server is stopping): the client should retry, elsewhere or later.
            return Problem(DomainError.unavailable("the request was cancelled (the server is stopping); retry"))
        case let decoding as DecodingError:
            let (field, reason) = describe(decoding)
            return Problem(status: .badRequest, detail: "\(field): \(reason)", errors: [FieldError(field: field, reason: reason)])
        case let http as HTTPError:
            return Problem(status: http.status, detail: http.body ?? http.status.reasonPhrase)
        default:
            if let server = error as? ServerError, (400..<500).contains(server.httpStatus.code) {
                return Problem(status: server.httpStatus, detail: server.causeDescription)
            }
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: underlying))"])
            return Problem(status: .internalServerError, detail: "an unexpected error; it has been logged")
        }
    }

    static func describe(_ error: DecodingError) -> (field: String, reason: String) {
        func path(_ codingPath: [any CodingKey]) -> String {
            let p = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "body" : p.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(jsonName(type))")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "expected \(jsonName(type)), found null")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is required")
        case .dataCorrupted(let context):
            let reason = context.underlyingError != nil ? "is not valid JSON" : context.debugDescription
            return (path(context.codingPath), reason)
        @unknown default:
            return ("body", "could not be read")
        }
    }

    static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default: "a value of another type"
        }
    }
}

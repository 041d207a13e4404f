/// A field that broke a rule, and why.
package struct FieldError: Sendable, Equatable, Codable {
    package var field: String
    package var reason: String
    package init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}

/// The ways a request can fail that the caller can act on. The API maps each to a problem response.
package enum DomainError: Error, Sendable, Equatable {
    /// Malformed input: 400.
    case badRequest(String, [FieldError] = [])
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    /// Conflicts with the current state (a duplicate, a wrong state): 409.
    case conflict(String)
    /// A stale `If-Match`: 412.
    case preconditionFailed(String)
    /// A change that needs `If-Match` came without it: 428.
    case preconditionRequired(String)
    /// Well formed but against a rule: 422.
    case unprocessable(String, [FieldError] = [])
    /// The database cannot be reached or no connection is free in time: 503.
    case unavailable(String)

    package static func invalid(_ field: String, _ reason: String) -> DomainError {
        .unprocessable("\(field): \(reason)", [FieldError(field: field, reason: reason)])
    }

    package var message: String {
        switch self {
        case .badRequest(let m, _), .unauthorized(let m), .forbidden(let m), .notFound(let m), .conflict(let m),
            .preconditionFailed(let m), .preconditionRequired(let m), .unprocessable(let m, _), .unavailable(let m):
            return m
        }
    }

    package var fieldErrors: [FieldError] {
        switch self {
        case .badRequest(_, let e), .unprocessable(_, let e): return e
        default: return []
        }
    }
}

internal import Foundation
import Hummingbird
import RxDomain

/// An RFC 9457 problem response.
struct Problem: Encodable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String?
    var errors: [FieldError]?

    init(status: HTTPResponse.Status, detail: String?, errors: [FieldError] = []) {
        self.type = "about:blank"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.errors = errors.isEmpty ? nil : errors
    }

    init(_ error: DomainError) {
        self.init(status: error.httpStatus, detail: error.message, errors: error.fieldErrors)
        self.type = "https://consortiumrx.example/problems/\(error.problemSlug)"
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// The problem in the caller's language (`Accept-Language`); `Content-Language` says which one it is in.
    func localized(_ language: ProblemLanguage) -> (problem: Problem, language: ProblemLanguage) {
        guard language == .chinese else { return (self, .english) }
        var problem = self
        let texts = LocalizedProblem(detail: detail ?? "", errors: errors ?? [], in: .chinese)
        if let title = LocalizedProblem.chineseTitle(status: status) { problem.title = title }
        if detail != nil { problem.detail = texts.detail }
        if errors != nil { problem.errors = texts.errors }
        return (problem, texts.language)
    }

    func response(headers extra: HTTPFields = [:], language: ProblemLanguage = .english) -> Response {
        let (problem, language) = localized(language)
        var headers = extra
        headers[.contentLanguage] = language.rawValue
        return problem.encoded(headers: headers)
    }

    private func encoded(headers extra: HTTPFields) -> Response {
        var headers = extra
        headers[.contentType] = "application/problem+json"
        let data = (try? Self.encoder.encode(self)) ?? Data("{\"title\":\"error\",\"status\":\(status)}".utf8)
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension DomainError {
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .preconditionFailed: .preconditionFailed
        case .preconditionRequired: .init(code: 428, reasonPhrase: "Precondition Required")
        case .unprocessable: .unprocessableContent
        case .unavailable: .serviceUnavailable
        }
    }

    var problemSlug: String {
        switch self {
        case .badRequest: "bad-request"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not-found"
        case .conflict: "conflict"
        case .preconditionFailed: "precondition-failed"
        case .preconditionRequired: "precondition-required"
        case .unprocessable: "rule-violated"
        case .unavailable: "unavailable"
        }
    }
}

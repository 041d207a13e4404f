internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// One logged-in request as a page sees it: who asks, in which language, and a posted form's fields (already read
/// to check its CSRF token; empty on a GET).
struct ConsoleRequest: Sendable {
    var request: Request
    var session: ConsoleAccountUseCases.ActiveSession
    var language: ConsoleLanguage
    var form: ConsoleForm

    var principal: Principal { session.principal }

    func query(_ name: String) -> String? {
        request.uri.queryParameters.get(name).map { String($0) }
    }

    /// A path segment of the route (`:code`), percent-decoded.
    func segment(_ index: Int) -> String {
        let parts = request.uri.path.split(separator: "/")
        let position = index >= 0 ? index : parts.count + index
        guard parts.indices.contains(position) else { return "" }
        return String(parts[position]).removingPercentEncoding ?? ""
    }

    /// The word for a finished action named by `?done=` (a key, never text from the address), for the status line.
    var doneLine: String? {
        query("done").flatMap { language.words["done_" + $0] }
    }
}

/// A posted form's fields (`application/x-www-form-urlencoded`) in order; a group of checkboxes repeats its name.
struct ConsoleForm: Sendable {
    var fields: [(String, String)] = []

    /// The last value of the name.
    subscript(name: String) -> String? { fields.last { $0.0 == name }?.1 }

    /// Every value of a repeated name.
    func all(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }

    /// The value trimmed, nil when blank.
    func text(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// A date the form requires (`YYYY-MM-DD`, as a date input sends it); 422 naming `field` when blank or malformed.
    func date(_ name: String, field: String) throws -> BusinessDate {
        guard let day = try BusinessDate.parse(text(name), field: field) else {
            throw DomainError.invalid(field, "is required")
        }
        return day
    }

    /// One of an enumeration's values the form requires; 422 naming `field` with the values it may be.
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type, field: String) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: self[name] ?? "") else {
            throw DomainError.invalid(field, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// A refusal shown on the form that caused it: the sentence at the top, and each named field's reason beside it, in
/// the person's language.
struct ConsoleRefusal: Sendable {
    var message: String
    var fields: [String: String]

    /// The refusals a person can correct on the same form; any other error is an error page.
    init?(_ error: any Error, _ language: ConsoleLanguage) {
        guard let error = error as? DomainError else { return nil }
        switch error {
        case .badRequest, .unprocessable, .conflict, .preconditionFailed, .preconditionRequired: break
        default: return nil
        }
        let reasons = error.fieldErrors
        if !reasons.isEmpty, error.message == reasons.map({ "\($0.field): \($0.reason)" }).joined(separator: "; ") {
            // Only field reasons: each after the field's label on the form, not the API's field name.
            let (colon, semicolon) = language == .chinese ? ("：", "；") : (": ", "; ")
            message = reasons.map { language.fieldLabel($0.field) + colon + language.message($0.reason) }
                .joined(separator: semicolon)
        } else {
            message = language.message(error.message)
        }
        fields = Dictionary(
            error.fieldErrors.map { ($0.field, language.message($0.reason)) }, uniquingKeysWith: { a, b in a + "；" + b })
    }

    /// The status of the page shown again with the refusal.
    static func status(_ error: any Error) -> HTTPResponse.Status {
        switch error as? DomainError {
        case .conflict: .conflict
        case .preconditionFailed: .preconditionFailed
        case .badRequest: .badRequest
        default: .unprocessableContent
        }
    }

    /// A multi-row form's refusal: the reasons of `lines[i].…` fields by the form's row each line came from
    /// (`rows[i]`: blank rows are not sent as lines), several reasons of one row side by side.
    func rowErrors(rows: [Int]) -> [Int: String] {
        var found: [Int: String] = [:]
        for (field, reason) in fields {
            guard let i = Self.lineIndex(field), i < rows.count else { continue }
            found[rows[i]] = [found[rows[i]], reason].compactMap { $0 }.joined(separator: "；")
        }
        return found
    }

    /// `lines[3].countedQuantity` → 3.
    static func lineIndex(_ field: String) -> Int? {
        guard field.hasPrefix("lines["), let end = field.firstIndex(of: "]") else { return nil }
        return Int(field[field.index(field.startIndex, offsetBy: 6)..<end])
    }

    /// The refusal with its reasons beside their rows: the sentence above the form says how many rows to correct
    /// rather than naming the API's fields.
    func byRow(_ rowErrors: [Int: String], _ language: ConsoleLanguage) -> ConsoleRefusal {
        guard !rowErrors.isEmpty else { return self }
        var refusal = self
        refusal.message = language.word("count_rows_refused").replacingFirst(String(rowErrors.count))
        return refusal
    }

    /// The template's values: `refusal` (the sentence) and `fieldErrors.NAME`.
    var values: [String: Any] { ["refusal": message, "fieldErrors": fields] }
}

extension ConsoleRoutes {
    /// A page rendered in the shell of the request's person.
    func render(
        _ template: String, _ values: [String: Any], title: String, _ c: ConsoleRequest, status: HTTPResponse.Status = .ok
    ) -> Response {
        var values = values
        if values["done"] == nil, let done = c.doneLine { values["done"] = done }
        return render(
            template, values, title: title, session: c.session, request: c.request, language: c.language, status: status)
    }

    /// A list downloaded for Excel (`CSVWriter.forExcel`), named for the person (`Content-Disposition`).
    static func csv(_ text: String, ascii: String, named name: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: CatalogueExport.disposition(ascii: ascii, named: name),
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A catalogue version's items (those a filter found) for Excel.
    static func catalogueCSV(_ entries: [CatalogueEntry], version: Int, _ language: ConsoleLanguage) -> Response {
        csv(
            CatalogueExport.csv(entries, language: language), ascii: "catalogue-\(version).csv",
            named: language.word("csv_catalogue_name").replacingFirst(String(version)))
    }

    /// After a change, back to a page of the console with the word for what was done (post, redirect, get).
    static func done(_ path: String, _ key: String) -> Response {
        Response.redirect(to: path + (path.contains("?") ? "&" : "?") + "done=" + key, type: .normal)
    }

    /// Runs a posted change; a refusal the person can correct shows the form again (`again`) with it.
    func change(
        _ c: ConsoleRequest, _ work: () async throws -> Response,
        again: (ConsoleRefusal, HTTPResponse.Status) async throws -> Response
    ) async throws -> Response {
        do {
            return try await work()
        } catch {
            guard let refusal = ConsoleRefusal(error, c.language) else { throw error }
            return try await again(refusal, ConsoleRefusal.status(error))
        }
    }
}

internal import Foundation
import HTTPTypes
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// The consortium's console accounts for its pharmacy centre (`manageConsoleUsers`): who has one, with which role
/// and scope, locked or disabled; create one, set a new password, disable one. `ConsoleAccountUseCases` does it, as
/// `consortiumrx user` does at the CLI, and checks that the person manages that consortium's accounts.
struct ConsoleUserPages: Sendable {
    let routes: ConsoleRoutes
    var accounts: ConsoleAccountUseCases { routes.accounts }

    func users(_ c: ConsoleRequest) async throws -> Response { try await usersPage(c) }

    func usersPage(_ c: ConsoleRequest, refusal: ConsoleRefusal? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let language = c.language
        let listed = try await accounts.list(consortiumCode: c.principal.consortiumCode, manager: c.principal)
        let now = Date()
        var values = refusal?.values ?? [:]
        let posted = refusal != nil && c.request.uri.path == "/console/users"
        // A refused new password belongs beside its row's field, not the new-account form's.
        let resetRefused = refusal != nil && c.request.uri.path.hasSuffix("/reset-password") ? c.segment(2) : nil
        if resetRefused != nil { values["fieldErrors"] = nil }
        let role = posted ? c.form["role"] ?? "" : Role.institutionPharmacist.rawValue
        values.merge(
            [
                "users": listed.map { user in
                    var row = UserRow(user, now: now, language: language)
                    if row.userName == resetRefused {
                        row.passwordError = refusal.map { $0.fields["password"] ?? $0.message } ?? ""
                    }
                    return row
                },
                "roles": Role.allCases.filter { !$0.isNational }.map {
                    ["value": $0.rawValue, "label": language.role($0), "selected": $0.rawValue == role] as [String: Any]
                },
                "name": posted ? c.form["name"] ?? "" : "", "displayName": posted ? c.form["displayName"] ?? "" : "",
                "institution": posted ? c.form["institution"] ?? "" : "",
                "prescriber": posted ? c.form["prescriber"] ?? "" : "",
            ]
        ) { $1 }
        return routes.render("users", values, title: language.word("users_title"), c, status: status)
    }

    func create(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            guard let role = Role(rawValue: c.form["role"] ?? ""), !role.isNational else {
                throw DomainError.invalid("role", "is required")
            }
            try await accounts.create(
                .init(
                    userName: ConsoleAccount.normalizedUserName(c.form["name"] ?? ""),
                    displayName: c.form.text("displayName") ?? "", role: role, consortiumCode: c.principal.consortiumCode,
                    institutionCode: c.form.text("institution"), prescriber: c.form.text("prescriber")),
                password: c.form["password"] ?? "", actor: Actor(c.principal), manager: c.principal)
            return ConsoleRoutes.done("/console/users", "user_created")
        } again: { refusal, status in
            try await usersPage(c, refusal: refusal, status: status)
        }
    }

    func resetPassword(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            try await accounts.resetPassword(
                userName: c.segment(2), password: c.form["password"] ?? "", actor: Actor(c.principal), manager: c.principal)
            return ConsoleRoutes.done("/console/users", "password_reset")
        } again: { refusal, status in
            try await usersPage(c, refusal: refusal, status: status)
        }
    }

    func disable(_ c: ConsoleRequest) async throws -> Response {
        try await routes.change(c) {
            try await accounts.disable(userName: c.segment(2), actor: Actor(c.principal), manager: c.principal)
            return ConsoleRoutes.done("/console/users", "user_disabled")
        } again: { refusal, status in
            try await usersPage(c, refusal: refusal, status: status)
        }
    }
}

/// An account in the list: its role and scope in words, and whether it may log in.
struct UserRow: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "userName": \.userName, "displayName": \.displayName, "role": \.role, "institution": \.institution,
        "prescriber": \.prescriber, "state": \.state, "active": \.active, "passwordError": \.passwordError,
    ]

    var userName: String
    var displayName: String
    var role: String
    var institution: String
    var prescriber: String
    var state: String
    var active: Bool
    /// Why a new password typed in this row was refused.
    var passwordError = ""

    init(_ user: ConsoleUserStore.Listed, now: Date, language: ConsoleLanguage) {
        userName = user.userName
        displayName = user.displayName
        role = language.role(user.role)
        institution = user.institutionCode ?? ""
        prescriber = user.prescriber ?? ""
        active = user.disabledAt == nil
        if user.disabledAt != nil {
            state = language.word("user_disabled")
        } else if let until = user.lockedUntil, until > now {
            state = language.word("user_locked").replacingFirst(ConsoleFormat.time(until, language))
        } else {
            state = language.word("user_active")
        }
    }
}

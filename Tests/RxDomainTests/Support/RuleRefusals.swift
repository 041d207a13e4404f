import Testing

@testable import RxDomain

/// What the rules' tests ask of a refusal: whether a rule refused, the field it named, whether it was a conflict.
protocol RuleRefusals {}

extension RuleRefusals {
    /// The refusal `body` threw, or nil when it refused nothing (any other error fails the test).
    func refusal(_ body: () throws -> Void) -> DomainError? {
        do { try body() } catch let error as DomainError { return error } catch { Issue.record("not a refusal: \(error)") }
        return nil
    }

    func error(_ body: () throws -> Void) -> DomainError? { refusal(body) }

    /// The first field the refusal names, or the refusal itself when it names none; nil when nothing was refused.
    func field(_ body: () throws -> Void) -> String? {
        guard let refusal = refusal(body) else { return nil }
        return refusal.fieldErrors.first?.field ?? "\(refusal)"
    }

    /// Every field the refusal names.
    func fields(_ body: () throws -> Void) -> [String] { refusal(body)?.fieldErrors.map(\.field) ?? [] }

    func isConflict(_ body: () throws -> Void) -> Bool {
        if case .conflict = refusal(body) { return true }
        return false
    }
}

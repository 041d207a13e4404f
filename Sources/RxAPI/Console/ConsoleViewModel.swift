import Mustache

/// A view model a template reads by key path rather than by reflection: swift-mustache looks a name up through
/// `MustacheParent` when a value offers it, else through `Mirror`, which is slow for a table of hundreds of rows.
protocol ConsoleViewModel: MustacheParent {
    /// The names a template may use, each with the property it reads.
    static var fields: [String: any PartialKeyPath<Self> & Sendable] { get }
}

extension ConsoleViewModel {
    func child(named name: String) -> Any? {
        Self.fields[name].map { ConsoleBlank.absent(self[keyPath: $0]) }
    }
}

/// What a template is given for an empty text or a missing value: it renders as nothing, and a section on it
/// (`{{#endReason}}（{{endReason}}）{{/endReason}}`) is left out, as a person reading the template expects.
/// swift-mustache leaves out only nil, false and empty lists; and a nil a view model answers would make it look the
/// name up in the enclosing values instead, so a row without a note could show the page's note.
struct ConsoleBlank: MustacheCustomRenderable {
    var renderText: String { "" }
    var isNull: Bool { true }

    /// The value, or a blank for "" and nil; within a form's rows of values too (`[String: Any]`).
    static func absent(_ value: Any) -> Any {
        if let text = value as? String { return text.isEmpty ? ConsoleBlank() : text }
        if let values = value as? [String: Any] { return values.mapValues(absent) }
        if let rows = value as? [[String: Any]] { return rows.map { $0.mapValues(absent) } }
        if let optional = value as? any OptionalValue {
            guard let wrapped = optional.wrapped else { return ConsoleBlank() }
            return absent(wrapped)
        }
        return value
    }
}

protocol OptionalValue {
    var wrapped: Any? { get }
}

extension Optional: OptionalValue {
    var wrapped: Any? { self.map { $0 as Any } }
}

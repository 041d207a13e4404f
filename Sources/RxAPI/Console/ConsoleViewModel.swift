import Mustache

/// A view model a template reads by key path rather than by reflection: swift-mustache looks a name up through
/// `MustacheParent` when a value offers it, else through `Mirror`, which is slow for a table of hundreds of rows.
protocol ConsoleViewModel: MustacheParent {
    /// The names a template may use, each with the property it reads.
    static var fields: [String: any PartialKeyPath<Self> & Sendable] { get }
}

extension ConsoleViewModel {
    func child(named name: String) -> Any? {
        Self.fields[name].map { self[keyPath: $0] }
    }
}

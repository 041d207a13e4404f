import RxDomain

extension Optional {
    /// The value a store found, or 404 naming what was not.
    func orNotFound(_ what: @autoclosure () -> String) throws(DomainError) -> Wrapped {
        guard let self else { throw .notFound(what()) }
        return self
    }
}

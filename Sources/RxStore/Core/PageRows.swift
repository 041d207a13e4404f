import RxDomain

/// The row limit a paged statement is prepared with. A limit bound as a parameter made PostgreSQL cost its generic
/// plan for an unknown limit, find it dearer than planning with the values, and plan the statement anew on every call
/// on a large table (docs/performance.md, "Stock"); so the page sizes clients ask for (20, the default 50, the most,
/// 200, each plus the row that says there is more) each have the statement with the limit written in, and other
/// sizes bind it (`BoundPageRows`). Each statement that pages this way has its text here for every size, kept once.
protocol PageRowsLimit {
    /// `StockStore.MemberStockViewStatement`'s text.
    static var memberStockSQL: String { get }
    /// `OrderStore.MemberOrdersPageStatement`'s text.
    static var memberOrdersSQL: String { get }
    /// `ShortageStore.OpenShortagesPageStatement`'s text.
    static var openShortagesSQL: String { get }
}

/// The limit bound as a parameter, for page sizes without a statement of their own.
enum BoundPageRows: PageRowsLimit {
    static let memberStockSQL = StockStore.MemberStockViewStatement<Self>.sql(limit: nil)
    static let memberOrdersSQL = OrderStore.MemberOrdersPageStatement<Self>.sql(limit: nil)
    static let openShortagesSQL = ShortageStore.OpenShortagesPageStatement<Self>.sql(limit: nil)
}

/// A page of 20 (the console's and HIS's usual page) and the row that says there is more.
enum PageRows21: PageRowsLimit {
    static let rows = 21
    static let memberStockSQL = StockStore.MemberStockViewStatement<Self>.sql(limit: rows)
    static let memberOrdersSQL = OrderStore.MemberOrdersPageStatement<Self>.sql(limit: rows)
    static let openShortagesSQL = ShortageStore.OpenShortagesPageStatement<Self>.sql(limit: rows)
}

/// A page of the default size.
enum PageRows51: PageRowsLimit {
    static let rows = PageRequest.defaultLimit + 1
    static let memberStockSQL = StockStore.MemberStockViewStatement<Self>.sql(limit: rows)
    static let memberOrdersSQL = OrderStore.MemberOrdersPageStatement<Self>.sql(limit: rows)
    static let openShortagesSQL = ShortageStore.OpenShortagesPageStatement<Self>.sql(limit: rows)
}

/// A page of the largest size.
enum PageRows201: PageRowsLimit {
    static let rows = PageRequest.maximumLimit + 1
    static let memberStockSQL = StockStore.MemberStockViewStatement<Self>.sql(limit: rows)
    static let memberOrdersSQL = OrderStore.MemberOrdersPageStatement<Self>.sql(limit: rows)
    static let openShortagesSQL = ShortageStore.OpenShortagesPageStatement<Self>.sql(limit: rows)
}

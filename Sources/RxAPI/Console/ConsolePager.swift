internal import Foundation
import Hummingbird
import RxDomain

/// A long list already read shown a page at a time (`?page=`), with links to the other pages that keep the
/// address's other parameters (the filters). Lists the database pages use `ConsoleKeysetPager`.
struct ConsolePager: Equatable {
    /// Rows on a page: a screen or two at 1366×768.
    static let rowsPerPage = 100

    /// The page shown, from 1; a page past the end shows the last, a page that is not a number the first.
    let page: Int
    let pageCount: Int
    let total: Int

    init(page requested: String?, total: Int) {
        self.total = total
        pageCount = max(1, (total + Self.rowsPerPage - 1) / Self.rowsPerPage)
        page = min(max(1, requested.flatMap { Int($0) } ?? 1), pageCount)
    }

    init(_ c: ConsoleRequest, total: Int) {
        self.init(page: c.query("page"), total: total)
    }

    /// The rows of the page shown.
    func rows<Row>(_ all: [Row]) -> [Row] {
        let start = (page - 1) * Self.rowsPerPage
        guard start < all.count else { return [] }
        return Array(all[start..<min(all.count, start + Self.rowsPerPage)])
    }

    func view(_ c: ConsoleRequest) -> PagerView? {
        view(
            path: c.request.uri.path, query: c.request.uri.queryParameters.map { (String($0.key), String($0.value)) },
            language: c.language)
    }

    /// The page links for the page at `path` with its `query`, nil when everything fits on one page. The first and
    /// last pages and those within three of this one are linked.
    func view(path: String, query: [(String, String)], language: ConsoleLanguage) -> PagerView? {
        guard pageCount > 1 else { return nil }
        let kept = query.filter { $0.0 != "page" && $0.0 != "done" }
        func href(_ page: Int) -> String { Self.href(path, kept + [("page", String(page))]) }
        let first = (page - 1) * Self.rowsPerPage + 1
        let last = min(total, page * Self.rowsPerPage)
        let near = (1...pageCount).filter { $0 == 1 || $0 == pageCount || abs($0 - page) <= 3 }
        return PagerView(
            line: language.word("pager_line").replacingFirst(String(first)).replacingFirst(String(last))
                .replacingFirst(String(total)),
            previous: page > 1 ? href(page - 1) : "", next: page < pageCount ? href(page + 1) : "",
            pages: near.map {
                PagerView.Link(
                    number: $0, label: language.word("page_number").replacingFirst(String($0)), href: href($0),
                    current: $0 == page)
            })
    }
}

/// A long list the database pages by key: a page starts after the key of the row before it (`?after=`) or ends
/// before the key of the row after it (`?before=`), so the database never counts its way to a page (no offset).
/// Under the list: where its rows sit in the whole, and the links to the rows before and after, keeping the
/// address's other parameters (the filters). A catalogue is several hundred items: a page of it is what a person
/// reads, and the server renders only that.
struct ConsoleKeysetPager: Equatable {
    /// How many rows come before the page, how many it shows, how many there are in all.
    let position: Int
    let shown: Int
    let total: Int
    /// The keys of the page's first and last rows.
    let first: String
    let last: String

    /// The rows a page asks the database for.
    struct Rows: Equatable {
        var limit: Int
        var after: String?
        var before: String?

        /// Every row, for a download.
        static let all = Rows(limit: Int(Int32.max))
    }

    /// A page of a list the database pages: `read` answers the rows asked for, how many there are in all and how many
    /// come before them; `key` is a row's key in the list's order.
    static func page<Row>(
        _ c: ConsoleRequest, key: (Row) -> String,
        _ read: (Rows) async throws -> (total: Int, position: Int, entries: [Row])
    ) async throws -> (ConsoleKeysetPager, [Row]) {
        let before = c.query("after") == nil ? c.query("before") : nil
        let found = try await read(Rows(limit: ConsolePager.rowsPerPage, after: c.query("after"), before: before))
        let pager = ConsoleKeysetPager(
            position: found.position, shown: found.entries.count, total: found.total,
            first: found.entries.first.map(key) ?? "", last: found.entries.last.map(key) ?? "")
        return (pager, found.entries)
    }

    func view(_ c: ConsoleRequest) -> PagerView? {
        view(
            path: c.request.uri.path, query: c.request.uri.queryParameters.map { (String($0.key), String($0.value)) },
            language: c.language)
    }

    /// The links for the page at `path` with its `query`, nil when everything fits on one page.
    func view(path: String, query: [(String, String)], language: ConsoleLanguage) -> PagerView? {
        guard shown < total else { return nil }
        let kept = query.filter { !["after", "before", "page", "done"].contains($0.0) }
        return PagerView(
            line: language.word("pager_line").replacingFirst(String(position + 1))
                .replacingFirst(String(position + shown)).replacingFirst(String(total)),
            previous: position > 0 ? ConsolePager.href(path, kept + [("before", first)]) : "",
            next: position + shown < total ? ConsolePager.href(path, kept + [("after", last)]) : "",
            pages: [])
    }
}

extension ConsolePager {
    /// Every item of a keyset-paged read, the largest page at a time: what a download holds.
    static func everyItem<Item>(_ read: (PageRequest) async throws -> Page<Item>) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String?
        repeat {
            let page = try await read(try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor))
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }

    /// An address within the console: the path and its query, percent-encoded.
    static func href(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = path
        components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.string ?? path
    }
}

extension ConsoleRequest {
    /// This page's address as a download of its list (`format=csv`): the same filters, every page.
    var csvHref: String {
        ConsolePager.href(
            request.uri.path,
            request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                .filter { !["page", "after", "before", "done", "format"].contains($0.0) } + [("format", "csv")])
    }

    var wantsCSV: Bool { query("format") == "csv" }
}

/// The page links under a list: where the rows shown sit in the whole, the page before and after, and the pages near.
struct PagerView: Equatable, ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "line": \.line, "previous": \.previous, "next": \.next, "pages": \.pages,
    ]

    var line: String
    /// Empty on the first page (no link), as `next` is on the last.
    var previous: String
    var next: String
    var pages: [Link]

    struct Link: Equatable, ConsoleViewModel {
        static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
            "number": \.number, "label": \.label, "href": \.href, "current": \.current,
        ]

        var number: Int
        var label: String
        var href: String
        var current: Bool
    }
}

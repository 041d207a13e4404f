internal import Foundation
import NIOCore
internal import OpenAPIRuntime
import RxDomain
import RxStore

extension Components.Schemas.Shortage {
    /// The record as compact JSON, members in the contract's order, absent ones left out as `JSONEncoder` does;
    /// `updatedAt` as the caller wrote it.
    func write(to writer: inout JSONText, updatedAt: String) {
        writer.object { writer in
            writer.member("id", id)
            writer.member("drugCode", drugCode)
            writer.member("genericName", genericName)
            writer.member("specification", specification)
            if let manufacturer { writer.member("manufacturer", manufacturer) }
            writer.member("status", status.rawValue)
            writer.member("level", level.rawValue)
            if let cause { writer.member("cause", cause) }
            writer.member("openedOn", openedOn)
            if let closedOn { writer.member("closedOn", closedOn) }
            if let outcome { writer.member("outcome", outcome) }
            writer.member("reopenings", reopenings)
            if let expectedRecovery { writer.member("expectedRecovery", expectedRecovery) }
            writer.key("lists")
            writer.array(lists) { writer, list in writer.value(list.rawValue) }
            writer.key("members")
            writer.array(members) { writer, member in
                writer.object { writer in
                    writer.member("institutionCode", member.institutionCode)
                    writer.member("institutionName", member.institutionName)
                    writer.member("affected", member.affected)
                    writer.member("onHand", member.onHand)
                    if let daysOfStock = member.daysOfStock { writer.member("daysOfStock", daysOfStock) }
                    writer.member("firstAffectedOn", member.firstAffectedOn)
                    writer.member("lastSeenOn", member.lastSeenOn)
                }
            }
            writer.member("updatedAt", updatedAt)
        }
    }
}

extension Operations.ListOpenShortages.Output.Ok.Body.JsonPayload {
    init(_ page: Page<ShortageView>, asOf today: BusinessDate) throws {
        self.init(
            asOf: today.description, items: try page.items.map(Components.Schemas.Shortage.init), nextCursor: page.nextCursor)
    }

    /// The transcoder the generated server's encoder uses, made once: each one makes its own ICU date formatter on
    /// its first date, a cost a page paid again on every request (docs/performance.md).
    private static let dates = Configuration().dateTranscoder

    /// The page as compact JSON (`DirectGetRoute.openShortages`), its times written by the transcoder the generated
    /// server's encoder uses.
    func json() throws -> ByteBuffer {
        let updatedAt = try items.map { try Self.dates.encode($0.updatedAt) }
        var writer = JSONText(capacity: 64 + items.reduce(0) { $0 + 400 + 200 * $1.members.count })
        writer.object { writer in
            writer.member("asOf", asOf)
            writer.key("items")
            writer.array(zip(items, updatedAt)) { writer, item in item.0.write(to: &writer, updatedAt: item.1) }
            if let nextCursor { writer.member("nextCursor", nextCursor) }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}

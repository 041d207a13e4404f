import NIOCore
import RxDomain

extension Components.Schemas.CatalogueEntry {
    /// The item as compact JSON, members in the contract's order, absent ones left out as `JSONEncoder` does.
    func write(to writer: inout JSONText) {
        writer.object { writer in
            writer.member("drugCode", drugCode)
            writer.member("genericName", genericName)
            writer.member("dosageForm", dosageForm)
            if let strength { writer.member("strength", strength) }
            writer.member("category", category.rawValue)
            writer.member("essential", essential)
            writer.member("insuranceClass", insuranceClass.rawValue)
            writer.key("levels")
            writer.array(levels) { writer, level in writer.value(level.rawValue) }
            if let note { writer.member("note", note) }
            if let justification { writer.member("justification", justification) }
        }
    }
}

extension Components.Schemas.CatalogueInEffect {
    /// The catalogue in effect as compact JSON (`DirectGetRoute.catalogueInEffect`).
    var json: ByteBuffer {
        var writer = JSONText(capacity: 128 + 200 * items.count)
        writer.object { writer in
            writer.member("consortiumCode", consortiumCode)
            writer.member("version", version)
            writer.member("effectiveFrom", effectiveFrom)
            writer.key("items")
            writer.array(items) { writer, item in item.write(to: &writer) }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}

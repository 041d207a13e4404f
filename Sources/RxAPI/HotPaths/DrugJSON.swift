import NIOCore
import RxDomain

extension Components.Schemas.Drug {
    /// The drug as compact JSON, members in the contract's order, absent ones left out as `JSONEncoder` does.
    var json: ByteBuffer {
        var writer = JSONText()
        writer.object { writer in
            writer.member("code", code)
            writer.member("genericName", genericName)
            if let nameEn { writer.member("nameEn", nameEn) }
            writer.member("dosageForm", dosageForm)
            if let strength { writer.member("strength", strength) }
            writer.member("packageSize", packageSize)
            writer.member("packageUnit", packageUnit)
            writer.member("unit", unit)
            if let manufacturer { writer.member("manufacturer", manufacturer) }
            if let atcCode { writer.member("atcCode", atcCode) }
            writer.member("category", category.rawValue)
            writer.key("essentialEditions")
            writer.array(essentialEditions) { writer, edition in writer.value(edition) }
            writer.member("insuranceClass", insuranceClass.rawValue)
            writer.member("controlClass", controlClass.rawValue)
            writer.member("antimicrobial", antimicrobial)
            writer.member("coldChain", coldChain)
            if let decoctionPiece {
                writer.key("decoctionPiece")
                writer.object { writer in
                    writer.member("herbName", decoctionPiece.herbName)
                    writer.member("processing", decoctionPiece.processing.rawValue)
                    writer.member("grade", decoctionPiece.grade)
                }
            }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}

import NIOCore
import RxDomain

/// A dispensing's request and answer read and written directly, for `DispensingRoute`. The types are the generated
/// ones: a new required property breaks this file's build, a new request property the reader does not know sends
/// every request carrying it to the generated server, and a new answer property the writer does not write fails
/// `HotPathTests` (which compare the members written with the type's properties).
extension Components.Schemas.DispensingInput {
    /// The input, or nil when the body leaves `StrictJSONReader`'s subset or the schema.
    static func read(strictJSON bytes: UnsafeRawBufferPointer) -> Self? {
        StrictJSONReader.read(bytes) { (reader: inout StrictJSONReader) throws(StrictJSONReader.Decline) -> Self in
            var drugCode: String?, quantity: String?, lotNumber: String?, locationCode: String?, patientRef: String?
            var ward: String?, traceabilityCodes: [String]?, splitPackage: Bool?
            try reader.object { (reader, key) throws(StrictJSONReader.Decline) in
                switch key {
                case "drugCode": drugCode = try reader.string()
                case "quantity": quantity = try reader.string()
                case "lotNumber": lotNumber = try reader.string()
                case "locationCode": locationCode = try reader.string()
                case "patientRef": patientRef = try reader.string()
                case "ward": ward = try reader.string()
                case "traceabilityCodes":
                    traceabilityCodes = try reader.array { (reader) throws(StrictJSONReader.Decline) in try reader.string() }
                case "splitPackage": splitPackage = try reader.bool()
                default: throw StrictJSONReader.Decline()
                }
            }
            return Self(
                drugCode: try required(drugCode), quantity: try required(quantity), lotNumber: lotNumber,
                locationCode: locationCode, patientRef: patientRef, ward: ward, traceabilityCodes: traceabilityCodes,
                splitPackage: splitPackage)
        }
    }
}

extension Components.Schemas.Dispensing {
    /// The dispensing as compact JSON, members in the contract's order, absent ones left out as `JSONEncoder` does.
    var json: ByteBuffer {
        var writer = JSONText(capacity: 384 + 128 * lots.count + 64 * traceabilityCodes.count)
        writer.object { writer in
            writer.member("id", id)
            writer.member("institutionCode", institutionCode)
            if let locationCode { writer.member("locationCode", locationCode) }
            writer.member("drugCode", drugCode)
            writer.member("quantity", quantity)
            if let patientRef { writer.member("patientRef", patientRef) }
            if let ward { writer.member("ward", ward) }
            if let requestedLot { writer.member("requestedLot", requestedLot) }
            writer.member("businessDate", businessDate)
            writer.key("lots")
            writer.array(lots) { writer, lot in
                writer.object { writer in
                    writer.member("movementId", lot.movementId)
                    writer.member("lotNumber", lot.lotNumber)
                    writer.member("expiryDate", lot.expiryDate)
                    writer.member("quantity", lot.quantity)
                }
            }
            writer.key("traceabilityCodes")
            writer.array(traceabilityCodes) { writer, code in
                writer.object { writer in
                    writer.member("code", code.code)
                    writer.member("reflow", code.reflow)
                }
            }
            if let traceabilityExemption { writer.member("traceabilityExemption", traceabilityExemption.rawValue) }
            writer.member("replayed", replayed)
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}

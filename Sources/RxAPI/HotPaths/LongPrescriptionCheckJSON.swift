import NIOCore
import RxDomain

/// The desk check's request and answer read and written directly, for `LongPrescriptionCheckRoute`. The types
/// are the generated ones: a new required property breaks this file's build, a new request property the reader
/// does not know sends every request carrying it to the generated server, and a new answer property the writer
/// does not write fails `HotPathTests` (which compare the members written with the type's properties).
extension Components.Schemas.LongPrescriptionCheckInput {
    /// The input, or nil when the body leaves `StrictJSONReader`'s subset or the schema.
    static func read(strictJSON bytes: UnsafeRawBufferPointer) -> Self? {
        StrictJSONReader.read(bytes) { (reader: inout StrictJSONReader) throws(StrictJSONReader.Decline) -> Self in
            var institutionCode: String?, prescriber: String?, businessDate: String?
            var patient: Components.Schemas.LongPrescriptionPatient?
            var items: [Components.Schemas.LongPrescriptionItemInput]?
            try reader.object { (reader, key) throws(StrictJSONReader.Decline) in
                switch key {
                case "institutionCode": institutionCode = try reader.string()
                case "prescriber": prescriber = try reader.string()
                case "patient": patient = try .read(&reader)
                case "items": items = try reader.array { (reader) throws(StrictJSONReader.Decline) in try .read(&reader) }
                case "businessDate": businessDate = try reader.string()
                default: throw StrictJSONReader.Decline()
                }
            }
            return Self(
                institutionCode: try required(institutionCode), prescriber: try required(prescriber),
                patient: try required(patient), items: try required(items), businessDate: businessDate)
        }
    }
}

extension Components.Schemas.LongPrescriptionPatient {
    static func read(_ reader: inout StrictJSONReader) throws(StrictJSONReader.Decline) -> Self {
        var ref: String?, familyDoctorContract: Bool?, goodAdherence: Bool?
        var diagnoses: DiagnosesPayload?
        try reader.object { (reader, key) throws(StrictJSONReader.Decline) in
            switch key {
            case "ref": ref = try reader.string()
            case "familyDoctorContract": familyDoctorContract = try reader.bool()
            case "goodAdherence": goodAdherence = try reader.bool()
            case "diagnoses":
                diagnoses = try reader.array { (reader) throws(StrictJSONReader.Decline) in
                    try DiagnosesPayloadPayload.read(&reader)
                }
            default: throw StrictJSONReader.Decline()
            }
        }
        return Self(
            ref: try required(ref), familyDoctorContract: try required(familyDoctorContract),
            goodAdherence: try required(goodAdherence), diagnoses: try required(diagnoses))
    }
}

extension Components.Schemas.LongPrescriptionPatient.DiagnosesPayloadPayload {
    static func read(_ reader: inout StrictJSONReader) throws(StrictJSONReader.Decline) -> Self {
        var icd: String?, stable: Bool?, lastAssessedOn: String?
        try reader.object { (reader, key) throws(StrictJSONReader.Decline) in
            switch key {
            case "icd": icd = try reader.string()
            case "stable": stable = try reader.bool()
            case "lastAssessedOn": lastAssessedOn = try reader.string()
            default: throw StrictJSONReader.Decline()
            }
        }
        return Self(icd: try required(icd), stable: try required(stable), lastAssessedOn: lastAssessedOn)
    }
}

extension Components.Schemas.LongPrescriptionItemInput {
    static func read(_ reader: inout StrictJSONReader) throws(StrictJSONReader.Decline) -> Self {
        var drugCode: String?, dailyDose: String?, days: Int?, assessmentRecorded: Bool?, patientConfirmed: Bool?
        try reader.object { (reader, key) throws(StrictJSONReader.Decline) in
            switch key {
            case "drugCode": drugCode = try reader.string()
            case "dailyDose": dailyDose = try reader.string()
            case "days": days = try reader.int()
            case "assessmentRecorded": assessmentRecorded = try reader.bool()
            case "patientConfirmed": patientConfirmed = try reader.bool()
            default: throw StrictJSONReader.Decline()
            }
        }
        return Self(
            drugCode: try required(drugCode), dailyDose: try required(dailyDose), days: try required(days),
            assessmentRecorded: assessmentRecorded, patientConfirmed: patientConfirmed)
    }
}

extension Components.Schemas.LongPrescriptionCheckResult {
    /// The answer as compact JSON, members in the contract's order.
    var json: ByteBuffer {
        var writer = JSONText()
        writer.object { writer in
            writer.member("decision", decision.rawValue)
            writer.key("items")
            writer.array(items) { writer, item in
                writer.object { writer in
                    writer.member("drugCode", item.drugCode)
                    writer.member("eligible", item.eligible)
                    writer.member("daysAsked", item.daysAsked)
                    writer.member("maxDays", item.maxDays)
                    writer.member("quantity", item.quantity)
                    writer.key("reasons")
                    writer.array(item.reasons) { writer, reason in
                        writer.object { writer in
                            writer.member("code", reason.code)
                            writer.member("zh", reason.zh)
                            writer.member("en", reason.en)
                        }
                    }
                    if let shortage = item.shortage {
                        writer.key("shortage")
                        writer.object { writer in
                            writer.member("id", shortage.id)
                            writer.member("level", shortage.level.rawValue)
                            if let code = shortage.substituteDrugCode { writer.member("substituteDrugCode", code) }
                        }
                    }
                }
            }
        }
        return ByteBuffer(bytes: writer.bytes)
    }
}

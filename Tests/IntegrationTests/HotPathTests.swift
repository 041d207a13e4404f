import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import RxAPI
import RxDomain
import Testing

/// The desk check's direct route (`LongPrescriptionCheckRoute`) must answer exactly as the generated server does:
/// its reader reads what `JSONDecoder` reads or declines, its writer writes what decodes to the same result, and
/// over HTTP both paths give the same answers.
@Suite("Hot paths")
struct HotPathTests {
    typealias Input = Components.Schemas.LongPrescriptionCheckInput
    typealias Result = Components.Schemas.LongPrescriptionCheckResult

    static func fast(_ text: String) -> Input? {
        var text = text
        return text.withUTF8 { Input.read(strictJSON: UnsafeRawBufferPointer($0)) }
    }

    static func fast(_ bytes: [UInt8]) -> Input? { bytes.withUnsafeBytes { Input.read(strictJSON: $0) } }

    static func decoded(_ bytes: [UInt8]) -> Input? { try? JSONDecoder().decode(Input.self, from: Data(bytes)) }

    static let plain = """
        {"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
         "patient": {"ref": "P-17", "familyDoctorContract": true, "goodAdherence": false,
                     "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "2026-11-20"}, {"icd": "E11.9", "stable": false}]},
         "items": [{"drugCode": "XC01", "dailyDose": "1.5", "days": 56, "assessmentRecorded": true, "patientConfirmed": false},
                   {"drugCode": "XC02", "dailyDose": "2", "days": 0}]}
        """

    @Test("the strict reader reads a plain request as JSONDecoder does")
    func readsPlainRequests() throws {
        let expected = try #require(Self.decoded(Array(Self.plain.utf8)))
        #expect(Self.fast(Self.plain) == expected)
        // Compact, spread out, keys in another order, a non-ASCII patient id, negative and large integers.
        let variants = [
            Self.plain.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: ": ", with: ":"),
            Self.plain.replacingOccurrences(of: ",", with: " ,\r\n\t"),
            #"{"items": [], "patient": {"diagnoses": [], "goodAdherence": true, "ref": "患者-一", "familyDoctorContract": false}, "prescriber": "D", "institutionCode": "I"}"#,
            #"{"institutionCode": "I", "prescriber": "D", "patient": {"ref": "🩺", "familyDoctorContract": true, "goodAdherence": true, "diagnoses": [{"stable": true, "icd": "I10"}]}, "items": [{"days": -7, "dailyDose": "1", "drugCode": "X"}, {"drugCode": "Y", "dailyDose": "0.001", "days": 9223372036854775807}]}"#,
            "  \(Self.plain)\n\n",
        ]
        for variant in variants {
            let fast = Self.fast(variant)
            #expect(fast != nil, "declined: \(variant)")
            #expect(fast == Self.decoded(Array(variant.utf8)), "\(variant)")
        }
    }

    @Test("the strict reader declines what it does not read exactly, and the generated server then answers")
    func declines() {
        let item = #"{"drugCode": "X", "dailyDose": "1", "days": 28}"#
        func body(item: String = item, ref: String = #""P-1""#, tail: String = "") -> String {
            #"{"institutionCode": "I", "prescriber": "D", "patient": {"ref": \#(ref), "familyDoctorContract": true, "goodAdherence": true, "diagnoses": [{"icd": "I10", "stable": true}]}, "items": [\#(item)]\#(tail)}"#
        }
        let declined = [
            body(ref: #""P\u002d1""#),  // an escape
            body(ref: #""P\"1""#),
            body(ref: "null"),
            body(ref: "17"),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": 28.0}"#),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": 2.8e1}"#),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": 028}"#),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": "28"}"#),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": 99999999999999999999}"#),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": 28, "assessmentRecorded": null}"#),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": 28, "note": "x"}"#),  // unknown key
            body(item: #"{"drugCode": "X", "drugCode": "Y", "dailyDose": "1", "days": 28}"#),  // repeated key
            body(item: #"{"drugCode": "X", "days": 28}"#),  // a required key missing
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": 28,}"#),
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": tru}"#),
            body(tail: #", "extra": {}"#),
            body() + "x",
            body() + "}",
            String(body().dropLast()),
            "\u{FEFF}" + body(),
            "[]",
            "",
        ]
        for text in declined {
            #expect(Self.fast(text) == nil, "read: \(text)")
        }
        // A raw control character in a string, and bytes that are not UTF-8.
        #expect(Self.fast(body(ref: "\"P\u{01}1\"")) == nil)
        var bytes = Array(body(ref: #""P-X""#).utf8)
        bytes[bytes.firstIndex(of: UInt8(ascii: "X"))!] = 0xFF
        #expect(Self.fast(bytes) == nil)
        #expect(Self.decoded(bytes) == nil)
    }

    @Test("random requests: whatever the strict reader reads, JSONDecoder reads the same")
    func randomRequests() throws {
        var random = SplitMix64(seed: 20261201)
        var read = 0
        for _ in 0..<2_000 {
            let (text, plain) = RandomCheckBody.make(&random)
            let bytes = Array(text.utf8)
            let fast = Self.fast(bytes)
            if let fast {
                read += 1
                #expect(fast == Self.decoded(bytes), "\(text)")
            }
            if plain { #expect(fast != nil, "a plain body was declined: \(text)") }
        }
        #expect(read > 500, "too few random bodies were plain enough to read (\(read))")
    }

    @Test("the writer's JSON decodes to the same result, whatever the strings hold")
    func writesResults() throws {
        var random = SplitMix64(seed: 7)
        let alphabet = Array("aZ09 -_.,:;'\"\\/\n\r\t\u{01}\u{1F}\u{7F}é中药长处方🩺")
        func string() -> String {
            String((0..<Int(random.next() % 12)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        for _ in 0..<500 {
            let result = Result(
                decision: [.approved, .shortened, .refused][Int(random.next() % 3)],
                items: (0..<Int(random.next() % 4)).map { _ in
                    .init(drugCode: string(), eligible: random.next() % 2 == 0, daysAsked: Int(truncatingIfNeeded: random.next()) % 1000,
                          maxDays: Int(random.next() % 85), quantity: string(),
                          reasons: (0..<Int(random.next() % 3)).map { _ in .init(code: string(), zh: string(), en: string()) })
                })
            let bytes = Data(buffer: result.json)
            let decoded = try JSONDecoder().decode(Result.self, from: bytes)
            #expect(decoded == result, "\(String(decoding: bytes, as: UTF8.self))")
            // The same members as the generated encoder writes, and no more.
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(result)))
        }
    }

    @Test("the drug writer's JSON decodes to the same drug, and has the members JSONEncoder writes")
    func writesDrugs() throws {
        var random = SplitMix64(seed: 11)
        let alphabet = Array("aZ09 -_.,'\"\\/\n\u{01}é中药🩺")
        func string() -> String {
            String((0..<Int(random.next() % 10)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        func maybe() -> String? { random.next() % 2 == 0 ? string() : nil }
        func pick<T: CaseIterable>(_: T.Type) -> T { let all = Array(T.allCases); return all[Int(random.next() % UInt64(all.count))] }
        for _ in 0..<500 {
            let drug = Components.Schemas.Drug(
                code: string(), genericName: string(), nameEn: maybe(), dosageForm: string(), strength: maybe(),
                packageSize: Int(random.next() % 1000), packageUnit: string(), unit: string(), manufacturer: maybe(), atcCode: maybe(),
                category: pick(Components.Schemas.DrugCategory.self), essentialEditions: (0..<Int(random.next() % 3)).map { _ in string() },
                insuranceClass: pick(Components.Schemas.InsuranceClass.self), controlClass: pick(Components.Schemas.ControlClass.self),
                antimicrobial: random.next() % 2 == 0, coldChain: random.next() % 2 == 0,
                decoctionPiece: random.next() % 2 == 0 ? nil : .init(herbName: string(), processing: pick(Components.Schemas.Processing.self), grade: string()))
            let bytes = Data(buffer: drug.json)
            #expect(try JSONDecoder().decode(Components.Schemas.Drug.self, from: bytes) == drug, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(drug)))
        }
    }

    @Test("over HTTP every demo drug reads the same on the direct route and the generated server; odd codes go to the generated one")
    func sameDrugs() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let codes = try await app.database.rows("SELECT code FROM drugs ORDER BY code", as: String.self)
            #expect(codes.count > 300)
            let metrics = { HotPathCounts(try await app.call(.get, "/metrics", token: nil).text, operation: "getDrug") }
            let before = try await metrics()
            for code in codes + ["NO-SUCH-DRUG"] {
                let direct = try await app.call(.get, "/v1/drugs/\(code)", token: token)
                let generated = try await app.call(.get, "/v1/drugs/\(code)", token: token, headers: [.accept: "application/json, text/plain"])
                #expect(direct.status == generated.status, "\(code)")
                #expect(direct.contentType == generated.contentType, "\(code)")
                #expect(try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)), "\(code)")
            }
            let after = try await metrics()
            #expect(after.direct - before.direct >= codes.count + 1)
            #expect(after.generated - before.generated >= codes.count + 1)
            // Percent-encoded and dotted codes are the generated server's to decode.
            for path in ["/v1/drugs/%58C01", "/v1/drugs/.x", "/v1/drugs/" + String(repeating: "A", count: 41)] {
                let counted = try await metrics()
                let response = try await app.call(.get, path, token: token)
                #expect(response.status.code < 500, "\(path): \(response.text)")
                #expect(try await metrics().generated > counted.generated, "\(path)")
            }
            try await app.call(.get, "/v1/drugs/\(codes[0])", token: nil).expectProblem(.unauthorized)
        }
    }

    @Test("over HTTP the direct route and the generated server give the same answers and the same problems")
    func sameAnswers() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let narcotic = try await app.database.rows("SELECT code FROM drugs WHERE control_class = 'narcotic' LIMIT 1", as: String.self)[0]
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let assessed = BusinessDate.today().adding(days: -5)
            func body(items: String, diagnosis: String = "I10", stable: Bool = true, institution: String = "CY-BJL-CHC") -> String {
                """
                {"institutionCode": "\(institution)", "prescriber": "DR-CY-0001",
                 "patient": {"ref": "P-HOT", "familyDoctorContract": true, "goodAdherence": true,
                             "diagnoses": [{"icd": "\(diagnosis)", "stable": \(stable), "lastAssessedOn": "\(assessed)"}]},
                 "items": [\(items)]}
                """
            }
            let bodies = [
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "2.5", "days": 120, "assessmentRecorded": true, "patientConfirmed": true}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 56}, {"drugCode": "\#(narcotic)", "dailyDose": "1", "days": 28}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28}"#, diagnosis: "J45", stable: false),
                // Problems from the handler: an unknown member, an unknown drug, a bad quantity.
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28}"#, institution: "NOPE"),
                body(items: #"{"drugCode": "NO-SUCH-DRUG", "dailyDose": "1", "days": 28}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "-1", "days": 28}"#),
            ]
            let metrics = { try await app.call(.get, "/metrics", token: nil).text }
            for text in bodies {
                let before = HotPathCounts(try await metrics())
                let direct = try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: text)
                let afterDirect = HotPathCounts(try await metrics())
                // An Accept header that names another type as well sends the request to the generated server.
                let generated = try await app.call(
                    .post, "/v1/long-prescriptions/check", token: prescriber, json: text, headers: [.accept: "application/json, text/plain"])
                let afterGenerated = HotPathCounts(try await metrics())
                #expect(afterDirect.direct > before.direct, "the direct route answered")
                #expect(afterGenerated.generated > afterDirect.generated, "the generated server answered")

                #expect(direct.status == generated.status, "\(text)")
                #expect(direct.contentType == generated.contentType)
                if direct.status == .ok {
                    #expect(try JSONDecoder().decode(Result.self, from: Data(buffer: direct.body))
                        == JSONDecoder().decode(Result.self, from: Data(buffer: generated.body)))
                } else {
                    #expect(try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)), "\(direct.text) \(generated.text)")
                }
            }
            // A body the reader declines is answered by the generated server, with its problem naming the field.
            let unknown = body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28, "note": "x"}"#)
            try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: unknown).expectProblem(.badRequest, naming: "items[0].note")
            let wrongType = body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": "28"}"#)
            try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: wrongType).expectProblem(.badRequest, naming: "items[0].days")
            // No token: 401 before anything is read, on either path.
            try await app.call(.post, "/v1/long-prescriptions/check", token: nil, json: bodies[0]).expectProblem(.unauthorized)
        }
    }
}

/// JSON with its members sorted, so two documents compare by content.
func canonicalJSON(_ data: Data) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: data), options: [.sortedKeys]), as: UTF8.self)
}

/// `crx_hot_path_requests` of one operation, read from `/metrics`.
struct HotPathCounts {
    var direct = 0
    var generated = 0

    init(_ metrics: String, operation: String = "checkLongPrescription") {
        for line in metrics.split(separator: "\n") where line.hasPrefix("crx_hot_path_requests{") && line.contains(#"operation="\#(operation)""#) {
            let value = Int(line.split(separator: " ").last ?? "") ?? 0
            if line.contains(#"path="direct""#) { direct = value }
            if line.contains(#"path="generated""#) { generated = value }
        }
    }
}

/// A seedable generator, so a failing random case can be run again.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random check bodies: mostly well-formed, some with the things the strict reader declines (escapes, nulls,
/// fractions, unknown and repeated keys, missing keys, wrong types). `plain` says none of those was used.
enum RandomCheckBody {
    static func make(_ random: inout SplitMix64) -> (text: String, plain: Bool) {
        var plain = true
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
        func space() -> String { ["", " ", "\n  ", "\t", "\r\n"][Int(random.next() % 5)] }
        func string() -> String {
            let pieces = ["P", "-", "0", "9", "中", "药", "é", "🩺", " ", "/", "'"]
            var text = (0..<Int(random.next() % 8)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            if chance(3) {
                text += ["\\\"", "\\\\", "\\u4e2d", "\\n", "\\/"][Int(random.next() % 5)]
                plain = false
            }
            return "\"" + text + "\""
        }
        func bool() -> String {
            if chance(2) {
                plain = false
                return ["null", "1", "\"true\""][Int(random.next() % 3)]
            }
            return chance(50) ? "true" : "false"
        }
        func int() -> String {
            if chance(3) {
                plain = false
                return ["28.0", "2e1", "028", "\"28\"", "null", "-"][Int(random.next() % 6)]
            }
            return String(Int(truncatingIfNeeded: random.next() % 400) - 20)
        }
        func object(_ members: [(String, String, Bool)]) -> String {
            var chosen = members.filter { _, _, required in
                if required {
                    if chance(1) {
                        plain = false
                        return false
                    }
                    return true
                }
                return chance(60)
            }
            if chance(2) {
                chosen.append(("unknown", string(), false))
                plain = false
            }
            if chance(2), let first = chosen.first {
                chosen.append(first)
                plain = false
            }
            chosen.shuffle(using: &random)
            return "{" + space() + chosen.map { "\"\($0.0)\"" + space() + ":" + space() + $0.1 }.joined(separator: "," + space()) + space() + "}"
        }
        func array(_ element: () -> String) -> String {
            "[" + (0..<Int(random.next() % 3)).map { _ in element() }.joined(separator: ", ") + "]"
        }
        let diagnosis = { object([("icd", string(), true), ("stable", bool(), true), ("lastAssessedOn", string(), false)]) }
        let item = {
            object([("drugCode", string(), true), ("dailyDose", string(), true), ("days", int(), true),
                    ("assessmentRecorded", bool(), false), ("patientConfirmed", bool(), false)])
        }
        let patient = object([("ref", string(), true), ("familyDoctorContract", bool(), true), ("goodAdherence", bool(), true),
                              ("diagnoses", array(diagnosis), true)])
        let text = space() + object([("institutionCode", string(), true), ("prescriber", string(), true), ("patient", patient, true),
                                     ("items", array(item), true)]) + space()
        return (text, plain)
    }
}

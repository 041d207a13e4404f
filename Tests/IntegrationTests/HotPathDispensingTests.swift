import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import RxDomain
import Testing

@testable import RxAPI

/// The dispensing's direct route (`DispensingRoute`) must answer exactly as the generated server does: its reader
/// reads what `JSONDecoder` reads or declines, its writer writes what decodes to the same dispensing, and over HTTP
/// both paths dispense, replay and refuse alike.
@Suite("Hot paths: dispensing")
struct HotPathDispensingTests {
    typealias Input = Components.Schemas.DispensingInput
    typealias L = StockLedgerTests

    static func fast(_ text: String) -> Input? {
        var text = text
        return text.withUTF8 { Input.read(strictJSON: UnsafeRawBufferPointer($0)) }
    }

    static func decoded(_ text: String) -> Input? { try? JSONDecoder().decode(Input.self, from: Data(text.utf8)) }

    @Test("the strict reader reads a plain dispensing as JSONDecoder does, and declines what it does not read exactly")
    func reads() throws {
        let plain = [
            #"{"drugCode": "XJ01", "quantity": "2"}"#,
            #"{"drugCode": "XJ01", "quantity": "1.5", "lotNumber": "L-1", "locationCode": "PHARMACY", "patientRef": "P-9", "splitPackage": true}"#,
            #"{"ward": "内科一病区", "quantity": "3", "drugCode": "XJ01", "traceabilityCodes": ["81000010000000000001", "81000010000000000002"]}"#,
            #"{"drugCode": "XJ01", "quantity": "1", "traceabilityCodes": [], "splitPackage": false}"#,
        ]
        for body in plain {
            let read = try #require(Self.fast(body), "\(body)")
            #expect(read == Self.decoded(body), "\(body)")
        }
        for body in [
            #"{"drugCode": "XJ01"}"#,  // a required member missing: the generated server says so
            #"{"drugCode": "XJ01", "quantity": 2}"#,  // a number, not the contract's string
            #"{"drugCode": "XJ01", "quantity": "1", "other": 1}"#,
            #"{"drugCode": "XJ01", "quantity": "1", "patientRef": null}"#,
            #"{"drugCode": "X\u004A01", "quantity": "1"}"#,
            #"{"drugCode": "XJ01", "quantity": "1", "quantity": "2"}"#,
            #"{"drugCode": "XJ01", "quantity": "1"} x"#,
        ] {
            #expect(Self.fast(body) == nil, "\(body)")
        }
    }

    @Test("the writer's JSON decodes to the same dispensing, and has the members JSONEncoder writes")
    func writes() throws {
        var random = SplitMix64(seed: 23)
        let alphabet = Array("aZ09 -_.,'\"\\/\n\u{01}é中药🩺")
        func string() -> String { random.string(from: alphabet, shorterThan: 10) }
        func maybe() -> String? { random.next() % 2 == 0 ? string() : nil }
        typealias D = Components.Schemas.Dispensing
        var everyMemberSeen = false
        for _ in 0..<300 {
            let exemptions = D.TraceabilityExemptionPayload.allCases
            let dispensing = D(
                id: Int64(random.next() % 1_000_000), institutionCode: string(), locationCode: maybe(), drugCode: string(),
                quantity: string(), patientRef: maybe(), ward: maybe(), requestedLot: maybe(), businessDate: string(),
                lots: (0..<Int(random.next() % 3)).map { _ in
                    .init(
                        movementId: Int64(random.next() % 1_000_000), lotNumber: string(), expiryDate: string(),
                        quantity: string())
                },
                traceabilityCodes: (0..<Int(random.next() % 3)).map { _ in .init(code: string(), reflow: random.next() % 2 == 0)
                },
                traceabilityExemption: random.next() % 2 == 0 ? nil : exemptions[Int(random.next() % UInt64(exemptions.count))],
                replayed: random.next() % 2 == 0)
            let bytes = Data(buffer: dispensing.json)
            #expect(try JSONDecoder().decode(D.self, from: bytes) == dispensing, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(dispensing)))
            if dispensing.locationCode != nil, dispensing.patientRef != nil, dispensing.ward != nil,
                dispensing.requestedLot != nil, dispensing.traceabilityExemption != nil, let lot = dispensing.lots.first,
                let code = dispensing.traceabilityCodes.first
            {
                let written = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
                #expect(Set(written.keys) == propertyNames(dispensing))
                let lots = written["lots"] as? [[String: Any]] ?? []
                #expect(Set(lots.first?.keys.map { $0 } ?? []) == propertyNames(lot))
                let codes = written["traceabilityCodes"] as? [[String: Any]] ?? []
                #expect(Set(codes.first?.keys.map { $0 } ?? []) == propertyNames(code))
                everyMemberSeen = true
            }
        }
        #expect(everyMemberSeen, "no random dispensing had every optional member")
    }

    @Test("over HTTP the direct route and the generated server dispense, replay and refuse alike")
    func sameOverHTTP() async throws {
        let today = L.Today(BusinessDate("2026-11-20")!)
        try await L.run(today: today) { app in
            let token = try await app.token(.institutionPharmacist, institution: L.member)
            try await L.stock(app, lot: "HP-A", expiry: BusinessDate("2028-01-31")!, quantity: 20, on: today.value)
            try await L.stock(app, lot: "HP-B", expiry: BusinessDate("2028-06-30")!, quantity: 20, on: today.value)
            let uri = "/v1/institutions/\(L.member)/dispensings"
            let generatedOnly: HTTPFields = [.accept: "application/json, text/plain"]
            /// The same body on both paths: the statuses and the answers, ids aside.
            func both(_ body: String, key: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws
                -> (direct: TestResponse, generated: TestResponse)
            {
                var headers: HTTPFields = [:]
                if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
                let direct = try await app.call(.post, uri, token: token, json: body, headers: headers)
                var other = headers
                other.append(contentsOf: generatedOnly)
                let generated = try await app.call(
                    .post, uri, token: token, json: body, headers: other)
                #expect(
                    direct.status == generated.status, "\(body): \(direct.text) | \(generated.text)",
                    sourceLocation: sourceLocation)
                #expect(direct.contentType == generated.contentType, sourceLocation: sourceLocation)
                #expect(
                    try Self.withoutIDs(direct.body) == Self.withoutIDs(generated.body), "\(direct.text) | \(generated.text)",
                    sourceLocation: sourceLocation)
                return (direct, generated)
            }
            let fefo = try await both(#"{"drugCode": "\#(L.drug)", "quantity": "2", "patientRef": "P-1", "splitPackage": true}"#)
            #expect(fefo.direct.status == .created && L.lots(fefo.direct) == ["HP-A": "2"], "\(fefo.direct.text)")
            let named = try await both(
                #"{"drugCode": "\#(L.drug)", "quantity": "1", "lotNumber": "HP-B", "ward": "内科一病区", "splitPackage": true}"#)
            #expect(named.direct.status == .created && L.lots(named.direct) == ["HP-B": "1"])
            try await L.expectAuditedAsStored(app, fefo.direct)
            // Refusals: beyond what is held (422), a drug not held (422), a body the contract refuses (400), a
            // member of another consortium (404).
            #expect(
                try await both(#"{"drugCode": "\#(L.drug)", "quantity": "999", "patientRef": "P-1", "splitPackage": true}"#)
                    .direct.status == .unprocessableContent)
            #expect(try await both(#"{"drugCode": "XNOSUCH", "quantity": "1", "patientRef": "P-1"}"#).direct.status.code == 422)
            #expect(
                try await both(#"{"drugCode": "\#(L.drug)", "quantity": "1", "ward": "\#(String(repeating: "病", count: 101))"}"#)
                    .direct.status == .badRequest)
            #expect(try await both(#"{"drugCode": "\#(L.drug)", "quantity": "1", "other": true}"#).direct.status == .badRequest)
            // A retried key returns the first dispensing on the direct route as on the generated one.
            let first = try await app.call(
                .post, uri, token: token,
                json: #"{"drugCode": "\#(L.drug)", "quantity": "1", "patientRef": "P-2", "splitPackage": true}"#,
                headers: [HTTPField.Name("Idempotency-Key")!: "hp-key-1"])
            let again = try await app.call(
                .post, uri, token: token,
                json: #"{"drugCode": "\#(L.drug)", "quantity": "1", "patientRef": "P-2", "splitPackage": true}"#,
                headers: [HTTPField.Name("Idempotency-Key")!: "hp-key-1", .accept: "application/json, text/plain"])
            #expect(first.status == .created && again.status == .created, "\(again.text)")
            #expect(again.json["id"] as? Int == first.json["id"] as? Int && again.json["replayed"] as? Bool == true)
            // A key outside the contract's pattern is the generated route's to refuse.
            let spaced = try await app.call(
                .post, uri, token: token, json: #"{"drugCode": "\#(L.drug)", "quantity": "1", "patientRef": "P-3"}"#,
                headers: [HTTPField.Name("Idempotency-Key")!: "a key"])
            #expect(spaced.status == .badRequest, "\(spaced.text)")
            // 20 + 20 received; 2 + 2, 1 + 1 and the keyed 1 dispensed.
            #expect(try await L.onHand(app, lot: "HP-A") + L.onHand(app, lot: "HP-B") == 33)
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            for path in ["direct", "generated"] {
                #expect(metrics.contains(#"crx_hot_path_requests{operation="createDispensing",path="\#(path)"}"#))
            }
        }
    }

    /// The answer with the ids the two dispensings cannot share (the dispensing's and its movements') left out.
    static func withoutIDs(_ body: ByteBuffer) throws -> String {
        guard var object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else { return "" }
        object["id"] = nil
        object["lots"] = (object["lots"] as? [[String: Any]])?.map { lot in lot.filter { $0.key != "movementId" } }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

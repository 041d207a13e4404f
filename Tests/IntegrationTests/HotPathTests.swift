import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import OpenAPIRuntime
import PostgresNIO
import RxDomain
import RxStore
import RxUseCases
import Synchronization
import Testing

@testable import RxAPI

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
            Self.plain.replacingOccurrences(of: "\"days\": 56", with: "\"days\": -0"),
        ]
        for variant in variants {
            let fast = Self.fast(variant)
            #expect(fast != nil, "declined: \(variant)")
            #expect(fast == Self.decoded(Array(variant.utf8)), "\(variant)")
        }
    }

    @Test("the strict reader declines what it does not read exactly")
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
            body(item: #"{"drugCode": "X", "dailyDose": "1", "days": -9223372036854775808}"#),  // Int.min: declined, safely
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
        func string() -> String { random.string(from: alphabet, shorterThan: 12) }
        for _ in 0..<500 {
            let result = Result(
                decision: [.approved, .shortened, .refused][Int(random.next() % 3)],
                items: (0..<Int(random.next() % 4)).map { _ in
                    .init(
                        drugCode: string(), eligible: random.next() % 2 == 0,
                        daysAsked: Int(truncatingIfNeeded: random.next()) % 1000,
                        maxDays: Int(random.next() % 85), quantity: string(),
                        reasons: (0..<Int(random.next() % 3)).map { _ in .init(code: string(), zh: string(), en: string()) },
                        shortage: random.next() % 2 == 0
                            ? nil
                            : .init(
                                id: Int64(random.next() % 100_000),
                                level: [.member, .consortium, .escalated][Int(random.next() % 3)],
                                substituteDrugCode: random.next() % 2 == 0 ? nil : string()))
                })
            let bytes = Data(buffer: result.json)
            let decoded = try JSONDecoder().decode(Result.self, from: bytes)
            let written = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
            #expect(Set(written.keys) == propertyNames(result))
            if let item = result.items.first, let writtenItem = (written["items"] as? [[String: Any]])?.first {
                // An open shortage is mentioned only when there is one (issue 22).
                #expect(Set(writtenItem.keys) == propertyNames(item).subtracting(item.shortage == nil ? ["shortage"] : []))
                if let shortage = item.shortage, shortage.substituteDrugCode != nil {
                    #expect(Set((writtenItem["shortage"] as? [String: Any] ?? [:]).keys) == propertyNames(shortage))
                }
                if let reason = item.reasons.first, let writtenReason = (writtenItem["reasons"] as? [[String: Any]])?.first {
                    #expect(Set(writtenReason.keys) == propertyNames(reason))
                }
            }
            #expect(decoded == result, "\(String(decoding: bytes, as: UTF8.self))")
            // The same members as the generated encoder writes, and no more.
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(result)))
        }
    }

    @Test("the drug writer's JSON decodes to the same drug, and has the members JSONEncoder writes")
    func writesDrugs() throws {
        var random = SplitMix64(seed: 11)
        let alphabet = Array("aZ09 -_.,'\"\\/\n\u{01}é中药🩺")
        func string() -> String { random.string(from: alphabet, shorterThan: 10) }
        func maybe() -> String? { random.next() % 2 == 0 ? string() : nil }
        func pick<T: CaseIterable>(_: T.Type) -> T {
            let all = Array(T.allCases); return all[Int(random.next() % UInt64(all.count))]
        }
        var everyMemberSeen = false
        defer { #expect(everyMemberSeen, "no random drug had every optional member") }
        for _ in 0..<500 {
            let drug = Components.Schemas.Drug(
                code: string(), genericName: string(), nameEn: maybe(), dosageForm: string(), strength: maybe(),
                packageSize: Int(random.next() % 1000), packageUnit: string(), unit: string(), manufacturer: maybe(),
                atcCode: maybe(),
                category: pick(Components.Schemas.DrugCategory.self),
                essentialEditions: (0..<Int(random.next() % 3)).map { _ in string() },
                insuranceClass: pick(Components.Schemas.InsuranceClass.self),
                controlClass: pick(Components.Schemas.ControlClass.self),
                antimicrobial: random.next() % 2 == 0, coldChain: random.next() % 2 == 0,
                decoctionPiece: random.next() % 2 == 0
                    ? nil : .init(herbName: string(), processing: pick(Components.Schemas.Processing.self), grade: string()))
            let bytes = Data(buffer: drug.json)
            #expect(
                try JSONDecoder().decode(Components.Schemas.Drug.self, from: bytes) == drug,
                "\(String(decoding: bytes, as: UTF8.self))")
            // With every optional member present, every property is written (a new one the writer misses fails here).
            if drug.nameEn != nil, drug.strength != nil, drug.manufacturer != nil, drug.atcCode != nil,
                let piece = drug.decoctionPiece
            {
                let written = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
                #expect(Set(written.keys) == propertyNames(drug))
                #expect(Set((written["decoctionPiece"] as? [String: Any] ?? [:]).keys) == propertyNames(piece))
                everyMemberSeen = true
            }
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(drug)))
        }
    }

    @Test("the catalogue writer's JSON decodes to the same catalogue, and has the members JSONEncoder writes")
    func writesCatalogues() throws {
        var random = SplitMix64(seed: 12)
        let alphabet = Array("aZ09 -_.,'\"\\/\n\u{01}é中药🩺")
        func string() -> String { random.string(from: alphabet, shorterThan: 10) }
        func maybe() -> String? { random.next() % 2 == 0 ? string() : nil }
        func pick<T: CaseIterable>(_: T.Type) -> T {
            let all = Array(T.allCases); return all[Int(random.next() % UInt64(all.count))]
        }
        var everyMemberSeen = false
        for _ in 0..<100 {
            let items = (0..<Int(random.next() % 6)).map { _ in
                Components.Schemas.CatalogueEntry(
                    drugCode: string(), genericName: string(), dosageForm: string(), strength: maybe(),
                    category: pick(Components.Schemas.DrugCategory.self), essential: random.next() % 2 == 0,
                    insuranceClass: pick(Components.Schemas.InsuranceClass.self),
                    levels: (0..<Int(random.next() % 4)).map { _ in pick(Components.Schemas.InstitutionLevel.self) },
                    note: maybe(), justification: maybe())
            }
            let catalogue = Components.Schemas.CatalogueInEffect(
                consortiumCode: string(), version: Int(random.next() % 100), effectiveFrom: string(), items: items)
            let bytes = Data(buffer: catalogue.json)
            #expect(
                try JSONDecoder().decode(Components.Schemas.CatalogueInEffect.self, from: bytes) == catalogue,
                "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(catalogue)))
            // With every optional member present, every property is written (a new one the writer misses fails here).
            if let item = items.first(where: { $0.strength != nil && $0.note != nil && $0.justification != nil }) {
                let written = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
                #expect(Set(written.keys) == propertyNames(catalogue))
                let writtenItem = try #require(
                    (written["items"] as? [[String: Any]])?.first { $0["drugCode"] as? String == item.drugCode })
                #expect(Set(writtenItem.keys) == propertyNames(item))
                everyMemberSeen = true
            }
        }
        #expect(everyMemberSeen, "no random item had every optional member")
    }

    @Test("the orders writer's JSON decodes to the same page, and has the members JSONEncoder writes")
    func writesOrders() throws {
        typealias Order = Components.Schemas.PurchaseOrder
        var random = SplitMix64(seed: 13)
        let alphabet = Array("aZ09 -_.,'\"\\/\n\u{01}é中药🩺")
        func string() -> String { random.string(from: alphabet, shorterThan: 10) }
        func maybe() -> String? { random.next() % 2 == 0 ? string() : nil }
        func maybeID() -> Int64? { random.next() % 2 == 0 ? Int64(random.next() % 1_000_000) : nil }
        func pick<T: CaseIterable>(_: T.Type) -> T {
            let all = Array(T.allCases); return all[Int(random.next() % UInt64(all.count))]
        }
        var everyMemberSeen = false
        for _ in 0..<100 {
            let items = (0..<Int(random.next() % 4)).map { _ in
                Order(
                    id: Int64(random.next() % 1_000_000), institutionCode: string(), status: pick(Order.StatusPayload.self),
                    orderDate: string(),
                    lines: (0..<Int(random.next() % 4)).map { _ in
                        Order.LinesPayloadPayload(
                            lineNo: Int(random.next() % 100), drugCode: string(), quantity: string(),
                            quantityUnit: pick(Order.LinesPayloadPayload.QuantityUnitPayload.self), unitPrice: string(),
                            consolidatedOrderId: maybeID(), receivedQuantity: string())
                    }, emergencyShortageId: maybeID(), emergencySupplierCode: maybe())
            }
            let page = Operations.ListOrders.Output.Ok.Body.JsonPayload(items: items, nextCursor: maybe())
            let bytes = Data(buffer: page.json)
            #expect(
                try JSONDecoder().decode(Operations.ListOrders.Output.Ok.Body.JsonPayload.self, from: bytes) == page,
                "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(page)))
            // With every optional member present, every property is written (a new one the writer misses fails here).
            if page.nextCursor != nil,
                let order = items.first(where: {
                    $0.emergencyShortageId != nil && $0.emergencySupplierCode != nil
                        && $0.lines.contains { $0.consolidatedOrderId != nil }
                })
            {
                let written = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
                #expect(Set(written.keys) == propertyNames(page))
                let writtenOrder = try #require((written["items"] as? [[String: Any]])?.first { $0["id"] as? Int64 == order.id })
                #expect(Set(writtenOrder.keys) == propertyNames(order))
                let line = try #require(order.lines.first { $0.consolidatedOrderId != nil })
                let writtenLine = try #require(
                    (writtenOrder["lines"] as? [[String: Any]])?.first { $0["lineNo"] as? Int == line.lineNo })
                #expect(Set(writtenLine.keys) == propertyNames(line))
                everyMemberSeen = true
            }
        }
        #expect(everyMemberSeen, "no random page had every optional member")
    }

    @Test(
        "over HTTP every demo member's orders pages read the same on the direct route and the generated server, and so do their refusals"
    )
    func sameOrders() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let member = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            // Orders with lines received, consolidated, and left as drafts.
            _ = try await ReconciliationTests.received(app, count: 3)
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            for _ in 0..<4 { _ = try await ProcurementTests.order(app, member, [(drug, "2")]) }
            func same(_ uri: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
                -> TestResponse
            { try await sameOnBothRoutes(app, uri, token: token, sourceLocation: sourceLocation) }
            let members = try await app.database.rows(
                "SELECT i.code FROM institutions i JOIN consortia c ON c.id = i.consortium_id WHERE c.code = 'JLTCM' ORDER BY 1",
                as: String.self)
            var orders = 0
            for code in members {
                for query in ["", "?limit=50", "?limit=200"] {
                    #expect(try await same("/v1/institutions/\(code)/orders\(query)", token: admin).status == .ok)
                }
                orders += try await pagesOnBothRoutes(app, "/v1/institutions/\(code)/orders", limit: 2, token: admin)
            }
            #expect(orders >= 7, "\(orders)")
            #expect(try await same("/v1/institutions/YJ-TCMH/orders", token: member).status == .ok)
            // Refusals read alike: another member's orders (403), no such member (404), a limit out of bounds or a
            // cursor this service never wrote (400).
            #expect(try await same("/v1/institutions/SL-TCMH/orders", token: member).status == .forbidden)
            #expect(try await same("/v1/institutions/NO-SUCH/orders", token: admin).status == .notFound)
            #expect(try await same("/v1/institutions/YJ-TCMH/orders?limit=0", token: admin).status == .badRequest)
            #expect(try await same("/v1/institutions/YJ-TCMH/orders?limit=201", token: admin).status == .badRequest)
            #expect(try await same("/v1/institutions/YJ-TCMH/orders?cursor=abc", token: admin).status == .badRequest)
            // A status filter is the generated route's.
            let drafts = try await app.call(.get, "/v1/institutions/YJ-TCMH/orders?status=draft", token: admin)
            #expect((drafts.json["items"] as? [Any])?.count == 4, "\(drafts.text.prefix(300))")
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            for path in ["direct", "generated"] {
                #expect(metrics.contains(#"crx_hot_path_requests{operation="listOrders",path="\#(path)"}"#))
            }
        }
    }

    @Test("the shortages writer's JSON decodes to the same page, and has the members the generated server's encoder writes")
    func writesShortages() throws {
        typealias Page = Operations.ListOpenShortages.Output.Ok.Body.JsonPayload
        var random = SplitMix64(seed: 14)
        let alphabet = Array("aZ09 -_.,'\"\\/\n\u{01}é中药🩺")
        func string() -> String { random.string(from: alphabet, shorterThan: 10) }
        func maybe() -> String? { random.next() % 2 == 0 ? string() : nil }
        func pick<T: CaseIterable>(_: T.Type) -> T {
            let all = Array(T.allCases); return all[Int(random.next() % UInt64(all.count))]
        }
        // The generated server's encoder: its dates by the configuration's transcoder.
        let dates = Configuration().dateTranscoder
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try dates.encode(date))
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try dates.decode(try decoder.singleValueContainer().decode(String.self))
        }
        var everyMemberSeen = false
        for _ in 0..<600 {
            let items = (0..<Int(random.next() % 4)).map { _ in
                Components.Schemas.Shortage(
                    id: Int64(random.next() % 1_000_000), drugCode: string(), genericName: string(), specification: string(),
                    manufacturer: maybe(), status: pick(Components.Schemas.Shortage.StatusPayload.self),
                    level: pick(Components.Schemas.ShortageLevel.self), cause: maybe(), openedOn: string(), closedOn: maybe(),
                    outcome: maybe(), reopenings: Int(random.next() % 5), expectedRecovery: maybe(),
                    lists: (0..<Int(random.next() % 3)).map { _ in pick(Components.Schemas.ShortageListKind.self) },
                    members: (0..<Int(random.next() % 3)).map { _ in
                        Components.Schemas.ShortageMember(
                            institutionCode: string(), institutionName: string(), affected: random.next() % 2 == 0,
                            onHand: string(), daysOfStock: maybe(), firstAffectedOn: string(), lastSeenOn: string())
                    },
                    updatedAt: Date(timeIntervalSince1970: Double(1_700_000_000 + random.next() % 100_000_000)))
            }
            let page = Page(asOf: string(), items: items, nextCursor: maybe())
            let bytes = Data(buffer: try page.json())
            #expect(try decoder.decode(Page.self, from: bytes) == page, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try canonicalJSON(bytes) == canonicalJSON(encoder.encode(page)))
            // With every optional member present, every property is written (a new one the writer misses fails here).
            if page.nextCursor != nil,
                let shortage = items.first(where: {
                    $0.manufacturer != nil && $0.cause != nil && $0.closedOn != nil && $0.outcome != nil
                        && $0.expectedRecovery != nil && $0.members.contains { $0.daysOfStock != nil }
                })
            {
                let written = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
                #expect(Set(written.keys) == propertyNames(page))
                let writtenShortage = try #require(
                    (written["items"] as? [[String: Any]])?.first { $0["id"] as? Int64 == shortage.id })
                #expect(Set(writtenShortage.keys) == propertyNames(shortage))
                let member = try #require(shortage.members.first { $0.daysOfStock != nil })
                let writtenMember = try #require(
                    (writtenShortage["members"] as? [[String: Any]])?.first { $0["daysOfStock"] as? String == member.daysOfStock }
                )
                #expect(Set(writtenMember.keys) == propertyNames(member))
                everyMemberSeen = true
            }
        }
        #expect(everyMemberSeen, "no random page had every optional member")
    }

    @Test(
        "over HTTP the open shortages read the same on the direct route and the generated server, page by page, and so do their refusals"
    )
    func sameShortages() async throws {
        try await TestApp.run { app in
            try await ShortageReadTests.prepare(app, on: ShortageScanTests.today)
            let admin = try await app.token(.consortiumAdmin)
            let pharmacist = try await app.token(.institutionPharmacist, institution: ShortageScanTests.member)
            func same(_ uri: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
                -> TestResponse
            { try await sameOnBothRoutes(app, uri, token: token, sourceLocation: sourceLocation) }
            let all = try await same("/v1/consortia/JLTCM/shortages", token: admin)
            let items = try #require(all.json["items"] as? [[String: Any]], "\(all.text)")
            #expect(items.count >= 2 && items.contains { ($0["members"] as? [Any])?.isEmpty == false })
            #expect(try await same("/v1/consortia/JLTCM/shortages", token: pharmacist).status == .ok)
            let read = try await pagesOnBothRoutes(app, "/v1/consortia/JLTCM/shortages", limit: 1, token: admin)
            #expect(read == items.count)
            #expect(try await same("/v1/consortia/OTHER/shortages", token: admin).status == .notFound)
            #expect(try await same("/v1/consortia/JLTCM/shortages?limit=0", token: admin).status == .badRequest)
            #expect(try await same("/v1/consortia/JLTCM/shortages?cursor=abc", token: admin).status == .badRequest)
            // A filter is the generated route's.
            let filtered = try await app.call(.get, "/v1/consortia/JLTCM/shortages?level=member", token: admin)
            #expect(filtered.status == .ok)
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            for path in ["direct", "generated"] {
                #expect(metrics.contains(#"crx_hot_path_requests{operation="listOpenShortages",path="\#(path)"}"#))
            }
        }
    }

    @Test(
        "pages asked at once share their reads, each reader with what it may see, and the read after a write sees it"
    )
    func sharedPages() async throws {
        try await TestApp.run { app in
            try await ShortageReadTests.prepare(app, on: ShortageScanTests.today)
            // Two pharmacists who see different records, and the supply centre who sees them all.
            let tokens = [
                try await app.token(.institutionPharmacist, institution: ShortageScanTests.member),
                try await app.token(.institutionPharmacist, institution: ShortageScanTests.otherMember),
                try await app.token(.consortiumAdmin),
            ]
            let shortages = "/v1/consortia/JLTCM/shortages"
            var alone: [String] = []
            for token in tokens { alone.append(try await app.call(.get, shortages, token: token).text) }
            #expect(alone[0] != alone[1], "the two pharmacists see different records")
            let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<60 { group.addTask { (i % 3, try await app.call(.get, shortages, token: tokens[i % 3]).text) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (reader, page) in together { #expect(page == alone[reader]) }

            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            _ = try await ProcurementTests.order(app, officer, [(drug, "2")])
            let orders = "/v1/institutions/YJ-TCMH/orders?limit=200"
            let before = try await app.call(.get, orders, token: officer)
            // Readers of the same page at once, some of whom may not read it (another member's officer: 403) or
            // cannot see the member (an unknown code: 404): each is checked before it joins a read.
            let stranger = try await app.token(.procurementOfficer, institution: "SL-TCMH")
            let pages = try await withThrowingTaskGroup(of: (Int, Int, String).self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let response = try await app.call(
                            .get, i % 8 == 7 ? "/v1/institutions/NO-SUCH/orders?limit=200" : orders,
                            token: i % 4 == 1 ? stranger : officer)
                        return (i, Int(response.status.code), response.text)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (i, status, text) in pages {
                switch (i % 8 == 7, i % 4 == 1) {
                case (true, _): #expect(status == 404, "\(text)")
                case (false, true): #expect(status == 403, "\(text)")
                case (false, false): #expect(status == 200 && text == before.text)
                }
            }
            let order = try #require(try await ProcurementTests.order(app, officer, [(drug, "3")]).json["id"] as? Int)
            let after = try await app.call(.get, orders, token: officer)
            #expect(after.text.contains("\"id\":\(order),") && !before.text.contains("\"id\":\(order),"))
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            for read in ["open-shortages-page", "member-orders-page"] {
                #expect(metrics.contains(#"crx_coalesced_queries{read="\#(read)"}"#), "\(read)")
            }
        }
    }

    @Test(
        "28: a member's orders page a server keeps follows every write to its orders and lines, made by this server or not"
    )
    func keptOrderPagesFollowWrites() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let other = try await app.token(.procurementOfficer, institution: "SL-TCMH")
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            let first = try #require(try await ProcurementTests.order(app, officer, [(drug, "2")]).json["id"] as? Int)
            let orders = "/v1/institutions/YJ-TCMH/orders?limit=200"
            func page() async throws -> (text: String, orders: [[String: Any]]) {
                let answer = try await app.call(.get, orders, token: officer)
                #expect(answer.status == .ok, "\(answer.text)")
                return (answer.text, answer.json["items"] as? [[String: Any]] ?? [])
            }
            func order(_ id: Int) async throws -> [String: Any]? { try await page().orders.first { $0["id"] as? Int == id } }
            func stamp(_ member: String) async throws -> Int64 {
                try await app.database.rows(
                    """
                    SELECT COALESCE((SELECT s.stamp FROM member_order_stamps s
                                     WHERE s.consortium_id = i.consortium_id AND s.institution_id = i.id), 0)
                    FROM institutions i WHERE i.code = \(member)
                    """, as: Int64.self)[0]
            }
            func hits() async throws -> Int {
                let metrics = try await app.call(.get, "/metrics", token: nil).text
                let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"crx_kept_hits{read="member-orders-page"}"#) }
                return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
            }

            let before = try await page()
            #expect(try await page().text == before.text)
            #expect(try await hits() >= 1, "the second read is the kept page")

            // Another member's order leaves this member's stamp, and so its kept page, as they were.
            let yj = try await stamp("YJ-TCMH")
            _ = try await ProcurementTests.order(app, other, institution: "SL-TCMH", [(drug, "1")])
            #expect(try await stamp("YJ-TCMH") == yj)
            #expect(try await page().text == before.text)

            // Writes made without this server (the CLI, the console of another server, a correction by hand): the
            // order's state, a line's quantity, a new line, a deleted line.
            try await app.database.autocommit {
                try await $0.sql("UPDATE purchase_orders SET status = 'cancelled' WHERE id = \(first)")
            }
            #expect(try await order(first)?["status"] as? String == "cancelled")
            try await app.database.autocommit {
                try await $0.sql("UPDATE purchase_order_lines SET quantity = 7 WHERE order_id = \(first) AND line_no = 1")
            }
            let lines = { (order: [String: Any]?) in order?["lines"] as? [[String: Any]] ?? [] }
            #expect(lines(try await order(first)).first?["quantity"] as? String == "7")
            try await app.database.autocommit {
                try await $0.sql(
                    """
                    INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit,
                                                      unit_price, price_agreement_id)
                    SELECT consortium_id, order_id, 2, drug_code, 5, quantity_unit, unit_price, price_agreement_id
                    FROM purchase_order_lines WHERE order_id = \(first) AND line_no = 1
                    """)
            }
            #expect(lines(try await order(first)).count == 2)
            try await app.database.autocommit {
                try await $0.sql("DELETE FROM purchase_order_lines WHERE order_id = \(first) AND line_no = 2")
            }
            #expect(lines(try await order(first)).count == 1)

            // This server's own write, through the API.
            let second = try #require(try await ProcurementTests.order(app, officer, [(drug, "3")]).json["id"] as? Int)
            #expect(try await order(second) != nil)

            // One statement over two members' orders draws both stamps; emptied tables draw every member's.
            let (yj2, sl) = (try await stamp("YJ-TCMH"), try await stamp("SL-TCMH"))
            try await app.database.autocommit {
                try await $0.sql(
                    """
                    UPDATE purchase_orders o SET updated_at = now() FROM institutions i
                    WHERE i.consortium_id = o.consortium_id AND i.id = o.institution_id AND i.code IN ('YJ-TCMH', 'SL-TCMH')
                    """)
            }
            #expect(try await stamp("YJ-TCMH") != yj2)
            #expect(try await stamp("SL-TCMH") != sl)
            let member = try await stamp("CY-BJL-CHC")
            try await app.database.autocommit { try await $0.sql("TRUNCATE purchase_order_lines CASCADE") }
            #expect(try await stamp("CY-BJL-CHC") != member)
            #expect(try await page().orders.allSatisfy { lines($0).isEmpty })

            // The codes the page shows: a member's code drawn on its change only, a supplier's code draws every
            // member's (an emergency purchase names its supplier).
            let yj3 = try await stamp("YJ-TCMH")
            try await app.database.autocommit {
                try await $0.sql("UPDATE institutions SET name = name || '' WHERE code = 'YJ-TCMH'")
            }
            #expect(try await stamp("YJ-TCMH") == yj3)
            try await app.database.autocommit {
                try await $0.sql("UPDATE institutions SET code = 'YJ-TCMH-X' WHERE code = 'YJ-TCMH'")
                try await $0.sql("UPDATE institutions SET code = 'YJ-TCMH' WHERE code = 'YJ-TCMH-X'")
            }
            #expect(try await stamp("YJ-TCMH") != yj3)
            let (yj4, cy) = (try await stamp("YJ-TCMH"), try await stamp("CY-BJL-CHC"))
            try await app.database.autocommit {
                try await $0.sql("UPDATE suppliers SET name = name || '' WHERE id = (SELECT min(id) FROM suppliers)")
            }
            #expect(try await stamp("YJ-TCMH") == yj4)
            try await app.database.autocommit {
                try await $0.sql("UPDATE suppliers SET code = code || 'X' WHERE id = (SELECT min(id) FROM suppliers)")
            }
            #expect(try await stamp("YJ-TCMH") != yj4)
            #expect(try await stamp("CY-BJL-CHC") != cy)

            // Every member has a stamp from the start. A write behind the triggers (a load with
            // session_replication_role = replica) leaves the kept page as it was, until every stamp is drawn afresh;
            // a member without a stamp is read afresh every time.
            let unstamped = try await app.database.rows(
                """
                SELECT count(*) FROM institutions i
                WHERE NOT EXISTS (SELECT FROM member_order_stamps s WHERE s.consortium_id = i.consortium_id AND s.institution_id = i.id)
                """, as: Int64.self)[0]
            #expect(unstamped == 0)
            let third = try #require(try await ProcurementTests.order(app, officer, [(drug, "4")]).json["id"] as? Int)
            func behindTheTriggers(_ status: String) async throws {
                try await app.database.transaction {
                    try await $0.sql("SET LOCAL session_replication_role = replica")
                    try await $0.sql("UPDATE purchase_orders SET status = \(status) WHERE id = \(third)")
                }
            }
            let status = try #require(try await order(third)?["status"] as? String)
            try await behindTheTriggers("cancelled")
            #expect(try await order(third)?["status"] as? String == status, "the page kept at the unchanged stamp")
            try await app.database.autocommit { try await $0.sql("SELECT member_order_stamps_draw_every()") }
            #expect(try await order(third)?["status"] as? String == "cancelled")
            try await app.database.autocommit {
                try await $0.sql(
                    """
                    DELETE FROM member_order_stamps s USING institutions i
                    WHERE s.consortium_id = i.consortium_id AND s.institution_id = i.id AND i.code = 'YJ-TCMH'
                    """)
            }
            #expect(try await order(third)?["status"] as? String == "cancelled")
            try await behindTheTriggers(status)
            #expect(try await order(third)?["status"] as? String == status, "a member without a stamp has nothing kept")
        }
    }

    /// A cursor as the service writes one, for the key `key`.
    static func cursor(_ key: String) -> String {
        Data("k1:\(key)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test("a member's orders page is kept at the stamp read by its own statement, and keyed by its consortium")
    func keptOrderPagesStandForTheirStamp() async throws {
        try await TestApp.run { app in
            let officer = try await app.token(.procurementOfficer, institution: "YJ-TCMH")
            let (drug, _) = try await ProcurementTests.drugs(app, count: 1)[0]
            _ = try await ProcurementTests.order(app, officer, [(drug, "2")])
            let (consortium, member) = try await app.database.rows(
                "SELECT consortium_id, id FROM institutions WHERE code = 'YJ-TCMH'", as: (Int64, Int64).self)[0]
            let store = OrderStore(database: app.database)
            let page = try PageRequest(limit: nil, cursor: nil)
            func read() async throws -> (page: Page<PurchaseOrder>, stamp: Int64?) {
                try await app.database.read {
                    try await store.memberOrders(consortiumID: consortium, institutionID: member, page: page, connection: $0)
                }
            }
            func stamp() async throws -> Int64 {
                try await app.database.rows(
                    "SELECT stamp FROM member_order_stamps WHERE consortium_id = \(consortium) AND institution_id = \(member)",
                    as: Int64.self)[0]
            }
            let before = try await read()
            #expect(before.stamp == (try await stamp()))
            _ = try await ProcurementTests.order(app, officer, [(drug, "3")])
            let after = try await read()
            #expect(after.stamp == (try await stamp()) && after.stamp != before.stamp)
            #expect(after.page.items.count == before.page.items.count + 1)
            let past = try PageRequest(limit: nil, cursor: Self.cursor(String(Int64.max)))
            let empty = try await app.database.read {
                try await store.memberOrders(consortiumID: consortium, institutionID: member, page: past, connection: $0)
            }
            #expect(empty.page.items.isEmpty && empty.stamp == nil)
            // Keys: the consortium is part of the key, and a cursor that is not an order's id is the first page's.
            let first = MemberOrdersPage(consortiumID: consortium, institutionID: member, page: page)
            #expect(first != MemberOrdersPage(consortiumID: consortium + 1, institutionID: member, page: page))
            let odd = try PageRequest(limit: nil, cursor: Self.cursor("not an id"))
            #expect(first == MemberOrdersPage(consortiumID: consortium, institutionID: member, page: odd))
            let padded = try PageRequest(limit: nil, cursor: Self.cursor("007"))
            let seven = try PageRequest(limit: nil, cursor: Self.cursor("7"))
            #expect(
                MemberOrdersPage(consortiumID: consortium, institutionID: member, page: padded)
                    == MemberOrdersPage(consortiumID: consortium, institutionID: member, page: seven))
        }
    }

    @Test("the spend writer's JSON decodes to the same report, and has the members JSONEncoder writes")
    func writesSpend() throws {
        typealias Report = Components.Schemas.SpendReport
        var random = SplitMix64(seed: 15)
        let alphabet = Array("aZ09 -_.,'\"\\/\n\u{01}é中药🩺")
        func string() -> String { random.string(from: alphabet, shorterThan: 10) }
        for _ in 0..<100 {
            let report = Report(
                from: string(), to: string(), total: string(), essentialShare: string(), insuredShare: string(),
                tcmShare: string(),
                rows: (0..<Int(random.next() % 5)).map { _ in
                    Report.RowsPayloadPayload(institutionCode: string(), drugCode: string(), month: string(), amount: string())
                })
            let bytes = Data(buffer: report.json)
            #expect(try JSONDecoder().decode(Report.self, from: bytes) == report, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try canonicalJSON(bytes) == canonicalJSON(JSONEncoder().encode(report)))
            let written = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
            #expect(Set(written.keys) == propertyNames(report))
            if let row = report.rows.first {
                #expect(Set((written["rows"] as? [[String: Any]])?.first?.keys ?? [:].keys) == propertyNames(row))
            }
        }
        #expect(DirectRoute.periodQuery("from=2025-01-01&to=2025-12-31")! == ("2025-01-01", "2025-12-31"))
        #expect(DirectRoute.periodQuery("to=2025-12-31&from=2025-01-01")! == ("2025-01-01", "2025-12-31"))
        for declined in [
            nil, "", "from=2025-01-01", "from=2025-01-01&to=2025-02-30", "from=2025-01-01&to=2025-12-31&x=1",
            "from=2025-01-01&from=2025-01-02&to=2025-12-31", "from=2025-01-01&to=2025-12-31&", "from=20250101&to=2025-12-31",
            "from=2025-01-01&to=2025%2D12-31",
        ] {
            #expect(DirectRoute.periodQuery(declined) == nil, "\(declined ?? "nil")")
        }
    }

    @Test(
        "over HTTP the spend report reads the same on the direct route and the generated server, and so do its refusals"
    )
    func sameSpend() async throws {
        try await TestApp.run { app in
            _ = try await ReconciliationTests.received(app, count: 3)
            let finance = try await app.token(.finance)
            let pharmacist = try await app.token(.institutionPharmacist, institution: "YJ-TCMH")
            func same(_ uri: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
                -> TestResponse
            { try await sameOnBothRoutes(app, uri, token: token, sourceLocation: sourceLocation) }
            let today = BusinessDate.today()
            let year = try await same("/v1/consortia/JLTCM/spend?from=\(today.year)-01-01&to=\(today)", token: finance)
            #expect((year.json["rows"] as? [Any])?.count == 3, "\(year.text)")
            #expect(try await same("/v1/consortia/JLTCM/spend?to=\(today)&from=\(today)", token: finance).status == .ok)
            // Refusals read alike: a period ending before it begins (422), a date that does not exist or a missing
            // one (400, the generated route's), a role without finance (403), another consortium (404).
            #expect(
                try await same("/v1/consortia/JLTCM/spend?from=\(today)&to=\(today.adding(days: -1))", token: finance).status
                    == .unprocessableContent)
            #expect(
                try await same("/v1/consortia/JLTCM/spend?from=2025-02-30&to=2025-03-01", token: finance).status == .badRequest)
            #expect(try await same("/v1/consortia/JLTCM/spend?from=2025-01-01", token: finance).status == .badRequest)
            #expect(
                try await same("/v1/consortia/JLTCM/spend?from=2025-01-01&to=2025-12-31", token: pharmacist).status == .forbidden)
            #expect(try await same("/v1/consortia/OTHER/spend?from=2025-01-01&to=2025-12-31", token: finance).status == .notFound)
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            for path in ["direct", "generated"] {
                #expect(metrics.contains(#"crx_hot_path_requests{operation="getSpendReport",path="\#(path)"}"#))
            }
        }
    }

    @Test(
        "over HTTP the catalogue in effect reads the same on the direct route and the generated server, and so do its refusals"
    )
    func sameCatalogue() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            func same(_ uri: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
                -> TestResponse
            { try await sameOnBothRoutes(app, uri, token: token, sourceLocation: sourceLocation) }
            let catalogue = try await same("/v1/consortia/JLTCM/catalogue", token: prescriber)
            #expect(catalogue.status == .ok)
            let items = try #require(catalogue.json["items"] as? [[String: Any]])
            #expect(
                items.count > 300 && items.contains { $0["note"] != nil || $0["justification"] != nil || $0["strength"] != nil })
            #expect(try await same("/v1/consortia/JLTCM/catalogue", token: admin).status == .ok)
            #expect(try await same("/v1/consortia/OTHER/catalogue", token: admin).status == .notFound)
            // A query is the generated route's: the same answer for today.
            let today = try await app.call(.get, "/v1/consortia/JLTCM/catalogue?on=\(BusinessDate.today())", token: admin)
            #expect(try canonicalJSON(Data(buffer: today.body)) == canonicalJSON(Data(buffer: catalogue.body)))
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            for path in ["direct", "generated"] {
                #expect(metrics.contains(#"crx_hot_path_requests{operation="getCatalogueInEffect",path="\#(path)"}"#))
            }
        }
    }

    @Test(
        "28: the catalogue in effect a server keeps follows a drug's edit, its essential editions and the next version taking effect"
    )
    func keptCatalogueFollowsChanges() async throws {
        let clock = Mutex(Date())
        try await TestApp.run(configure: { $0.clock = BusinessClock { clock.withLock { $0 } } }) { app in
            let reader = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            func entry(_ code: String) async throws -> (version: Int?, item: [String: Any]?) {
                let answer = try await app.call(.get, CatalogueTests.base, token: reader)
                #expect(answer.status == .ok, "\(answer.text)")
                let items = answer.json["items"] as? [[String: Any]] ?? []
                return (answer.json["version"] as? Int, items.first { $0["drugCode"] as? String == code })
            }
            let drug = try await CatalogueTests.someDrug(
                app,
                """
                SELECT d.code FROM drugs d JOIN catalogue_items i ON i.drug_code = d.code AND i.version_number = 1
                WHERE EXISTS (SELECT 1 FROM drug_essential_editions e WHERE e.drug_code = d.code) ORDER BY d.code LIMIT 1
                """)
            let before = try await entry(drug)
            #expect(before.version == 1 && before.item?["essential"] as? Bool == true)
            #expect(try await entry(drug).item?["genericName"] as? String == before.item?["genericName"] as? String)

            // A drug's edit and its essential editions: the next read shows them.
            let national = try await app.token(.masterDataAdmin)
            let renamed = try await app.call(.patch, "/v1/drugs/\(drug)", token: national, json: #"{"genericName": "改名测试"}"#)
            #expect(renamed.status == .ok, "\(renamed.text)")
            #expect(try await entry(drug).item?["genericName"] as? String == "改名测试")
            let unlisted = try await app.call(
                .patch, "/v1/drugs/\(drug)", token: national, json: #"{"essentialEditions": []}"#)
            #expect(unlisted.status == .ok, "\(unlisted.text)")
            #expect(try await entry(drug).item?["essential"] as? Bool == false)

            // Version 2 without the drug, published for tomorrow: today still reads version 1, tomorrow version 2.
            let admin = try await app.token(.consortiumAdmin)
            var etag = try await CatalogueTests.openDraft(app, admin: admin)
            let removed = try await app.call(
                .delete, "\(CatalogueTests.base)/versions/2/items/\(drug)?reason=dropped", token: admin,
                headers: [.ifMatch: etag])
            etag = try #require(removed.headers[.eTag])
            let proposed = try await app.call(
                .post, "\(CatalogueTests.base)/versions/2/propose", token: admin, headers: [.ifMatch: etag])
            etag = try #require(proposed.headers[.eTag])
            try await CatalogueTests.endorse(app, ["JL-TCMH"] + CatalogueTests.members)
            let tomorrow = BusinessDate.today(now: clock.withLock { $0 }).adding(days: 1)
            let published = try await app.call(
                .post, "\(CatalogueTests.base)/versions/2/publish", token: admin,
                json: #"{"effectiveFrom": "\#(tomorrow)"}"#, headers: [.ifMatch: etag])
            #expect(published.status == .ok, "\(published.text)")
            #expect(try await entry(drug).version == 1)
            clock.withLock { $0 = tomorrow.noonInShanghai }
            let next = try await entry(drug)
            #expect(next.version == 2 && next.item == nil)
        }
    }

    @Test(
        "over HTTP every demo drug reads the same on the direct route and the generated server, and so does a percent-encoded code"
    )
    func sameDrugs() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let codes = try await app.database.rows("SELECT code FROM drugs ORDER BY code", as: String.self)
            #expect(codes.count > 300)
            for code in codes + ["NO-SUCH-DRUG"] {
                let direct = try await app.call(.get, "/v1/drugs/\(code)", token: token)
                let generated = try await app.call(
                    .get, "/v1/drugs/\(code)", token: token, headers: [.accept: "application/json, text/plain"])
                #expect(direct.status == generated.status, "\(code)")
                #expect(direct.contentType == generated.contentType, "\(code)")
                #expect(try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)), "\(code)")
            }
            // A percent-encoded code is the generated server's to decode: the same drug.
            let code = codes[0]
            let encoded = "/v1/drugs/%" + String(code.utf8.first!, radix: 16, uppercase: true) + code.dropFirst()
            let plain = try await app.call(.get, "/v1/drugs/\(code)", token: token)
            let decoded = try await app.call(.get, encoded, token: token)
            #expect(decoded.status == .ok, "\(encoded): \(decoded.text)")
            #expect(try canonicalJSON(Data(buffer: decoded.body)) == canonicalJSON(Data(buffer: plain.body)))
            let long = try await app.call(.get, "/v1/drugs/" + String(repeating: "A", count: 41), token: token)
            #expect(long.status.code < 500, "\(long.text)")
            // Both paths are counted on /metrics.
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            #expect(metrics.contains(#"crx_hot_path_requests{operation="getDrug",path="direct"}"#), "\(metrics.prefix(2000))")
        }
    }

    @Test(
        "over HTTP every demo member's stock pages and every held drug across the consortium read the same on the direct routes and the generated server"
    )
    func sameStock() async throws {
        try await TestApp.run { app in
            let admin = try await app.token(.consortiumAdmin)
            let pharmacist = try await app.token(.institutionPharmacist, institution: "CY-BJL-CHC")
            let regulator = try await app.token(.regulator)
            /// The request on the direct route and, through an `Accept` the direct route declines, the generated one.
            func same(_ uri: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
                -> TestResponse
            { try await sameOnBothRoutes(app, uri, token: token, sourceLocation: sourceLocation) }
            let members = try await app.database.rows(
                "SELECT i.code FROM institutions i JOIN consortia c ON c.id = i.consortium_id WHERE c.code = 'JLTCM' ORDER BY 1",
                as: String.self)
            var lots = 0
            for member in members {
                // The page sizes with a statement of their own (20, the default, 200) and any other (3, below).
                for query in ["", "?limit=20", "?limit=200"] {
                    #expect(try await same("/v1/institutions/\(member)/stock\(query)", token: admin).status == .ok)
                }
                // Page by page, following the cursor.
                lots += try await pagesOnBothRoutes(app, "/v1/institutions/\(member)/stock", limit: 3, token: admin)
            }
            #expect(lots > 20)
            let drugs = try await app.database.rows(
                "SELECT DISTINCT drug_code FROM stock_on_hand WHERE quantity > 0 ORDER BY 1", as: String.self)
            #expect(drugs.count > 5)
            for drug in drugs + ["NO-SUCH-DRUG"] {
                #expect(try await same("/v1/consortia/JLTCM/stock/drugs/\(drug)", token: regulator).status == .ok)
            }
            // Refusals read alike: another member's stock (404 for a member of another consortium or none), a role
            // without the read (403), a limit out of bounds or a cursor this service never wrote (400), a foreign
            // consortium (404).
            #expect(try await same("/v1/institutions/YJ-TCMH/stock", token: pharmacist).status == .forbidden)
            #expect(try await same("/v1/institutions/NO-SUCH/stock", token: admin).status == .notFound)
            #expect(try await same("/v1/institutions/CY-BJL-CHC/stock?limit=0", token: admin).status == .badRequest)
            #expect(try await same("/v1/institutions/CY-BJL-CHC/stock?limit=201", token: admin).status == .badRequest)
            #expect(try await same("/v1/institutions/CY-BJL-CHC/stock?cursor=abc", token: admin).status == .badRequest)
            #expect(try await same("/v1/institutions/CY-BJL-CHC/stock?limit=2&limit=3", token: admin).status.code < 500)
            #expect(try await same("/v1/consortia/OTHER/stock/drugs/\(drugs[0])", token: admin).status == .notFound)
            #expect(
                try await same("/v1/consortia/JLTCM/stock/drugs/\(drugs[0])", token: pharmacist).status == .forbidden)
            // Plain requests were answered directly, the rest by the generated route.
            let metrics = try await app.call(.get, "/metrics", token: nil).text
            for operation in ["listInstitutionStock", "getDrugStockAcrossConsortium"] {
                for path in ["direct", "generated"] {
                    #expect(metrics.contains(#"crx_hot_path_requests{operation="\#(operation)",path="\#(path)"}"#))
                }
            }
        }
    }

    @Test("the stock routes read only the plain queries they can answer exactly")
    func stockQueries() {
        #expect(DirectRoute.pageQuery(nil)! == (nil, nil))
        #expect(DirectRoute.pageQuery("")! == (nil, nil))
        #expect(DirectRoute.pageQuery("limit=20")! == (20, nil))
        #expect(DirectRoute.pageQuery("limit=200&cursor=azE6MTc")! == (200, "azE6MTc"))
        for declined in [
            "limit=0", "limit=201", "limit=020", "limit=+2", "limit=", "limit", "limit=2&limit=3", "cursor=a%3D",
            "cursor=a=b", "cursor=", "drugCode=X", "limit=2&", "&limit=2", "Limit=2",
            "cursor=" + String(repeating: "a", count: 201),
        ] {
            #expect(DirectRoute.pageQuery(declined) == nil, "\(declined)")
        }
        #expect(DirectRoute.isCode("CY-BJL-CHC") && DirectRoute.isCode("JLTCM"))
        for code in ["C", "cy-bjl", "-CY", "CY%2D", String(repeating: "A", count: 33), "CY BJL"] {
            #expect(!DirectRoute.isCode(code), "\(code)")
        }
        #expect(DirectRoute.isDrugCode("XC01") && DirectRoute.isDrugCode("a.b_c-d"))
        for code in ["", ".X", "X%20", "X/Y", String(repeating: "A", count: 41)] {
            #expect(!DirectRoute.isDrugCode(code), "\(code)")
        }
    }

    @Test("the routes answer plain requests themselves and pass every other one on, body intact, to the generated route")
    func routesDecide() async throws {
        try await TestApp.run { app in
            let token = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let principal = try #require(try await TokenStore(database: app.database).principal(forToken: token))
            let handler = APIHandler(database: app.database)
            let roles = try OperationRoles(contract: String(decoding: PackageResources.openapi_yaml, as: UTF8.self))
            let check = LongPrescriptionCheckRoute<RouteTestContext>(
                handler: handler, roles: roles, maximumBodyBytes: 1 << 20, validator: try ContractValidator.served())
            let lookup = DrugLookupRoute<RouteTestContext>(handler: handler, roles: roles)
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let body = LongPrescriptionTests.body(drug: drug).replacingOccurrences(of: #""item":"#, with: #""items": ["#)
                .replacingOccurrences(of: "}}", with: "}]}")

            /// Whether the route passed the request on, and the body the next responder read.
            func send(
                _ route: some RouterMiddleware<RouteTestContext>, _ method: HTTPRequest.Method, endpoint: String,
                code: String? = nil,
                headers: HTTPFields = [.contentType: "application/json"], body: String = ""
            ) async throws -> (passedOn: Bool, bodySeen: String?, response: Response) {
                var context = RouteTestContext(source: .init(logger: Logger(label: "route-test")))
                context.coreContext.endpointPath.value = endpoint
                if let code { context.coreContext.parameters = ["code": Substring(code)] }
                let request = Request(
                    head: HTTPRequest(
                        method: method, scheme: "http", authority: "localhost", path: endpoint, headerFields: headers),
                    body: RequestBody(buffer: ByteBuffer(string: body)))
                let seen = Seen()
                let response = try await RequestPrincipal.$current.withValue(principal) {
                    try await route.handle(request, context: context) { request, _ in
                        var request = request
                        seen.body = String(buffer: try await request.collectBody(upTo: 1 << 20))
                        return Response(status: .accepted)
                    }
                }
                return (seen.body != nil, seen.body, response)
            }
            let checkPath = "/v1/long-prescriptions/check"
            for headers: HTTPFields in [
                [.contentType: "application/json"], [.contentType: "application/json; charset=UTF-8"],
                [.contentType: "application/json;"],
                [.contentType: "application/json", .accept: "*/*"], [.contentType: "application/json", .accept: "application/*"],
                [.contentType: "application/json", .accept: "application/json"], [.contentType: "application/json", .accept: ""],
            ] {
                let sent = try await send(check, .post, endpoint: checkPath, headers: headers, body: body)
                #expect(!sent.passedOn, "\(headers)")
                #expect(sent.response.status == .ok)
                #expect(sent.response.headers[.contentType] == "application/json; charset=utf-8")
            }
            for headers: HTTPFields in [
                [:], [.contentType: "text/plain"], [.contentType: "application/json; charset=utf-16"],
                [.contentType: "application/json", .accept: "application/json, text/plain"],
                [.contentType: "application/json", .accept: "application/json;q=1"],
            ] {
                let sent = try await send(check, .post, endpoint: checkPath, headers: headers, body: body)
                #expect(sent.passedOn && sent.bodySeen == body, "\(headers)")
            }
            let escaped = body.replacingOccurrences(of: "P-0001", with: #"P\u002d0001"#)
            #expect(try await send(check, .post, endpoint: checkPath, body: escaped).bodySeen == escaped)
            #expect(try await send(check, .post, endpoint: "/v1/long-prescriptions", body: body).bodySeen == body)

            let drugs = "/v1/drugs/{code}"
            let direct = try await send(lookup, .get, endpoint: drugs, code: drug, headers: [:])
            #expect(!direct.passedOn)
            #expect(direct.response.status == .ok)
            for (method, code, headers): (HTTPRequest.Method, String, HTTPFields) in [
                (.get, "%58" + drug.dropFirst(), [:]), (.get, String(repeating: "A", count: 41), [:]),
                (.get, drug, [.accept: "text/csv"]),
                (.patch, drug, [:]),
            ] {
                #expect(
                    try await send(lookup, method, endpoint: drugs, code: code, headers: headers).passedOn,
                    "\(method) \(code) \(headers)")
            }
            #expect(try await send(lookup, .get, endpoint: "/v1/drugs", headers: [:]).passedOn)
        }
    }

    @Test("over HTTP the direct route and the generated server give the same answers and the same problems")
    func sameAnswers() async throws {
        try await TestApp.run { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let narcotic = try await app.database.rows(
                "SELECT code FROM drugs WHERE control_class = 'narcotic' LIMIT 1", as: String.self)[0]
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let assessed = BusinessDate.today().adding(days: -5)
            func body(items: String, diagnosis: String = "I10", stable: Bool = true, institution: String = "CY-BJL-CHC") -> String
            {
                """
                {"institutionCode": "\(institution)", "prescriber": "DR-CY-0001",
                 "patient": {"ref": "P-HOT", "familyDoctorContract": true, "goodAdherence": true,
                             "diagnoses": [{"icd": "\(diagnosis)", "stable": \(stable), "lastAssessedOn": "\(assessed)"}]},
                 "items": [\(items)]}
                """
            }
            let bodies = [
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28}"#),
                body(
                    items:
                        #"{"drugCode": "\#(drug)", "dailyDose": "2.5", "days": 120, "assessmentRecorded": true, "patientConfirmed": true}"#
                ),
                body(
                    items:
                        #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 56}, {"drugCode": "\#(narcotic)", "dailyDose": "1", "days": 28}"#
                ),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28}"#, diagnosis: "J45", stable: false),
                // Problems from the handler: an unknown member, an unknown drug, a bad quantity.
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28}"#, institution: "NOPE"),
                body(items: #"{"drugCode": "NO-SUCH-DRUG", "dailyDose": "1", "days": 28}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "-1", "days": 28}"#),
                // What the contract forbids (18.11): days outside 1–366, a dose of zero, a name as the patient.
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": -1}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 0}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 367}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "0", "days": 28}"#),
                body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28}"#).replacingOccurrences(
                    of: "P-HOT", with: "张三"),
            ]
            for text in bodies {
                #expect(Self.fast(text) != nil, "the direct route reads \(text)")
                let direct = try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: text)
                // An Accept header that names another type as well sends the request to the generated server
                // (`routesDecide` shows both).
                let generated = try await app.call(
                    .post, "/v1/long-prescriptions/check", token: prescriber, json: text,
                    headers: [.accept: "application/json, text/plain"])

                #expect(direct.status == generated.status, "\(text)")
                #expect(direct.contentType == generated.contentType)
                if direct.status == .ok {
                    #expect(
                        try JSONDecoder().decode(Result.self, from: Data(buffer: direct.body))
                            == JSONDecoder().decode(Result.self, from: Data(buffer: generated.body)))
                } else {
                    #expect(
                        try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)),
                        "\(direct.text) \(generated.text)")
                }
            }
            // A body the reader declines is answered by the generated server, with its problem naming the field.
            let unknown = body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": 28, "note": "x"}"#)
            try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: unknown).expectProblem(
                .badRequest, naming: "items[0].note")
            let wrongType = body(items: #"{"drugCode": "\#(drug)", "dailyDose": "1", "days": "28"}"#)
            try await app.call(.post, "/v1/long-prescriptions/check", token: prescriber, json: wrongType).expectProblem(
                .badRequest, naming: "items[0].days")
        }
    }

    @Test(
        "the direct routes come after every server middleware, and do themselves what the generated routes' operation middlewares do"
    )
    func directRoutesGetEveryMiddleware() async throws {
        try await TestApp.run { app in
            let configuration = AppConfiguration(databaseURL: app.databaseURL, poolSize: 2, keepConnectionsOpen: false)
            let router = try buildRouter(
                configuration, database: app.database,
                authenticator: Authenticator(tokens: TokenUseCases(database: app.database)),
                contexts: LongPrescriptionContextCache(health: app.database.readHealth), registry: Observability.bootstrap())
            // A route's responder wraps the router middlewares added before it, in order; a direct route answers
            // inside those that come before it. So the direct routes must be the last ones.
            let list = Mirror(reflecting: router.middlewares).children.first { $0.label == "middlewares" }?.value
            let middlewares = try #require(
                list as? [Any], "Hummingbird's MiddlewareGroup no longer keeps its list in `middlewares`")
            let names = middlewares.map { String(describing: type(of: $0)) }
            // The two routes of their own, and the reads of `DirectGetRoute` (one per factory).
            let routes = ["LongPrescriptionCheckRoute<", "DrugLookupRoute<"] + Array(repeating: "DirectGetRoute<", count: 6)
            let direct = names.indices.filter { index in routes.contains { names[index].hasPrefix($0) } }
            #expect(direct.count == routes.count, "\(names)")
            #expect(
                direct == Array(names.count - routes.count..<names.count),
                "a server middleware comes after a direct route: \(names)")
            for server in [
                "RequestLogMiddleware", "MetricsMiddleware", "ProblemMiddleware", "EntityTagMiddleware",
                "MethodNotAllowedMiddleware",
                "LeaseDeadlineMiddleware", "BodyLimitMiddleware", "MediaTypeGuard", "AuthMiddleware",
            ] {
                #expect(
                    names.dropLast(routes.count).contains { $0.hasPrefix(server + "<") || $0 == server },
                    "\(server) is not among \(names)")
            }
            // The generated routes' own middlewares are the ones the direct routes do themselves, and no more.
            let operation = operationMiddlewares(
                roles: try OperationRoles(contract: String(decoding: PackageResources.openapi_yaml, as: UTF8.self)),
                validator: try ContractValidator.served(), maximumBodyBytes: 1 << 20)
            #expect(
                operation.map { String(describing: type(of: $0)) }
                    == DirectRoute.operationMiddlewares.map { String(describing: $0) })
        }
    }

    @Test(
        "through every middleware the direct routes answer as the generated routes do: 401, 403, 400, 413, zh problems, query strings, log and metrics"
    )
    func sameThroughMiddlewares() async throws {
        LogCapture.install()
        try await TestApp.run(configure: {
            $0.maximumBodyBytes = 4096; $0.logLevel = .info
        }) { app in
            let drug = try await LongPrescriptionTests.chronicDrug(app)
            let prescriber = try await app.token(.prescriber, institution: "CY-BJL-CHC")
            let finance = try await app.token(.finance)
            let check = "/v1/long-prescriptions/check"
            func body(days: Int = 28, ref: String = "P-MW") -> String {
                #"{"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001", "patient": {"ref": "\#(ref)", "familyDoctorContract": true, "goodAdherence": true, "diagnoses": [{"icd": "I10", "stable": true}]}, "items": [{"drugCode": "\#(drug)", "dailyDose": "1", "days": \#(days)}]}"#
            }
            #expect(Self.fast(body()) != nil)
            #expect(Self.fast(body(ref: String(repeating: "x", count: 5000))) != nil)
            /// The same request on the direct route and, through an `Accept` the direct route declines, the generated one.
            func same(
                _ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil, headers: HTTPFields = [:],
                sourceLocation: SourceLocation = #_sourceLocation
            ) async throws -> HTTPResponse.Status {
                var headers = headers
                if let token { headers[.authorization] = "Bearer \(token)" }
                if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
                let direct = try await app.client.execute(
                    uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
                headers[.accept] = "application/json, text/plain"
                let generated = try await app.client.execute(
                    uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
                #expect(
                    direct.status == generated.status, "\(uri): \(direct.text) | \(generated.text)",
                    sourceLocation: sourceLocation)
                for name: HTTPField.Name in [.contentType, .wwwAuthenticate, .allow, .eTag, .contentLanguage] {
                    #expect(direct.headers[name] == generated.headers[name], "\(uri) \(name)", sourceLocation: sourceLocation)
                }
                if direct.status != .ok {
                    #expect(
                        try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)),
                        "\(direct.text) | \(generated.text)", sourceLocation: sourceLocation)
                }
                return direct.status
            }
            // AuthMiddleware: 401.
            #expect(try await same(.get, "/v1/drugs/\(drug)", token: nil) == .unauthorized)
            #expect(try await same(.post, check, token: nil, json: body()) == .unauthorized)
            #expect(try await same(.get, "/v1/drugs/\(drug)", token: "not-a-token") == .unauthorized)
            // RoleGate: 403.
            #expect(try await same(.post, check, token: finance, json: body()) == .forbidden)
            // ContractGuard: 400 for a body the contract forbids, and for a query parameter the operation does not have.
            #expect(try await same(.post, check, token: prescriber, json: body(days: 0)) == .badRequest)
            #expect(try await same(.post, check + "?dryRun=1", token: prescriber, json: body()) == .badRequest)
            #expect(try await same(.get, "/v1/drugs/\(drug)?fields=code", token: prescriber) == .badRequest)
            // BodyLimitMiddleware: 413.
            #expect(
                try await same(.post, check, token: prescriber, json: body(ref: String(repeating: "x", count: 5000)))
                    == .contentTooLarge)
            // MediaTypeGuard: a parameter named twice.
            #expect(
                try await same(
                    .post, check, token: prescriber, json: body(),
                    headers: [.contentType: "application/json; charset=utf-8; Charset=utf-8"]) == .badRequest)
            // ProblemMiddleware: problems in the language asked for.
            #expect(
                try await same(.get, "/v1/drugs/NO-SUCH-DRUG", token: prescriber, headers: [.acceptLanguage: "zh-CN"])
                    == .notFound)
            #expect(try await same(.post, check, token: finance, json: body(), headers: [.acceptLanguage: "zh"]) == .forbidden)
            #expect(
                try await same(.post, check, token: prescriber, json: body(days: 0), headers: [.acceptLanguage: "zh"])
                    == .badRequest)
            // Plain answers: the same status and headers.
            #expect(try await same(.get, "/v1/drugs/\(drug)", token: prescriber) == .ok)
            #expect(try await same(.post, check, token: prescriber, json: body()) == .ok)

            // RequestLogMiddleware and MetricsMiddleware see a request the direct route answers.
            func served() async throws -> Double {
                let metrics = try await app.call(.get, "/metrics", token: nil).text
                let line = metrics.split(separator: "\n").first {
                    $0.hasPrefix("hb_requests{") && $0.contains(#"http_route="/v1/drugs/{code}""#)
                        && $0.contains(#"http_response_status_code="404""#)
                }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            }
            func direct() async throws -> Double {
                let metrics = try await app.call(.get, "/metrics", token: nil).text
                let line = metrics.split(separator: "\n").first {
                    $0.hasPrefix(#"crx_hot_path_requests{operation="getDrug",path="direct"}"#)
                }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            }
            let (servedBefore, directBefore) = (try await served(), try await direct())
            let code = "NO-SUCH-\(UInt32.random(in: 0...UInt32.max))"
            #expect(try await app.call(.get, "/v1/drugs/\(code)", token: prescriber).status == .notFound)
            #expect(try await direct() > directBefore)
            #expect(try await served() > servedBefore)
            #expect(
                LogCapture.text.split(separator: "\n").contains {
                    $0.contains("path=/v1/drugs/\(code)") && $0.contains("status=404")
                },
                "no request line for the direct route's answer")
        }
    }
}

/// JSON with its members sorted, so two documents compare by content.
func canonicalJSON(_ data: Data) throws -> String {
    String(
        decoding: try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: data), options: [.sortedKeys]),
        as: UTF8.self)
}

/// A request context of the tests' own, so a route can be called without a server.
struct RouteTestContext: RequestContext {
    struct Source: RequestContextSource { var logger: Logger }
    var coreContext: CoreRequestContextStorage
    init(source: Source) { coreContext = .init(source: source) }
}

/// What the next responder saw.
final class Seen: @unchecked Sendable {
    var body: String?
}

/// The names of a generated type's stored properties; for these types they are also their JSON keys.
/// A GET on the direct route and, through an `Accept` the direct route declines, on the generated one: the same
/// status, media type and JSON. Returns the direct route's answer.
func sameOnBothRoutes(_ app: TestApp, _ uri: String, token: String, sourceLocation: SourceLocation) async throws
    -> TestResponse
{
    let direct = try await app.call(.get, uri, token: token)
    let generated = try await app.call(.get, uri, token: token, headers: [.accept: "application/json, text/plain"])
    #expect(direct.status == generated.status, "\(uri): \(direct.text)", sourceLocation: sourceLocation)
    #expect(direct.contentType == generated.contentType, "\(uri)", sourceLocation: sourceLocation)
    #expect(
        try canonicalJSON(Data(buffer: direct.body)) == canonicalJSON(Data(buffer: generated.body)),
        "\(uri): \(direct.text.prefix(300)) | \(generated.text.prefix(300))", sourceLocation: sourceLocation)
    return direct
}

/// Every page of a list, `limit` at a time, following its cursor, each page the same on both routes
/// (`sameOnBothRoutes`). Returns how many items the pages held.
func pagesOnBothRoutes(
    _ app: TestApp, _ path: String, limit: Int, token: String, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Int {
    var uri = "\(path)?limit=\(limit)"
    var items = 0
    while true {
        let page = try await sameOnBothRoutes(app, uri, token: token, sourceLocation: sourceLocation)
        items += (page.json["items"] as? [Any])?.count ?? 0
        guard let cursor = page.json["nextCursor"] as? String else { return items }
        uri = "\(path)?cursor=\(cursor)&limit=\(limit)"
    }
}

func propertyNames(_ value: Any) -> Set<String> { Set(Mirror(reflecting: value).children.compactMap(\.label)) }

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

    /// A string of fewer than `limit` characters drawn from `alphabet`.
    mutating func string(from alphabet: [Character], shorterThan limit: UInt64) -> String {
        String((0..<Int(next() % limit)).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
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
            return "{" + space() + chosen.map { "\"\($0.0)\"" + space() + ":" + space() + $0.1 }.joined(separator: "," + space())
                + space() + "}"
        }
        func array(_ element: () -> String) -> String {
            "[" + (0..<Int(random.next() % 3)).map { _ in element() }.joined(separator: ", ") + "]"
        }
        let diagnosis = { object([("icd", string(), true), ("stable", bool(), true), ("lastAssessedOn", string(), false)]) }
        let item = {
            object([
                ("drugCode", string(), true), ("dailyDose", string(), true), ("days", int(), true),
                ("assessmentRecorded", bool(), false), ("patientConfirmed", bool(), false),
            ])
        }
        let patient = object([
            ("ref", string(), true), ("familyDoctorContract", bool(), true), ("goodAdherence", bool(), true),
            ("diagnoses", array(diagnosis), true),
        ])
        let text =
            space()
            + object([
                ("institutionCode", string(), true), ("prescriber", string(), true), ("patient", patient, true),
                ("items", array(item), true),
            ]) + space()
        return (text, plain)
    }
}

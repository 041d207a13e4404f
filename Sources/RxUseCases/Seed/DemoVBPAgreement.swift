import Foundation
import RxDomain
import RxStore

/// The demo's national VBP agreement (`seeds/demo/vbp_agreement.json`), recorded through `VBPUseCases` after the
/// seed commits, as the consortium admin and finance would: the agreement, the members' volumes, two scores.
extension SeedLoader {
    struct DemoVBPAgreement: Decodable {
        struct Generic: Decodable {
            struct Product: Decodable {
                var drugCode: String
                var winningPrice: String
            }
            var genericName: String
            var preProcurementAveragePrice: String
            var products: [Product]
        }
        struct Volume: Decodable {
            var institutionCode: String
            var genericName: String
            var volume: String
        }
        struct Score: Decodable {
            var institutionCode: String
            var score: String
        }
        var batch: String
        var startDaysAgo: Int
        var generics: [Generic]
        var volumes: [Volume]
        var scores: [Score]
    }

    /// Records the demo's agreement once (nothing when the consortium has any); the number of records written.
    func seedVBPAgreement(consortiumCode: String) async throws -> Int {
        let url = directory.appendingPathComponent("demo/vbp_agreement.json")
        guard FileManager.default.fileExists(atPath: url.path),
            let consortium = try await ConsortiumStore(database: database).find(code: consortiumCode)
        else { return 0 }
        let cases = VBPUseCases(database: database)
        let any = try await database.read { c in
            try await VBPStore(database: database).list(consortiumID: consortium.id, connection: c)
        }
        guard any.isEmpty else { return 0 }
        let demo = try JSONDecoder().decode(DemoVBPAgreement.self, from: Data(contentsOf: url))
        func money(_ text: String) throws -> Money {
            guard let money = Money(text) else { throw DomainError.unavailable("vbp_agreement.json: '\(text)' is not an amount") }
            return money
        }
        func amount(_ text: String) throws -> Decimal { try money(text).amount }
        func staff(_ role: Role) -> Principal {
            Principal(
                tokenID: nil, role: role, consortiumID: consortium.id, consortiumCode: consortium.code, institutionID: nil,
                institutionCode: nil, name: "console:seed")
        }
        let start = clock.today().adding(days: -demo.startDaysAgo)
        let agreement = try await cases.create(
            .init(
                batch: demo.batch, periodStart: start, periodEnd: start.adding(days: 364),
                generics: try demo.generics.map { g in
                    VBPGeneric(
                        genericName: g.genericName, preProcurementAveragePrice: try money(g.preProcurementAveragePrice),
                        products: try g.products.map {
                            VBPWinningProduct(drugCode: $0.drugCode, winningPrice: try money($0.winningPrice))
                        })
                }),
            consortium: consortium, by: staff(.consortiumAdmin))
        _ = try await cases.setVolumes(
            agreementID: agreement.id,
            try demo.volumes.map {
                VBPUseCases.VolumeInput(
                    institutionCode: $0.institutionCode, genericName: $0.genericName, volume: try amount($0.volume))
            }, consortium: consortium, by: staff(.consortiumAdmin))
        for s in demo.scores {
            try await cases.assess(
                agreementID: agreement.id, institutionCode: s.institutionCode, score: try amount(s.score),
                consortium: consortium, by: staff(.finance))
        }
        return 2 + demo.scores.count
    }
}

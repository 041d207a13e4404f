import Foundation
import RxDomain
import Testing

/// An amount in 分 (`Fen`) writes and converts as the same amount in `Money` rounded to two places does.
@Suite("Fen")
struct FenTests {
    @Test("Fen's text is Money's with two places, for amounts around every edge of the cents")
    func formattedLikeMoney() {
        var counts: [Int64] = [0, 1, 5, 9, 10, 11, 99, 100, 101, 109, 110, 123_450, 999_999_999_999, -1, -5, -100, -12_345]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 { counts.append(Int64.random(in: -10_000_000_000...10_000_000_000, using: &generator)) }
        for count in counts {
            let fen = Fen(count)
            #expect(fen.formatted == fen.money.formatted(places: 2), "\(count)")
            #expect(fen.money.amount == Decimal(count) / 100, "\(count)")
        }
    }

    @Test("a share is the part over the total with four places, and nothing of nothing is 0.0000")
    func share() {
        #expect(Fen(8_500).share(of: Fen(10_000)) == "0.8500")
        #expect(Fen(1).share(of: Fen(3)) == "0.3333")
        #expect(Fen(2).share(of: Fen(3)) == "0.6667")
        #expect(Fen(0).share(of: Fen(0)) == "0.0000")
        #expect(Fen(5) + Fen(7) == Fen(12))
    }
}

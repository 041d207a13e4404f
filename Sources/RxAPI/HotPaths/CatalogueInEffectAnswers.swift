import NIOCore
import RxStore
import Synchronization

/// The catalogue in effect today as last written for each consortium, with the stamp it was read at
/// (`CatalogueInEffectStamp`): every member's HIS polls the same hundreds of items, which change only when a version
/// takes effect or a drug is edited. A request still reads the stamp from the database, so an answer is never older
/// than one read afresh; a server keeps one answer per consortium, and servers share nothing.
final class CatalogueInEffectAnswers: Sendable {
    private let answers = Mutex<[Int64: (stamp: CatalogueInEffectStamp, json: ByteBuffer)]>([:])

    init() {}

    /// The answer kept for the consortium at this stamp, if any.
    func answer(consortiumID: Int64, at stamp: CatalogueInEffectStamp) -> ByteBuffer? {
        answers.withLock { answers in
            guard let kept = answers[consortiumID], kept.stamp == stamp else { return nil }
            return kept.json
        }
    }

    /// Keeps an answer in place of the consortium's, unless the one kept is of a later drug revision (a slower
    /// request's older read).
    func keep(_ json: ByteBuffer, consortiumID: Int64, at stamp: CatalogueInEffectStamp) {
        answers.withLock { answers in
            if let kept = answers[consortiumID], kept.stamp.drugRevision > stamp.drugRevision { return }
            answers[consortiumID] = (stamp, json)
        }
    }
}

internal import Foundation
import Logging
import RxDomain
import RxStore
import RxUseCases
import ServiceLifecycle

/// The server's shortage scan (issue 22): every `interval`, the consortia whose drugs a movement, a delivery or a
/// supplier's report marked (`shortage_scan_dirty`, sql/027) are rescanned, and on the first pass of each business
/// day every consortium (a day passing changes days of stock and late deliveries). Scans of one consortium are
/// serialized by the scan itself, so several servers may run this; none runs inside a dispensing's transaction.
struct ShortageScanService: Service {
    let database: Database
    let clock: BusinessClock
    let interval: Duration

    func run() async throws {
        let scans = ShortageScanUseCases(database: database)
        let actor = Actor(tokenID: nil, label: "server:shortage-scan", role: nil)
        await cancelWhenGracefulShutdown {
            var lastFullDay: BusinessDate?
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch { return }
                let today = clock.today()
                do {
                    let full = lastFullDay != today
                    let due = try await scans.dueConsortia(all: full)
                    for id in due {
                        let result = try await scans.scan(consortiumID: id, today: today, actor: actor)
                        let changed = result.opened.count + result.reopened.count + result.updated.count + result.closed.count
                        if changed > 0 {
                            database.logger.info(
                                "shortage scan", metadata: ["consortium": "\(id)", "changed": "\(changed)", "full": "\(full)"])
                        }
                    }
                    if full { lastFullDay = today }
                } catch {
                    database.logger.error("shortage scan failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
    }
}

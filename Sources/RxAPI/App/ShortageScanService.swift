internal import Foundation
import Logging
import RxDomain
import RxStore
import RxUseCases
import ServiceLifecycle

/// The server's shortage scan (issue 22): every `interval`, the consortia whose drugs a movement, a delivery or a
/// supplier's report marked (`shortage_scan_dirty`, sql/027) are rescanned, and every consortium not yet scanned on
/// the business day (a day passing changes days of stock and late deliveries; the day of each consortium's last scan
/// is the database's, `shortage_last_scans`, so a restarted server does not scan them all again). Scans of one
/// consortium are serialized by the scan itself, so several servers may run this; none runs inside a dispensing's
/// transaction.
struct ShortageScanService: Service {
    let database: Database
    let clock: BusinessClock
    let interval: Duration

    func run() async throws {
        let scans = ShortageScanUseCases(database: database)
        let actor = Actor(tokenID: nil, label: "server:shortage-scan", role: nil)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch { return }
                let today = clock.today()
                do {
                    for id in try await scans.dueConsortia(today: today) {
                        let result = try await scans.scan(consortiumID: id, today: today, actor: actor)
                        let changed = result.opened.count + result.reopened.count + result.updated.count + result.closed.count
                        if changed > 0 {
                            database.logger.info("shortage scan", metadata: ["consortium": "\(id)", "changed": "\(changed)"])
                        }
                    }
                } catch {
                    database.logger.error("shortage scan failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
    }
}

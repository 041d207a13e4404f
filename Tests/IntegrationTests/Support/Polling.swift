/// Asks `attempt` again, every `interval`, until `done` holds for its answer or `limit` has passed; every answer,
/// in order. For what a loaded machine does soon but not at once (a notification, a pool that recovers).
func poll<T>(
    within limit: Duration, every interval: Duration, until done: (T) -> Bool, _ attempt: () async throws -> T
) async throws -> [T] {
    let deadline = ContinuousClock.now + limit
    var answers: [T] = []
    while true {
        let answer = try await attempt()
        answers.append(answer)
        if done(answer) || ContinuousClock.now >= deadline { return answers }
        try await Task.sleep(for: interval)
    }
}

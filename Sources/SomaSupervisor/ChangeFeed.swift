import Synchronization

/// A count that goes up whenever something `soma status` or `soma resources` shows changes (the app's phase,
/// the worker becoming ready, a resource's state), and the waits for the next change: `watch` answers with it
/// instead of a client asking in a loop.
final class ChangeFeed: Sendable {
    private struct State {
        var generation = 1
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Int, Never>] = [:]
        /// The waits under way, and those of them whose time was up before they began waiting.
        var active: Set<Int> = []
        var expired: Set<Int> = []
    }

    private let state = Mutex(State())

    var generation: Int { state.withLock { $0.generation } }

    func changed() {
        let (generation, waiters) = state.withLock { state -> (Int, [CheckedContinuation<Int, Never>]) in
            state.generation += 1
            defer { state.waiters = [:] }
            return (state.generation, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume(returning: generation) }
    }

    /// The generation once it is past `seen`: at once when it already is, else at the next change, or when
    /// `timeout` passes without one (then the generation is still `seen`'s or older).
    func next(after seen: Int, timeout: Duration) async -> Int {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            state.active.insert(state.nextWaiter)
            return state.nextWaiter
        }
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.expire(id)
        }
        defer {
            timer.cancel()
            state.withLock { state in
                state.active.remove(id)
                state.expired.remove(id)
            }
        }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Int? in
                guard state.generation <= seen, state.expired.remove(id) == nil else { return state.generation }
                state.waiters[id] = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// A wait whose time is up: ended if it waits, else marked so that it does not begin.
    private func expire(_ id: Int) {
        let (waiter, generation) = state.withLock { state in
            let waiter = state.waiters.removeValue(forKey: id)
            if waiter == nil && state.active.contains(id) { state.expired.insert(id) }
            return (waiter, state.generation)
        }
        waiter?.resume(returning: generation)
    }
}

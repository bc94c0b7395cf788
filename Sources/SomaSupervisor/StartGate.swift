import Synchronization

/// Opened once, with whether what it waits for succeeded; waiters before and after the opening hear it.
final class StartGate: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Bool, Never>])
        case opened(Bool)
    }

    private let state = Mutex(State.waiting([]))

    func open(_ succeeded: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .opened(succeeded)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: succeeded) }
    }

    func wait() async -> Bool {
        await withCheckedContinuation { continuation in
            let opened = state.withLock { state -> Bool? in
                switch state {
                case .opened(let succeeded):
                    return succeeded
                case .waiting(let waiters):
                    state = .waiting(waiters + [continuation])
                    return nil
                }
            }
            if let opened { continuation.resume(returning: opened) }
        }
    }
}

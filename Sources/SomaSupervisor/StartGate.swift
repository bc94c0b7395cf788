import Synchronization

/// Opened once, with what it waited for (whether the control socket is bound, the entry of the version that
/// runs); waiters before and after the opening hear it.
final class StartGate<Value: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Value, Never>])
        case opened(Value)
    }

    private let state = Mutex(State.waiting([]))

    func open(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .opened(value)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let opened = state.withLock { state -> Value? in
                switch state {
                case .opened(let value):
                    return value
                case .waiting(let waiters):
                    state = .waiting(waiters + [continuation])
                    return nil
                }
            }
            if let opened { continuation.resume(returning: opened) }
        }
    }
}

import Foundation
import Synchronization

/// Whether the control socket is in use: requests in flight and when the last one ended. An idle supervisor
/// that nobody asks anything (its CLI died before sending the launch) ends on its own.
final class ControlActivity: Sendable {
    private let state = Mutex((inFlight: 0, last: Date()))

    func begin() {
        state.withLock { $0.inFlight += 1 }
    }

    func end() {
        state.withLock { state in
            state.inFlight -= 1
            state.last = Date()
        }
    }

    /// No request in flight, and none for `seconds`.
    func quiet(for seconds: Double) -> Bool {
        state.withLock { $0.inFlight == 0 && Date().timeIntervalSince($0.last) >= seconds }
    }
}

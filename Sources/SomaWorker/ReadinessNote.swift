import Foundation
import SomaControl
import SomaProtocol
import Synchronization

/// Tells the supervisor when this worker can be looked at: its control socket answers and its face serves, or is
/// held closed for a launch's plan. The supervisor's `watch` (what `soma launch` waits with) hears of it at once
/// instead of asking the worker's health in a loop; unheard, the watch's own timeout finds it.
final class ReadinessNote: Sendable {
    private let home: AppHome
    private let held: @Sendable () -> Bool
    private let state = Mutex((controlAnswers: false, faceServes: false))

    init(home: AppHome, held: @escaping @Sendable () -> Bool) {
        self.home = home
        self.held = held
    }

    func controlAnswers() {
        let ready = state.withLock { state in
            state.controlAnswers = true
            return state.faceServes
        }
        if ready || held() { tell() }
    }

    func faceServes() {
        let ready = state.withLock { state in
            state.faceServes = true
            return state.controlAnswers
        }
        if ready { tell() }
    }

    /// On a thread of its own: the socket's calls block, and the callers are event loops.
    private func tell() {
        let home = home
        Thread.detachNewThread { SupervisorBroker.tell(home, .workerReady) }
    }
}

import Foundation

/// Where turns wait while a swap holds them: open, a turn passes and is counted; closed, it waits (suspended,
/// never failed) until the gate opens again. The swap closes the gate, waits until the turns already past it
/// have finished, changes the program, and opens it.
// Unchecked: every stored property is read and written under `condition`.
final class TurnGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var closed = false
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Whether this task already passed the gate (a face call that then runs its turn).
    @TaskLocal static var admitted = false

    func enter() async {
        // Every turn passes here: while the gate is open it costs one lock, not a continuation.
        let passed = condition.withLock {
            guard !closed else { return false }
            running += 1
            return true
        }
        if passed { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let passes = condition.withLock {
                if closed {
                    waiting.append(continuation)
                    return false
                }
                running += 1
                return true
            }
            if passes { continuation.resume() }
        }
    }

    func leave() {
        condition.withLock {
            running -= 1
            if running == 0 { condition.broadcast() }
        }
    }

    /// Holds every turn that has not passed yet, and waits up to `timeout` for those that have to finish.
    /// False (and the gate open again) when they did not finish in time.
    func close(waitingUpTo timeout: TimeInterval) async -> Bool {
        condition.withLock { closed = true }
        let deadline = Date().addingTimeInterval(timeout)
        while condition.withLock({ running > 0 }) {
            if Date() > deadline {
                open()
                return false
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    func open() {
        let resumed = condition.withLock {
            closed = false
            running += waiting.count
            defer { waiting = [] }
            return waiting
        }
        for continuation in resumed { continuation.resume() }
    }

    var heldCount: Int { condition.withLock { waiting.count } }
}

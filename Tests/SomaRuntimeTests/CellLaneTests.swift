import Foundation
@testable import SomaRuntime
import Testing

/// A lane's fast path (docs/turns.md): a short turn running on a caller's thread is waited for, never queued
/// behind; a job that may wait on a resource is never waited for.
@Suite struct CellLaneTests {
    /// Starts `job` on a thread of its own through `runIfIdle`, and returns once the job is running.
    private func holdOnAnotherThread(_ lane: CellLane, short: Bool, seconds: Double) -> DispatchSemaphore {
        let running = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            _ = lane.runIfIdle(trigger: nil, short: short) {
                running.signal()
                Thread.sleep(forTimeInterval: seconds)
            }
            finished.signal()
        }.start()
        running.wait()
        return finished
    }

    @Test func aCallerWaitsForAShortJobInsteadOfQueueingBehindIt() {
        let lane = CellLane(name: "short")
        let finished = holdOnAnotherThread(lane, short: true, seconds: 0.2)
        let started = ContinuousClock.now
        let ran = lane.runIfIdle(trigger: "put", short: true) { 7 }
        #expect(ran == 7)
        #expect(ContinuousClock.now - started > .milliseconds(100))
        finished.wait()
    }

    @Test func aJobThatMayWaitOnAResourceIsNotWaitedFor() {
        let lane = CellLane(name: "long")
        let finished = holdOnAnotherThread(lane, short: false, seconds: 0.5)
        let started = ContinuousClock.now
        #expect(lane.runIfIdle(trigger: "put", short: true) { 7 } == nil)
        #expect(ContinuousClock.now - started < .milliseconds(250))
        finished.wait()
    }

    @Test func aJobOnTheLanesThreadIsNotWaitedFor() async {
        let lane = CellLane(name: "queued")
        let running = DispatchSemaphore(value: 0)
        async let onLane: Int = lane.perform {
            running.signal()
            Thread.sleep(forTimeInterval: 0.5)
            return 1
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { running.wait(); continuation.resume() }
        }
        let started = ContinuousClock.now
        #expect(lane.runIfIdle(trigger: "put", short: true) { 7 } == nil)
        #expect(ContinuousClock.now - started < .milliseconds(250))
        #expect(await onLane == 1)
    }

    @Test func aTriggerThatNeedsTheLaneDoesNotWait() {
        let lane = CellLane(name: "needs")
        lane.needsLane("read")
        let finished = holdOnAnotherThread(lane, short: true, seconds: 0.5)
        let started = ContinuousClock.now
        #expect(lane.runIfIdle(trigger: "read", short: true) { 7 } == nil)
        #expect(ContinuousClock.now - started < .milliseconds(250))
        finished.wait()
    }
}

import Foundation

/// One cell's lane (docs/turns.md): the cell's turns run here one at a time, in the order they arrive, on a
/// thread of the lane's own. The evaluator is synchronous and resource calls block, so a turn waiting on a
/// PostgreSQL server or a queue holds this thread, and only this cell. The thread ends after a while idle and
/// starts again with the next job, so a lane costs nothing while its cell is quiet.
// Unchecked: `jobs`, `threadRunning`, `busy`, `runningShort`, `shortWaiters` and `triggersNeedingLane` are read and written only under `condition`; `name` is immutable.
final class CellLane: @unchecked Sendable {
    let name: String
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var threadRunning = false
    /// A job of this lane is running, on the lane's thread or on a caller's (`runIfIdle`).
    private var busy = false
    /// The running job is a short one on a caller's thread: other callers wait for it instead of queueing.
    private var runningShort = false
    /// Callers waiting for a short job to end. They wait on `condition` as the lane's thread does, so a wake-up
    /// meant for either is a broadcast while there are any.
    private var shortWaiters = 0
    /// The handlers of this cell (by trigger) whose turns called or reached a resource: they go to the lane.
    private var triggersNeedingLane: Set<String> = []
    /// How long the thread waits for another job before it ends.
    private static let idleSeconds: TimeInterval = 2
    /// The evaluator walks the program's tree: a deep expression needs the stack a main thread has.
    private static let stackSize = 8 << 20

    init(name: String) {
        self.name = name
    }

    /// Runs `job` on the lane after the jobs before it, and returns what it gives; the awaiting task holds no
    /// thread meanwhile.
    func perform<T: Sendable>(_ job: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: job()) }
        }
    }

    /// Runs `job` on the lane and blocks the calling thread until it has: for a thread that is not Swift
    /// concurrency's (another lane's, a queue consumer's).
    func performBlocking<T: Sendable>(_ job: @escaping @Sendable () -> T) -> T {
        let result = Outcome<T>()
        submit { result.set(job()) }
        return result.wait()
    }

    /// For a thread that may block (another lane's, a queue consumer's): runs `job` on it when the lane is idle,
    /// else waits for the lane to run it. Either way the calling thread waits for the job, so running it here
    /// saves the lane's thread two wake-ups and holds up nothing more.
    func runHereOrOnLane<T: Sendable>(_ job: @escaping @Sendable () -> T) -> T {
        runIfIdle(trigger: nil, short: false, job) ?? performBlocking(job)
    }

    /// Runs `job` at once on the calling thread when the lane is idle, holding the lane meanwhile; nil, without
    /// running it, when the lane has work queued or on its thread, or when `trigger`'s turns were found to need
    /// the lane (`needsLane`, checked under the lock the lane takes anyway). A short job that another caller runs
    /// here is waited for: it ends within microseconds, and the hop to the lane's thread and back costs more
    /// (two thread wake-ups). `short` says that `job` is one such job: it waits on nothing and its steps are
    /// bounded, as the engine's inline turns are.
    func runIfIdle<T>(trigger: String?, short: Bool, _ job: () -> T) -> T? {
        let idle = condition.withLock {
            guard !(trigger.map(triggersNeedingLane.contains) ?? false) else { return false }
            while busy, runningShort, jobs.isEmpty {
                shortWaiters += 1
                condition.wait()
                shortWaiters -= 1
            }
            guard !busy, jobs.isEmpty else { return false }
            busy = true
            runningShort = short
            return true
        }
        guard idle else { return nil }
        let result = job()
        condition.withLock {
            busy = false
            runningShort = false
            if !jobs.isEmpty { wakeThread() }
            if shortWaiters > 0 { condition.broadcast() }
        }
        return result
    }

    /// A turn of `trigger` called or reached a resource: the trigger's turns go to the lane at once from now on.
    func needsLane(_ trigger: String) {
        _ = condition.withLock { triggersNeedingLane.insert(trigger) }
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        condition.withLock {
            jobs.append(job)
            if !busy { wakeThread() }
        }
    }

    /// With `condition` held: the lane's thread takes the next job, started if it is not running.
    private func wakeThread() {
        if threadRunning {
            if shortWaiters > 0 { condition.broadcast() } else { condition.signal() }
            return
        }
        threadRunning = true
        let thread = Thread { [self] in drain() }
        thread.stackSize = Self.stackSize
        thread.start()
    }

    private func drain() {
        // Named from inside: set before `start`, the name does not reach the kernel here, and the thread keeps its
        // creator's (a pool thread's). `top -H` and `perf` show lanes by this one.
        Thread.current.name = "soma-lane-\(name)"
        while let job = next() {
            job()
            condition.withLock { busy = false }
        }
    }

    private func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty || busy {
            if !condition.wait(until: Date().addingTimeInterval(Self.idleSeconds)) && (jobs.isEmpty || busy) {
                // Idle (or a caller holds the lane: it wakes a thread again when it leaves jobs behind).
                threadRunning = false
                return nil
            }
        }
        busy = true
        return jobs.removeFirst()
    }

    /// One job's result, handed from the lane's thread to the one blocked on it.
    // Unchecked: `value` is written once under `condition` and read under it after that.
    private final class Outcome<T>: @unchecked Sendable {
        private let condition = NSCondition()
        private var value: T?

        func set(_ value: T) {
            condition.withLock {
                self.value = value
                condition.signal()
            }
        }

        func wait() -> T {
            condition.withLock {
                while value == nil { condition.wait() }
                return value!
            }
        }
    }
}

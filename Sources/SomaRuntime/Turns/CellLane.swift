import Foundation

/// One cell's lane (docs/turns.md): the cell's turns run here one at a time, in the order they arrive, on a
/// thread of the lane's own. The evaluator is synchronous and resource calls block, so a turn waiting on a
/// PostgreSQL server or a queue holds this thread, and only this cell. The thread ends after a while idle and
/// starts again with the next job, so a lane costs nothing while its cell is quiet.
// Unchecked: `jobs` and `threadRunning` are read and written only under `condition`; `name` is immutable.
final class CellLane: @unchecked Sendable {
    let name: String
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var threadRunning = false
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

    private func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        if threadRunning {
            condition.signal()
            return
        }
        threadRunning = true
        let thread = Thread { [self] in drain() }
        thread.name = "soma-lane-\(name)"
        thread.stackSize = Self.stackSize
        thread.start()
    }

    private func drain() {
        while let job = next() { job() }
    }

    private func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty {
            if !condition.wait(until: Date().addingTimeInterval(Self.idleSeconds)) && jobs.isEmpty {
                threadRunning = false
                return nil
            }
        }
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

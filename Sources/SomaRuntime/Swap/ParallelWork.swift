import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Long work off the threads that run turns: split in chunks over one thread per core, at a lower scheduling
/// priority than turns (a swap's dry run uses every idle core, and yields them to requests that arrive
/// meanwhile). Work that needs only a thread of its own goes to `OwnThread`.
enum ParallelWork {
    /// Runs `body` once for every chunk index, and returns when all have run.
    static func run(chunks: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let counter = Counter()
        let group = DispatchGroup()
        for _ in 0..<min(chunks, ProcessInfo.processInfo.activeProcessorCount) {
            group.enter()
            Thread.detachNewThread {
                lowerPriority()
                while let chunk = counter.next(below: chunks) { body(chunk) }
                group.leave()
            }
        }
        group.wait()
    }

    /// `body` on a thread of low priority; returns what it gives.
    static func lowPriority<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = Box<T>(nil)
        run(chunks: 1) { _ in box.value = body() }
        return box.value!
    }

    /// Lets go of a large value (a swap's old memory) on a thread of low priority, where freeing it does not
    /// hold up turns.
    static func release<T>(_ value: consuming T) {
        let box = Box(value)
        Thread.detachNewThread {
            lowerPriority()
            box.value = nil
        }
    }

    // Unchecked: written by the one thread that runs the work, read by the caller only after that thread has
    // finished (the continuation orders the two), so it is never shared while it changes.
    private final class Box<T>: @unchecked Sendable {
        var value: T?
        init(_ value: T?) { self.value = value }
    }

    static func lowerPriority() {
        #if os(Linux)
        // On Linux a nice value belongs to a thread, and `who` 0 is the calling one.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    // Unchecked: `value` is read and written only under `lock`.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func next(below limit: Int) -> Int? {
            lock.withLock {
                guard value < limit else { return nil }
                defer { value += 1 }
                return value
            }
        }
    }
}

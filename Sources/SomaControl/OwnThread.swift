import Foundation

/// Blocking work (a swap's dry run, a queue that may take its client's whole timeout to answer) on a thread
/// of its own, awaited without holding a thread of Swift concurrency's pool.
public enum OwnThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }
}

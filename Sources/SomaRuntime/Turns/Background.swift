import Synchronization

/// What runs turns of its own accord (docs/turns.md): the `every` timers and the queue consumers. A swap stops
/// them before it holds turns and starts them again on the program that runs after it.
final class Background: Sendable {
    private struct Running {
        var timers: [Task<Void, Never>] = []
        var consumers: [QueueConsumer] = []
    }

    private let running = Mutex(Running())

    func add(timers: [Task<Void, Never>] = [], consumers: [QueueConsumer] = []) {
        running.withLock { running in
            running.timers += timers
            running.consumers += consumers
        }
    }

    /// Cancels the timers and stops the consumers; returns once each consumer has finished the turn it ran.
    func stop() {
        let stopping = running.withLock { running in
            defer { running = Running() }
            return running
        }
        for timer in stopping.timers { timer.cancel() }
        for consumer in stopping.consumers { consumer.stop() }
    }
}

import Foundation
import SomaResources
import SomaProtocol

/// Feeds one queue to its `on BINDING(msg)` handler, on its own thread: leases messages (waiting for them
/// on the queue's side), runs one turn per message, and gives a message back with its error when its turn
/// aborts (the queue retries it after a backoff).
/// A message redelivered while the ack of its committed turn is on its way is not run twice.
// Unchecked: `stopping` and `running` are read and written under `condition`; the rest is immutable, and the
// client is used by the consumer's one thread (and closed, which is thread-safe, by `stop`).
final class QueueConsumer: @unchecked Sendable {
    unowned let engine: TurnEngine
    let cell: String
    let binding: String
    let queue: ResourceSet.QueueHandle
    let client: QueueClient
    private let condition = NSCondition()
    private var stopping = false
    private var running = false

    init(engine: TurnEngine, cell: String, binding: String, queue: ResourceSet.QueueHandle) {
        self.engine = engine
        self.cell = cell
        self.binding = binding
        self.queue = queue
        self.client = QueueClient(name: queue.name, socketPath: queue.endpoint)
    }

    func start() {
        running = true
        let thread = Thread { [self] in loop() }
        thread.name = "soma-consumer-\(queue.name)"
        thread.start()
    }

    /// Returns once the consumer has finished the turn it was running.
    func stop() {
        condition.lock()
        stopping = true
        condition.unlock()
        client.close()
        condition.lock()
        while running { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
        condition.unlock()
    }

    var isStopping: Bool { condition.withLock { stopping } }

    private func loop() {
        var lastFailure: String?
        while !isStopping {
            let messages: [QueueMessage]
            do {
                messages = try client.lease(max: 32, waitMilliseconds: 500)
                if lastFailure != nil { engine.log("queue '\(queue.name)' answers again; consuming") }
                lastFailure = nil
            } catch {
                if !isStopping && lastFailure != "\(error)" { engine.log("consuming '\(queue.name)' waits: \(error)") }
                lastFailure = "\(error)"
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            var aborted: [(id: String, error: String)] = []
            var diskFull = false
            for message in messages {
                if isStopping || diskFull {
                    aborted.append((message.id, ""))
                    continue
                }
                if engine.pump.hasPendingAck(queue.name, messageID: message.id) { continue }
                if let failure = engine.consume(cell: cell, binding: binding, queue: queue.name, message: message, element: queue.element) {
                    if failure.kind == .diskFull {
                        // Not the message's fault: it goes back untried, and consuming waits for space.
                        diskFull = true
                        aborted.append((message.id, ""))
                        continue
                    }
                    engine.log("\(cell).\(binding) aborted on message \(message.id) (attempt \(message.attempt ?? 1)): \(failure)")
                    aborted.append((message.id, failure.description))
                }
            }
            // A stop hands the message back untried; an aborted turn's message waits out its retry backoff.
            if !aborted.isEmpty { try? client.nack(aborted) }
            while diskFull && engine.store.refusesWrites && !isStopping { Thread.sleep(forTimeInterval: 0.25) }
        }
        condition.withLock {
            running = false
            condition.broadcast()
        }
    }
}

import Foundation
import GRDB
import SomaResources
import SomaStorage
import SomaProtocol

/// Carries committed turns' effects to their resources, on its own thread: for each resource, in the order
/// the turns committed, only once the turn is durable (a push is delivered if and only if its turn commits).
/// A resource that does not answer (a queue process being restarted) is retried with backoff without holding
/// up the others. An effect its resource refuses for good is set aside with its error, so it never blocks the
/// effects behind it. Until a table write is applied, turns read it from here.
// Unchecked: lanes, pending rows, clients and counts are read and written under `condition`; delivery runs on
// the pump's one thread.
final class EffectPump: @unchecked Sendable {
    struct Item {
        var sequence: UInt64
        var effect: ResourceEffect
    }

    /// Why a resource did not take effects: `isPermanent` when it refused the data itself (ResourceError).
    struct Failure {
        var message: String
        var isPermanent: Bool
    }

    enum Outcome {
        case delivered
        case waits(String)
        case setAside(String)
    }

    struct Lane {
        var items: [Item] = []
        var retryAt = Date.distantPast
        var backoff = 0.05
        var lastFailure: String?
    }

    let store: StateStore
    let resources: ResourceSet
    let log: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var lanes: [String: Lane] = [:]
    /// Table writes not yet applied: database → table → key → (row or nil for deleted, writes outstanding).
    private var pendingRows: [String: [String: [DatabaseValue: (row: Value?, count: Int)]]] = [:]
    private var stopping = false
    private var thread: Thread?
    private var pushClients: [String: QueueClient] = [:]
    /// Effects set aside so far (those of earlier runs included), by resource.
    private var setAsideCounts: [String: Int] = [:]

    init(store: StateStore, resources: ResourceSet, log: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.resources = resources
        self.log = log
        setAsideCounts = (try? store.setAsideCounts()) ?? [:]
    }

    /// How many effects on each resource were set aside because it refused them.
    var setAside: [String: Int] {
        condition.withLock { setAsideCounts }
    }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard thread == nil else { return }
        let thread = Thread { [weak self] in self?.loop() }
        thread.name = "soma-effects"
        self.thread = thread
        thread.start()
    }

    /// Stops after what can be delivered now; what is left stays stored and is delivered at the next start.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil { condition.wait() }
        condition.unlock()
    }

    /// Called with the turn engine's lock held, in commit order.
    func submit(sequence: UInt64, effects: [ResourceEffect]) {
        guard !effects.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        for effect in effects {
            lanes[effect.resource, default: Lane()].items.append(Item(sequence: sequence, effect: effect))
            switch effect.operation {
            case .put(let table, let key, let row, _): notePending(effect.resource, table, key, row)
            case .delete(let table, let key, _): notePending(effect.resource, table, key, nil)
            default: break
            }
        }
        condition.broadcast()
    }

    /// Forgets the effects of turns whose batches the store rejected, and what turns read of their table writes.
    private func dropRejected() {
        condition.lock()
        defer { condition.unlock() }
        for (name, lane) in lanes {
            var kept = lane
            kept.items.removeAll { store.wasRejected($0.sequence) }
            lanes[name] = kept
        }
        pendingRows = [:]
        for (resource, lane) in lanes {
            for item in lane.items {
                switch item.effect.operation {
                case .put(let table, let key, let row, _): notePending(resource, table, key, row)
                case .delete(let table, let key, _): notePending(resource, table, key, nil)
                default: break
                }
            }
        }
        condition.broadcast()
    }

    private func notePending(_ database: String, _ table: String, _ key: DatabaseValue, _ row: Value?) {
        let count = pendingRows[database]?[table]?[key]?.count ?? 0
        pendingRows[database, default: [:]][table, default: [:]][key] = (row, count + 1)
    }

    // MARK: - What turns read

    /// A table write committed and not yet applied: `.some(nil)` for a deleted row.
    func pendingRow(_ database: String, _ table: String, _ key: DatabaseValue) -> Value?? {
        condition.lock()
        defer { condition.unlock() }
        guard let entry = pendingRows[database]?[table]?[key] else { return nil }
        return .some(entry.row)
    }

    func pendingRows(_ database: String, _ table: String) -> [DatabaseValue: Value?] {
        condition.lock()
        defer { condition.unlock() }
        return (pendingRows[database]?[table] ?? [:]).mapValues(\.row)
    }

    func pendingPushes(_ queue: String) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return lanes[queue]?.items.count { if case .push = $0.effect.operation { return true } else { return false } } ?? 0
    }

    /// Whether the consuming turn of this message has committed and its ack is on its way.
    func hasPendingAck(_ queue: String, messageID: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return lanes[queue]?.items.contains { if case .ack(let id) = $0.effect.operation { return id == messageID } else { return false } } ?? false
    }

    /// Blocks until every effect on this resource submitted so far is applied (for `db.sql`, which reads the
    /// database itself), or `timeout` passes.
    /// Waits until every effect submitted so far has reached its resource; false after `timeout`, with the
    /// names of the resources still behind.
    func waitUntilIdle(timeout: TimeInterval) -> (idle: Bool, behind: [String]) {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while lanes.values.contains(where: { !$0.items.isEmpty }) {
            if !condition.wait(until: deadline) {
                return (false, lanes.filter { !$0.value.items.isEmpty }.map(\.key).sorted())
            }
        }
        return (true, [])
    }

    func waitUntilApplied(_ resource: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !(lanes[resource]?.items.isEmpty ?? true) {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    // MARK: - The pump

    private func loop() {
        while true {
            condition.lock()
            var ready: [(String, [Item])] = []
            while true {
                let now = Date()
                ready = lanes.compactMap { name, lane in
                    lane.items.isEmpty || lane.retryAt > now ? nil : (name, lane.items)
                }
                if !ready.isEmpty || stopping { break }
                let nextRetry = lanes.values.filter { !$0.items.isEmpty }.map(\.retryAt).min()
                if let nextRetry { _ = condition.wait(until: nextRetry) } else { condition.wait() }
            }
            if stopping && ready.isEmpty {
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()

            let last = ready.flatMap { $0.1.map(\.sequence) }.max() ?? 0
            do {
                try store.waitUntilDurableBlocking(last)
            } catch let error as StorageError where error.isDiskFull {
                // The turns of these effects failed for want of space: their effects never happened.
                dropRejected()
                continue
            } catch {
                // The worker is ending (a failed commit ends it); what is stored is delivered by the next one.
                condition.lock()
                stopping = true
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            for (resource, items) in ready { deliver(resource, items) }
            if stopping {
                condition.lock()
                let anyReady = lanes.values.contains { !$0.items.isEmpty && $0.retryAt <= Date() }
                condition.unlock()
                if !anyReady {
                    condition.lock()
                    thread = nil
                    condition.broadcast()
                    condition.unlock()
                    return
                }
            }
        }
    }

    /// Delivers a resource's effects in order. When the resource refuses one of them for good, they are tried one
    /// at a time: those before and after it still go, and it alone is set aside.
    private func deliver(_ resource: String, _ items: [Item]) {
        guard let failure = apply(resource, items) else { return finish(resource, items, .delivered) }
        guard failure.isPermanent else { return finish(resource, items, .waits(failure.message)) }
        for item in items {
            switch apply(resource, [item]) {
            case nil: finish(resource, [item], .delivered)
            case let failure? where failure.isPermanent: finish(resource, [item], .setAside(failure.message))
            case let failure?: return finish(resource, [item], .waits(failure.message))
            }
        }
    }

    /// Applies one resource's effects in order; returns why it could not.
    private func apply(_ resource: String, _ items: [Item]) -> Failure? {
        do {
            if let database = resources.database(resource) {
                var writes: [TableWrite] = []
                for item in items {
                    switch item.effect.operation {
                    case .put(let table, _, _, let json):
                        guard let layout = database.layout.table(table), case .object(let fields) = try JSONValue.parse(json) else { continue }
                        writes.append(.put(table: table, values: layout.columns.map { TableRows.databaseValue(fields[$0.name] ?? .null, storage: $0.storage) }))
                    case .delete(let table, let key, _):
                        writes.append(.delete(table: table, key: key))
                    default:
                        continue
                    }
                }
                try database.tables.apply(writes)
                return nil
            }
            if let queue = resources.queue(resource) {
                let client = pushClients[resource] ?? QueueClient(name: resource, socketPath: queue.endpoint)
                pushClients[resource] = client
                var pushes: [QueueMessage] = []
                var acks: [String] = []
                for item in items {
                    switch item.effect.operation {
                    case .push(let queued): pushes.append(QueueMessage(id: queued.messageID, version: queued.version, body: queued.body))
                    case .ack(let id): acks.append(id)
                    default: continue
                    }
                }
                if !pushes.isEmpty { try client.push(pushes) }
                if !acks.isEmpty { try client.ack(acks) }
                return nil
            }
            return Failure(message: "resource '\(resource)' is not open in this worker", isPermanent: false)
        } catch {
            return Failure(message: "\(error)", isPermanent: (error as? ResourceError)?.isPermanent ?? false)
        }
    }

    private func finish(_ resource: String, _ items: [Item], _ outcome: Outcome) {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        guard var lane = lanes[resource] else { return }
        switch outcome {
        case .waits(let failure):
            // It may pass on a retry (a server restarting): back off, up to a second, with the rest behind it.
            if lane.lastFailure != failure { log("effects on '\(resource)' wait: \(failure)") }
            lane.lastFailure = failure
            lane.retryAt = Date().addingTimeInterval(lane.backoff * Double.random(in: 0.75...1.25))
            lane.backoff = min(lane.backoff * 2, 1)
            lanes[resource] = lane
            return
        case .setAside(let failure):
            log("an effect on '\(resource)' is refused for good and set aside (soma resources show \(resource)): \(failure)")
            setAsideCounts[resource, default: 0] += 1
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            _ = store.enqueue(WriteBatch(changes: items.map { .setAsideEffect(id: $0.effect.id, error: failure, failedAt: now) }), touchesMemory: false)
        case .delivered:
            if lane.lastFailure != nil { log("effects on '\(resource)' delivered again") }
        }
        lane.items.removeFirst(items.count)
        lane.lastFailure = nil
        lane.backoff = 0.05
        lanes[resource] = lane
        for item in items {
            switch item.effect.operation {
            case .put(let table, let key, _, _), .delete(let table, let key, _):
                if let entry = pendingRows[resource]?[table]?[key] {
                    if entry.count <= 1 {
                        pendingRows[resource]?[table]?[key] = nil
                    } else {
                        pendingRows[resource]?[table]?[key] = (entry.row, entry.count - 1)
                    }
                }
            default: break
            }
        }
        if case .delivered = outcome { _ = store.enqueue(WriteBatch(changes: items.map { .removeEffect(id: $0.effect.id) }), touchesMemory: false) }
    }
}

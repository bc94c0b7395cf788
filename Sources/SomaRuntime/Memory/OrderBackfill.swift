import Foundation
import SomaControl
import SomaStorage

/// Gives an order key to every stored Map row that has none: the rows of a home from before format step 8, and
/// any a hand or an older soma wrote since. A chunk at a time on a thread of its own at low priority, through
/// the committer like any batch. Until a slot's rows all have one, its whole-Map operations read the slot whole
/// and sort it (`CellMemory.forEachInKeyOrder`), as every build before step 8 did.
///
/// An order key follows from the key alone, so a turn that writes the row meanwhile writes the same one, and a
/// row a turn deleted is not there to update.
// Unchecked: `running` and `stopping` are read and written under the engine's lock.
final class OrderBackfill: @unchecked Sendable {
    static let chunk = 1000
    /// Chunks waiting for the disk at once: the committer writes them in one transaction, one sync for several.
    static let depth = 2

    unowned let engine: TurnEngine
    private var running: Task<Void, Never>?
    private var stopping = false

    init(engine: TurnEngine) {
        self.engine = engine
    }

    func start() {
        engine.lock.withLock {
            stopping = false
            let engine: TurnEngine = engine
            running = Task { [self] in
                await OwnThread.run { [self] in withExtendedLifetime(engine) { fillAll() } }
            }
        }
    }

    /// Returns once every slot the backfill found has its order keys.
    func wait() async {
        await engine.lock.withLock { running }?.value
    }

    /// Stops at the next chunk (the worker is stopping); the next start carries on.
    func stop() {
        engine.lock.withLock { stopping = true }
    }

    private var isStopping: Bool { engine.lock.withLock { stopping } }

    private func fillAll() {
        ParallelWork.lowerPriority()
        let program = engine.program
        let started = ContinuousClock.now
        var filled = 0
        var names: [String] = []
        var inFlight: [UInt64] = []
        do {
            for name in program.cellOrder {
                guard let cell = program.cells[name] else { continue }
                for model in cell.model.slots where model.properties.isDurable {
                    guard let slot = CellMemory.SlotTypes(model), try engine.store.hasKeysWithoutOrder(cell: name, slot: slot.name) else { continue }
                    names.append("\(name).\(slot.name)")
                    var after: String?
                    while !isStopping {
                        let keys = try engine.store.keysWithoutOrder(cell: name, slot: slot.name, after: after, limit: Self.chunk)
                        guard let last = keys.last else { break }
                        after = last
                        let batch = WriteBatch(changes: keys.map {
                            .putOrder(cell: name, slot: slot.name, key: $0, ord: Self.orderKey(storedKey: $0, slot, program: program))
                        })
                        filled += keys.count
                        inFlight.append(engine.store.enqueue(batch, touchesMemory: false))
                        if inFlight.count > Self.depth { try engine.store.waitUntilDurableBlocking(inFlight.removeFirst()) }
                    }
                }
            }
            if let last = inFlight.last { try engine.store.waitUntilDurableBlocking(last) }
            guard !isStopping, filled > 0 else { return }
            engine.log("gave \(filled) stored key(s) of \(names.joined(separator: ", ")) their order key in \(Int((ContinuousClock.now - started).inMilliseconds)) ms")
        } catch {
            engine.log("giving stored keys their order key stopped: \(error); the next start carries on")
        }
    }

    /// A stored key's order key; one that does not read sorts after every key that does (its row is quarantined
    /// when a turn reads it).
    static func orderKey(storedKey: String, _ slot: CellMemory.SlotTypes, program: RuntimeProgram) -> Data {
        guard let json = try? JSONValue.parse(storedKey), let key = try? program.codec.decode(json, as: slot.key, path: "\(slot.name) key") else {
            // Eight 0xFF bytes: after every OrderKey (whose first byte is a kind) and every Int slot's key.
            return Data([UInt8](repeating: 0xFF, count: 8) + Array(storedKey.utf8))
        }
        return OrderKey.stored(key, keyType: slot.key)
    }
}

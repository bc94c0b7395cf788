import Foundation
import SomaStorage

/// A whole-Map operation over a slot that memory does not hold whole: the store's rows streamed in key order by
/// their order key (format step 8), with what the store may not have yet laid over them: the entries whose last
/// write is not durable, and the turn's own writes (docs/state.md, "Whole-Map operations"). The caller pays a
/// step for each entry, so a turn over a Map larger than its step budget stops reading there.
extension CellMemory {
    private struct UnorderedRows: Error {}

    /// Calls `body` with every entry of the slot as a turn with `writes` sees it, in key order, until it throws.
    /// Returns false, having called nothing, when the store holds a row of the slot without an order key (a
    /// home from before format step 8 that the backfill has not reached yet): the caller reads the slot whole
    /// and sorts it then. A row that does not read is quarantined and fails the read.
    func forEachInKeyOrder(_ slot: SlotTypes, over writes: [Value: Value?], program: RuntimeProgram,
                           _ body: (Value, Value) throws -> Void) throws -> Bool {
        // The durable sequence before the cache is copied, and the store read after: an entry let go of in
        // between was durable, so the snapshot has it.
        let durable = store.durableSequence
        guard let cache = cache(of: slot.name) else { return true }
        var laid: [Value: Value?] = [:]
        cache.forEachPinned(after: durable) { key, value in laid[key] = value }
        for (key, value) in writes { laid[key] = value }
        let over = laid.map { (order: OrderKey.stored($0.key, keyType: slot.key), key: $0.key, value: $0.value) }
            .sorted { $0.order.lexicographicallyPrecedes($1.order) }
        var next = 0
        func emitLaid(before order: Data?) throws -> Bool {
            while next < over.count {
                // SQLite orders blobs as `memcmp` does, which is Data's lexicographic order.
                let same = order == over[next].order
                if let order, !same, !over[next].order.lexicographicallyPrecedes(order) { return false }
                if let value = over[next].value { try body(over[next].key, value) }
                next += 1
                if same { return true }
            }
            return false
        }

        var read: [(key: Value, value: Value, bytes: Int)] = []
        var readBytes = 0
        let room = budget.room
        var first = true
        budget.scan()
        do {
            try store.forEachValueInKeyOrder(cell: cell, slot: slot.name) { row, order in
                guard let order else { throw UnorderedRows() }
                defer { first = false }
                budget.rowRead()
                if try emitLaid(before: order) { return }
                let key = try decodeKey(row, slot, program: program)
                let value = try decode(row, slot, program: program)
                let bytes = SlotCache.cost(storedKey: row.key, value: row.json.utf8.count)
                readBytes += bytes
                if readBytes <= room { read.append((key, value, bytes)) }
                try body(key, value)
            }
        } catch is UnorderedRows where first {
            return false
        } catch let error as TurnError {
            throw error
        } catch {
            throw TurnError(.storage, "\(error)")
        }
        _ = try emitLaid(before: nil)
        // A slot whose rows all fit in what the budget has left is held whole from now on.
        if readBytes <= room {
            for (key, value, bytes) in read { fill(slot.name, key, value, bytes: bytes) }
        }
        return true
    }
}

import Foundation
import SomaChecker
import SomaStorage

/// The dry run's conversions, in chunks on every core below the priority of turns (docs/state.md, "Swaps").
extension MemoryMigration {
    /// Rows of the store converted at once when a slot streams: what the dry run holds of it at any moment.
    static let streamedRows = 32_768

    /// A map's values migrated. On failure, the failing key that sorts first (as stored).
    static func migrate(_ entries: [Value: Value], slot: SwapWork.Slot, keyType: SomaType, running: RuntimeProgram,
                        converter: @escaping @Sendable () -> ValueConverter) throws(SlotMigrationFailure) -> [Value: Value] {
        let keys = Array(entries.keys), values = Array(entries.values)
        let (results, failure) = convert(count: values.count, keeping: true, converter: converter,
                                         value: { values[$0] }, storedKey: { running.codec.encode(keys[$0], as: keyType) })
        if let failure { throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: failure.key, reason: failure.reason) }
        return ParallelWork.lowPriority { Dictionary(uniqueKeysWithValues: zip(keys, results)) }
    }

    /// A slot memory holds in part, whose rows stay at their old version: the cache's entries migrated and kept
    /// in `prepared` (their values may be newer than the snapshot's), every other row of the snapshot read,
    /// migrated and let go of, `streamedRows` at a time in key order. Returns how many values it migrated; on
    /// failure, the failing key that sorts first.
    static func migrateStreaming(_ slot: SwapWork.Slot, _ types: CellMemory.SlotTypes, cache: SlotCache, snapshot: StoreSnapshot?,
                                 keyType: SomaType, running: RuntimeProgram, new: RuntimeProgram, into prepared: PreparedSwap,
                                 converter: @escaping @Sendable () -> ValueConverter) throws(SlotMigrationFailure) -> Int {
        guard let snapshot else {
            throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: "", reason: "no snapshot of the store was opened")
        }
        var held: [Value: Value] = [:]
        var known = Set<String>()
        cache.forEachEntry { key, value in
            known.insert(running.codec.encode(key, as: keyType))
            if let value { held[key] = value }
        }
        var failure: (key: String, reason: String)?
        var migratedHeld: [Value: Value] = [:]
        do {
            migratedHeld = try migrate(held, slot: slot, keyType: keyType, running: running, converter: converter)
        } catch {
            failure = (error.key, error.reason)
        }
        var migrated = held.count
        var rows: [StoredState.SlotValue] = []
        rows.reserveCapacity(streamedRows)
        func convertRows() {
            let batch = rows
            rows.removeAll(keepingCapacity: true)
            let (_, found) = convert(count: batch.count, keeping: false, converter: converter,
                                     value: { try CellMemory.read(batch[$0], types, program: running) }, storedKey: { batch[$0].key })
            migrated += batch.count
            if let found, failure.map({ found.key < $0.key }) ?? true { failure = found }
        }
        do {
            try snapshot.forEachValue(cell: slot.cell, slot: slot.slot) { row in
                // Past a failure already found, no key that sorts later can be the one named.
                if let failure, row.key > failure.key { throw StopStreaming() }
                guard !known.contains(row.key) else { return }
                rows.append(row)
                if rows.count == streamedRows { convertRows() }
            }
            convertRows()
        } catch is StopStreaming {
        } catch {
            throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: "", reason: "\(error)")
        }
        if let failure { throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: failure.key, reason: failure.reason) }
        prepared.maps[slot.id] = newCache(migratedHeld, count: cache.count, slot: slot, new: new)
        return migrated
    }

    private struct StopStreaming: Error {}

    /// `count` values, `value(i)` the i-th as the running program holds it, converted on every core, one
    /// converter per chunk. Returns the results when `keeping`, and the failure whose stored key sorts first.
    static func convert(count: Int, keeping: Bool, converter makeConverter: @escaping @Sendable () -> ValueConverter,
                        value: @escaping @Sendable (Int) throws -> Value, storedKey: @escaping @Sendable (Int) -> String)
        -> (results: [Value], failure: (key: String, reason: String)?) {
        guard count > 0 else { return ([], nil) }
        let chunkSize = max(1024, count / (ProcessInfo.processInfo.activeProcessorCount * 8) + 1)
        let chunks = (count + chunkSize - 1) / chunkSize
        let output = ChunkedOutput(count: keeping ? count : 0, chunks: chunks)
        defer { output.deallocate() }
        ParallelWork.run(chunks: chunks) { chunk in
            let converter = makeConverter()
            for index in chunk * chunkSize..<min(count, (chunk + 1) * chunkSize) {
                do {
                    let converted = try converter.convert(try value(index))
                    if keeping { output.results[index] = converted }
                } catch {
                    let key = storedKey(index)
                    if output.failures[chunk].map({ key < $0.key }) ?? true { output.failures[chunk] = (key, "\(error)") }
                }
            }
        }
        return (Array(output.results), output.failures.compactMap { $0 }.min { $0.key < $1.key })
    }
}

/// Where the threads of a parallel migration write: each index, and each chunk's failure, by one thread only.
// Unchecked: raw buffers, each index written by one thread only and read after every thread has joined.
private final class ChunkedOutput: @unchecked Sendable {
    let results: UnsafeMutableBufferPointer<Value>
    let failures: UnsafeMutableBufferPointer<(key: String, reason: String)?>

    init(count: Int, chunks: Int) {
        results = .allocate(capacity: count)
        results.initialize(repeating: .unit)
        failures = .allocate(capacity: chunks)
        failures.initialize(repeating: nil)
    }

    func deallocate() {
        results.deinitialize()
        results.deallocate()
        failures.deinitialize()
        failures.deallocate()
    }
}

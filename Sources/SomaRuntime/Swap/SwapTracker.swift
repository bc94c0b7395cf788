/// The keys turns write, between a swap's snapshot of memory (the dry run migrates it while turns go on) and
/// the moment the swap holds turns: those are migrated again, from their current value, with turns held.
/// Read and written under the turn engine's lock.
final class SwapTracker {
    struct SlotID: Hashable {
        var cell: String
        var slot: String
    }

    let slots: Set<SlotID>
    private(set) var keys: [SlotID: Set<Value>] = [:]
    /// Slots that are not maps, written as a whole.
    private(set) var scalars: Set<SlotID> = []

    init(slots: Set<SlotID>) {
        self.slots = slots
    }

    func noteKey(cell: String, slot: String, _ key: Value) {
        let id = SlotID(cell: cell, slot: slot)
        guard slots.contains(id) else { return }
        keys[id, default: []].insert(key)
    }

    func noteScalar(cell: String, slot: String) {
        let id = SlotID(cell: cell, slot: slot)
        guard slots.contains(id) else { return }
        scalars.insert(id)
    }
}

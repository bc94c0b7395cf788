import SomaProtocol

/// A cell's committed memory: what every turn starts from. Owned by the turn engine and changed only when a
/// turn commits, under the engine's lock; its own lane's turns read it without (docs/turns.md).
final class CellMemory {
    var scalars: [String: Value] = [:]
    var maps: [String: [Value: Value]] = [:]
    /// Machine name → key → state.
    var machines: [String: [String: String]] = [:]
    /// Slot → stored key (empty for a scalar slot) → the value there that did not read.
    var quarantined: [String: [String: QuarantinedValue]] = [:]
}

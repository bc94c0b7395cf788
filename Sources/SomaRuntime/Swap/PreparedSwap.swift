import Foundation

/// A swap's dry run over memory, kept for the swap itself: the values of the slots the swap changes, migrated
/// from a snapshot of memory taken while turns went on. The tracker notes what turns write after the snapshot;
/// with turns held, the swap migrates those keys again and takes the rest from here.
// Unchecked: filled by the dry run's thread before it is published, then read and changed only under the
// turn engine's lock (with turns held); the tracker is thread-safe on its own.
final class PreparedSwap: @unchecked Sendable {
    /// Which swap this is the dry run of: the same versions and the same source.
    struct Identity: Equatable {
        var fromVersion: Int
        var toVersion: Int
        var restores: Int?
        var source: [[UInt8]]

        init(_ request: SwapRequest) {
            fromVersion = request.fromVersion
            toVersion = request.toVersion
            restores = request.restores
            source = request.program.sources.files.map(\.bytes)
        }
    }

    let identity: Identity
    let tracker: SwapTracker
    /// Each migrated Map slot as the new version's memory holds it, built off the turns' hold: whole, or for a
    /// slot memory held in part, the entries it held, migrated (the rest stay in the store at their old version,
    /// checked by the dry run and read through their migration after the swap).
    var maps: [SwapTracker.SlotID: SlotCache] = [:]
    var scalars: [SwapTracker.SlotID: Value] = [:]
    /// How many values the dry run migrated.
    var migrated = 0

    init(identity: Identity, tracker: SwapTracker) {
        self.identity = identity
        self.tracker = tracker
    }
}

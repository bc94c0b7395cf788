import Synchronization

/// Every cell's lane, and who waits for whom among them (docs/turns.md). A turn of one cell that calls
/// another blocks its lane until the callee's lane has run the call; a call that would close a cycle of such
/// waits is refused instead, so cells that call each other get `call-cycle` rather than a deadlock.
final class CellLanes: Sendable {
    private let lanes = Mutex<[String: CellLane]>([:])
    private let waits = Mutex(WaitForGraph())

    /// The lane of `cell`, made the first time it is asked for (a swap can add cells).
    func lane(_ cell: String) -> CellLane {
        lanes.withLock { lanes in
            if let lane = lanes[cell] { return lane }
            let lane = CellLane(name: cell)
            lanes[cell] = lane
            return lane
        }
    }

    /// Runs `body` on `callee`'s lane for a turn of `caller`, blocking the caller's lane until it has run.
    /// Throws `call-cycle`, naming the cycle from the callee round to it, when the callee already waits,
    /// through others or itself, for the caller.
    func call<T: Sendable>(from caller: String, to callee: String, location: String?,
                           _ body: @escaping @Sendable () -> T) throws(TurnError) -> T {
        if let cycle = waits.withLock({ $0.wait(from: caller, to: callee) }) {
            let path = Array(cycle.dropFirst()) + [callee]
            throw TurnError(.callCycle, "call cycle: \(path.joined(separator: " → "))", at: location)
        }
        defer { waits.withLock { $0.done(from: caller) } }
        return lane(callee).runHereOrOnLane(body)
    }
}

import SomaModelCheck

/// One property's outcome on one state machine, as `soma check` prints it.
public struct PropertyResult: Sendable {
    public var property: String
    public var holds: Bool
    /// "verified", "no deadlocks in any reachable state", or "counter-example: a → b → … (cycle)".
    public var detail: String
}

/// The model-checking results for one state machine.
public struct MachineVerification: Sendable {
    public var machine: MachineModel
    public var stateCount: Int
    public var transitionCount: Int
    public var results: [PropertyResult]
}

/// A connection that could not be made or kept: a transport failure, before any protocol.
public enum ControlError: Error, CustomStringConvertible {
    case peerRejected(String)
    case unreachable(path: String, reason: String)

    public var description: String {
        switch self {
        case .peerRejected(let reason): return "control connection refused: \(reason)"
        case .unreachable(let path, let reason): return "cannot reach \(path): \(reason)"
        }
    }
}

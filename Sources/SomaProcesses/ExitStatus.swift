/// How a supervised process ended.
public enum ExitStatus: Codable, Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// An adopted process (no child of this one) is gone; its status is its parent's to know.
    case disappeared
    /// It could not be started at all.
    case notStarted(String)

    public var code: Int32? {
        if case .exited(let code) = self { code } else { nil }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "signal \(signal)"
        case .disappeared: "status unknown: it was adopted, not started by this supervisor"
        case .notStarted(let why): "not started: \(why)"
        }
    }
}

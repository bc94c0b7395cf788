/// A protocol's version: peers of the same major talk; a minor difference only adds optional fields and cases
/// the older side never receives. Another major is refused before anything else is read (docs/protocol.md).
public struct ProtocolVersion: Codable, Sendable, Equatable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }
}

/// The protocols soma's processes speak. Version 1 of the control and worker protocols is the one before
/// versions: `{command, arguments}` string maps, no hello.
public enum ProtocolName: String, Codable, Sendable, CaseIterable {
    /// The CLI (and the worker, for resources) to the supervisor.
    case control = "soma-control"
    /// The supervisor to its worker.
    case worker = "soma-worker"
    /// The worker (and the CLI) to a queue process.
    case queue = "soma-queue"

    /// The version this build speaks.
    public var current: ProtocolVersion {
        switch self {
        // Control 3: a swap carries its code and a launch is an order, so that only the supervisor writes the
        // ledger. A CLI of 2 would send a version number a supervisor of 3 cannot read. 3.1 adds `code`;
        // 3.2 adds `inspect`, `replay` and `logs`, so that no reading command needs the app's files; 3.3 adds
        // `watch` and `workerReady`, so that a launch waits for news instead of asking in a loop.
        case .control: ProtocolVersion(major: 3, minor: 3)
        case .worker: ProtocolVersion(major: 2, minor: 0)
        case .queue: ProtocolVersion(major: 2, minor: 0)
        }
    }
}

/// Who is at the other end, in the words of an error message.
public enum PeerRole: String, Codable, Sendable {
    case cli, supervisor, worker, queue, node, plugin
}

/// soma's release, sent in every hello so that a refusal can say which soma the peer is.
public enum SomaBuild {
    public static let version = "0.1.0"
}

/// The first frame in each direction of a connection: which protocol, which version, which soma, and who.
/// The client sends its hello with its first request; the server answers with its own hello, or with a
/// `protocol-version` failure, before any reply.
public struct Hello: Codable, Sendable, Equatable {
    public var `protocol`: ProtocolName
    public var version: ProtocolVersion
    public var build: String
    public var peer: PeerRole

    public init(_ name: ProtocolName, peer: PeerRole, version: ProtocolVersion? = nil, build: String = SomaBuild.version) {
        self.protocol = name
        self.version = version ?? name.current
        self.build = build
        self.peer = peer
    }

    /// Why a peer that sent `other` is not talked to, or nil when it is. `at` names the peer for the message.
    public func refusal(of other: Hello, at place: String) -> ProtocolFailure? {
        guard other.protocol == self.protocol else {
            return ProtocolFailure(.protocolMismatch, "\(place) speaks \(other.protocol.rawValue), not \(self.protocol.rawValue)")
        }
        guard other.version.major == version.major else {
            return .versionMismatch(local: self, remote: other, place: place)
        }
        return nil
    }
}

/// The frame a client reads first: the server's hello, or why it will not talk.
public enum Greeting: Codable, Sendable {
    case hello(Hello)
    case failure(ProtocolFailure)
}

/// The frame a client writes first.
public struct HelloFrame: Codable, Sendable {
    public var hello: Hello

    public init(_ hello: Hello) {
        self.hello = hello
    }
}

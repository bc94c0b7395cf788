/// The first frame in each direction of a connection: which protocol, which version, which soma, and who.
/// The client sends its hello with its first request; the server answers with its own hello, or with a
/// `protocol-version` failure, before any reply.
public struct Hello: Codable, Sendable, Equatable {
    public var `protocol`: ProtocolName
    public var version: ProtocolVersion
    public var build: String
    public var peer: PeerRole
    /// On TCP, the client's proof that it holds the app's secret: HMAC-SHA256 of the server's challenge, in hex.
    /// Never sent on a Unix socket, where the peer's uid is checked instead.
    public var proof: String?

    public init(_ name: ProtocolName, peer: PeerRole, version: ProtocolVersion? = nil, build: String = SomaBuild.version, proof: String? = nil) {
        self.protocol = name
        self.version = version ?? name.current
        self.build = build
        self.peer = peer
        self.proof = proof
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

/// On TCP, the server's first frame, before the client's hello: a fresh nonce that the client proves the app's
/// secret over, so that the secret itself never travels and a recorded proof is worth nothing later.
public struct ChallengeFrame: Codable, Sendable {
    public struct Challenge: Codable, Sendable, Equatable {
        /// 32 random bytes, in hex.
        public var nonce: String
    }

    public var challenge: Challenge

    public init(nonce: String) {
        self.challenge = Challenge(nonce: nonce)
    }
}

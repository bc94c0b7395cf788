import SomaProtocol

/// soma.toml `[control]`: whether the supervisor's control protocol is reachable over TCP besides its Unix
/// socket (RUNTIME.md §4: nothing listens on TCP unless this says so). On TCP it is TLS 1.3 with the app's own
/// certificate, and a client must prove the app's secret (docs/protocol.md).
public struct ControlSettings: Sendable, Equatable {
    /// `listen = "host:port"`: the address to listen on.
    public var listen: Endpoint?

    public init() {}
}

/// soma.toml `[face]`: how the HTTP face serves on a shared machine (docs/running.md, "The face as a server").
public struct FaceSettings: Sendable, Equatable {
    /// The address the face binds, when soma.toml names one; else the supervisor's (loopback).
    public var host: String?
    /// Host header values accepted besides the face's own addresses (a proxy in front), with or without a port.
    public var allowedHosts: [String] = []
    /// Origins whose browser pages may call the face (`https://shop.example.com`); any other Origin is refused.
    public var allowedOrigins: [String] = []
    /// The absolute path of a file holding the bearer token every signal, /metrics and /openapi.json call must
    /// carry. The worker reads it when it starts; the token is never copied or logged.
    public var tokenFile: String?
    /// Seconds a connection may stay idle (between requests, or within a request's head or body).
    public var idleTimeout: Double = 60
    /// Seconds a new connection has to send its first request head.
    public var headerTimeout: Double = 10
    /// Connections open at once; beyond it new ones wait in the kernel's backlog.
    public var maxConnections = 512

    public init() {}
}

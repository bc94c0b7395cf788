/// An error as it travels between processes: a stable code a program can switch on, a message a person can
/// act on, and an optional hint. One shape for every protocol.
public struct ProtocolFailure: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    /// Codes that more than one side knows. Commands have codes of their own (`not-running`, `busy`, …), kept as
    /// strings because they are the CLI's stable error codes too.
    public enum Code: String, Sendable {
        /// The peer speaks another major version.
        case versionMismatch = "protocol-version"
        /// The peer speaks another protocol altogether (a queue's socket given as a supervisor's).
        case protocolMismatch = "protocol-mismatch"
        /// A frame that does not decode: not JSON, an unknown case, a missing field, too long.
        case malformed = "protocol-malformed"
        /// The connection failed or timed out.
        case unreachable
        /// On TCP: the client did not prove the app's secret.
        case unauthenticated = "auth-refused"
        /// On TCP: the TLS handshake failed (the server's certificate is not the one pinned, or no TLS at all).
        case tls = "tls-failed"
    }

    public var code: String
    public var message: String
    public var hint: String?

    public init(code: String, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.init(code: code.rawValue, message, hint: hint)
    }

    public var description: String { message + (hint.map { " (\($0))" } ?? "") }

    public static func versionMismatch(local: Hello, remote: Hello, place: String) -> ProtocolFailure {
        ProtocolFailure(
            .versionMismatch,
            "\(place) is a \(remote.peer.rawValue) of soma \(remote.build) speaking \(remote.protocol.rawValue) \(remote.version); "
                + "this \(local.peer.rawValue) (soma \(local.build)) speaks \(local.version)",
            hint: "use the same soma on both sides: stop the app with the soma that launched it, or launch it with this one")
    }

    /// A peer of the protocol before versions: it answered a hello as an unknown request.
    public static func unversionedPeer(local: Hello, place: String) -> ProtocolFailure {
        ProtocolFailure(
            .versionMismatch,
            "\(place) speaks \(local.protocol.rawValue) 1 (soma before protocol versions); this \(local.peer.rawValue) (soma \(local.build)) speaks \(local.version)",
            hint: "stop the app with the soma that launched it, then launch it with this one")
    }

    public static func malformed(_ what: String, place: String, error: (any Error)? = nil) -> ProtocolFailure {
        ProtocolFailure(.malformed, "\(place) sent \(what) that does not decode\(error.map { ": \(DecodingFailure.describe($0))" } ?? "")")
    }
}

/// Decoding errors in the terms of the frame: which field, and why.
public enum DecodingFailure {
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "the frame" : "'\(path)'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)) has no '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// What a server writes for each request: the reply of that request's type, or why it failed.
public enum ReplyFrame<Reply: Codable & Sendable>: Codable, Sendable {
    case reply(Reply)
    case failure(ProtocolFailure)
}

/// The reply of a command that answers with nothing but success.
public struct Done: Codable, Sendable, Equatable {
    public var message: String?

    public init(_ message: String? = nil) {
        self.message = message
    }
}

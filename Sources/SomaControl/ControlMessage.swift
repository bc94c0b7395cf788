/// One line of the control protocol: a JSON object per line over a Unix socket. A client writes one request;
/// the server answers with one or more replies (several for `logs --follow`) and closes.
public struct ControlRequest: Codable, Sendable {
    public var command: String
    public var arguments: [String: String]

    public init(_ command: String, _ arguments: [String: String] = [:]) {
        self.command = command
        self.arguments = arguments
    }
}

public struct ControlReply: Codable, Sendable {
    /// false when the command failed; `message` says why.
    public var ok: Bool
    public var message: String?
    /// Named values (status fields, a face call's HTTP status and body, a log line).
    public var fields: [String: String]

    public init(ok: Bool = true, message: String? = nil, fields: [String: String] = [:]) {
        self.ok = ok
        self.message = message
        self.fields = fields
    }

    public static func failure(_ message: String, fields: [String: String] = [:]) -> ControlReply {
        ControlReply(ok: false, message: message, fields: fields)
    }
}

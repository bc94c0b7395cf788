/// Why a supervised process could not be started or made ready, with what it concerns as fields.
public struct ProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The host could not start the command.
        case notStarted = "process-not-started"
        /// It started and did not answer its readiness probe in time.
        case notReady = "process-not-ready"
        /// It gave up (restart intensity, or an exit rule) or was stopped before it was ready.
        case ended = "process-ended"
    }

    public var code: Code
    /// The process, as its spec names it.
    public var process: String
    public var command: String?
    public var reason: String

    public init(_ code: Code, process: String, command: String? = nil, reason: String) {
        self.code = code
        self.process = process
        self.command = command
        self.reason = reason
    }

    public var description: String {
        switch code {
        case .notStarted: "cannot start \(command ?? process): \(reason)"
        case .notReady, .ended: reason
        }
    }
}

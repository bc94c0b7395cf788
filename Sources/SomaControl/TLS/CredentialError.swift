/// A credential file (the app's secret, its TLS identity) that cannot be made or read, with which file and why.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreadable = "credential-unreadable"
        case unwritable = "credential-unwritable"
        /// The file can be read by others than its owner: refused, as ssh refuses a private key that is.
        case exposed = "credential-exposed"
        case invalid = "credential-invalid"
    }

    public var code: Code
    public var path: String
    public var reason: String

    public init(_ code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch code {
        case .unreadable: "cannot read \(path): \(reason)"
        case .unwritable: "cannot write \(path): \(reason)"
        case .exposed: "\(path) \(reason); make it private with chmod 600 \(path)"
        case .invalid: "\(path) is not a soma credential: \(reason)"
        }
    }
}

import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// What a TCP client needs to talk to one app: the fingerprint of the server's certificate it pins, and the
/// app's secret it proves.
public struct TCPCredentials: Sendable {
    public var pinnedFingerprint: String
    public var secret: AppSecret

    public init(pinnedFingerprint: String, secret: AppSecret) {
        self.pinnedFingerprint = pinnedFingerprint.lowercased()
        self.secret = secret
    }

    /// A client's TLS 1.3 context. The server's certificate is checked by `verify` (pinning), so the
    /// configuration's own chain checks are not the ones that decide.
    func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        return try NIOSSLContext(configuration: configuration)
    }

    /// Whether the server presented the pinned certificate; `mismatch` keeps what it presented instead, for the
    /// error.
    func verify(_ presented: [NIOSSLCertificate], mismatch: PinMismatch) -> NIOSSLVerificationResult {
        guard let leaf = presented.first, let der = try? leaf.toDERBytes() else {
            mismatch.record("no certificate")
            return .failed
        }
        let fingerprint = TLSIdentity.fingerprint(of: der)
        guard fingerprint == pinnedFingerprint else {
            mismatch.record("a certificate with fingerprint \(fingerprint.prefix(16))…, not the pinned \(pinnedFingerprint.prefix(16))…")
            return .failed
        }
        return .certificateVerified
    }
}

/// What a client saw when a server's certificate was not the pinned one: set on the event loop by the TLS
/// verification, read after the connection failed.
final class PinMismatch: Sendable {
    private let seen = Mutex<String?>(nil)

    func record(_ what: String) { seen.withLock { $0 = what } }
    var presented: String? { seen.withLock { $0 } }
}

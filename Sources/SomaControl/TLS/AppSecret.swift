import Crypto
import Foundation
import SomaProtocol

/// The app's secret: 32 random bytes, made at the first launch and kept 0600 in the app home. A client on TCP
/// proves it holds them with an HMAC of the server's fresh nonce, so the secret never travels. It has no
/// textual form but "redacted": it cannot reach a log or a message by accident.
public struct AppSecret: Sendable, CustomStringConvertible {
    let key: SymmetricKey

    public init(bytes: [UInt8]) {
        key = SymmetricKey(data: bytes)
    }

    public var description: String { "<app secret, redacted>" }

    public static func random() -> AppSecret {
        AppSecret(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    /// The secret kept at `path`, made there first if there is none.
    public static func loadOrCreate(at path: String) throws(CredentialError) -> AppSecret {
        let bytes = try CredentialFile.readOrCreate(at: path) { () throws(CredentialError) in (0..<32).map { _ in UInt8.random(in: 0...255) } }
        guard bytes.count == 32 else { throw CredentialError(.invalid, path: path, reason: "it holds \(bytes.count) bytes, not 32") }
        return AppSecret(bytes: bytes)
    }

    /// The secret kept at `path` (a client's: it never makes one).
    public static func load(at path: String) throws(CredentialError) -> AppSecret {
        guard let bytes = try CredentialFile.read(at: path) else {
            throw CredentialError(.unreadable, path: path, reason: "no such file (the app makes it at its first launch)")
        }
        guard bytes.count == 32 else { throw CredentialError(.invalid, path: path, reason: "it holds \(bytes.count) bytes, not 32") }
        return AppSecret(bytes: bytes)
    }

    /// The proof for one connection: HMAC-SHA256 over the protocol's name and the server's nonce, in hex. The
    /// name is in it so a proof made for one protocol is no proof for another.
    public func proof(of nonce: String, for name: ProtocolName) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(name.rawValue)\n\(nonce)".utf8), using: key)
        return Hex.encode(Array(mac))
    }

    /// A fresh nonce for a challenge: 32 random bytes, in hex.
    public static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

import Crypto
import Foundation
import NIOSSL
import X509

/// The app's TLS identity: a P-256 key and a self-signed certificate for it, made at the first launch and kept
/// together in one 0600 file in the app home. A TCP client trusts the server by this certificate's fingerprint
/// (pinned), not by a certificate authority: nothing else vouches for a soma app.
public struct TLSIdentity: Sendable {
    public let certificate: NIOSSLCertificate
    let key: NIOSSLPrivateKey
    /// SHA-256 of the certificate's DER bytes, in hex: what a client pins.
    public let fingerprint: String

    init(pem: [UInt8], path: String) throws(CredentialError) {
        do {
            key = try NIOSSLPrivateKey(bytes: pem, format: .pem)
            guard let first = try NIOSSLCertificate.fromPEMBytes(pem).first else {
                throw CredentialError(.invalid, path: path, reason: "it holds no certificate")
            }
            certificate = first
            fingerprint = Self.fingerprint(of: try first.toDERBytes())
        } catch let error as CredentialError {
            throw error
        } catch {
            throw CredentialError(.invalid, path: path, reason: "\(error)")
        }
    }

    /// The identity kept at `path`, made there first if there is none.
    public static func loadOrCreate(at path: String, name: String) throws(CredentialError) -> TLSIdentity {
        let pem = try CredentialFile.readOrCreate(at: path) { () throws(CredentialError) in
            do {
                return try makePEM(commonName: name)
            } catch {
                throw CredentialError(.unwritable, path: path, reason: "cannot make a certificate: \(error)")
            }
        }
        return try TLSIdentity(pem: pem, path: path)
    }

    /// The identity kept at `path` (a client's, to pin: it never makes one).
    public static func load(at path: String) throws(CredentialError) -> TLSIdentity {
        guard let pem = try CredentialFile.read(at: path) else {
            throw CredentialError(.unreadable, path: path, reason: "no such file (a supervisor with [control] listen makes it)")
        }
        return try TLSIdentity(pem: pem, path: path)
    }

    /// A new identity that lives in memory only (tests, and a client that presents none).
    public static func ephemeral(name: String) throws -> TLSIdentity {
        try TLSIdentity(pem: try makePEM(commonName: name), path: "(in memory)")
    }

    public static func fingerprint(of der: [UInt8]) -> String {
        Hex.encode(Array(SHA256.hash(data: der)))
    }

    /// The private key's PEM, then the certificate's.
    static func makePEM(commonName: String) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            // Pinned, not chained to an authority: it lives as long as the app, which soma means to be decades.
            notValidAfter: now.addingTimeInterval(100 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return Array((key.pemRepresentation + "\n" + (try certificate.serializeAsPEM().pemString) + "\n").utf8)
    }

    /// A server's TLS 1.3 context presenting this identity.
    func serverContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv13
        return try NIOSSLContext(configuration: configuration)
    }
}

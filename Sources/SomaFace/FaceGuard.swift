import Foundation
import SomaChecker
import SomaRuntime

/// Who may call the face, decided from a request's headers alone (RUNTIME.md §3): a pure value, tested
/// without a server.
/// - Host: an IP address or `localhost` is the machine itself; a name must be one soma.toml allows (a proxy in
///   front). A name the attacker controls that resolves to 127.0.0.1 (DNS rebinding) is refused.
/// - Origin: browsers send it across origins; curl and `soma send` send none. One soma.toml does not allow is
///   refused, so a web page on the same machine cannot place orders.
/// - Authorization: with a token configured, `Bearer TOKEN` on every call but /healthz.
public struct FaceGuard: Sendable {
    let allowedHosts: Set<String>
    let allowedOrigins: Set<String>
    let token: [UInt8]?
    /// Whether calls must carry the bearer token.
    public var needsToken: Bool { token != nil }

    public init(settings: FaceSettings, token: String?) {
        allowedHosts = Set(settings.allowedHosts.map { $0.lowercased() })
        allowedOrigins = Set(settings.allowedOrigins.map { $0.lowercased() })
        self.token = token.map { Array($0.utf8) }
    }

    /// The refusal for a request, or nil when it may pass.
    public func refusal(host: String?, origin: String?, authorization: String?, needsToken: Bool) -> FaceResponse? {
        if let host, !Self.isLoopback(host), !accepts(host: host) {
            return .error(421, code: "host-not-allowed",
                          message: "this face does not serve the host '\(host)'; add it to soma.toml [face] allowed_hosts if a proxy sends it")
        }
        if let origin, !allowedOrigins.contains(origin.lowercased()) {
            return .error(403, code: "origin-not-allowed",
                          message: "calls from pages of '\(origin)' are not allowed; add it to soma.toml [face] allowed_origins to allow them")
        }
        if needsToken, let token, !Self.equalInConstantTime(Self.bearer(authorization), token) {
            return .error(401, code: "unauthorized", message: "this face needs Authorization: Bearer TOKEN (soma.toml [face] token_file)")
        }
        return nil
    }

    /// The common case without allocating: `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
    static func isLoopback(_ host: String) -> Bool {
        var utf8 = host.utf8[...]
        if let colon = utf8.lastIndex(of: UInt8(ascii: ":")), utf8.first != UInt8(ascii: "[") || utf8[utf8.index(before: colon)] == UInt8(ascii: "]") {
            utf8 = utf8[..<colon]
        }
        return utf8.elementsEqual("127.0.0.1".utf8) || utf8.elementsEqual("localhost".utf8) || utf8.elementsEqual("[::1]".utf8)
    }

    func accepts(host: String) -> Bool {
        let value = host.lowercased()
        if allowedHosts.contains(value) { return true }
        let name = Self.hostname(value)
        if name == "localhost" || Self.isAddress(name) { return true }
        return allowedHosts.contains(name)
    }

    /// The host without its port: `[::1]:8080` → `::1`, `shop.example.com:443` → `shop.example.com`.
    static func hostname(_ host: String) -> String {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") { return String(host[host.index(after: host.startIndex)..<close]) }
        if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon { return String(host[..<colon]) }
        return host
    }

    static func isAddress(_ name: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }

    static func bearer(_ authorization: String?) -> [UInt8] {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return [] }
        return Array(authorization.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
    }

    /// Compares without returning early, so the time taken says nothing about the token.
    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

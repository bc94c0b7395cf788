/// Where something is reached: a Unix socket or a file on this machine, a TCP address, or a PostgreSQL URL.
/// One type for every place a resource, a server or a node is found, instead of strings that each reader
/// parses its own way.
public enum Endpoint: Codable, Sendable, Hashable, CustomStringConvertible {
    case unixSocket(path: String)
    case file(path: String)
    case tcp(host: String, port: Int)
    case postgres(url: String)

    public var description: String {
        switch self {
        case .unixSocket(let path), .file(let path): path
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .postgres(let url): Self.redacted(url)
        }
    }

    /// The place itself, unredacted: the path, the URL, or `host:port`. What the ledger stores and an engine
    /// opens; `description` is for messages.
    public var address: String {
        switch self {
        case .unixSocket(let path), .file(let path): path
        case .postgres(let url): url
        case .tcp: description
        }
    }

    /// The endpoint an engine's address names: a queue's Unix socket, a sqlite database's file, a postgres
    /// URL (how the ledger's rows and version 1 plugins write them, as text).
    public init(address: String, engine: ResourceEngine) {
        switch engine {
        case .queue: self = .unixSocket(path: address)
        case .sqlite: self = .file(path: address)
        case .postgres: self = .postgres(url: address)
        }
    }

    /// The sort of place an engine reaches, in the words of an error.
    public static func sort(for engine: ResourceEngine) -> String {
        switch engine {
        case .queue: "a unixSocket"
        case .sqlite: "a file"
        case .postgres: "a postgres URL"
        }
    }

    /// Whether this is the sort of place the engine reaches.
    public func suits(_ engine: ResourceEngine) -> Bool {
        switch (engine, self) {
        case (.queue, .unixSocket), (.sqlite, .file), (.postgres, .postgres): true
        default: false
        }
    }

    /// `host:port` (or `[v6]:port`) as soma.toml writes a listening address; nil when it is not one.
    public static func tcp(parsing text: String) -> Endpoint? {
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, let number = Int(port), (1...65535).contains(number) else { return nil }
        return .tcp(host: String(host), port: number)
    }

    /// A URL without its password, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}

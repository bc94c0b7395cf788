import Foundation

/// Where a `postgres` database is served: a server on 127.0.0.1:PORT that also listens on a Unix socket in a
/// folder only its owner can enter. Over the socket the `soma` role needs no password (the folder's
/// permissions are the lock); over TCP it needs the password in `passwordFile`.
public struct PostgresEndpoint: Codable, Sendable, Equatable {
    public var socketDirectory: String
    public var port: Int
    public var user: String
    public var database: String
    public var host: String
    public var passwordFile: String?

    public init(socketDirectory: String, port: Int, user: String = "soma", database: String = "postgres",
                host: String = "127.0.0.1", passwordFile: String? = nil) {
        self.socketDirectory = socketDirectory
        self.port = port
        self.user = user
        self.database = database
        self.host = host
        self.passwordFile = passwordFile
    }

    /// The socket file PostgreSQL makes in its socket folder.
    public var socketPath: String { (socketDirectory as NSString).appendingPathComponent(".s.PGSQL.\(port)") }

    /// A libpq connection URI through the socket (libpq takes a socket folder as `host`):
    /// `psql 'postgresql://soma@127.0.0.1:PORT/postgres?host=/…/run'` connects as it is.
    public var uri: String {
        var components = tcpComponents
        components.queryItems = [URLQueryItem(name: "host", value: socketDirectory)]
        if let passwordFile { components.queryItems?.append(URLQueryItem(name: "passfile", value: passwordFile)) }
        return components.string ?? tcpURI
    }

    /// The same server over TCP, with the password file (`.pgpass` format) libpq reads the password from.
    public var tcpURI: String {
        var components = tcpComponents
        if let passwordFile { components.queryItems = [URLQueryItem(name: "passfile", value: passwordFile)] }
        return components.string ?? "postgresql://\(user)@\(host):\(port)/\(database)"
    }

    private var tcpComponents: URLComponents {
        var components = URLComponents()
        components.scheme = "postgresql"
        components.user = user
        components.host = host
        components.port = port
        components.path = "/" + database
        return components
    }

    /// Reads an endpoint back from its `uri`; nil for anything else.
    public init?(uri: String) {
        guard let components = URLComponents(string: uri), components.scheme == "postgresql" || components.scheme == "postgres",
              let port = components.port, let user = components.user,
              let socketDirectory = components.queryItems?.first(where: { $0.name == "host" })?.value else { return nil }
        let database = String(components.path.dropFirst())
        self.init(socketDirectory: socketDirectory, port: port, user: user, database: database.isEmpty ? user : database,
                  host: components.host ?? "127.0.0.1",
                  passwordFile: components.queryItems?.first(where: { $0.name == "passfile" })?.value)
    }
}

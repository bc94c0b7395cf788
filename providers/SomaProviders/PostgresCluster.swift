import Foundation
import SomaProcesses
import SomaResources
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The `postgres` engine of the local provider: a cluster made by `initdb`, served by a `postgres` process the
/// supervisor runs and restarts, on a port of its own (127.0.0.1, password) and a Unix socket in a folder only
/// its owner enters (no password). PostgreSQL refuses to run as root: when soma is root, the cluster belongs
/// to the `postgres` account and lives where that account can reach it, `/var/lib/soma/postgres/`, since an
/// app's home is private to root; the resource's folder then keeps soma's notes and the password.
struct PostgresCluster {
    /// What soma notes about a cluster in `server.json`, before `initdb` runs, so a retry after a crash
    /// finds the same place and port.
    struct Notes: Codable {
        var root: String
        var port: Int
    }

    static let role = "soma"
    static let rootOfRootClusters = "/var/lib/soma/postgres"

    let request: ProvisionRequest
    /// soma.toml's `[resources.NAME] port`, for a cluster not made yet; a free port otherwise.
    var port: Int? = nil
    var environment = ProcessInfo.processInfo.environment

    var notesFile: String { (request.dataPath as NSString).appendingPathComponent("server.json") }
    var passwordFile: String { (request.dataPath as NSString).appendingPathComponent("password") }
    static func dataDirectory(_ root: String) -> String { (root as NSString).appendingPathComponent("data") }
    static func socketDirectory(_ root: String) -> String { (root as NSString).appendingPathComponent("run") }
    static func initializedMarker(_ root: String) -> String { (root as NSString).appendingPathComponent("initialized") }

    func provision() async throws -> ProvisionResult {
        let binaries = try Self.binaries(environment)
        let account = try Self.account()
        let earlier = readNotes()
        let notes = try earlier ?? Notes(root: chooseRoot(account: account), port: port ?? Self.freePort())
        do {
            if !isRunning(notes) { try Self.checkPortFree(notes.port, resource: request.name) }
            let endpoint = PostgresEndpoint(socketDirectory: Self.socketDirectory(notes.root), port: notes.port, user: Self.role,
                                            passwordFile: passwordFile)
            guard endpoint.socketPath.utf8.count < 100 else {
                throw ResourceError(code: "socket-path-too-long",
                                    "the server's socket path \(endpoint.socketPath) is longer than Unix sockets allow; use a shorter SOMA_HOME")
            }
            if earlier == nil { try write(ResourceJSON.encode(notes), to: notesFile) }
            if !FileManager.default.fileExists(atPath: Self.initializedMarker(notes.root)) {
                try await initialize(notes, binaries: binaries, account: account)
            }
            let process = ProcessSpec(
                executable: binaries.postgres,
                arguments: ["-D", Self.dataDirectory(notes.root), "-p", String(notes.port), "-k", Self.socketDirectory(notes.root),
                            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_permissions=0700",
                            "-c", "cluster_name=\(Self.clusterName(notes.root))",
                            // Framed like soma's own lines when `soma logs` reads them (LogLine): time, pid, source.
                            "-c", "log_timezone=UTC", "-c", "log_line_prefix=%m [%p] postgres:\(request.name) "],
                readySocket: endpoint.socketPath, healthCheck: Self.role, healthProtocol: .postgres, runAs: account?.name,
                stopSignal: "INT", readySeconds: 60, descendantsMarker: "postgres: \(Self.clusterName(notes.root)):")
            return ProvisionResult(endpoint: .postgres(url: endpoint.uri), dataPath: request.dataPath, process: process)
        } catch {
            // A first attempt that failed leaves nothing: the folder outside the resource's goes here, the
            // resource's folder in the local provider.
            if earlier == nil && notes.root != request.dataPath { try? FileManager.default.removeItem(atPath: notes.root) }
            throw error
        }
    }

    /// `initdb` as the account that will run the server; what a failed attempt left is removed first.
    func initialize(_ notes: Notes, binaries: Binaries, account: Account?) async throws {
        let data = Self.dataDirectory(notes.root), run = Self.socketDirectory(notes.root)
        // An initdb a killed supervisor left running would write into the folder this one makes: it goes first.
        await ProcessTable.kill(ProcessTable.processes { $0.contains(data) })
        try? FileManager.default.removeItem(atPath: data)
        if account != nil {
            // Root's folders on the way must let the server's account pass (not read).
            let parent = (notes.root as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            for folder in [(parent as NSString).deletingLastPathComponent, parent] { chmod(folder, 0o755) }
        }
        for folder in [notes.root, run] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if let account { try account.own(folder) }
        }
        let password = Self.newPassword()
        // The password reaches initdb in a file only the server's account reads, removed right after.
        let passwordInput = (notes.root as NSString).appendingPathComponent(".initdb-password")
        try write(password + "\n", to: passwordInput)
        if let account { try account.own(passwordInput) }
        defer { try? FileManager.default.removeItem(atPath: passwordInput) }
        let initdb = [binaries.initdb, "-D", data, "-U", Self.role, "-E", "UTF8", "--locale=C", "--auth-local=trust",
                      "--auth-host=scram-sha-256", "--pwfile=\(passwordInput)", "--no-instructions"]
        let command = account.map { ProcessCommand.asAccount($0.name, executable: initdb[0], arguments: Array(initdb.dropFirst())) }
            ?? (executable: initdb[0], arguments: Array(initdb.dropFirst()))
        let outcome = try await Subprocess.run(
            .path(FilePath(command.executable)), arguments: Arguments(command.arguments), workingDirectory: FilePath(notes.root),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        guard outcome.terminationStatus.isSuccess else {
            let said = outcome.standardError.split(separator: "\n").last.map(String.init) ?? "\(outcome.terminationStatus)"
            throw ResourceError(code: "initdb-failed", "initdb failed for '\(request.name)' (\(binaries.initdb)): \(said)")
        }
        // libpq's password file format, so `psql` over TCP finds the password by itself.
        try write("127.0.0.1:\(notes.port):*:\(Self.role):\(password)\n", to: passwordFile)
        try write("", to: Self.initializedMarker(notes.root))
    }

    func status() -> ResourcePresence {
        if let notes = readNotes(), FileManager.default.fileExists(atPath: Self.initializedMarker(notes.root)) { return .present }
        return FileManager.default.fileExists(atPath: request.dataPath) ? .partial : .absent
    }

    /// The cluster when it lives outside the resource's folder (soma as root): archived beside the folder's
    /// archive, or deleted.
    func release(archivePath: String?) throws {
        guard let notes = readNotes(), notes.root != request.dataPath, FileManager.default.fileExists(atPath: notes.root) else { return }
        if let archivePath {
            try FileManager.default.moveItem(atPath: notes.root, toPath: archivePath + "-cluster")
        } else {
            try FileManager.default.removeItem(atPath: notes.root)
        }
    }

    func readNotes() -> Notes? {
        guard let data = FileManager.default.contents(atPath: notesFile) else { return nil }
        return try? JSONDecoder().decode(Notes.self, from: data)
    }

    /// The name the server's processes carry in their titles (`postgres: NAME: checkpointer`), unique to the
    /// cluster's folder: how the ones that outlive a killed server are told from any other server's.
    static func clusterName(_ root: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in root.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return "soma-" + String(hash, radix: 16)
    }

    func chooseRoot(account: Account?) -> String {
        guard account != nil else { return request.dataPath }
        let app = ((request.dataPath as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let label = "\((app as NSString).lastPathComponent.prefix(24))-\(request.name.prefix(24))"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return (Self.rootOfRootClusters as NSString).appendingPathComponent("\(label)-\(suffix)")
    }

    /// The server is running when the pid in its `postmaster.pid` is alive (its own port is then taken by it).
    func isRunning(_ notes: Notes) -> Bool {
        let pidFile = (Self.dataDirectory(notes.root) as NSString).appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = text.split(separator: "\n").first.flatMap({ pid_t($0.trimmingCharacters(in: .whitespaces)) }), pid > 0 else { return false }
        return kill(pid, 0) == 0
    }

    func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ResourceError(code: "provision-failed", "cannot write \(path)")
        }
    }

    // MARK: - The machine

    struct Binaries {
        var initdb: String
        var postgres: String
    }

    /// `SOMA_POSTGRES_BIN` when set (a folder), else PATH, then Debian's `/usr/lib/postgresql/VERSION/bin`,
    /// newest first: the folder with both `initdb` and `postgres`.
    static func binaries(_ environment: [String: String]) throws -> Binaries {
        let folders: [String]
        let searched: String
        if let configured = environment["SOMA_POSTGRES_BIN"], !configured.isEmpty {
            folders = [configured]
            searched = "SOMA_POSTGRES_BIN (\(configured))"
        } else {
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
                .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
            folders = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + versions
            searched = "PATH or /usr/lib/postgresql/*/bin"
        }
        for folder in folders {
            let initdb = (folder as NSString).appendingPathComponent("initdb"), postgres = (folder as NSString).appendingPathComponent("postgres")
            if FileManager.default.isExecutableFile(atPath: initdb) && FileManager.default.isExecutableFile(atPath: postgres) {
                return Binaries(initdb: initdb, postgres: postgres)
            }
        }
        throw ResourceError(code: "postgres-missing",
                            "PostgreSQL is not installed: no initdb and postgres in \(searched); install it (apt-get install postgresql) or set SOMA_POSTGRES_BIN to its bin folder")
    }

    struct Account {
        var name: String
        var uid: uid_t
        var gid: gid_t

        func own(_ path: String) throws {
            guard chown(path, uid, gid) == 0 else {
                throw ResourceError(code: "provision-failed", "cannot give \(path) to the \(name) account: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The account the server runs as: nil (soma's own) unless soma is root.
    static func account() throws -> Account? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else {
            throw ResourceError(code: "postgres-account",
                                "soma runs as root, and PostgreSQL refuses to; it runs the server as the 'postgres' account, which this machine does not have (Debian's postgresql package creates it)")
        }
        return Account(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    static func newPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// A port nobody listens on now, from the kernel.
    static func freePort() throws -> Int {
        let port = try withBoundSocket(port: 0) { descriptor in
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            return Int(UInt16(bigEndian: address.sin_port))
        }
        guard let port else { throw ResourceError(code: "provision-failed", "no free port on 127.0.0.1") }
        return port
    }

    static func checkPortFree(_ port: Int, resource: String) throws {
        guard try withBoundSocket(port: port, { _ in true }) != nil else {
            throw ResourceError(code: "port-in-use",
                                "port \(port) on 127.0.0.1 is in use by another program; free it, or give '\(resource)' another with [resources.\(resource)] port in soma.toml")
        }
    }

    /// Binds a TCP socket to 127.0.0.1:port (0: any) and hands it to `body`; nil when the port is taken.
    static func withBoundSocket<T>(port: Int, _ body: (Int32) throws -> T) throws -> T? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ResourceError(code: "provision-failed", "cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        // As the server binds: a port left in TIME_WAIT is free, one something listens on is not.
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0 ? try body(descriptor) : nil
    }
}

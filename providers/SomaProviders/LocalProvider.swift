import Foundation
import SomaControl
import SomaProtocol
import SomaResources

/// The built-in provider: real resources on this machine. A queue is a `soma queue-serve` process over a
/// SQLite file (the supervisor runs and restarts it); a `sqlite` database is a file with the schema's tables;
/// a `postgres` database is a PostgreSQL cluster and the server process that serves it (`PostgresCluster`).
public struct LocalProvider: ResourceProvider {
    public let name = "local"
    /// The soma binary, which serves queues in its `queue-serve` mode.
    public let executable: String

    public init(executable: String) {
        self.executable = executable
    }

    public func describe() async throws -> ProviderDescription {
        ProviderDescription(name: name, provides: ["queue/queue", "database/sqlite", "database/postgres"])
    }

    public func provision(_ request: ProvisionRequest) async throws -> ProvisionResult {
        let fresh = !FileManager.default.fileExists(atPath: request.dataPath)
        do {
            do {
                try FileManager.default.createDirectory(atPath: request.dataPath, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw ResourceError(code: "data-folder", "cannot make the folder \(request.dataPath): \(error.localizedDescription)")
            }
            switch (request.kind, request.engine) {
            case (.queue, .queue):
                let options = try ResourceJSON.decode(QueueOptions.self, from: request.options)
                let socket = ResourcePaths.queueSocket(in: request.dataPath)
                // Creating the store here makes its file and schema exist before anything is served. A queue that
                // has its file already is left to its server, which holds the file for itself while it runs and
                // brings the schema up to date when it starts.
                let path = ResourcePaths.queueDatabase(in: request.dataPath)
                if !FileManager.default.fileExists(atPath: path) { try QueueStore.prepareFile(at: path) }
                return ProvisionResult(endpoint: .unixSocket(path: socket), dataPath: request.dataPath, process: queueProcess(request, options: options))
            case (.database, .sqlite):
                let options = try ResourceJSON.decode(DatabaseOptions.self, from: request.options)
                let path = ResourcePaths.sqliteDatabase(in: request.dataPath, name: request.name)
                try SQLiteTables(name: request.name, path: path, layout: options.layout).createTables()
                return ProvisionResult(endpoint: .file(path: path), dataPath: request.dataPath, process: nil)
            case (.database, .postgres):
                // The tables are made by the worker when it connects: the server runs only once the
                // supervisor has started it.
                let options = try ResourceJSON.decode(DatabaseOptions.self, from: request.options)
                return try await PostgresCluster(request: request, port: options.port).provision()
            default:
                throw ResourceError(code: "provider-unsupported", "the local provider has no \(request.kind) engine '\(request.engine)'")
            }
        } catch {
            // What this attempt created goes; what an earlier, successful one made stays.
            if fresh { try? FileManager.default.removeItem(atPath: request.dataPath) }
            if let error = error as? ResourceError { throw error }
            throw ResourceError(code: "provision-failed", "\(error)")
        }
    }

    func queueProcess(_ request: ProvisionRequest, options: QueueOptions) -> ProcessSpec {
        var arguments = ["queue-serve", "--data", request.dataPath, "--name", request.name,
                         "--max-attempts", String(options.maxAttempts), "--visibility-ms", String(options.visibilityMilliseconds)]
        // Only when not the defaults: a queue process started by an earlier soma is adopted when its arguments match.
        if options.retryBaseMilliseconds != QueueOptions.defaultRetryBase { arguments += ["--retry-base-ms", String(options.retryBaseMilliseconds)] }
        if options.retryCapMilliseconds != QueueOptions.defaultRetryCap { arguments += ["--retry-cap-ms", String(options.retryCapMilliseconds)] }
        return ProcessSpec(executable: executable,
                    arguments: arguments,
                    readySocket: ResourcePaths.queueSocket(in: request.dataPath), healthCheck: Self.queueHealthCheck,
                    // A queue of another protocol version (one a soma before 2.0 started, adopted) refuses the
                    // hello: it fails its checks, and is replaced by one of this soma.
                    healthReplyPrefix: #"{"hello""#)
    }

    /// The queue's hello: answered with the queue's own hello by the store's loop, so a loop that is stuck does
    /// not pass.
    static let queueHealthCheck = String(decoding: (try? Frame.encode(HelloFrame(Hello(.queue, peer: .supervisor))).dropLast()) ?? Data(), as: UTF8.self)

    public func status(_ request: ProvisionRequest) async throws -> ResourcePresence {
        if request.engine == .postgres {
            return PostgresCluster(request: request).status()
        }
        let file = request.kind == .queue ? ResourcePaths.queueDatabase(in: request.dataPath)
                                           : ResourcePaths.sqliteDatabase(in: request.dataPath, name: request.name)
        if FileManager.default.fileExists(atPath: file) { return .present }
        return FileManager.default.fileExists(atPath: request.dataPath) ? .partial : .absent
    }

    public func release(_ request: ProvisionRequest, archivePath: String?) async throws {
        guard FileManager.default.fileExists(atPath: request.dataPath) else { return }
        do {
            if let archivePath {
                try FileManager.default.createDirectory(atPath: (archivePath as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            if request.engine == .postgres {
                try PostgresCluster(request: request).release(archivePath: archivePath)
            }
            if let archivePath {
                try FileManager.default.moveItem(atPath: request.dataPath, toPath: archivePath)
            } else {
                try FileManager.default.removeItem(atPath: request.dataPath)
            }
        } catch {
            throw ResourceError(code: "release-failed", "cannot release '\(request.name)': \(error)")
        }
    }
}

import Foundation
import SomaChecker
import SomaProtocol
import SomaResources

/// The resources a worker has open, by name: found or provisioned through the broker the first time a
/// constructor names them, then reused (the same name is the same resource).
// Unchecked: the open queues and databases are read and written under `lock`.
final class ResourceSet: @unchecked Sendable {
    final class QueueHandle: Sendable {
        let name: String
        let element: SomaType
        let endpoint: String
        /// For `size()` from turns; the pump and each consumer have their own connection.
        let turnClient: QueueClient

        init(name: String, element: SomaType, endpoint: String) {
            self.name = name
            self.element = element
            self.endpoint = endpoint
            self.turnClient = QueueClient(name: name, socketPath: endpoint)
        }
    }

    final class DatabaseHandle: Sendable {
        let name: String
        let schema: SomaType
        let layout: DatabaseLayout
        let tables: any DatabaseTables

        init(name: String, schema: SomaType, layout: DatabaseLayout, tables: any DatabaseTables) {
            self.name = name
            self.schema = schema
            self.layout = layout
            self.tables = tables
        }
    }

    let broker: any ResourceBroker
    private let lock = NSLock()
    private var queues: [String: QueueHandle] = [:]
    private var databases: [String: DatabaseHandle] = [:]

    init(broker: any ResourceBroker) {
        self.broker = broker
    }

    /// Closes every connection the set opened (a database server sees its sessions end, not drop).
    func close() {
        let (openQueues, openDatabases) = lock.withLock { (Array(queues.values), Array(databases.values)) }
        for queue in openQueues { queue.turnClient.close() }
        for database in openDatabases { database.tables.close() }
    }

    func queue(_ name: String) -> QueueHandle? { lock.withLock { queues[name] } }
    func database(_ name: String) -> DatabaseHandle? { lock.withLock { databases[name] } }
    var queueNames: [String] { lock.withLock { Array(queues.keys) } }

    /// Opens a queue, provisioning it first when it does not exist.
    func openQueue(name: String, element: SomaType, version: Int, options: QueueOptions, host: String) throws -> QueueHandle {
        if let open = queue(name) { return open }
        let request = ResourceRequest(name: name, kind: .queue, engine: .queue, element: element.description, elementVersion: version,
                                      options: ResourceJSON.document(options), host: host)
        let provisioned = try provision(request)
        guard case .unixSocket(let socket) = provisioned.endpoint else {
            throw TurnError(.resource, "queue '\(name)' was provisioned at \(provisioned.endpoint), which is no queue's socket")
        }
        let handle = QueueHandle(name: name, element: element, endpoint: socket)
        return lock.withLock {
            if let raced = queues[name] { return raced }
            queues[name] = handle
            return handle
        }
    }

    func openDatabase(name: String, schema: SomaType, version: Int, layout: DatabaseLayout, engine: String, host: String) throws -> DatabaseHandle {
        if let open = database(name) { return open }
        guard let engine = ResourceEngine(rawValue: engine), engine != .queue else {
            throw TurnError(.resource, "database '\(name)': there is no engine '\(engine)' (sqlite or postgres)")
        }
        let request = ResourceRequest(name: name, kind: .database, engine: engine, element: schema.description, elementVersion: version,
                                      options: ResourceJSON.document(DatabaseOptions(layout: layout)), host: host)
        let provisioned = try provision(request)
        let tables: any DatabaseTables
        do {
            if provisioned.engine == .postgres {
                guard case .postgres(let url) = provisioned.endpoint, let endpoint = PostgresEndpoint(uri: url) else {
                    throw ResourceError(code: "database-open", "'\(provisioned.endpoint)' is not a postgres endpoint soma can reach")
                }
                // The provider made the server, not the tables: they are made here, idempotently.
                tables = try PostgresTables(name: name, endpoint: endpoint, layout: layout)
                try tables.createTables()
            } else {
                guard case .file(let path) = provisioned.endpoint else {
                    throw ResourceError(code: "database-open", "'\(provisioned.endpoint)' is not a sqlite database's file")
                }
                let sqlite = try SQLiteTables(name: name, path: path, layout: layout)
                try sqlite.recordLayoutIfAbsent()
                tables = sqlite
            }
        } catch {
            throw TurnError(.resource, "database '\(name)' is provisioned but does not open: \(error)")
        }
        let handle = DatabaseHandle(name: name, schema: schema, layout: layout, tables: tables)
        return lock.withLock {
            if let raced = databases[name] { return raced }
            databases[name] = handle
            return handle
        }
    }

    /// The database's handle with a new layout (after a swap rebuilt its tables): turns and the pump use it from now on.
    func relayout(_ name: String, schema: SomaType, layout: DatabaseLayout) throws {
        guard let open = database(name) else { return }
        let tables: any DatabaseTables
        if let sqlite = open.tables as? SQLiteTables {
            tables = try SQLiteTables(name: name, path: sqlite.path, layout: layout)
        } else if let postgres = open.tables as? PostgresTables {
            tables = try PostgresTables(name: name, endpoint: postgres.endpoint, layout: layout)
        } else {
            return
        }
        lock.withLock { databases[name] = DatabaseHandle(name: name, schema: schema, layout: layout, tables: tables) }
        open.tables.close()
    }

    /// Reopens a resource provisioned before (by a handler, in an earlier life of the worker) from what the
    /// broker recorded. Says why not when it cannot: there is none, or this program has no type of that name.
    func reopen(_ name: String, types: TypeTable) -> String? {
        if queue(name) != nil || database(name) != nil { return nil }
        let found: FoundResource?
        do {
            found = try broker.find(name)
        } catch {
            return "\(error)"
        }
        guard let request = found?.request else { return "the supervisor has no ready resource of that name" }
        guard types[request.element] != nil else { return "this program has no type \(request.element)" }
        let element = SomaType.named(request.element)
        do {
            if request.kind == .queue {
                let options = try ResourceJSON.decode(QueueOptions.self, from: request.options)
                _ = try openQueue(name: name, element: element, version: request.elementVersion, options: options, host: request.host)
            } else {
                let options = try ResourceJSON.decode(DatabaseOptions.self, from: request.options)
                _ = try openDatabase(name: name, schema: element, version: request.elementVersion, layout: options.layout,
                                     engine: request.engine.rawValue, host: request.host)
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    private func provision(_ request: ResourceRequest) throws -> ProvisionedResource {
        do {
            return try broker.provision(request)
        } catch let error as TurnError {
            throw error
        } catch {
            throw TurnError(.resource, "cannot provision \(request.kind) '\(request.name)': \(error)")
        }
    }
}

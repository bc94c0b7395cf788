import Foundation
import SomaChecker
import SomaControl
import SomaLedger
import SomaProcesses
import SomaProtocol
import SomaProviders
import SomaResources
import ServiceLifecycle
import Logging

/// The app's resources: the ledger row first (the intent), then the provider acts, then the outcome;
/// reconciled at start, and their processes supervised like the worker. One service of the supervisor's
/// group: on its graceful shutdown (after the worker's) it stops the resources' processes.
actor ResourceManager: Service {
    let home: AppHome
    let ledger: Ledger
    let logger: Logger
    let executable: String
    let host: any ProcessHost
    /// The restart intensity of the resources' processes: the app's (soma.toml `[supervisor]`).
    var policy: RestartPolicy
    /// The processes that serve resources, by resource name.
    var resourceProcesses: [String: SupervisedProcess] = [:]
    /// Provisioning in flight by name: a second request for the same name waits for the first.
    var provisioning: [String: Task<Result<ProvisionedResource, ProtocolFailure>, Never>] = [:]
    /// The resources the running worker asked for: releasing one of them is refused.
    var boundResources: Set<String> = []
    /// Told of every change to a resource's row, for `watch`.
    let changes: ChangeFeed

    init(home: AppHome, ledger: Ledger, logger: Logger, executable: String, host: any ProcessHost, policy: RestartPolicy,
         changes: ChangeFeed) {
        self.home = home
        self.ledger = ledger
        self.logger = logger
        self.executable = executable
        self.host = host
        self.policy = policy
        self.changes = changes
    }

    func run() async {
        try? await gracefulShutdown()
        await stopResourceProcesses()
    }

    /// The app's, once the launch has chosen it.
    func use(policy: RestartPolicy) {
        self.policy = policy
    }

    /// What `soma resources` shows.
    func records() throws(ProtocolFailure) -> [ResourceRecord] {
        do {
            return try ledger.resources()
        } catch {
            throw ProtocolFailure(error)
        }
    }

    /// A new worker binds its resources anew as it starts.
    func workerStarted() {
        boundResources = []
    }

    func provider(named name: String) throws -> any ResourceProvider {
        let configured = (try? ledger.app())??.providerPaths ?? []
        return try ProviderRegistry(executable: executable, configuredPaths: configured).provider(named: name)
    }

    func dataPath(of name: String) -> String {
        (home.path as NSString).appendingPathComponent("resources/\(name)")
    }

    func provisionRequest(_ intent: ResourceIntent) -> ProvisionRequest {
        ProvisionRequest(intent.request, dataPath: dataPath(of: intent.name))
    }

    /// The worker's `provision` request: find or make the resource, and answer where it is. `version` is the
    /// version the worker runs, which the ledger keeps as the one that asked.
    func provisionFromWorker(_ request: ResourceRequest, version: Int) async throws(ProtocolFailure) -> ProvisionedResource {
        guard SafeName.isValid(request.name) else {
            throw ProtocolFailure(code: "invalid-name", "'\(request.name)' cannot name a resource")
        }
        var options = request.options
        if let port = request.port, request.kind == .database,
           var databaseOptions = try? ResourceJSON.decode(DatabaseOptions.self, from: options) {
            databaseOptions.port = port
            options = ResourceJSON.document(databaseOptions)
        }
        var asked = request
        asked.options = options
        let intent = ResourceIntent(asked, requestedByVersion: version)
        boundResources.insert(request.name)
        return try await provision(intent).get()
    }

    /// A resource provisioned before, made ready again (its process started) and described as recorded; nil
    /// when there is no ready resource of that name.
    func find(_ name: String) async -> FoundResource? {
        guard let record = try? ledger.resource(name), record.state == "ready" else { return nil }
        boundResources.insert(name)
        guard let resource = try? await provision(record.intent).get() else { return nil }
        return FoundResource(request: record.intent.request, resource: resource)
    }

    /// Idempotent by name: a ready resource is answered at once (its process started if it is not running).
    func provision(_ intent: ResourceIntent) async -> Result<ProvisionedResource, ProtocolFailure> {
        if let running = provisioning[intent.name] { return await running.value }
        let task = Task { await self.provisionNow(intent) }
        provisioning[intent.name] = task
        let reply = await task.value
        provisioning[intent.name] = nil
        return reply
    }

    private func provisionNow(_ intent: ResourceIntent) async -> Result<ProvisionedResource, ProtocolFailure> {
        let record: ResourceRecord
        do {
            record = try ledger.recordIntent(intent)
            changes.changed()
        } catch {
            return .failure(ProtocolFailure(code: error.code, "\(error)"))
        }
        if record.state == "ready", let endpoint = record.endpoint {
            if record.servedByProcess && resourceProcesses[intent.name] == nil {
                // Ready in the ledger, not served: make sure of what is on disk, then serve it.
                return await carryOut(record.intent, announce: false)
            }
            return .success(Self.provisioned(record.intent, endpoint: endpoint))
        }
        return await carryOut(record.intent, announce: true)
    }

    static func provisioned(_ intent: ResourceIntent, endpoint: Endpoint) -> ProvisionedResource {
        ProvisionedResource(name: intent.name, kind: intent.kind, engine: intent.engine, endpoint: endpoint)
    }

    /// Has the provider make the resource exist (again: providers are idempotent), records the outcome, and
    /// starts the resource's process.
    func carryOut(_ intent: ResourceIntent, announce: Bool) async -> Result<ProvisionedResource, ProtocolFailure> {
        let request = provisionRequest(intent)
        if announce { logger.info("provisioning \(intent.kind) '\(intent.name)' (\(intent.engine), \(intent.provider))") }
        try? ledger.record("provisioning", "\(intent.name) \(intent.kind) \(intent.element) \(intent.engine)")
        do {
            let provider = try provider(named: intent.provider)
            let result = try await provider.provision(request)
            if let process = result.process {
                try await startResourceProcess(intent.name, process)
            }
            try ledger.resourceReady(intent.name, endpoint: result.endpoint, dataPath: result.dataPath, servedByProcess: result.process != nil)
            changes.changed()
            try? ledger.record("provisioned", "\(intent.name) at \(result.endpoint)")
            if announce { logger.info("\(intent.kind) '\(intent.name)' is ready at \(result.endpoint)") }
            return .success(Self.provisioned(intent, endpoint: result.endpoint))
        } catch {
            let failure = "provisioning \(intent.kind) '\(intent.name)' failed: \(error)"
            logger.error("\(failure)")
            await stopResourceProcess(intent.name)
            try? ledger.resourceFailed(intent.name, failure: "\(error)")
            changes.changed()
            try? ledger.record("provision-failed", failure)
            let code = (error as? ResourceError)?.code ?? (error as? ProcessError)?.code.rawValue ?? "provision-failed"
            return .failure(ProtocolFailure(code: code, failure))
        }
    }

    /// At start-up: rows left `provisioning` by a crash are carried out again (the provider reuses what
    /// exists, so there is never a second one), and ready resources get their processes back.
    func reconcile() async {
        guard let records = try? ledger.resources() else { return }
        for record in records where record.state == "provisioning" || record.state == "ready" {
            if record.state == "provisioning" {
                logger.info("reconciling '\(record.name)', left provisioning")
                try? ledger.record("reconciling", record.name)
            }
            if record.state == "ready" && !record.servedByProcess { continue }
            // A process still running from before the crash is adopted by startResourceProcess.
            _ = await provision(record.intent)
        }
    }

    /// `soma resources release NAME [--purge]` while the app runs: refused for a resource the program binds.
    func release(_ name: String, purge: Bool, version: Int) async throws(ProtocolFailure) -> Done {
        let record = try self.record(named: name)
        if boundResources.contains(name) {
            throw ProtocolFailure(code: "resource-bound",
                                  "resource '\(name)' is bound by the running program (version \(version)): remove its binding and swap, or stop the app first")
        }
        await stopResourceProcess(name)
        defer { changes.changed() }
        do {
            try await ResourceRelease.release(record, home: home, provider: try provider(named: record.intent.provider),
                                              request: provisionRequest(record.intent), purge: purge, ledger: ledger)
            return Done("released \(name)")
        } catch {
            throw ProtocolFailure(code: "release-failed", "\(error)")
        }
    }
}

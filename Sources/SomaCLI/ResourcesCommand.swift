import Foundation
import ArgumentParser
import SomaControl
import SomaLedger
import SomaProtocol
import SomaProviders
import SomaResources
import SomaStorage
import SomaSupervisor

struct ResourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resources",
        abstract: "The resources the program provisioned: list, show, release, dead-letters, replay.",
        subcommands: [ResourcesList.self, ResourcesShow.self, ResourcesRelease.self, ResourcesDeadLetters.self, ResourcesReplay.self])
}

/// One resource as `list` and `show` print it: the ledger row, with live figures from the resource itself.
struct ResourceView {
    var record: ResourceRecord
    var inspection: ResourceInspection

    init(_ record: ResourceRecord, _ inspection: ResourceInspection) {
        self.record = record
        self.inspection = inspection
    }

    var stats: QueueStats? { inspection.stats }
    var dead: [DeadLetter] { inspection.deadLetters }
    var fileSize: Int? { inspection.sizeBytes }

    /// The record with what the resource holds, asked of the supervisor, which reads it where it lives.
    static func inspected(_ record: ResourceRecord, home: AppHome, deadLetters: Int = 0) async -> ResourceView {
        ResourceView(record, await AppRecords.inspection(home, record, deadLetters: deadLetters))
    }

    var typeDescription: String { record.intent.typeDescription }

    var size: String {
        if let stats { return stats.dead > 0 ? "\(stats.size) msg, \(stats.dead) dead" : "\(stats.size) msg" }
        if let fileSize { return ByteCountFormatter.string(fromByteCount: Int64(fileSize), countStyle: .file) }
        return "-"
    }

    var fields: [String: String] {
        var fields = [
            "name": record.name, "kind": record.intent.kind.rawValue, "element": record.intent.element, "type": typeDescription,
            "engine": record.intent.engine.rawValue, "provider": record.intent.provider, "host": record.intent.host,
            "state": record.state, "restarts": String(record.restarts), "created": record.createdAt,
            "element_version": String(record.intent.elementVersion), "requested_by_version": String(record.intent.requestedByVersion),
        ]
        if let endpoint = record.endpoint { fields["endpoint"] = endpoint.address }
        if let path = record.dataPath { fields["data_path"] = path }
        if let pid = record.pid { fields["pid"] = String(pid) }
        if let failure = record.failure { fields["failure"] = failure }
        if let stats {
            fields["size"] = String(stats.size)
            fields["in_flight"] = String(stats.inFlight)
            fields["dead_letters"] = String(stats.dead)
            fields["max_attempts"] = String(stats.maxAttempts)
            fields["visibility_ms"] = String(stats.visibilityMilliseconds)
        }
        if let fileSize { fields["size_bytes"] = String(fileSize) }
        return fields
    }

    static func table(_ views: [ResourceView]) -> String {
        let header = ["NAME", "TYPE", "ENGINE", "PROVIDER", "STATE", "PID", "RESTARTS", "SIZE", "ENDPOINT", "CREATED"]
        let rows = views.map { view -> [String] in
            [view.record.name, view.typeDescription, view.record.intent.engine.rawValue, "\(view.record.intent.provider)/\(view.record.intent.host)",
             view.record.state, view.record.pid.map(String.init) ?? "-", String(view.record.restarts), view.size,
             view.record.endpoint?.address ?? "-", String(view.record.createdAt.prefix(19))]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }
}

struct ResourcesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every resource of the app.")

    @OptionGroup var selection: AppSelection
    @Flag(help: "Print the resources as a JSON array.") var json = false

    func run() async throws {
        let home = try selection.resolve()
        var views: [ResourceView] = []
        for record in try await AppRecords.resources(home) { views.append(await ResourceView.inspected(record, home: home)) }
        if json {
            print(try JSONOutput.text(views.map { ResourceJSON(view: $0) }))
        } else if views.isEmpty {
            print("\(home.name) has no resources")
        } else {
            print(ResourceView.table(views))
        }
    }
}

struct ResourcesShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One resource in full, with its connection string or dead letters.")

    @OptionGroup var selection: AppSelection
    @Argument(help: "The resource's name.") var name: String
    @Flag(help: "Print the resource as a JSON object.") var json = false

    func run() async throws {
        let home = try selection.resolve()
        guard let record = try await AppRecords.resource(home, named: name) else {
            throw CLIFailure("\(home.name) has no resource named '\(name)'", hint: "soma resources list shows them")
        }
        let view = await ResourceView.inspected(record, home: home, deadLetters: 20)
        var fields = view.fields
        var shown = ResourceJSON(view: view, detailed: true)
        if record.intent.kind == .database, record.intent.engine == .sqlite, let endpoint = record.endpoint?.address {
            shown.connection = "sqlite3 \(Self.shellQuoted(endpoint))"
        }
        if record.intent.kind == .database, record.intent.engine == .postgres, let uri = record.endpoint?.address,
           let endpoint = PostgresEndpoint(uri: uri) {
            // Through the socket (no password: the folder's permissions guard it), and over TCP with the
            // password file libpq reads.
            shown.connection = "psql \(Self.shellQuoted(endpoint.uri))"
            shown.tcp = endpoint.tcpURI
        }
        shown.setAside = await Self.setAside(home, name)
        let setAside = shown.setAside
        fields["connection"] = shown.connection
        fields["tcp"] = shown.tcp
        fields["set_aside"] = setAside.map { String($0.count) }
        if json {
            print(try JSONOutput.text(shown))
            return
        }
        let order = ["name", "type", "engine", "provider", "host", "state", "failure", "endpoint", "connection", "tcp", "data_path", "pid", "restarts",
                     "size", "in_flight", "dead_letters", "set_aside", "max_attempts", "visibility_ms", "size_bytes", "element_version",
                     "requested_by_version", "created"]
        for key in order {
            guard let value = fields[key] else { continue }
            print("\(key.replacingOccurrences(of: "_", with: " ").padding(toLength: 22, withPad: " ", startingAt: 0))\(value)")
        }
        if !view.dead.isEmpty {
            print("\ndead letters (newest first):")
            for letter in view.dead {
                print("  \(letter.id)  attempts \(letter.attempts)  \(letter.diedAt)  \(letter.lastError ?? "")")
                print("    \(letter.body.prefix(120))")
            }
        }
        if let setAside, !setAside.isEmpty {
            print("\nset aside (refused for good by the resource, never retried):")
            for effect in setAside {
                print("  #\(effect.id)  \(effect.operation)  \(effect.error)")
                print("    \(effect.payload.prefix(160))")
            }
        }
    }

    /// What the running worker set aside for this resource; nil when the app is not running.
    static func setAside(_ home: AppHome, _ name: String) async -> [SetAsideEffect]? {
        guard home.isRunning else { return nil }
        return try? await ControlClient(path: home.controlSocket).setAside(resource: name)
    }
}

extension ResourcesShow {
    /// A word the shell reads back as it is: single quotes, with each quote inside closed and reopened.
    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

struct ResourcesRelease: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Stop a resource and archive its data (delete it with --purge).")

    @OptionGroup var selection: AppSelection
    @Argument(help: "The resource's name.") var name: String
    @Flag(help: "Delete the data instead of archiving it.") var purge = false

    func run() async throws {
        let home = try selection.resolve()
        guard let record = try await AppRecords.resource(home, named: name) else {
            throw CLIFailure("\(home.name) has no resource named '\(name)'", hint: "soma resources list shows them")
        }
        guard record.state != "released" else {
            print("\(name) is already released")
            return
        }
        // The supervisor releases it, running or not: a stopped app gets one started idle for the release, and
        // stopped again after it. The CLI writes nothing in the ledger.
        let wasRunning = home.isRunning
        do {
            if wasRunning {
                _ = try await ControlClient(path: home.controlSocket).release(name, purge: purge)
            } else {
                _ = try await home.orderSupervisor { try await $0.release(name, purge: purge) }
                try? await ControlClient(path: home.controlSocket).stop()
                await home.waitUntilStopped(seconds: 20)
            }
        } catch let failure as ProtocolFailure {
            throw CLIFailure(failure.message, hint: failure.code == "resource-bound"
                             ? "a running program keeps its resources; release it after `soma stop`, or swap to code that no longer binds it" : failure.hint)
        } catch let failure as CLIFailure {
            if !wasRunning { try? await ControlClient(path: home.controlSocket).stop() }
            throw failure
        }
        print(purge ? "released \(name); its data is deleted" : "released \(name); its data is archived under \(ResourceRelease.archiveFolder(home: home))")
    }
}

import Foundation
import ArgumentParser
import Logging
import SomaChecker
import SomaControl
import SomaDiagnostics
import SomaLedger
import SomaProtocol
import SomaSupervisor

struct LaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Check a program and start it under a supervisor.",
        discussion: """
            Creates the app's home under $SOMA_HOME/apps/NAME (0700), starts a supervisor detached from the \
            terminal and sends it the launch, which it records in the app's ledger; waits until the face is serving \
            and prints name, version and URL. Relaunching an app that exists resumes it with its state.
            """
    )

    @Argument(help: "The program's root .cell file.", completion: .file(extensions: ["cell"]))
    var file: String

    @Option(help: "The app's name (default: soma.toml [app] name, else the file's name).")
    var name: String?

    @Option(help: "The HTTP port (default: soma.toml [app] port, the port of the last launch, else a free one).")
    var port: Int?

    @Flag(help: "Keep the supervisor in the foreground (systemd, containers, tests).")
    var foreground = false

    @Flag(help: "Apply the plan without asking when this file replaces a stopped app's code (required off a terminal).")
    var yes = false

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ValidationError("cannot read '\(file)': no such file, or it is not readable")
        }
        if let port, !(1...65535).contains(port) {
            throw ValidationError("--port must be between 1 and 65535, not \(port)")
        }
        if let name, !SafeName.isValid(name) {
            throw ValidationError("app name '\(name)' is not allowed: \(SafeName.rule)")
        }
    }

    func run() async throws {
        guard let outcome = SomaCheck.check(path: file) else { throw CLIFailure("cannot read '\(file)'") }
        if outcome.hasErrors {
            print(CheckReport(outcome).text())
            throw CLIFailure("\(file) has \(outcome.errorCount) error\(outcome.errorCount == 1 ? "" : "s"); nothing was started")
        }
        let appName = name ?? outcome.program.config.appName ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        if !SafeName.isValid(appName) {
            throw CLIFailure("app name '\(appName)' is not allowed: \(SafeName.rule)", code: CLIExit.usage, hint: "choose one with --name")
        }
        try Self.refuseWhatRunsElsewhere(outcome)
        let home = AppHome(somaHome: AppHome.somaHome, name: appName)
        let bundle = ProgramBundle(outcome: outcome, entryPath: file)

        // Everything that can refuse runs before anything is written: a refused launch changes nothing.
        let requestedPort = port ?? outcome.program.config.port
        let newHomePort: Int? = home.exists ? nil : try choosePort(requested: requestedPort, recorded: nil)
        // The ledger is read here, never written: the supervisor records the launch (a new home's ledger is made
        // by it), and refuses it if the ledger changed in between (another launch came first).
        let ledger = home.exists ? try Ledger(readingAt: home.ledgerPath) : nil
        try home.create()
        let existing = try ledger?.app()
        // New code under a stopped app: the stored version starts with its face closed, and the new code
        // replaces it as a swap does, planned against the live data, once confirmed.
        var replacing: VersionRecord?
        var settings: LaunchOrder.Settings?
        let currentVersion = try existing?.currentVersion.flatMap { try ledger?.version($0) }
        if let ledger, let currentVersion, currentVersion.hash != bundle.hash {
            let storedFiles = try ledger.versionFiles(currentVersion.number)
            let sameCode = ProgramBundle.codeHash(storedFiles) == bundle.codeHash && currentVersion.entry == bundle.entry
            if sameCode && !home.isRunning {
                // Only soma.toml changed: its settings apply at this launch; the code and its version stay.
                settings = LaunchOrder.Settings(path: ProgramBundle.settingsFile, content: bundle.settings.map { Data($0) }, hash: bundle.hash)
            } else if sameCode {
                throw CLIFailure("\(appName) is running version \(currentVersion.number) with another soma.toml",
                                 hint: "settings apply at a launch: `soma stop --app \(appName)`, then launch again")
            } else if home.isRunning {
                throw CLIFailure("\(appName) exists and runs other code (version \(currentVersion.number), \(currentVersion.entry)); launching this file would replace it",
                                 hint: "`soma swap \(file)` replaces the running code in place; --name runs this one beside it")
            } else {
                try checkAgainstStored(currentVersion, ledger: ledger, home: home)
                replacing = currentVersion
            }
        }
        if let currentVersion, home.isRunning {
            print("\(appName) is already running (version \(currentVersion.number))")
            try await printStatusLine(home)
            return
        }
        let chosenPort = try newHomePort ?? choosePort(requested: requestedPort, recorded: existing?.port)
        let configFolder = outcome.program.config.file.map { (($0.path as NSString).deletingLastPathComponent as NSString) }
        let order = LaunchOrder(
            app: appName, expectedVersion: currentVersion?.number,
            code: currentVersion == nil ? bundle.code : nil, settings: settings, port: chosenPort,
            providerPaths: outcome.program.config.providerPaths.map { path in
                guard !path.hasPrefix("/") else { return path }
                let base = configFolder.map { $0 as String } ?? FileManager.default.currentDirectoryPath
                return URL(fileURLWithPath: (base as NSString).appendingPathComponent(path)).standardizedFileURL.path
            },
            maxRestarts: outcome.program.config.maxRestarts, restartWindow: outcome.program.config.restartWindow,
            holdFace: replacing != nil)
        if settings != nil, let currentVersion {
            Terminal.out("settings: soma.toml changed; it applies from this launch (version \(currentVersion.number), same code)\n")
        }
        for line in Self.scaleLines(outcome.cells) { ProvisioningProgress.write("scale: \(line)\n") }

        if foreground {
            try await runForeground(home, order: order)
            return
        }
        // What is ready before the supervisor starts was provisioned by an earlier launch; the rest is reported.
        let progress = ProvisioningProgress(home: home)
        let version = try await home.orderSupervisor(whileItStarts: { Frame.warmUp(.launch(order), as: .cli) }) { try await $0.launch(order).version }
        if let replacing {
            try await replaceAtStart(replacing, with: bundle, home: home, progress: progress)
            return
        }
        try await waitUntilServing(home, version: version, progress: progress)
    }

    /// Until the ssh provider exists, a resource or a worker placed on another host cannot run: refused before
    /// anything starts, naming it and where it is declared, instead of failing half-launched.
    static func refuseWhatRunsElsewhere(_ outcome: CheckOutcome) throws {
        func place(_ span: SourceSpan) -> String {
            guard let file = outcome.sources.file(span.file) else { return "" }
            let position = file.position(of: span.start)
            return " (\(file.path):\(position.line):\(position.column))"
        }
        if let remote = outcome.resources.first(where: { ($0.host ?? "local") != "local" }), let host = remote.host {
            throw CLIFailure("\(remote.typeDescription) '\(remote.name ?? remote.binding)' is placed on host '\(host)'\(place(remote.span)); resources on other hosts need the ssh provider, which this soma does not have yet; nothing was started",
                             hint: "remove `on: \"\(host)\"` (or write `on: \"local\"`) to run it on this machine")
        }
        if let cell = outcome.cells.first(where: { !$0.scale.hosts.isEmpty }) {
            throw CLIFailure("cell \(cell.name) is placed on hosts \(cell.scale.hosts.joined(separator: ", "))\(place(cell.span)); running on other hosts needs the ssh provider, which this soma does not have yet; nothing was started",
                             hint: "remove `hosts:` from its scale section to run it on this machine")
        }
    }

    /// What a program declares in `scale` and what this soma runs of it: one node, on this machine.
    static func scaleLines(_ cells: [CellModel]) -> [String] {
        cells.filter { $0.scale.replicas > 1 }.map { "\($0.name): replicas: \($0.scale.replicas) declared, running 1 node on this machine" }
    }

    /// The requested port if free; else the last launch's; else a free one chosen by the kernel.
    func choosePort(requested: Int?, recorded: Int?) throws -> Int {
        if let requested {
            guard PortProbe.isFree(requested) else {
                throw CLIFailure("port \(requested) is in use: another app or program listens there", hint: "choose another with --port")
            }
            return requested
        }
        if let recorded, recorded > 0, PortProbe.isFree(recorded) { return recorded }
        guard let free = PortProbe.freePort() else { throw CLIFailure("no free port on 127.0.0.1") }
        return free
    }

    /// `until`: the state that ends the wait ("serving", or "held" for a launch that replaces the code).
    func waitUntilServing(_ home: AppHome, version: Int, progress: ProvisioningProgress, until wanted: AppState = .serving) async throws {
        let deadline = Date().addingTimeInterval(120)
        let client = ControlClient(path: home.controlSocket)
        var progress = progress
        var failure: String?
        var seen = 0
        while Date() < deadline {
            if let news = try await Self.watchIfAnswered(client, after: seen) {
                seen = news.generation
                // What is provisioned, as the supervisor (the ledger's writer) has it.
                progress.report(news.resources)
                if news.status.state == wanted {
                    if wanted == .serving { printLaunched(home, version: version, url: news.status.url, resources: news.resources) }
                    return
                }
                if news.status.state == .failed {
                    failure = news.status.failure
                    break
                }
                continue
            }
            if !home.isRunning, let app = try? Ledger(readingAt: home.ledgerPath).app(), app.state == "failed" || app.state == "stopped" {
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        // The supervisor said why; one that ended first wrote it in the ledger.
        failure = failure ?? (try? Ledger(readingAt: home.ledgerPath).app())?.failure
        let tail = LogFile(path: home.logPath).lastLines(12).joined(separator: "\n")
        throw CLIFailure("\(home.name) did not start\(failure.map { ": \($0)" } ?? "")\n\(tail)", hint: "soma logs --app \(home.name) shows the whole log")
    }

    /// The app and its resources once they changed since `seen` (the supervisor answers at the change, or after
    /// a second without one); nil while the supervisor does not answer. A supervisor of another soma is an error
    /// at once, not a wait for something that will never answer; one of control 3.2, which has no `watch`, is
    /// asked for its status and resources after a pause.
    static func watchIfAnswered(_ client: ControlClient, after seen: Int) async throws -> WatchReply? {
        do {
            return try await client.watch(after: seen, timeout: .seconds(1))
        } catch let failure as ProtocolFailure where failure.code == ProtocolFailure.Code.versionMismatch.rawValue {
            throw CLIFailure(failure.message, hint: failure.hint)
        } catch let failure as ProtocolFailure where failure.code == ProtocolFailure.Code.malformed.rawValue {
            try await Task.sleep(for: .milliseconds(10))
            guard let status = try await statusIfAnswered(client) else { return nil }
            return WatchReply(generation: seen, status: status, resources: (try? await client.resources()) ?? [])
        } catch {
            return nil
        }
    }

    /// The supervisor's status, or nil while it does not answer yet; a supervisor of another soma is an error
    /// at once, not a wait for something that will never answer.
    static func statusIfAnswered(_ client: ControlClient) async throws -> StatusReply? {
        do {
            return try await client.status()
        } catch let failure as ProtocolFailure where failure.code == ProtocolFailure.Code.versionMismatch.rawValue {
            throw CLIFailure(failure.message, hint: failure.hint)
        } catch {
            return nil
        }
    }

    /// Written unbuffered: a foreground supervisor keeps running after it, with stdout often a file or a pipe.
    func printLaunched(_ home: AppHome, version: Int, url: String, resources: [ResourceRecord]) {
        let text = """
            launched \(home.name) (version \(version))
              url         \(url)
              home        \(home.path)
            \(Self.resourceLines(resources))

            """
        Terminal.out(text)
    }

    static func resourceLines(_ resources: [ResourceRecord]) -> String {
        let records = resources.filter { $0.state != "released" }
        guard !records.isEmpty else { return "  resources   none" }
        let width = records.map(\.name.count).max() ?? 0
        return "  resources\n" + records.map { record in
            return "    \(record.name.padding(toLength: width + 2, withPad: " ", startingAt: 0))\(record.intent.typeDescription) \(record.intent.engine) \(record.state)  \(record.endpoint?.address ?? "")"
        }.joined(separator: "\n")
    }

    func printStatusLine(_ home: AppHome) async throws {
        print("  url         \(try await ControlClient(path: home.controlSocket).status().url)")
    }

    func runForeground(_ home: AppHome, order: LaunchOrder) async throws {
        let log = open(home.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        LineLogHandler.bootstrap(source: "supervisor", copies: log >= 0 ? [log] : [])
        let announce = Task {
            let client = ControlClient(path: home.controlSocket)
            while !Task.isCancelled {
                if let status = try? await client.status(), status.state == .serving {
                    printLaunched(home, version: status.version, url: status.url, resources: (try? await client.resources()) ?? [])
                    return
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let code = await Supervisor.run(home: home, mode: .launch(order), logger: Logger(label: "supervisor"))
        announce.cancel()
        if code != 0 { throw ExitCode(code) }
    }
}

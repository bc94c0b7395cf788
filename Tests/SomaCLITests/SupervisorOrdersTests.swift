import Foundation
import SomaControl
import SomaProtocol
import Testing

/// The supervisor is the ledger's one writer: a launch is an order it is sent (and refuses when the ledger moved
/// on since the CLI read it), a swap carries its code, and an idle supervisor nobody asks anything ends.
@Suite struct SupervisorOrdersTests {
    static let counter = ControlOverTCPTests.counter

    /// `soma supervise --idle` for the app's home, as `soma launch` starts it.
    static func startIdle(_ app: LaunchedApp, seconds: Double = 30) throws -> (AppHome, Process) {
        let home = AppHome(somaHome: app.somaHome, name: app.name)
        try home.create()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(SomaBinary.path))
        process.arguments = ["supervise", "--home", home.path, "--idle", "--idle-seconds", String(seconds)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (home, process)
    }

    static func answering(_ home: AppHome) async throws -> ControlClient {
        let client = ControlClient(path: home.controlSocket)
        #expect(try await ResourcesEndToEndTests.waitFor(10) { (try? await client.status()) != nil })
        return client
    }

    func order(_ app: LaunchedApp, expecting version: Int?) throws -> LaunchOrder {
        let source = try Data(contentsOf: app.folder.appendingPathComponent("\(app.name).cell"))
        return LaunchOrder(app: app.name, expectedVersion: version,
                           code: ProgramCode(entry: "\(app.name).cell", files: [.init(path: "\(app.name).cell", content: source)], hash: "0123456789abcdef"),
                           settings: nil, port: try ControlOverTCPTests.freePort(), providerPaths: [], maxRestarts: nil, restartWindow: nil,
                           holdFace: false)
    }

    @Test func aLaunchOrderMadeAgainstAnotherVersionChangesNothing() async throws {
        let app = try LaunchedApp(Self.counter, name: "orders")
        defer { app.finish() }
        let (home, supervisor) = try Self.startIdle(app)
        defer { if supervisor.isRunning { supervisor.terminate() } }
        let client = try await Self.answering(home)

        await #expect(throws: ProtocolFailure.self) { _ = try await client.launch(try order(app, expecting: 3)) }
        #expect(try await ResourcesEndToEndTests.sqlite3(home.ledgerPath, "SELECT COUNT(*) FROM app") == "0")
        #expect(try await ResourcesEndToEndTests.sqlite3(home.ledgerPath, "SELECT COUNT(*) FROM versions") == "0")

        let launched = try await client.launch(try order(app, expecting: nil))
        #expect(launched.version == 1)
        #expect(try await ResourcesEndToEndTests.waitFor(20) { try await client.status().state == .serving }, "\(app.logTail)")
        do {
            _ = try await client.launch(try order(app, expecting: 1))
            Issue.record("a second launch order was taken")
        } catch let failure as ProtocolFailure {
            #expect(failure.code == "already-launched")
        }
        #expect(try await ResourcesEndToEndTests.sqlite3(home.ledgerPath, "SELECT COUNT(*) FROM versions") == "1")
        // Reading commands ask the running supervisor.
        let versions = try await client.versions()
        #expect(versions.map(\.number) == [1] && versions.first?.current == true)
        #expect(try await client.resources().isEmpty)
        // The code swap and rollback check against is the launch's, byte for byte; a version it never had is named.
        #expect(try await client.code(version: 1) == (try order(app, expecting: nil).code))
        do {
            _ = try await client.code(version: 9)
            Issue.record("the code of a version that does not exist was answered")
        } catch let failure as ProtocolFailure {
            #expect(failure.code == "no-such-version" && failure.message.contains("no version 9"), "\(failure)")
        }

        // A swap carries its code and the version it was checked against; another one running is a conflict.
        let code = try order(app, expecting: nil).code!
        do {
            _ = try await client.swap(SwapOrder(code: code, from: 7, apply: true), timeout: .seconds(30))
            Issue.record("a swap checked against version 7 was taken")
        } catch let failure as ProtocolFailure {
            #expect(failure.code == "conflict", "\(failure)")
        }
        let planned = try await client.swap(SwapOrder(code: code, from: 1, apply: false), timeout: .seconds(30))
        #expect(planned.version == 2 && planned.plan != nil)
        #expect(try await ResourcesEndToEndTests.sqlite3(home.ledgerPath, "SELECT COUNT(*) FROM versions") == "1",
                "a plan leaves no pending version behind")
        try await client.stop()
        supervisor.waitUntilExit()
        #expect(try await ResourcesEndToEndTests.sqlite3(home.ledgerPath, "SELECT state FROM app") == "stopped")
    }

    @Test func anIdleSupervisorNobodyAsksEndsAndWritesNothing() async throws {
        let app = try LaunchedApp(Self.counter, name: "unasked")
        defer { app.finish() }
        let (home, supervisor) = try Self.startIdle(app, seconds: 1)
        _ = try await Self.answering(home)
        let started = Date()
        while supervisor.isRunning && Date().timeIntervalSince(started) < 10 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!supervisor.isRunning, "the idle supervisor is still running")
        if supervisor.isRunning { supervisor.terminate() }
        #expect(supervisor.terminationStatus == 0)
        #expect(try await ResourcesEndToEndTests.sqlite3(home.ledgerPath, "SELECT COUNT(*) FROM app") == "0")
        #expect(try await ResourcesEndToEndTests.sqlite3(home.ledgerPath, "SELECT COUNT(*) FROM events") == "0")
    }
}

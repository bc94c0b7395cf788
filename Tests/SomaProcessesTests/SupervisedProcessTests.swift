import Foundation
import SomaProcesses
import Synchronization
import Testing

/// Supervision of real processes on this machine: what the state machine decides, carried out.
@Suite(.timeLimit(.minutes(1))) struct SupervisedProcessTests {
    /// What a supervised process reported, in order.
    final class Reports: Sendable {
        let list = Mutex<[SupervisedProcess.Report]>([])
        func append(_ report: SupervisedProcess.Report) { list.withLock { $0.append(report) } }
        var all: [SupervisedProcess.Report] { list.withLock { $0 } }
        var starts: Int { all.filter { if case .started = $0 { true } else { false } }.count }
    }

    let log = FileManager.default.temporaryDirectory.appendingPathComponent("supervised-\(UUID().uuidString).log").path

    func shell(_ script: String) -> ProcessCommand {
        ProcessCommand(executable: "/bin/sh", arguments: ["-c", script], logPath: log)
    }

    func supervise(_ spec: SupervisedProcess.Spec, policy: RestartPolicy = RestartPolicy(), _ command: ProcessCommand)
        -> (SupervisedProcess, Reports) {
        let reports = Reports()
        let process = SupervisedProcess(spec: spec, policy: policy, host: LocalProcessHost(), command: { command },
                                        observer: { reports.append($0) })
        return (process, reports)
    }

    @Test func aChildsExitStatusIsItsOwn() async throws {
        let host = LocalProcessHost()
        let pid = try await host.spawn(shell("exit 3"))
        #expect(await host.waitForExit(pid) == .exited(3))
        let killed = try await host.spawn(shell("sleep 30"))
        host.signal(killed, SIGKILL)
        #expect(await host.waitForExit(killed) == .signaled(SIGKILL))
    }

    @Test func aCommandThatCannotStartIsRefused() async {
        let host = LocalProcessHost()
        await #expect(throws: ProcessError.self) {
            _ = try await host.spawn(ProcessCommand(executable: "/nonexistent/soma", arguments: [], logPath: log))
        }
    }

    @Test(.enabled(if: geteuid() == 0, "only root runs a process as another account"))
    func anAccountThatDoesNotExistIsRefusedBeforeAnythingStarts() async {
        let host = LocalProcessHost()
        do {
            _ = try await host.spawn(ProcessCommand(executable: "/bin/true", arguments: [], account: "soma-no-such-account", logPath: log))
            Issue.record("a process was started as an account that does not exist")
        } catch let error as ProcessError {
            #expect(error.code == .notStarted && error.reason.contains("soma-no-such-account"), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aProcessThatKeepsExitingIsRestartedThenGivenUpOn() async throws {
        let (process, reports) = supervise(.init(name: "quitter"), policy: RestartPolicy(maximumRestarts: 3, window: 30, initialBackoff: 0.01),
                                           shell("exit 1"))
        try? await process.start()
        let end = await process.ended()
        #expect(end == .gaveUp(reason: "4 exits within 30s"))
        #expect(reports.starts == 4)
        #expect(reports.all.last == .gaveUp(.exited(1), reason: "4 exits within 30s"))
    }

    @Test func stopIsTheStopSignalThenSIGKILLAfterTheGrace() async throws {
        // It ignores SIGTERM; only the kill after the grace ends it.
        let (process, reports) = supervise(.init(name: "stubborn", stopGrace: 0.3), shell("trap '' TERM; while :; do sleep 0.05; done"))
        try await process.start()
        let pid = try #require(await process.pid)
        try await Task.sleep(for: .milliseconds(300))  // the shell has set its trap
        let started = Date()
        await process.stop()
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(kill(pid, 0) != 0)
        #expect(reports.all.last == .stopped(.signaled(SIGKILL)))
    }

    @Test func aRunningProcessIsAdoptedAndRestartedWhenItDies() async throws {
        // Started by someone else (a supervisor that died): no child of this process.
        let marker = "\(Double(Int.random(in: 100_000...999_999)) + 0.5)"
        let other = LocalProcessHost()
        let orphan = try await other.spawn(ProcessCommand(executable: "/bin/sleep", arguments: [marker], logPath: log))
        // Spawned is not yet exec'd: until then its command line is still this process's.
        let execed = Date().addingTimeInterval(5)
        while ProcessTable.commandLine(of: orphan)?.last != marker && Date() < execed { try await Task.sleep(for: .milliseconds(5)) }
        var spec = SupervisedProcess.Spec(name: "sleeper")
        spec.adoption = .search(arguments: [marker])
        let (process, reports) = supervise(spec, ProcessCommand(executable: "/bin/sleep", arguments: [marker], logPath: log))
        try await process.start()
        #expect(reports.all == [.adopted(orphan)])
        kill(orphan, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while reports.starts == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let restarted = try #require(await process.pid)
        #expect(restarted != orphan)
        #expect(reports.all.prefix(2) == [.adopted(orphan), .exited(.disappeared, uptime: reports.uptime(1), next: .restart(afterSeconds: 0.05))])
        await process.stop()
        #expect(kill(restarted, 0) != 0)
    }

    @Test func aProcessThatStopsAnsweringIsKilledAndRestarted() async throws {
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("nobody-\(UUID().uuidString.prefix(8)).sock").path
        let spec = SupervisedProcess.Spec(name: "mute", health: .init(probe: .accepts(socket: socket), interval: 0.05, misses: 3))
        let (process, reports) = supervise(spec, shell("sleep 30"))
        try await process.start()
        let first = try #require(await process.pid)
        let deadline = Date().addingTimeInterval(10)
        while reports.starts < 2 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(reports.all.contains(.unhealthy(first)))
        #expect(reports.all.contains { if case .exited(.signaled(SIGKILL), _, .restart) = $0 { true } else { false } })
        #expect(reports.starts == 2)
        await process.stop()
    }

    @Test func aProcessThatIsNeverReadyFailsItsStart() async throws {
        let spec = SupervisedProcess.Spec(name: "deaf", ready: .accepts(socket: "/nonexistent/ready.sock"), readySeconds: 0.3)
        let (process, _) = supervise(spec, shell("sleep 30"))
        await #expect(throws: ProcessError.self) { try await process.start() }
        let pid = await process.pid
        await process.stop()
        #expect(pid.map { kill($0, 0) != 0 } ?? true)
    }
}

extension SupervisedProcessTests.Reports {
    /// The uptime in the `index`th report, for comparing reports whose uptime is measured.
    func uptime(_ index: Int) -> Double {
        guard index < all.count, case .exited(_, let uptime, _) = all[index] else { return -1 }
        return uptime
    }
}

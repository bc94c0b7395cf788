import Foundation
import SomaControl
import SomaResources
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// This machine as a `ProcessHost`. A process it spawns is its child until it exits; one it did not spawn (an
/// adopted process, whose parent was a supervisor that died) is watched through /proc.
public actor LocalProcessHost: ProcessHost {
    /// Each child's exit, awaited by `waitForExit`.
    var children: [pid_t: Task<ExitStatus, Never>] = [:]

    public init() {}

    public func spawn(_ command: ProcessCommand) async throws -> pid_t {
        var executable = command.executable
        var arguments = command.arguments
        if let account = command.account, geteuid() == 0 {
            guard getpwnam(account) != nil else {
                throw ProcessError(.notStarted, process: command.executable, command: command.executable,
                                   reason: "there is no account '\(account)' to run it as")
            }
            (executable, arguments) = ProcessCommand.asAccount(account, executable: executable, arguments: arguments)
        }
        let log = open(command.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else {
            throw ProcessError(.notStarted, process: command.executable, command: command.executable,
                               reason: "cannot open its log \(command.logPath): \(String(cString: strerror(errno)))")
        }
        let (started, announce) = AsyncStream<pid_t>.makeStream()
        let exit = Task<ExitStatus, Never> { [executable, arguments] in
            defer { close(log) }
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments),
                    input: .none,
                    output: .fileDescriptor(FileDescriptor(rawValue: log), closeAfterSpawningProcess: false),
                    error: .fileDescriptor(FileDescriptor(rawValue: log), closeAfterSpawningProcess: false)
                ) { execution in
                    announce.yield(execution.processIdentifier.value)
                    announce.finish()
                }
                switch result.terminationStatus {
                case .exited(let code): return .exited(code)
                case .signaled(let signal): return .signaled(signal)
                }
            } catch {
                announce.finish()
                return .notStarted("\(error)")
            }
        }
        var pids = started.makeAsyncIterator()
        guard let pid = await pids.next() else {
            throw ProcessError(.notStarted, process: command.executable, command: command.executable, reason: "\(await exit.value)")
        }
        children[pid] = exit
        return pid
    }

    public func waitForExit(_ pid: pid_t) async -> ExitStatus {
        if let child = children[pid] {
            let status = await child.value
            children[pid] = nil
            return status
        }
        while kill(pid, 0) == 0 && !ProcessTable.isZombie(pid) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return .disappeared
    }

    public nonisolated func signal(_ pid: pid_t, _ signal: Int32) {
        kill(pid, signal)
    }

    public nonisolated func arguments(of pid: pid_t) -> [String]? {
        guard kill(pid, 0) == 0, !ProcessTable.isZombie(pid) else { return nil }
        return ProcessTable.commandLine(of: pid).map { Array($0.dropFirst()) }
    }

    public nonisolated func find(arguments: [String]) -> pid_t? {
        ProcessTable.processes { Array($0.dropFirst()) == arguments }.first
    }

    public nonisolated func probe(_ probe: Probe) async -> Bool {
        switch probe {
        case .accepts(let socket):
            return await Task.detached {
                let client = LineSocket(path: socket, timeoutSeconds: 1, hello: nil, server: .queue)
                defer { client.close() }
                return (try? client.connect()) != nil
            }.value
        case .line(let socket, let request, _):
            return await Task.detached {
                let client = LineSocket(path: socket, timeoutSeconds: 2, hello: nil, server: .queue)
                defer { client.close() }
                return probe.countsLine(try? client.exchange(Data(request.utf8)))
            }.value
        case .postgres(let socket, let role, let notYetCounts):
            guard FileManager.default.fileExists(atPath: socket) else { return false }
            let answer = await PostgresProbe.ask(socketPath: socket, user: role)
            return answer == .ready || (notYetCounts && answer == .notYet)
        }
    }

    public nonisolated func endLeftovers(marker: String, account: String?, grace: Double) async -> [pid_t] {
        guard !marker.isEmpty else { return [] }
        // Only the account's own processes: a marker never reaches anyone else's.
        let owner = account.flatMap { geteuid() == 0 ? getpwnam($0)?.pointee.pw_uid : nil } ?? geteuid()
        let leftovers = ProcessTable.processes { $0.joined(separator: " ").contains(marker) }.filter { pid in
            ((try? FileManager.default.attributesOfItem(atPath: "/proc/\(pid)"))?[.ownerAccountID] as? NSNumber)?.uint32Value == owner
        }
        let running = await ProcessTable.waitForExit(leftovers, seconds: grace)
        await ProcessTable.kill(running)
        return running
    }
}

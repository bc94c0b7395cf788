import Foundation
import SomaLedger
import SomaProcesses
import SomaProviders

/// The processes that serve resources: one `SupervisedProcess` each, reported into the ledger.
extension ResourceManager {
    /// Starts the process and returns once it is ready (as its spec says). A process already running the same
    /// command (started by a supervisor killed before it could record it) is adopted instead: a second one
    /// would find the first holding its files and port.
    func startResourceProcess(_ name: String, _ spec: ProcessSpec) async throws {
        if resourceProcesses[name] != nil { return }
        let process = SupervisedProcess(
            spec: spec.supervision(of: name), policy: RestartPolicy(maximumRestarts: policy.maximumRestarts, window: policy.window),
            host: host, command: { [logPath = home.logPath] in spec.command(logPath: logPath) },
            observer: { await self.resourceProcessReported(name, $0) })
        resourceProcesses[name] = process
        try await process.start()
    }

    func resourceProcessReported(_ name: String, _ report: SupervisedProcess.Report) {
        switch report {
        case .started(let pid, let restart):
            try? ledger.resourceProcess(name, pid: pid, countRestart: restart)
        case .adopted(let pid):
            logger.info("adopting the process of '\(name)' pid=\(pid), found running")
            try? ledger.resourceProcess(name, pid: pid)
        case .exited(let status, _, let next):
            try? ledger.resourceProcess(name, pid: nil)
            if case .restart(let delay) = next {
                logger.warning("the process of '\(name)' exited (\(status)); restarting in \(Int(delay * 1000))ms")
                try? ledger.record("resource-restarted", "\(name) \(status)")
            }
        case .unhealthy(let pid):
            logger.warning("the process of '\(name)' pid=\(pid) has not answered 3 health checks; killing it")
            try? ledger.record("resource-unhealthy", "\(name) pid \(pid)")
        case .leftoversKilled(let pids):
            logger.warning("processes an earlier server of '\(name)' started were still running (pid \(pids.map(String.init).joined(separator: ", "))); killed them")
        case .gaveUp(let status, let reason):
            logger.error("the process of '\(name)' keeps exiting (\(status)): \(reason)")
            try? ledger.resourceFailed(name, failure: "its process keeps exiting (\(status)): \(reason)")
            // The next provisioning of it (a relaunch, a worker asking again) starts a new one.
            resourceProcesses[name] = nil
        case .stopped:
            try? ledger.resourceProcess(name, pid: nil)
        }
    }

    /// Asks the process to stop cleanly and waits for it to exit (killed after its grace).
    func stopResourceProcess(_ name: String) async {
        if let process = resourceProcesses.removeValue(forKey: name) {
            await process.stop()
        }
        try? ledger.resourceProcess(name, pid: nil)
    }

    func stopResourceProcesses() async {
        for name in resourceProcesses.keys {
            await stopResourceProcess(name)
        }
    }
}

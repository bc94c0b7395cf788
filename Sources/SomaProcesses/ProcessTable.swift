import Foundation

/// The live processes of this machine, by command line (Linux `/proc`): how a resource's process, or an
/// `initdb`, left behind by a supervisor that was killed is found again.
public enum ProcessTable {
    /// Live (not zombie) processes whose command line, split into words, satisfies `matches`.
    public static func processes(where matches: ([String]) -> Bool) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), pid != getpid(), let words = commandLine(of: pid), !isZombie(pid) else { return nil }
            return matches(words) ? pid : nil
        }
    }

    /// The command line of a live process, split into words (its program's name first).
    public static func commandLine(of pid: pid_t) -> [String]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8), !text.isEmpty else { return nil }
        return text.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    public static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }

    /// Kills the processes and waits (5 s at most) until they are gone.
    public static func kill(_ pids: [pid_t]) async {
        for pid in pids { _ = Foundation.kill(pid, SIGKILL) }
        _ = await waitForExit(pids, seconds: 5)
    }

    /// Waits up to `seconds` for the processes to exit; answers those still running then.
    public static func waitForExit(_ pids: [pid_t], seconds: Double) async -> [pid_t] {
        let deadline = Date().addingTimeInterval(seconds)
        var running = pids
        while case let alive = running.filter({ Foundation.kill($0, 0) == 0 && !isZombie($0) }), !alive.isEmpty {
            running = alive
            if Date() >= deadline { return alive }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return []
    }
}

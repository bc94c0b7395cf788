import Foundation

/// Starting soma's own processes: detached from the terminal (a new session), stdin from /dev/null and
/// stdout and stderr appended to a log file.
public enum DetachedProcess {
    /// The running soma binary, for starting its other modes.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public static func spawn(_ executable: String, arguments: [String], logPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else is inherited: a listening socket or a lock held by the parent must not outlive it.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap(Int32.init) ?? []
        for descriptor in open where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        #if os(Linux)
        posix_spawnattr_setflags(&attributes, 0x80) // POSIX_SPAWN_SETSID, hidden behind _GNU_SOURCE in Glibc's module map
        #endif
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw NSError(domain: "soma.spawn", code: Int(result),
                          userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(result)))"])
        }
        return pid
    }

    /// Reaps a child in the background so it never lingers as a zombie.
    public static func reapInBackground(_ pid: pid_t) {
        let thread = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        thread.start()
    }
}

/// An exclusive advisory lock on a file (flock): held by the live supervisor for its whole life, and
/// released by the kernel when it dies, however it dies.
public final class FileLock: Sendable {
    let descriptor: Int32

    public init?(path: String) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the lock, trying again for up to `patience`: `isHeld` takes it for an instant to look, and a
    /// process starting at that instant (a supervisor while `soma status` runs) must not take the look for a
    /// live holder and give up.
    public static func acquire(path: String, patience: Duration = .milliseconds(200)) -> FileLock? {
        let deadline = ContinuousClock.now + patience
        while true {
            if let lock = FileLock(path: path) { return lock }
            guard ContinuousClock.now < deadline else { return nil }
            usleep(5_000)
        }
    }

    /// Whether some process holds the lock now.
    public static func isHeld(path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        return FileLock(path: path) == nil
    }
}

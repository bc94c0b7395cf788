import Foundation

extension SupervisedProcess {
    /// The decisions of supervising one process, without I/O: events in, actions out. The actor carries the
    /// actions out on its host and feeds back what happened; the tests drive it with made-up times.
    public struct StateMachine: Sendable {
        public enum State: Sendable, Equatable {
            case idle
            /// A start was asked of the host; its pid is not known yet.
            case spawning(restart: Bool)
            case running(pid: pid_t, since: Double, misses: Int)
            case backingOff
            /// Asked to stop: its stop signal was sent (nil: the spawn in flight is stopped once it has a pid).
            case stopping(pid: pid_t?)
            case stopped
            case gaveUp(reason: String)

            public var hasEnded: Bool {
                switch self {
                case .stopped, .gaveUp: true
                default: false
                }
            }
        }

        public enum Event: Sendable, Equatable {
            /// Supervision begins; `found` is a live process to adopt instead of starting one.
            case start(found: pid_t?, at: Double)
            case spawned(pid_t, at: Double)
            case spawnFailed(String, at: Double)
            case exited(pid_t, ExitStatus, at: Double)
            case probed(pid_t, answered: Bool)
            case backoffEnded
            case stop
            case graceEnded(pid_t)
        }

        public enum Action: Sendable, Equatable {
            case spawn(restart: Bool)
            /// Wait for the process to exit, then feed `exited`.
            case watch(pid_t)
            case signal(pid_t, Int32)
            /// Feed `graceEnded` after this long.
            case killAfter(pid_t, seconds: Double)
            /// Feed `backoffEnded` after this long.
            case backOff(seconds: Double)
            case report(Report)
        }

        /// What the owner of the process hears (to record in the ledger and log), in order.
        public enum Report: Sendable, Equatable {
            case started(pid_t, restart: Bool)
            case adopted(pid_t)
            case exited(ExitStatus, uptime: Double, next: Next)
            /// It missed its health checks and is being killed.
            case unhealthy(pid_t)
            /// Processes an earlier run of it started were still running before this start, and were killed.
            case leftoversKilled([pid_t])
            case gaveUp(ExitStatus, reason: String)
            /// Stopped as asked; with its status when it was running.
            case stopped(ExitStatus?)
        }

        /// What follows an unplanned exit.
        public enum Next: Sendable, Equatable {
            case restart(afterSeconds: Double)
            /// Started again at once, as its exit rule asks; not a crash.
            case respawn
            case giveUp
        }

        public private(set) var state: State = .idle
        public private(set) var policy: RestartPolicy
        let spec: Spec

        public init(spec: Spec, policy: RestartPolicy) {
            self.spec = spec
            self.policy = policy
        }

        public mutating func handle(_ event: Event) -> [Action] {
            switch (state, event) {
            case (.idle, .start(let found?, let time)):
                state = .running(pid: found, since: time, misses: 0)
                return [.report(.adopted(found)), .watch(found)]
            case (.idle, .start(nil, _)):
                state = .spawning(restart: false)
                return [.spawn(restart: false)]

            case (.spawning(let restart), .spawned(let pid, let time)):
                state = .running(pid: pid, since: time, misses: 0)
                return [.report(.started(pid, restart: restart)), .watch(pid)]
            case (.stopping(nil), .spawned(let pid, _)):
                state = .stopping(pid: pid)
                return [.watch(pid), .signal(pid, spec.stopSignal), .killAfter(pid, seconds: spec.stopGrace)]
            case (.spawning, .spawnFailed(let why, let time)):
                return died(.notStarted(why), uptime: 0, at: time)
            case (.stopping(nil), .spawnFailed(let why, _)):
                state = .stopped
                return [.report(.stopped(.notStarted(why)))]

            case (.running(let running, let since, _), .exited(let pid, let status, let time)) where pid == running:
                return died(status, uptime: max(0, time - since), at: time)
            case (.stopping(let stopping?), .exited(let pid, let status, _)) where pid == stopping:
                state = .stopped
                return [.report(.stopped(status))]

            case (.running(let running, let since, let misses), .probed(let pid, let answered)) where pid == running:
                guard !answered else {
                    state = .running(pid: pid, since: since, misses: 0)
                    return []
                }
                if misses + 1 >= (spec.health?.misses ?? 3) {
                    state = .running(pid: pid, since: since, misses: 0)
                    return [.report(.unhealthy(pid)), .signal(pid, SIGKILL)]
                }
                state = .running(pid: pid, since: since, misses: misses + 1)
                return []

            case (.backingOff, .backoffEnded):
                state = .spawning(restart: true)
                return [.spawn(restart: true)]

            case (.idle, .stop), (.backingOff, .stop):
                state = .stopped
                return [.report(.stopped(nil))]
            case (.spawning, .stop):
                state = .stopping(pid: nil)
                return []
            case (.running(let pid, _, _), .stop):
                state = .stopping(pid: pid)
                return [.signal(pid, spec.stopSignal), .killAfter(pid, seconds: spec.stopGrace)]

            case (.stopping(let stopping?), .graceEnded(let pid)) where pid == stopping:
                return [.signal(pid, SIGKILL)]

            case (.stopped, .spawned(let pid, _)), (.gaveUp, .spawned(let pid, _)):
                // A start that finished after supervision ended: nobody would watch it.
                return [.signal(pid, SIGKILL)]
            default:
                // Late or stale events (a probe of a pid that has exited, a timer after a stop) change nothing.
                return []
            }
        }

        /// An exit nobody asked for: its exit rule first, then the restart intensity and backoff.
        private mutating func died(_ status: ExitStatus, uptime: Double, at time: Double) -> [Action] {
            let rule = status.code.flatMap { spec.exitRules[$0] }
            if case .giveUp(let reason) = rule {
                state = .gaveUp(reason: reason)
                return [.report(.exited(status, uptime: uptime, next: .giveUp)), .report(.gaveUp(status, reason: reason))]
            }
            switch policy.processDied(at: time, uptime: uptime) {
            case .giveUp(let reason):
                state = .gaveUp(reason: reason)
                return [.report(.exited(status, uptime: uptime, next: .giveUp)), .report(.gaveUp(status, reason: reason))]
            case .restart(let delay):
                if rule == .restartAtOnce {
                    state = .spawning(restart: false)
                    return [.report(.exited(status, uptime: uptime, next: .respawn)), .spawn(restart: false)]
                }
                guard delay > 0 else {
                    state = .spawning(restart: true)
                    return [.report(.exited(status, uptime: uptime, next: .restart(afterSeconds: 0))), .spawn(restart: true)]
                }
                state = .backingOff
                return [.report(.exited(status, uptime: uptime, next: .restart(afterSeconds: delay))), .backOff(seconds: delay)]
            }
        }
    }
}

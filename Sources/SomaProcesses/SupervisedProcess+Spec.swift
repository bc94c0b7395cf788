import Foundation

extension SupervisedProcess {
    /// What to run and how to know it is well: everything that tells the worker from a queue server or a
    /// PostgreSQL server. The command itself is asked for at each start (the worker's names its version).
    public struct Spec: Sendable, Equatable {
        /// How a process already running (left by a supervisor that died) is recognised, and adopted instead of
        /// started a second time.
        public enum Adoption: Sendable, Equatable {
            case none
            /// The process of this pid, if its arguments begin with these (the ledger's recorded worker).
            case recorded(pid: pid_t, argumentsPrefix: [String])
            /// Any live process with exactly these arguments (a resource's server).
            case search(arguments: [String])
        }

        /// What the supervisor does when the process exits with a given code, before the restart policy.
        public enum ExitRule: Sendable, Equatable {
            /// Started again with no backoff (the restart still counts toward the intensity, so a process that
            /// always exits so is given up on like any other).
            case restartAtOnce
            /// Not started again: the code means restarting cannot help.
            case giveUp(reason: String)
        }

        public struct Health: Sendable, Equatable {
            public var probe: Probe
            public var interval: Double
            /// Unanswered probes in a row after which the process is killed (and restarted by the policy).
            public var misses: Int

            public init(probe: Probe, interval: Double = 2, misses: Int = 3) {
                self.probe = probe
                self.interval = interval
                self.misses = misses
            }
        }

        public struct Leftovers: Sendable, Equatable {
            /// Text in the command lines of the processes it starts that may outlive it (PostgreSQL's backends).
            public var marker: String
            public var account: String?

            public init(marker: String, account: String?) {
                self.marker = marker
                self.account = account
            }
        }

        /// The name it is logged under.
        public var name: String
        /// Answered once the process is ready; without it, it is ready when started.
        public var ready: Probe?
        public var readySeconds: Double
        public var health: Health?
        public var stopSignal: Int32
        /// How long it has after its stop signal before it is killed.
        public var stopGrace: Double
        public var adoption: Adoption
        public var exitRules: [Int32: ExitRule]
        /// Waited for (then killed) before every start: a new PostgreSQL server refuses to start while the
        /// backends of one that was killed hold its shared memory.
        public var leftovers: Leftovers?

        public init(name: String, ready: Probe? = nil, readySeconds: Double = 10, health: Health? = nil, stopSignal: Int32 = SIGTERM,
                    stopGrace: Double = 10, adoption: Adoption = .none, exitRules: [Int32: ExitRule] = [:], leftovers: Leftovers? = nil) {
            self.name = name
            self.ready = ready
            self.readySeconds = readySeconds
            self.health = health
            self.stopSignal = stopSignal
            self.stopGrace = stopGrace
            self.adoption = adoption
            self.exitRules = exitRules
            self.leftovers = leftovers
        }
    }
}

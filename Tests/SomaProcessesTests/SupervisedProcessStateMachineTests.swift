import Foundation
import SomaProcesses
import Testing

/// The supervision decisions alone: made-up pids and times, no processes.
@Suite struct SupervisedProcessStateMachineTests {
    typealias Machine = SupervisedProcess.StateMachine

    static let spec = SupervisedProcess.Spec(name: "p", health: .init(probe: .accepts(socket: "/s")), stopSignal: SIGINT, stopGrace: 10)

    func running(pid: pid_t = 100, at time: Double = 0, spec: SupervisedProcess.Spec = spec,
                 policy: RestartPolicy = RestartPolicy()) -> Machine {
        var machine = Machine(spec: spec, policy: policy)
        #expect(machine.handle(.start(found: nil, at: time)) == [.spawn(restart: false)])
        #expect(machine.handle(.spawned(pid, at: time)) == [.report(.started(pid, restart: false)), .watch(pid)])
        return machine
    }

    @Test func anAdoptedProcessIsWatchedNotSpawned() {
        var machine = Machine(spec: Self.spec, policy: RestartPolicy())
        #expect(machine.handle(.start(found: 42, at: 0)) == [.report(.adopted(42)), .watch(42)])
        #expect(machine.state == .running(pid: 42, since: 0, misses: 0))
    }

    @Test func aProcessThatKeepsExitingIsGivenUpOnPastTheIntensity() {
        var machine = running(policy: RestartPolicy(maximumRestarts: 5, window: 30))
        var spawns = 0
        for exit in 1...6 {
            let time = Double(exit)
            let actions = machine.handle(.exited(100 + pid_t(exit) - 1, .exited(1), at: time))
            if exit == 6 {
                #expect(actions == [.report(.exited(.exited(1), uptime: 1, next: .giveUp)),
                                    .report(.gaveUp(.exited(1), reason: "6 exits within 30s"))])
                break
            }
            guard case .backOff = actions.last else {
                Issue.record("exit \(exit) was not backed off from: \(actions)")
                return
            }
            #expect(machine.handle(.backoffEnded) == [.spawn(restart: true)])
            _ = machine.handle(.spawned(100 + pid_t(exit), at: time))
            spawns += 1
        }
        #expect(spawns == 5)
        #expect(machine.state == .gaveUp(reason: "6 exits within 30s"))
        #expect(machine.state.hasEnded)
    }

    @Test func aProcessThatRanLongIsStartedAgainAtOnce() {
        var machine = running(at: 0)
        #expect(machine.handle(.exited(100, .signaled(9), at: 6)) == [
            .report(.exited(.signaled(9), uptime: 6, next: .restart(afterSeconds: 0))), .spawn(restart: true),
        ])
    }

    @Test func aFastExitBacksOffAndTheBackoffDoubles() {
        var machine = running(at: 0)
        #expect(machine.handle(.exited(100, .exited(1), at: 1)).last == .backOff(seconds: 0.05))
        _ = machine.handle(.backoffEnded)
        _ = machine.handle(.spawned(101, at: 1.1))
        #expect(machine.handle(.exited(101, .exited(1), at: 1.2)).last == .backOff(seconds: 0.1))
    }

    @Test func threeMissedProbesInARowKillTheProcess() {
        var machine = running()
        #expect(machine.handle(.probed(100, answered: false)) == [])
        #expect(machine.handle(.probed(100, answered: false)) == [])
        #expect(machine.handle(.probed(100, answered: true)) == [], "an answer starts the count over")
        #expect(machine.handle(.probed(100, answered: false)) == [])
        #expect(machine.handle(.probed(100, answered: false)) == [])
        #expect(machine.handle(.probed(100, answered: false)) == [.report(.unhealthy(100)), .signal(100, SIGKILL)])
        // Its death is an exit like any other: restarted by the policy.
        #expect(machine.handle(.exited(100, .signaled(SIGKILL), at: 1)).last == .backOff(seconds: 0.05))
    }

    @Test func aProbeOfAnotherPidChangesNothing() {
        var machine = running()
        for _ in 0..<5 { #expect(machine.handle(.probed(99, answered: false)) == []) }
        #expect(machine.handle(.exited(99, .exited(0), at: 1)) == [])
        #expect(machine.state == .running(pid: 100, since: 0, misses: 0))
    }

    @Test func stopSendsTheStopSignalThenKillsAfterTheGrace() {
        var machine = running()
        #expect(machine.handle(.stop) == [.signal(100, SIGINT), .killAfter(100, seconds: 10)])
        #expect(machine.handle(.probed(100, answered: false)) == [], "no health checks while stopping")
        #expect(machine.handle(.graceEnded(100)) == [.signal(100, SIGKILL)])
        #expect(machine.handle(.exited(100, .signaled(SIGKILL), at: 12)) == [.report(.stopped(.signaled(SIGKILL)))])
        #expect(machine.state == .stopped)
        #expect(machine.handle(.graceEnded(100)) == [], "a timer after the exit does nothing")
    }

    @Test func stopDuringTheBackoffStopsAtOnce() {
        var machine = running()
        _ = machine.handle(.exited(100, .exited(1), at: 1))
        #expect(machine.state == .backingOff)
        #expect(machine.handle(.stop) == [.report(.stopped(nil))])
        #expect(machine.handle(.backoffEnded) == [], "the backoff's timer starts nothing once stopped")
    }

    @Test func stopDuringASpawnStopsTheProcessOnceItHasAPid() {
        var machine = Machine(spec: Self.spec, policy: RestartPolicy())
        _ = machine.handle(.start(found: nil, at: 0))
        #expect(machine.handle(.stop) == [])
        #expect(machine.handle(.spawned(7, at: 0)) == [.watch(7), .signal(7, SIGINT), .killAfter(7, seconds: 10)])
        #expect(machine.handle(.exited(7, .exited(0), at: 1)) == [.report(.stopped(.exited(0)))])
    }

    @Test func aSpawnThatFailsIsAnExitOfNoUptime() {
        var machine = Machine(spec: Self.spec, policy: RestartPolicy())
        _ = machine.handle(.start(found: nil, at: 0))
        #expect(machine.handle(.spawnFailed("no such file", at: 0)) == [
            .report(.exited(.notStarted("no such file"), uptime: 0, next: .restart(afterSeconds: 0.05))), .backOff(seconds: 0.05),
        ])
    }

    @Test func exitRulesComeBeforeThePolicy() {
        var spec = Self.spec
        spec.exitRules = [75: .restartAtOnce, 76: .giveUp(reason: "it cannot help")]
        var machine = running(spec: spec)
        #expect(machine.handle(.exited(100, .exited(75), at: 0.25)) == [
            .report(.exited(.exited(75), uptime: 0.25, next: .respawn)), .spawn(restart: false),
        ])
        _ = machine.handle(.spawned(101, at: 0.25))
        #expect(machine.handle(.exited(101, .exited(76), at: 0.5)) == [
            .report(.exited(.exited(76), uptime: 0.25, next: .giveUp)), .report(.gaveUp(.exited(76), reason: "it cannot help")),
        ])
    }

    @Test func anExitAtOnceStillCountsTowardTheIntensity() {
        var spec = Self.spec
        spec.exitRules = [75: .restartAtOnce]
        var machine = running(spec: spec, policy: RestartPolicy(maximumRestarts: 2, window: 30))
        for pid: pid_t in 100...101 {
            #expect(machine.handle(.exited(pid, .exited(75), at: 1)).last == .spawn(restart: false))
            _ = machine.handle(.spawned(pid + 1, at: 1))
        }
        #expect(machine.handle(.exited(102, .exited(75), at: 1)).last == .report(.gaveUp(.exited(75), reason: "3 exits within 30s")))
    }
}

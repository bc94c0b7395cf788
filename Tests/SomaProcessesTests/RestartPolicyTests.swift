import SomaProcesses
import Testing

@Suite struct RestartPolicyTests {
    @Test func backoffDoublesUpToItsLimitAndStartsOverAfterAStableRun() {
        var policy = RestartPolicy(maximumRestarts: 100, window: 1000, initialBackoff: 0.05, maximumBackoff: 0.3, stableAfter: 10)
        var delays: [Double] = []
        for index in 0..<5 {
            guard case .restart(let delay) = policy.processDied(at: Double(index), uptime: 0.5) else {
                Issue.record("gave up too early")
                return
            }
            delays.append(delay)
        }
        #expect(delays == [0.05, 0.1, 0.2, 0.3, 0.3])
        #expect(policy.processDied(at: 100, uptime: 60) == .restart(afterSeconds: 0), "a process that ran long is restarted at once")
        #expect(policy.processDied(at: 101, uptime: 0.1) == .restart(afterSeconds: 0.05))
    }

    @Test func givesUpPastTheIntensityWithinTheWindowOnly() {
        var policy = RestartPolicy(maximumRestarts: 3, window: 10)
        for time in [0.0, 1, 2] {
            if case .giveUp = policy.processDied(at: time, uptime: 0.1) { Issue.record("gave up at \(time)") }
        }
        #expect(policy.processDied(at: 3, uptime: 0.1) == .giveUp(reason: "4 exits within 10s"))

        var spaced = RestartPolicy(maximumRestarts: 3, window: 10)
        for time in stride(from: 0.0, to: 100, by: 4) {
            if case .giveUp = spaced.processDied(at: time, uptime: 0.1) { Issue.record("exits 4 s apart never reach 3 in 10 s") }
        }
    }
}

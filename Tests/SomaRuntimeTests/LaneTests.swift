import Foundation
import SomaRuntime
import Testing

/// Lanes (docs/turns.md): one turn at a time per cell, turns of different cells at the same time, and calls
/// between cells that would wait on each other answered `call-cycle` instead of a deadlock.
@Suite struct LaneTests {
    static let program = """
    cell Slow {
      face { signal spin(n: Int) -> Int }
      memory { spun: Int [persistent] = 0 }
      on spin(n: Int) {
        var total = 0
        for i in range(0, n) { total = total + 1 }
        spun = spun + 1
        total
      }
    }

    cell Fast {
      face { signal bump() -> Int }
      memory { count: Int [persistent] = 0 }
      on bump() {
        count = count + 1
        count
      }
    }

    cell Ping {
      face {
        signal ping(n: Int) -> Int
        signal echo(n: Int) -> Int
        signal echoed() -> Int
      }
      memory { echoes: Int [persistent] = 0 }
      on ping(n: Int) {
        var total = 0
        for i in range(0, n) { total = total + 1 }
        call Pong.echo(total)
      }
      on echo(n: Int) {
        echoes = echoes + 1
        n
      }
      on echoed() { echoes }
    }

    cell Pong {
      face {
        signal pong(n: Int) -> Int
        signal echo(n: Int) -> Int
        signal echoed() -> Int
      }
      memory { echoes: Int [persistent] = 0 }
      on pong(n: Int) {
        var total = 0
        for i in range(0, n) { total = total + 1 }
        call Ping.echo(total)
      }
      on echo(n: Int) {
        echoes = echoes + 1
        n
      }
      on echoed() { echoes }
    }
    """

    /// A cell busy with a long turn holds up only itself: another cell's turns are answered meanwhile, where one
    /// lock for the whole worker made each of them wait for the long turn to end.
    @Test(.timeLimit(.minutes(1))) func anotherCellsTurnsRunWhileOneCellIsBusy() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        // A turn long enough to see through: about a second of this machine's time, and at most about 600,000
        // of the budget's 1,000,000 steps (some 6 a loop round).
        let probe = 20_000
        let started = Date()
        #expect(await harness.send("Slow.spin", #"{"n": \#(probe)}"#).status == 200)
        let perIteration = Date().timeIntervalSince(started) / Double(probe)
        let iterations = min(100_000, max(probe, Int(1.0 / perIteration)))

        let slow = Task { await harness.send("Slow.spin", #"{"n": \#(iterations)}"#) }
        try await Task.sleep(for: .milliseconds(50))
        var latencies: [Double] = []
        for _ in 0..<20 {
            let sent = Date()
            #expect(await harness.send("Fast.bump").status == 200)
            latencies.append(Date().timeIntervalSince(sent))
        }
        let fastEnded = Date()
        let spun = await slow.value
        let slowEnded = Date()
        #expect(spun.status == 200 && spun.body == "\(iterations)")
        #expect(fastEnded < slowEnded.addingTimeInterval(-0.1),
                "Fast's 20 turns (slowest \(latencies.max() ?? 0) s) ended \(slowEnded.timeIntervalSince(fastEnded)) s before Slow's turn of \(iterations) iterations")
        #expect(await harness.send("Fast.bump").body == "21")
    }

    /// Ping calls Pong while Pong calls Ping, a thousand times at once: no pair hangs, every call that would have
    /// closed a cycle is answered `call-cycle` naming it, and every call that went through committed its callee.
    @Test(.timeLimit(.minutes(2))) func cellsCallingEachOtherAtOnceNeverDeadlock() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        var answered = (ping: 0, pong: 0), cycles = 0
        for _ in 0..<1_000 {
            async let ping = harness.send("Ping.ping", #"{"n": 50}"#)
            async let pong = harness.send("Pong.pong", #"{"n": 50}"#)
            for (name, result) in [("ping", await ping), ("pong", await pong)] {
                if result.status == 200 {
                    #expect(result.body == "50")
                    if name == "ping" { answered.ping += 1 } else { answered.pong += 1 }
                } else {
                    #expect(result.body.contains("call-cycle") && result.body.contains("→"), "\(name): \(result.status) \(result.body)")
                    cycles += 1
                }
            }
        }
        #expect(cycles > 0, "calls that waited on each other were never refused: the cells' turns did not overlap")
        #expect(answered.ping + answered.pong + cycles == 2_000)
        #expect(await harness.send("Pong.echoed").body == "\(answered.ping)")
        #expect(await harness.send("Ping.echoed").body == "\(answered.pong)")
        print("lanes: \(cycles) of 2000 calls refused as call-cycle")
    }

    /// A turn tried on its caller's thread that reaches a call, or runs long, goes back to its lane and runs
    /// again from the start there: what it wrote before is counted once, never twice.
    @Test func aTurnSentBackToItsLaneCommitsOnce() async throws {
        let harness = try await RuntimeHarness("""
        cell Counter {
          face {
            signal ask() -> Int
            signal long(n: Int) -> Int
            signal quick() -> Int
          }
          memory { count: Int [persistent] = 0 }
          on ask() {
            count = count + 1
            call Other.one() + count
          }
          on long(n: Int) {
            count = count + 1
            var total = 0
            for i in range(0, n) { total = total + 1 }
            count
          }
          on quick() {
            count = count + 1
            count
          }
        }
        cell Other {
          face { signal one() -> Int }
          on one() { 1 }
        }
        """)
        defer { harness.close() }
        #expect(await harness.send("Counter.ask").body == "2")
        #expect(await harness.send("Counter.ask").body == "3")
        #expect(await harness.send("Counter.long", #"{"n": 10000}"#).body == "3")
        #expect(await harness.send("Counter.long", #"{"n": 10}"#).body == "4")
        #expect(await harness.send("Counter.quick").body == "5")
    }

    /// A cell calling itself, directly or round a chain, is refused with the cycle named.
    @Test func aCallBackToAWaitingCellIsACycle() async throws {
        let harness = try await RuntimeHarness("""
        cell A {
          face { signal go() -> Int
                 signal back() -> Int }
          on go() { call B.relay() }
          on back() { 1 }
        }
        cell B {
          face { signal relay() -> Int }
          on relay() { call A.back() }
        }
        """)
        defer { harness.close() }
        let result = await harness.send("A.go")
        #expect(result.body.contains("call cycle: A → B → A"), "\(result.status) \(result.body)")
    }
}

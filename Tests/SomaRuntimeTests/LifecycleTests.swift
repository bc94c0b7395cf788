import Foundation
import SomaRuntime
import Testing

/// `on start` and `every` handlers are turns like any other.
@Suite struct LifecycleTests {
    static let program = """
    cell Clock {
      face {
        signal ticks() -> Int
        signal starts() -> Int
      }
      memory {
        count: Int [persistent] = 0
        started: Int [persistent] = 0
      }
      on start { started = started + 1 }
      every 20ms { count = count + 1 }
      on ticks() { count }
      on starts() { started }
    }
    """

    @Test func startRunsOnEveryStartAndTimersTick() async throws {
        let first = try await RuntimeHarness(Self.program)
        #expect(await first.send("Clock.starts").body == "1")
        var ticks = 0
        for _ in 0..<100 {
            ticks = Int(await first.send("Clock.ticks").body) ?? 0
            if ticks >= 3 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(ticks >= 3)
        first.close()
        let second = try await RuntimeHarness(Self.program, folder: first.folder)
        defer { second.close() }
        #expect(await second.send("Clock.starts").body == "2")
        #expect(Int(await second.send("Clock.ticks").body) ?? 0 >= ticks)
    }

    @Test func anAbortingStartKeepsTheProgramFromComingUp() async throws {
        let source = """
        cell Picky {
          face { signal ok() -> Bool }
          on start { fail("not today") }
          on ok() { true }
        }
        """
        await #expect(throws: TurnError.self) { _ = try await RuntimeHarness(source) }
    }
}

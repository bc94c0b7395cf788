import Foundation
import SomaRuntime
import Testing

/// Ephemeral Map slots are held whole, in the cache budget with everything else: persistent entries make room
/// for them, a delete frees what its entry took, and a turn that would take them past the whole budget is
/// refused with `memory-limit` and changes nothing (docs/state.md, "Ephemeral memory").
@Suite struct EphemeralMemoryTests {
    static let program = """
    cell Sessions {
      face {
        signal open(id: Int) -> Int
        signal close(id: Int) -> Bool
        signal open_many(from: Int, to: Int) -> Int
        signal keep(id: Int) -> Int
        signal count() -> Int
      }
      memory {
        live: Map<Int, String> [ephemeral]
        kept: Map<Int, String> [persistent]
        opened: Int [ephemeral] = 0
      }
      on open(id: Int) { live.set(id, "a session of some length"); opened = opened + 1; live.count() }
      on close(id: Int) { live.delete(id) }
      on open_many(from: Int, to: Int) {
        for id in range(from, to) { live.set(id, "a session of some length") }
        live.count()
      }
      on keep(id: Int) { kept.set(id, "a value kept on disk of some length"); kept.count() }
      on count() { live.count() }
    }
    """

    /// A long-lived program opens and closes sessions for years: what a closed one took must not stay behind.
    @Test func aDeleteInAnEphemeralMapGivesBackWhatItsEntryTook() async throws {
        let harness = try await RuntimeHarness(Self.program, cacheBytes: 1 << 20)
        defer { harness.close() }
        let empty = harness.engine.cache.bytes
        for id in 0..<3_000 {
            _ = await harness.send("Sessions.open", #"{"id": \#(id)}"#)
            _ = await harness.send("Sessions.close", #"{"id": \#(id)}"#)
        }
        #expect(await harness.send("Sessions.count").body == "0")
        #expect(harness.engine.cache.bytes - empty < 1_000, "3000 closed sessions still take \(harness.engine.cache.bytes - empty) bytes")
        #expect(await harness.send("Sessions.close", #"{"id": 5}"#).body == "false")
    }

    @Test func aTurnPastTheBudgetIsRefusedAndChangesNothing() async throws {
        let harness = try await RuntimeHarness(Self.program, cacheBytes: 64 << 10)
        defer { harness.close() }
        // Persistent entries past the budget first: they make room, ephemeral ones do not.
        for id in 0..<400 { #expect(await harness.send("Sessions.keep", #"{"id": \#(id)}"#).status == 200) }
        var opened = 0
        var refused: (status: Int, body: String)?
        while refused == nil, opened < 10_000 {
            let reply = await harness.send("Sessions.open", #"{"id": \#(opened)}"#)
            if reply.status == 200 { opened += 1 } else { refused = reply }
        }
        let refusal = try #require(refused)
        #expect(refusal.status == 507 && refusal.body.contains("memory-limit") && refusal.body.contains("Sessions.live"), "\(refusal)")
        #expect(opened > 100, "the persistent entries made room: \(opened) opened under 64 KB")
        #expect(harness.engine.cache.bytes <= harness.engine.cache.limit + 4_096, "\(harness.engine.cache.bytes)")
        #expect(await harness.send("Sessions.count").body == "\(opened)", "the refused turn changed nothing")
        // A turn that would add many at once is refused whole; a close makes room for one more.
        #expect(await harness.send("Sessions.open_many", #"{"from": 20000, "to": 20100}"#).status == 507)
        #expect(await harness.send("Sessions.count").body == "\(opened)")
        #expect(await harness.send("Sessions.close", #"{"id": 0}"#).body == "true")
        #expect(await harness.send("Sessions.open", #"{"id": 0}"#).status == 200)
        // The persistent slot still serves, from the store.
        #expect(await harness.send("Sessions.keep", #"{"id": 400}"#).body == "401")
    }
}

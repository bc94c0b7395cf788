import Foundation
import SomaRuntime
import Testing

/// Turns: atomic, invariant-checked, durable; state machines; cells calling and sending to cells.
@Suite struct TurnTests {
    static let program = """
    type Entry = { key: String, amount: Int }

    cell Ledger {
      face {
        signal put(e: Entry) -> Int
        signal get(key: String) -> Option<Entry>
        signal total() -> Int
        signal seen() -> Int
        signal broken(e: Entry) -> Int
        signal crash(e: Entry) -> Int
        signal advance(key: String, to: String) -> Option<String>
        signal open(key: String) -> String
        signal quote(e: Entry) -> Int
        signal notify(e: Entry) -> Int
      }
      memory {
        entries: Map<String, Entry> [persistent]
        sum: Int [persistent] = 0
        views: Int [ephemeral] = 0
      }
      state lifecycle { draft -> open -> closed; draft -> closed }
      invariant sum_matches { sum == entries.values().map(fn(e) -> e.amount).sum() }

      on put(e: Entry) {
        let before = entries.get(e.key).map_amount()
        entries.set(e.key, e)
        sum = sum + e.amount
        sum
      }
      on get(key: String) { views = views + 1
        entries.get(key) }
      on total() { sum }
      on seen() { views }
      on broken(e: Entry) {
        entries.set(e.key, e)
        sum = sum + e.amount + 1
        sum
      }
      on crash(e: Entry) {
        entries.set(e.key, e)
        sum = sum + e.amount
        lifecycle.start(e.key)
        send Audit.record(e)
        sum / (e.amount - e.amount)
      }
      on advance(key: String, to: String) {
        lifecycle.to(key, to)
        lifecycle.of(key)
      }
      on open(key: String) {
        lifecycle.start(key)
        "started"
      }
      on quote(e: Entry) { call Pricing.price(e) }
      on notify(e: Entry) {
        send Audit.record(e)
        1
      }
    }

    cell Pricing {
      face { signal price(e: Entry) -> Int }
      on price(e: Entry) { e.amount * 2 }
    }

    cell Audit {
      face {
        signal record(e: Entry) -> Int
        signal count() -> Int
      }
      memory { log: List<String> [persistent] }
      on record(e: Entry) { log = log.append(e.key)
        log.count() }
      on count() { log.count() }
    }
    """.replacingOccurrences(of: "let before = entries.get(e.key).map_amount()\n", with: "")

    @Test func writesPersistAcrossRestartAndEphemeralDoesNot() async throws {
        let first = try await RuntimeHarness(Self.program)
        #expect(await first.send("Ledger.put", #"{"e": {"key": "a", "amount": 5}}"#).body == "5")
        #expect(await first.send("Ledger.put", #"{"e": {"key": "b", "amount": 7}}"#).body == "12")
        #expect(await first.send("Ledger.get", #"{"key": "a"}"#).body == #"{"key":"a","amount":5}"#)
        #expect(await first.send("Ledger.seen").body == "1")
        first.close()

        let second = try await RuntimeHarness(Self.program, folder: first.folder)
        defer { second.close() }
        #expect(await second.send("Ledger.seen").body == "0", "ephemeral memory starts again after a restart")
        #expect(await second.send("Ledger.total").body == "12")
        #expect(await second.send("Ledger.get", #"{"key": "b"}"#).body == #"{"key":"b","amount":7}"#)
    }

    @Test func brokenInvariantAbortsAndChangesNothing() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        _ = await harness.send("Ledger.put", #"{"e": {"key": "a", "amount": 5}}"#)
        let broken = await harness.send("Ledger.broken", #"{"e": {"key": "z", "amount": 1}}"#)
        #expect(broken.status == 409)
        #expect(broken.body.contains("invariant"))
        #expect(await harness.send("Ledger.total").body == "5")
        #expect(await harness.send("Ledger.get", #"{"key": "z"}"#).body == "null")
    }

    @Test func runTimeErrorAbortsAndChangesNothing() async throws {
        let harness = try await RuntimeHarness(Self.program)
        _ = await harness.send("Ledger.put", #"{"e": {"key": "a", "amount": 5}}"#)
        let crashed = await harness.send("Ledger.crash", #"{"e": {"key": "z", "amount": 3}}"#)
        #expect(crashed.status == 500 && crashed.body.contains("division by zero"), "\(crashed.body)")
        #expect(await harness.send("Ledger.total").body == "5")
        #expect(await harness.send("Ledger.get", #"{"key": "z"}"#).body == "null")
        #expect(await harness.send("Ledger.open", #"{"key": "z"}"#).status == 200, "the state move was not kept")
        try await Task.sleep(for: .milliseconds(50))
        #expect(await harness.send("Audit.count").body == "0", "the send was not delivered")
        harness.close()
        let reopened = try await RuntimeHarness(Self.program, folder: harness.folder)
        defer { reopened.close() }
        #expect(await reopened.send("Ledger.total").body == "5", "nothing of the aborted turn reached the disk")
    }

    @Test func stateMachineMovesOnlyAlongEdges() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        #expect(await harness.send("Ledger.advance", #"{"key": "k", "to": "open"}"#).status == 409, "not started")
        #expect(await harness.send("Ledger.open", #"{"key": "k"}"#).status == 200)
        #expect(await harness.send("Ledger.open", #"{"key": "k"}"#).status == 409, "already started")
        #expect(await harness.send("Ledger.advance", #"{"key": "k", "to": "open"}"#).body == #""open""#)
        let illegal = await harness.send("Ledger.advance", #"{"key": "k", "to": "draft"}"#)
        #expect(illegal.status == 409 && illegal.body.contains("illegal-move"), "\(illegal.body)")
        #expect(await harness.send("Ledger.advance", #"{"key": "k", "to": "nowhere"}"#).status == 409)
        #expect(await harness.send("Ledger.advance", #"{"key": "k", "to": "closed"}"#).body == #""closed""#)
    }

    @Test func callRunsAnotherCellsTurnAndSendIsDeliveredAfterCommit() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        #expect(await harness.send("Ledger.quote", #"{"e": {"key": "q", "amount": 21}}"#).body == "42")
        #expect(await harness.send("Ledger.notify", #"{"e": {"key": "n1", "amount": 1}}"#).body == "1")
        #expect(await harness.send("Ledger.notify", #"{"e": {"key": "n2", "amount": 1}}"#).body == "1")
        var delivered = ""
        for _ in 0..<100 {
            delivered = await harness.send("Audit.count").body
            if delivered == "2" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(delivered == "2")
    }

    @Test func concurrentTurnsAreIsolatedAndAllDurable() async throws {
        let harness = try await RuntimeHarness(Self.program)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask { _ = await harness.send("Ledger.put", #"{"e": {"key": "k\#(index)", "amount": 1}}"#) }
            }
        }
        #expect(await harness.send("Ledger.total").body == "200")
        harness.close()
        let reopened = try await RuntimeHarness(Self.program, folder: harness.folder)
        defer { reopened.close() }
        #expect(await reopened.send("Ledger.total").body == "200")
    }
}

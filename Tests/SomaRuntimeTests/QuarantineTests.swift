import Foundation
import GRDB
import SomaRuntime
import Testing

/// A stored value that does not read is quarantined: the worker starts, other keys serve, turns touching it
/// fail with `quarantined`, and a repair (remove or replace) is a turn that brings the key back. A Map's entry is
/// found when a turn first reads it, or by `findQuarantined`, which reads them all (`soma repair list`).
@Suite struct QuarantineTests {
    static let program = """
    type Order = { id: String, amount: Int }

    cell Shop {
      face {
        signal put(o: Order) -> Int
        signal get(id: String) -> Option<Order>
        signal count() -> Int
        signal bump() -> Int
      }
      memory {
        orders: Map<String, Order> [persistent]
        total: Int [persistent] = 0
      }
      on put(o: Order) { orders.set(o.id, o); o.amount }
      on get(id: String) { orders.get(id) }
      on count() { orders.count() }
      on bump() { total = total + 1; total }
    }
    """

    /// Two orders and a total, then a hand edit of the stored rows: the state a user finds after a bad fix.
    func damaged(_ edits: [String]) async throws -> RuntimeHarness {
        let first = try await RuntimeHarness(Self.program)
        #expect(await first.send("Shop.put", #"{"o":{"id":"a1","amount":5}}"#).status == 200)
        #expect(await first.send("Shop.put", #"{"o":{"id":"a2","amount":7}}"#).status == 200)
        #expect(await first.send("Shop.bump").status == 200)
        first.close()
        let database = try DatabaseQueue(path: first.folder.appendingPathComponent("state.sqlite").path)
        try await database.write { db in for sql in edits { try db.execute(sql: sql) } }
        try database.close()
        return try await RuntimeHarness(Self.program, folder: first.folder)
    }

    @Test func aValueThatDoesNotReadIsQuarantinedAndTheRestServes() async throws {
        let harness = try await damaged([#"UPDATE slot_values SET value = '{"id":"a1","amount":"lots"}' WHERE key = '"a1"'"#])
        defer { harness.close() }
        #expect(harness.engine.quarantined.isEmpty, "a Map's entries are not read at start")
        #expect(await harness.send("Shop.get", #"{"id":"a2"}"#).body == #"{"id":"a2","amount":7}"#)
        #expect(await harness.send("Shop.bump").body == "2")
        #expect(harness.engine.quarantined.isEmpty)
        #expect(await harness.send("Shop.get", #"{"id":"a1"}"#).body.contains(#""code":"quarantined""#), "found when first read")
        let quarantined = harness.engine.quarantined
        #expect(quarantined.map(\.subject) == [#"Shop.orders["a1"]"#])
        #expect(quarantined.first?.error.contains("amount") == true)
        for touching in [("Shop.get", #"{"id":"a1"}"#), ("Shop.count", "{}"), ("Shop.put", #"{"o":{"id":"a1","amount":1}}"#)] {
            let answer = await harness.send(touching.0, touching.1)
            #expect(answer.status == 500, "\(touching.0)")
            #expect(answer.body.contains(#""code":"quarantined""#), "\(touching.0): \(answer.body)")
        }
        // The refused write changed nothing: the bad row is still there, and still quarantined after a restart.
        #expect(try harness.storedValues().contains(#"1 {"id":"a1","amount":"lots"}"#))
    }

    @Test func aRepairReplacesOrRemovesAndIsDurable() async throws {
        let harness = try await damaged([
            #"UPDATE slot_values SET value = '{"id":"a1","amount":"lots"}' WHERE key = '"a1"'"#,
            #"UPDATE slot_values SET value = '"many"' WHERE slot = 'total'"#,
        ])
        #expect(harness.engine.quarantined.count == 1, "a scalar slot is read at start, a Map's entries when read")
        #expect(try await harness.engine.findQuarantined().map(\.subject) == [#"Shop.orders["a1"]"#, "Shop.total"])
        #expect(await harness.send("Shop.bump").body.contains("quarantined"))

        // A replacement that does not read as the slot's type is refused and changes nothing.
        await #expect(throws: TurnError.self) {
            _ = try await harness.engine.repair(cell: "Shop", slot: "orders", key: #""a1""#, .replace(json: #"{"id":"a1"}"#))
        }
        #expect(harness.engine.quarantined.count == 2)
        _ = try await harness.engine.repair(cell: "Shop", slot: "orders", key: #""a1""#, .replace(json: #"{"id":"a1","amount":9}"#))
        _ = try await harness.engine.repair(cell: "Shop", slot: "total", key: "", .remove)
        #expect(harness.engine.quarantined.isEmpty)
        #expect(await harness.send("Shop.get", #"{"id":"a1"}"#).body == #"{"id":"a1","amount":9}"#)
        #expect(await harness.send("Shop.bump").body == "1")
        harness.close()

        // Nothing is quarantined there any more: a second repair is refused with its own code.
        do {
            _ = try await harness.engine.repair(cell: "Shop", slot: "total", key: "", .remove)
            Issue.record("a repair of a key that is not quarantined went through")
        } catch {
            #expect(error.code == "not-quarantined", "\(error)")
        }
        let reopened = try await RuntimeHarness(Self.program, folder: harness.folder)
        defer { reopened.close() }
        #expect(reopened.engine.quarantined.isEmpty)
        #expect(await reopened.send("Shop.count").body == "2")
        #expect(await reopened.send("Shop.get", #"{"id":"a1"}"#).body == #"{"id":"a1","amount":9}"#)
    }

    /// A repair is a turn: a replacement that breaks the cell's invariant is refused, and the value stays
    /// quarantined.
    @Test func aRepairThatBreaksAnInvariantIsRefused() async throws {
        let guarded = Self.program.replacingOccurrences(of: "  on put(o: Order)", with: "  invariant non_negative { total >= 0 }\n  on put(o: Order)")
        #expect(guarded != Self.program)
        let first = try await RuntimeHarness(guarded)
        #expect(await first.send("Shop.bump").status == 200)
        first.close()
        let database = try DatabaseQueue(path: first.folder.appendingPathComponent("state.sqlite").path)
        try await database.write { db in try db.execute(sql: #"UPDATE slot_values SET value = '"many"' WHERE slot = 'total'"#) }
        try database.close()
        let harness = try await RuntimeHarness(guarded, folder: first.folder)
        defer { harness.close() }
        do {
            _ = try await harness.engine.repair(cell: "Shop", slot: "total", key: "", .replace(json: "-1"))
            Issue.record("a replacement that breaks the invariant went through")
        } catch {
            #expect(error.kind == .invariant, "\(error)")
        }
        #expect(harness.engine.quarantined.map(\.subject) == ["Shop.total"])
        _ = try await harness.engine.repair(cell: "Shop", slot: "total", key: "", .replace(json: "3"))
        #expect(await harness.send("Shop.bump").body == "4")
    }
}

import Foundation
import GRDB
import Testing

/// A hand-edited state that no longer reads: the app launches, says what is quarantined, serves the rest, and
/// `soma repair` brings the key back with a record in the ledger.
@Suite(.serialized) struct RepairEndToEndTests {
    static let shop = """
    type Order = { id: String, amount: Int }

    cell Shop {
      face {
        signal put(o: Order) -> Int
        signal get(id: String) -> Option<Order>
      }
      memory { orders: Map<String, Order> [persistent] }
      on put(o: Order) { orders.set(o.id, o); o.amount }
      on get(id: String) { orders.get(id) }
    }
    """

    @Test func aValueThatDoesNotReadIsQuarantinedReportedAndRepaired() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        #expect(try await app.soma("send", "Shop.put", #"{"o":{"id":"a1","amount":5}}"#).status == 0)
        #expect(try await app.soma("send", "Shop.put", #"{"o":{"id":"a2","amount":7}}"#).status == 0)
        #expect(try await app.soma("stop").status == 0)
        let database = try DatabaseQueue(path: "\(app.appHome)/state/state.sqlite")
        try await database.write { db in
            try db.execute(sql: #"UPDATE slot_values SET value = '{"id":"a1","amount":"lots"}' WHERE key = '"a1"'"#)
        }
        try database.close()

        let relaunched = try await app.launch()
        #expect(relaunched.status == 0, "the app starts: \(relaunched.error)\n\(app.logTail)")
        #expect(try await app.status()["quarantined"] == "0", "a Map's entries are read when turns read them, not at start")
        #expect(try await app.soma("send", "Shop.get", #"{"id":"a2"}"#).output.contains("\"amount\":7"))
        let touched = try await app.soma("send", "Shop.get", #"{"id":"a1"}"#)
        #expect(touched.status == 1 && touched.error.contains("500") && touched.error.contains("quarantined"), "\(touched.error)")
        #expect(try await app.status()["quarantined"] == "1")
        #expect(try await app.soma("status").output.contains("quarantined"))
        #expect(try await app.soma("logs").output.contains(#"quarantined Shop.orders["a1"]"#))

        let listed = try await app.soma("repair")
        #expect(listed.output.contains(#"Shop.orders["a1"]"#) && listed.output.contains("amount"), "\(listed.output)")
        let wrong = try await app.soma("repair", "replace", "Shop.orders", "--key", "a1", "--value", #"{"id":"a1"}"#)
        #expect(wrong.status == 1 && wrong.error.contains("json-shape"), "\(wrong.error)")
        let missing = try await app.soma("repair", "remove", "Shop.orders", "--key", "a2")
        #expect(missing.status == 1 && missing.error.contains("nothing is quarantined"), "\(missing.error)")
        let replaced = try await app.soma("repair", "replace", "Shop.orders", "--key", "a1", "--value", #"{"id":"a1","amount":9}"#)
        #expect(replaced.status == 0, "\(replaced.error)")
        #expect(try await app.soma("send", "Shop.get", #"{"id":"a1"}"#).output.contains("\"amount\":9"))
        #expect(try await app.status()["quarantined"] == "0")

        let ledger = try DatabaseQueue(path: "\(app.appHome)/ledger.sqlite")
        let audit = try await ledger.read { db in try String.fetchAll(db, sql: "SELECT detail FROM events WHERE kind = 'repair'") }
        #expect(audit.count == 1 && audit.first?.contains("replaced") == true && audit.first?.contains("\"amount\":9") == true, "\(audit)")
    }
}

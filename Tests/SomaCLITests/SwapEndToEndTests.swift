import Foundation
import SomaResources
import Testing
import SomaProtocol

/// `soma swap` with the real binary: the repo's shop example, version 1 → 2, with live data in every place a
/// swap must carry it (memory, state machine keys, queued messages, table rows).
@Suite(.serialized) struct SwapEndToEndTests {
    static func example(_ file: String) -> String {
        (try? String(contentsOf: SomaBinary.repository.appendingPathComponent("examples/shop/\(file)"), encoding: .utf8)) ?? ""
    }

    static func order(_ id: String, buyer: String = "ann") -> String {
        #"{"order": {"id": "\#(id)", "buyer": "\#(buyer)", "items": [{"sku": "tea", "qty": 1, "price": 2.5}], "total": 2.5}}"#
    }

    @Test func shopVersionOneToTwoCarriesEveryKindOfData() async throws {
        let app = try LaunchedApp(Self.example("app.cell"), name: "shop")
        defer { app.finish() }
        try Self.example("v2.cell").write(to: app.folder.appendingPathComponent("v2.cell"), atomically: true, encoding: .utf8)
        #expect(try await app.launch().status == 0)
        for id in ["o1", "o2", "o3"] { #expect(try await app.post("/Shop/place_order", Self.order(id)).status == 200) }
        #expect(try await app.post("/Shop/pay", #"{"id": "o1"}"#).status == 200)
        let database = "\(app.appHome)/resources/shop/shop.sqlite"
        #expect(try await ResourcesEndToEndTests.waitFor(10) { try await ResourcesEndToEndTests.sqlite3(database, "SELECT COUNT(*) FROM orders") == "3" })

        // The plan, with live counts; a dry run changes nothing.
        let planned = try await app.soma("swap", "v2.cell", "--dry-run")
        #expect(planned.status == 0, "\(planned.error)")
        #expect(planned.output.contains("Order 1 → 2: 3 stored values"), "\(planned.output)")
        #expect(planned.output.contains("renamed queued → pending (2 live keys)"))
        #expect(planned.output.contains("+ Shop.ship: added: new signal"))
        #expect(planned.output.contains("warning[face-shape-change]: Shop.place_order"), "\(planned.output)")
        #expect(try await app.status()["version"] == "1")
        let strict = try await app.soma("swap", "v2.cell", "--dry-run", "--strict-face")
        #expect(strict.status == 1 && strict.output.contains("refused[face-shape-change]"), "\(strict.output)")

        // A version that removes a state live keys are in is refused with its code, and changes nothing.
        let broken = Self.example("v2.cell").replacingOccurrences(of: "migrate state Shop.lifecycle { queued => pending }", with: "")
        try broken.write(to: app.folder.appendingPathComponent("broken.cell"), atomically: true, encoding: .utf8)
        let refused = try await app.soma("swap", "broken.cell", "--yes")
        #expect(refused.status == 1)
        #expect(refused.output.contains("refused[state-removed-live]") && refused.output.contains("2 live keys are in it"), "\(refused.output)")
        #expect(try await app.status()["version"] == "1")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o2"}"#).body.contains(#""buyer":"ann""#))

        let swapped = try await app.soma("swap", "v2.cell", "--yes")
        #expect(swapped.status == 0, "\(swapped.output)\(swapped.error)")
        #expect(swapped.output.contains("swapped shop to version 2"))
        #expect(try await app.status()["version"] == "2")

        // Memory migrated, keys renamed (queued → pending, so pay works from there), the new signal served.
        let order = try await app.post("/Shop/get_order", #"{"id": "o2"}"#).body
        #expect(order.contains(#""customer":"ann""#) && order.contains(#""status":"Open""#) && !order.contains("buyer"), "\(order)")
        #expect(try await app.post("/Shop/pay", #"{"id": "o2"}"#).body == #""paid""#)
        #expect(try await app.post("/Shop/ship", #"{"id": "o1", "tracking": "T1"}"#).body == #""shipped""#)
        #expect(try await app.post("/Shop/stats", "{}").body == "3")
        // A client still sending version 1's shape of Order is read through the migration.
        let oldClient = try await app.post("/Shop/place_order", Self.order("o9"))
        #expect(oldClient.status == 200, "\(oldClient.body)")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o9"}"#).body.contains(#""customer":"ann""#))

        // The table gained its columns; the rows written by version 1 were migrated.
        #expect(try await ResourcesEndToEndTests.sqlite3(database, "SELECT customer, status FROM orders WHERE id = 'o3'") == #"ann|"Open""#)

        // A message version 1 pushed (left in the queue across the swap) is migrated as version 2 consumes it.
        let queue = QueueClient(name: "outbox", socketPath: "\(app.appHome)/resources/outbox/queue.sock")
        try queue.push([QueueMessage(id: "from-v1", version: 1, body: #"{"id":"o50","buyer":"zed","items":[],"total":1.0}"#)])
        queue.close()
        let migrated = try await ResourcesEndToEndTests.waitFor(10) {
            try await ResourcesEndToEndTests.sqlite3(database, "SELECT customer, status FROM orders WHERE id = 'o50'") == #"zed|"Open""#
        }
        let outbox = try await app.soma("resources", "show", "outbox").output
        let rows = try await ResourcesEndToEndTests.sqlite3(database, "SELECT * FROM orders")
        #expect(migrated, "\(outbox) \(rows) \(app.logTail)")

        // The worker killed: back on version 2, with its data.
        let worker = try #require(Int32(try await app.status()["worker_pid"] ?? ""))
        kill(worker, SIGKILL)
        try await Task.sleep(for: .milliseconds(20))
        #expect(await app.waitUntilServing(within: 10) != nil)
        #expect(try await app.status()["version"] == "2")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o1"}"#).body.contains(#""customer":"ann""#))

        let versions = try await app.soma("versions", "--json")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(versions.output.utf8)) as? [[String: Any]])
        #expect(listed.map { $0["number"] as? Int } == [1, 2])
        #expect(listed.last?["current"] as? Bool == true)
    }

    /// `soma rollback`: refused while version 2's data cannot be read by version 1 (naming the type and why);
    /// once a version 3 declares the migration back, version 1's code runs again as version 4 with the data
    /// brought back (memory, state names, table rows), and stays there across a worker crash.
    @Test func rollbackNeedsAWayBackAndTakesTheDataWithIt() async throws {
        let app = try LaunchedApp(Self.example("app.cell"), name: "shop")
        defer { app.finish() }
        let reverse = "\nmigrate Order from 2 to 1 = fn(old) -> Order { id: old.id, buyer: old.customer, items: old.items, total: old.total }\n"
        try Self.example("v2.cell").write(to: app.folder.appendingPathComponent("v2.cell"), atomically: true, encoding: .utf8)
        try (Self.example("v2.cell") + reverse).write(to: app.folder.appendingPathComponent("v3.cell"), atomically: true, encoding: .utf8)
        #expect(try await app.launch().status == 0)
        for id in ["o1", "o2"] { #expect(try await app.post("/Shop/place_order", Self.order(id)).status == 200) }
        #expect(try await app.post("/Shop/pay", #"{"id": "o1"}"#).status == 200)
        #expect(try await app.soma("swap", "v2.cell", "--yes").status == 0)
        #expect(try await app.post("/Shop/ship", #"{"id": "o1", "tracking": "T1"}"#).body == #""shipped""#)

        let refused = try await app.soma("rollback", "--yes")
        #expect(refused.status == 1)
        #expect(refused.output.contains("error[incompatible-change]: 'Order' is stored at version 2"), "\(refused.output)")
        #expect(refused.output.contains("declares no 'migrate Order from 2 to 1'"))
        #expect(try await app.status()["version"] == "2")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o2"}"#).body.contains(#""customer":"ann""#))

        #expect(try await app.soma("swap", "v3.cell", "--yes").status == 0)
        let planned = try await app.soma("rollback", "--to", "1", "--dry-run")
        #expect(planned.status == 0, "\(planned.output)\(planned.error)")
        #expect(planned.output.contains("rollback plan: version 3 → 4 (the code of version 1)"))
        #expect(planned.output.contains("Order 2 → 1: 2 stored values, 2 rows"), "\(planned.output)")
        #expect(planned.output.contains("renamed pending → queued (1 live key)"))

        let rolled = try await app.soma("rollback", "--to", "1", "--yes")
        #expect(rolled.status == 0, "\(rolled.output)\(rolled.error)")
        #expect(rolled.output.contains("rolled shop back to the code of version 1 as version 4"))
        #expect(try await app.status()["version"] == "4")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o2"}"#).body
                == #"{"id":"o2","buyer":"ann","items":[{"sku":"tea","qty":1,"price":2.5}],"total":2.5}"#)
        #expect(try await app.post("/Shop/pay", #"{"id": "o2"}"#).body == #""paid""#)
        #expect(try await app.post("/Shop/ship", #"{"id": "o1", "tracking": "T2"}"#).status == 404)
        let database = "\(app.appHome)/resources/shop/shop.sqlite"
        #expect(try await ResourcesEndToEndTests.sqlite3(database, "SELECT id, buyer FROM orders ORDER BY id") == "o1|ann\no2|ann")

        let worker = try #require(Int32(try await app.status()["worker_pid"] ?? ""))
        kill(worker, SIGKILL)
        try await Task.sleep(for: .milliseconds(20))
        #expect(await app.waitUntilServing(within: 10) != nil)
        #expect(try await app.status()["version"] == "4")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o1"}"#).body.contains(#""buyer":"ann""#))

        let versions = try await app.soma("versions", "--json")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(versions.output.utf8)) as? [[String: Any]])
        #expect(listed.map { $0["number"] as? Int } == [1, 2, 3, 4])
        #expect(listed.last?["restores"] as? Int == 1)
    }

    /// Each refusal of LANGUAGE.md §10 through `soma swap`, with its code: the app stays on version 1 and its
    /// stored state is unchanged (the same dump of the state database before and after).
    @Test func refusedSwapsNameTheirCodeAndChangeNothing() async throws {
        let v1 = Self.example("app.cell")
        let app = try LaunchedApp(v1, name: "shop")
        defer { app.finish() }
        func edited(_ replacements: [(String, String)]) -> String {
            replacements.reduce(v1) { text, change in
                precondition(text.contains(change.0), "app.cell has no '\(change.0)'")
                return text.replacingOccurrences(of: change.0, with: change.1)
            }
        }
        let candidates: [(file: String, source: String, expected: String)] = [
            ("incompatible.cell", edited([("  buyer: String,", "  customer: String,")]), "error[incompatible-change]"),
            ("face.cell", edited([("    signal stats() -> Int\n", ""), ("  on stats() { placed }\n", "")]), "error[face-break]"),
            ("dropped.cell", edited([("    placed: Int [persistent] = 0\n", ""), ("    placed = placed + 1\n", ""),
                                     ("  invariant placed_non_negative { placed >= 0 }\n", ""), ("on stats() { placed }", "on stats() { 0 }")]),
             "refused[slot-dropped]"),
            ("fails.cell", edited([("type Order = {", "type Order @version(2) = {"), ("  total: Float\n}", "  total: Float,\n  per_unit: Int\n}\n"
                + "migrate Order from 1 to 2 = fn(old) -> Order {\n  id: old.id, buyer: old.buyer, items: old.items, total: old.total,\n"
                + "  per_unit: 100 / old.items.map(fn(i) -> i.qty).sum()\n}")]),
             "refused[migration-fails]"),
            ("invariant.cell", edited([("  invariant placed_non_negative { placed >= 0 }\n", "  invariant placed_non_negative { placed >= 0 }\n  invariant few { placed < 2 }\n")]),
             "refused[invariant-broken]"),
        ]
        for candidate in candidates {
            try candidate.source.write(to: app.folder.appendingPathComponent(candidate.file), atomically: true, encoding: .utf8)
        }
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Shop/place_order", Self.order("o1")).status == 200)
        let free = #"{"order": {"id": "o2", "buyer": "bo", "items": [{"sku": "gift", "qty": 0, "price": 0.0}], "total": 0.0}}"#
        #expect(try await app.post("/Shop/place_order", free).status == 200)
        let state = "\(app.appHome)/state/state.sqlite"
        // Quiet first: both orders through the outbox into the table, no effect pending.
        #expect(try await ResourcesEndToEndTests.waitFor(10) {
            let rows = try await ResourcesEndToEndTests.sqlite3("\(app.appHome)/resources/shop/shop.sqlite", "SELECT COUNT(*) FROM orders")
            let pending = try await ResourcesEndToEndTests.sqlite3(state, "SELECT COUNT(*) FROM pending_effects")
            return rows == "2" && pending == "0"
        })
        let before = try await ResourcesEndToEndTests.sqlite3(state, ".dump")

        for candidate in candidates {
            let refused = try await app.soma("swap", candidate.file, "--yes")
            #expect(refused.status == 1, "\(candidate.file)")
            #expect(refused.output.contains(candidate.expected), "\(candidate.file): \(refused.output)")
            #expect(try await app.status()["version"] == "1")
        }
        let failing = try await app.soma("swap", "fails.cell", "--dry-run")
        #expect(failing.output.contains("migrating Shop.orders fails on key \"o2\""), "\(failing.output)")
        let after = try await ResourcesEndToEndTests.sqlite3(state, ".dump")
        #expect(after == before, "\(Set(after.split(separator: "\n")).symmetricDifference(before.split(separator: "\n")))")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o1"}"#).body.contains(#""buyer":"ann""#))
        let versions = try await app.soma("versions", "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(versions.output.utf8)) as? [Any])?.count == 1)

        // The same file, fixed: its plan reads the new code, not the refused one left under the same number.
        let fixed = candidates[3].source.replacingOccurrences(of: "100 / old.items.map(fn(i) -> i.qty).sum()", with: "1")
        try fixed.write(to: app.folder.appendingPathComponent("fails.cell"), atomically: true, encoding: .utf8)
        let swapped = try await app.soma("swap", "fails.cell", "--yes")
        #expect(swapped.status == 0 && swapped.output.contains("swapped shop to version 2"), "\(swapped.output)")
    }

    /// RUNTIME.md §6: requests that arrive during a swap are delayed, never refused. Four callers read an
    /// order without pause while version 1 is swapped for version 2 (the signal is the same in both); every
    /// call succeeds, and the answers switch from version 1's shape to version 2's.
    @Test func aSwapUnderLoadFailsNoRequest() async throws {
        let app = try LaunchedApp(Self.example("app.cell"), name: "shop")
        defer { app.finish() }
        try Self.example("v2.cell").write(to: app.folder.appendingPathComponent("v2.cell"), atomically: true, encoding: .utf8)
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Shop/place_order", Self.order("o1")).status == 200)
        let swapping = ManagedFlag()
        swapping.set(true)
        let callers = (0..<4).map { _ in
            Task { () -> [(Int, String)] in
                var answers: [(Int, String)] = []
                while swapping.isSet && answers.count < 5_000 {
                    let response = try? await app.post("/Shop/get_order", #"{"id": "o1"}"#)
                    answers.append((response?.status ?? -1, response?.body ?? ""))
                }
                return answers
            }
        }
        let swapped = try await app.soma("swap", "v2.cell", "--yes")
        swapping.set(false)
        #expect(swapped.status == 0, "\(swapped.output)\(swapped.error)")
        var answers: [(Int, String)] = []
        for caller in callers { answers += await caller.value }
        #expect(answers.count > 20)
        #expect(answers.allSatisfy { $0.0 == 200 }, "\(answers.filter { $0.0 != 200 }.prefix(5))")
        #expect(answers.first?.1.contains(#""buyer":"ann""#) == true)
        #expect(try await app.post("/Shop/get_order", #"{"id": "o1"}"#).body.contains(#""customer":"ann""#))
    }

    /// Two swaps at once never interleave: while the first is held at the start of applying (the test seam
    /// SOMA_TEST_SWAP_PAUSE), a second is refused saying who holds the app, and the first then completes.
    @Test func aSecondSwapWhileOneRunsIsRefused() async throws {
        let app = try LaunchedApp(Self.example("app.cell"), name: "shop")
        defer { app.finish() }
        let marker = app.folder.appendingPathComponent("paused").path
        app.environment["SOMA_TEST_SWAP_PAUSE"] = "applying:\(marker)"
        try Self.example("v2.cell").write(to: app.folder.appendingPathComponent("v2.cell"), atomically: true, encoding: .utf8)
        #expect(try await app.launch().status == 0)
        let first = Task { try await app.soma("swap", "v2.cell", "--yes") }
        #expect(try await ResourcesEndToEndTests.waitFor(30) { FileManager.default.fileExists(atPath: marker) })
        let second = try await app.soma("swap", "v2.cell", "--yes")
        #expect(second.status == 1)
        #expect(second.error.contains("another swap of shop is in progress"), "\(second.output)\(second.error)")
        try FileManager.default.removeItem(atPath: marker)
        let finished = try await first.value
        #expect(finished.status == 0, "\(finished.output)\(finished.error)")
        #expect(try await app.status()["version"] == "2")
    }
}

/// A flag shared between a test and the tasks it starts.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set(_ new: Bool) { lock.withLock { value = new } }
}

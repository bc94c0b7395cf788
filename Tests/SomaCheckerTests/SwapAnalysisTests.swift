import Foundation
import Testing
@testable import SomaChecker

/// LANGUAGE.md §10 without live data: refusals whatever the data are errors, refusals that depend on the
/// data are conditions (warnings from `soma check --against`).
@Suite struct SwapAnalysisTests {
    static let v1 = """
        type Item = { sku: String, qty: Int }
        type Order = { id: String, buyer: String, items: List<Item>, total: Float }
        type Db = { orders: Table<Order> }
        cell Shop {
          face {
            signal get(id: String) -> Option<Order>
            signal count() -> Int
          }
          memory {
            orders: Map<String, Order>
            placed: Int = 0
            cache: Map<String, Int> [ephemeral]
          }
          state lifecycle { queued -> paid }
          let outbox = QueueService<Order>("outbox")
          let db = Database<Db>("shop")
          on get(id: String) { orders.get(id) }
          on count() { placed }
          on outbox(order: Order) { db.orders.put(order) }
        }
        """

    func analyse(_ new: String, against old: String = Self.v1,
                 direction: SwapAnalysis.Direction = .forward) -> (analysis: SwapAnalysis?, errors: [String], warnings: [String]) {
        withFiles(["v1.cell": old, "v2.cell": new]) { folder in
            let outcome = SomaCheck.check(path: folder.appendingPathComponent("v2.cell").path, against: folder.appendingPathComponent("v1.cell").path,
                                          direction: direction)
            let diagnostics = outcome?.diagnostics ?? []
            return (outcome?.swap, diagnostics.filter { $0.severity == .error }.map(\.code.rawValue),
                    diagnostics.filter { $0.severity == .warning }.map(\.code.rawValue))
        }
    }

    func edit(_ replacements: [(String, String)]) -> String {
        var text = Self.v1
        for (old, new) in replacements {
            precondition(text.contains(old), "the test edits '\(old)', which v1 does not have")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    @Test func theSameProgramChangesNothing() throws {
        let (analysis, errors, warnings) = analyse(Self.v1)
        #expect(errors.isEmpty && warnings.isEmpty)
        let found = try #require(analysis)
        #expect(found.types.allSatisfy { $0.kind == .unchanged })
        #expect(found.slots.isEmpty && found.states.isEmpty && found.face.isEmpty && found.resources.isEmpty && !found.changesData)
    }

    @Test func compatibleChangesNeedNoMigration() throws {
        let new = edit([
            ("total: Float }", "total: Float, note: Option<String>, priority: Int = 0, buyer_name: String @alias(\"buyer\") }"),
            ("buyer: String, ", ""),
            ("qty: Int }", "qty: Float }"),
            ("signal count() -> Int", "signal count() -> Int\n    signal extra(x: Option<Int>) -> Int"),
            ("on count() { placed }", "on count() { placed }\n  on extra(x: Option<Int>) { 1 }"),
        ])
        let (analysis, errors, _) = analyse(new)
        #expect(errors.isEmpty)
        let order = try #require(analysis?.types.first { $0.name == "Order" })
        #expect(order.kind == .compatible)
        #expect(order.details.contains("field 'buyer' renamed to 'buyer_name' (@alias)"))
        #expect(order.details.contains("field 'note' added (Option)"))
        #expect(order.details.contains("field 'priority' added (with a default)"))
        #expect(analysis?.types.first { $0.name == "Item" }?.details == ["field 'qty': Int widened to Float"])
        #expect(analysis?.face.contains { $0.signal == "extra" && $0.kind == .added } == true)
    }

    @Test func incompatibleChangesWithoutAVersionAreRefused() {
        #expect(analyse(edit([("buyer: String", "customer: String")])).errors == ["incompatible-change"])
        #expect(analyse(edit([("qty: Int", "qty: String")])).errors == ["incompatible-change"])
        #expect(analyse(edit([("total: Float", "total: Option<Float>")])).errors.isEmpty)
    }

    @Test func aVersionBumpWithItsMigrationIsAMigration() throws {
        let new = edit([
            ("type Order = { id: String, buyer: String,", "type Order @version(2) = { id: String, customer: String,"),
            ("type Db", "migrate Order from 1 to 2 = fn(old) -> Order { id: old.id, customer: old.buyer, items: old.items, total: old.total }\ntype Db"),
        ])
        let (analysis, errors, _) = analyse(new)
        #expect(errors.isEmpty)
        let found = try #require(analysis)
        #expect(found.types.first { $0.name == "Order" }?.kind == .migrated)
        #expect(found.slots.contains { $0.slot == "orders" && $0.kind == .migrated })
        #expect(found.resources.contains { $0.name == "outbox" && $0.kind == .changed })
        #expect(found.resources.contains { $0.name == "shop" && $0.detail.contains("rows of 'orders' migrated") })
        #expect(found.face.contains { $0.signal == "get" && !$0.breaking })
        #expect(found.changesData)
    }

    @Test func removedSlotsAndStatesAreConditions() throws {
        let new = edit([("    placed: Int = 0\n", ""), ("on count() { placed }", "on count() { 0 }"), ("queued -> paid", "pending -> paid")])
        let (analysis, errors, warnings) = analyse(new)
        #expect(errors.isEmpty)
        #expect(Set(warnings) == ["slot-dropped", "state-removed-live"])
        let conditions = try #require(analysis?.conditions)
        #expect(conditions.contains { $0.subject == .slotData(cell: "Shop", slot: "placed") })
        #expect(conditions.contains { $0.subject == .liveKeys(cell: "Shop", machine: "lifecycle", state: "queued") })

        let dropped = edit([("    placed: Int = 0\n", "    drop placed\n"), ("on count() { placed }", "on count() { 0 }"),
                            ("queued -> paid", "pending -> paid"), ("cell Shop", "migrate state Shop.lifecycle { queued => pending }\ncell Shop")])
        let clean = analyse(dropped)
        #expect(clean.errors.isEmpty && clean.warnings.isEmpty)
        #expect(clean.analysis?.slots.contains { $0.slot == "placed" && $0.kind == .dropped } == true)
        #expect(clean.analysis?.states.contains { $0.kind == .renamed && $0.state == "queued" && $0.renamedTo == "pending" } == true)
        // An ephemeral slot holds nothing across a swap worth refusing for.
        #expect(analyse(edit([("    cache: Map<String, Int> [ephemeral]\n", "")])).warnings.isEmpty)
    }

    @Test func weakenedSlotsAreConditions() {
        #expect(analyse(edit([("placed: Int = 0", "placed: Int [ephemeral] = 0")])).warnings == ["slot-weakened"])
    }

    @Test func faceBreaksAreRefused() {
        #expect(analyse(edit([("signal get(id: String)", "signal get(id: Int)"), ("on get(id: String) { orders.get(id) }", "on get(id: Int) { None }")])).errors
                == ["face-break"])
        #expect(analyse(edit([("    signal count() -> Int\n", ""), ("on count() { placed }", "")])).errors == ["face-break"])
        #expect(analyse(edit([("signal count() -> Int", "signal count() -> String"), ("on count() { placed }", "on count() { \"x\" }")])).errors
                == ["face-break"])
    }

    @Test func queueElementChangesAreConditionsAndUnboundResourcesOrphaned() throws {
        let new = edit([("QueueService<Order>(\"outbox\")", "QueueService<Item>(\"outbox\")"), ("on outbox(order: Order) { db.orders.put(order) }", "on outbox(item: Item) { }"),
                        ("  let db = Database<Db>(\"shop\")\n", "")])
        let (analysis, errors, warnings) = analyse(new)
        #expect(errors.isEmpty)
        #expect(warnings == ["queue-type-change"])
        #expect(analysis?.resources.contains { $0.name == "shop" && $0.kind == .orphaned } == true)
    }

    // MARK: - Going back (soma rollback)

    static let migratedV2 = """
        type Item = { sku: String, qty: Int }
        type Status = Open | Shipped(tracking: String)
        type Order @version(2) = { id: String, customer: String, items: List<Item>, total: Float, status: Status, note: Option<String> }
        migrate Order from 1 to 2 = fn(old) -> Order { id: old.id, customer: old.buyer, items: old.items, total: old.total, status: Open, note: None }
        type Db = { orders: Table<Order> }
        migrate state Shop.lifecycle { queued => pending }
        cell Shop {
          face {
            signal get(id: String) -> Option<Order>
            signal count() -> Int
            signal ship(id: String) -> Int
          }
          memory {
            orders: Map<String, Order>
            placed: Int = 0
            cache: Map<String, Int> [ephemeral]
          }
          state lifecycle { pending -> paid }
          let outbox = QueueService<Order>("outbox")
          let db = Database<Db>("shop")
          on get(id: String) { orders.get(id) }
          on count() { placed }
          on ship(id: String) { 1 }
          on outbox(order: Order) { db.orders.put(order) }
        }
        """

    static let reverse = "migrate Order from 2 to 1 = fn(old) -> Order { id: old.id, buyer: old.customer, items: old.items, total: old.total }\n"

    @Test func aRollbackWithoutAReverseMigrationNamesTheType() throws {
        let (analysis, errors, _) = analyse(Self.v1, against: Self.migratedV2, direction: .rollback)
        #expect(errors == ["incompatible-change"])
        let order = try #require(analysis?.types.first { $0.name == "Order" })
        #expect(order.kind == .incompatible && order.details.first == "no migration back from 2 to 1")
        // Going forward to an older version of a type is refused whatever the running program declares.
        #expect(Set(analyse(Self.v1, against: Self.reverse + Self.migratedV2).errors) == ["incompatible-change", "face-break"])
    }

    @Test func aReverseMigrationTakesTheDataBack() throws {
        let (analysis, errors, warnings) = analyse(Self.v1, against: Self.reverse + Self.migratedV2, direction: .rollback)
        #expect(errors.isEmpty && warnings.isEmpty, "\(errors) \(warnings)")
        let found = try #require(analysis)
        #expect(found.types.first { $0.name == "Order" }.map { $0.kind == .migrated && $0.oldVersion == 2 && $0.newVersion == 1 } == true)
        #expect(found.slots.contains { $0.slot == "orders" && $0.kind == .migrated })
        // The later version's rename, reversed; its new signal goes away without a face break.
        #expect(found.states.contains { $0.kind == .renamed && $0.state == "pending" && $0.renamedTo == "queued" })
        #expect(found.face.contains { $0.signal == "ship" && $0.kind == .removed })
    }

    @Test func goingBackLeavesOptionalFieldsAndNeedsDataFreeVariants() throws {
        let later = edit([("total: Float }", "total: Float, note: Option<String>, name: String @alias(\"buyer\") }"), ("buyer: String, ", "")])
        let (analysis, errors, _) = analyse(Self.v1, against: later, direction: .rollback)
        #expect(errors.isEmpty, "\(errors)")
        let order = try #require(analysis?.types.first { $0.name == "Order" })
        #expect(order.kind == .compatible)
        #expect(order.details.contains("field 'note' is not kept (the earlier version does not have it)"))
        // The same change forward is a removed field: it needs a migration.
        #expect(analyse(Self.v1, against: later).errors == ["incompatible-change"])
        // A slot the later version added, with data, refuses the rollback.
        let withSlot = edit([("placed: Int = 0", "placed: Int = 0\n    shipped: Int = 0")])
        #expect(analyse(Self.v1, against: withSlot, direction: .rollback).warnings == ["slot-dropped"])
    }

    @Test func reverseMigrationsAreCheckedOneVersionAtATime() {
        let gap = Self.migratedV2 + "\nmigrate Order from 2 to 0 = fn(old) -> Order { id: old.id }\n"
        #expect(SomaCheck.check(source: gap).diagnostics.contains { $0.code.rawValue == "version-gap" })
        let ahead = Self.migratedV2 + "\nmigrate Order from 3 to 2 = fn(old) -> Order { id: old.id }\n"
        #expect(SomaCheck.check(source: ahead).diagnostics.contains { $0.code.rawValue == "version-gap" })
        #expect(!SomaCheck.check(source: Self.reverse + Self.migratedV2).hasErrors)
    }
}

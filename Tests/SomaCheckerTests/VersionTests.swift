import Foundation
import Testing
@testable import SomaChecker

@Suite struct VersionTests {
    static let v1 = """
        type Item = { sku: String, qty: Int }
        type Order = { id: String, buyer: String, items: List<Item>, total: Float }
        cell Shop {
          face { signal get(id: String) -> Option<Order> }
          memory { orders: Map<String, Order> }
          state lifecycle { queued -> paid }
          on get(id: String) { orders.get(id) }
        }
        """

    static func v2(migration body: String, stateRename: String = "queued => pending") -> String {
        """
        type Item = { sku: String, qty: Int }
        type Status = Open | Shipped(tracking: String)
        type Order @version(2) = { id: String, customer: String, items: List<Item>, total: Float, status: Status, note: Option<String> }
        migrate Order from 1 to 2 = fn(old) -> Order { \(body) }
        migrate state Shop.lifecycle { \(stateRename) }
        cell Shop {
          face { signal get(id: String) -> Option<Order> }
          memory { orders: Map<String, Order> }
          state lifecycle { pending -> paid }
          on get(id: String) { orders.get(id) }
        }
        """
    }

    func checkAgainst(_ new: String, _ old: String) -> [String] {
        withFiles(["v1.cell": old, "v2.cell": new]) { folder in
            let outcome = SomaCheck.check(path: folder.appendingPathComponent("v2.cell").path, against: folder.appendingPathComponent("v1.cell").path)
            return outcome?.diagnostics.filter { $0.severity == .error }.map(\.code.rawValue) ?? ["unreadable"]
        }
    }

    @Test func migrationTypedAgainstTheOldShape() {
        let good = Self.v2(migration: "id: old.id, customer: old.buyer, items: old.items, total: old.total, status: Open, note: None")
        #expect(checkAgainst(good, Self.v1) == [])
        let wrongField = Self.v2(migration: "id: old.id, customer: old.customer, items: old.items, total: old.total, status: Open")
        #expect(checkAgainst(wrongField, Self.v1) == ["unknown-field"])
        let wrongType = Self.v2(migration: "id: old.id, customer: old.buyer, items: old.items, total: old.buyer, status: Open")
        #expect(checkAgainst(wrongType, Self.v1) == ["type-mismatch"])
        let missing = Self.v2(migration: "id: old.id, customer: old.buyer, items: old.items, total: old.total")
        #expect(checkAgainst(missing, Self.v1) == ["missing-field"])
    }

    @Test func withoutTheOldProgramOldIsJson() {
        let wrongField = Self.v2(migration: "id: old.id, customer: old.customer, items: old.items, total: old.total, status: Open")
        #expect(codes(wrongField) == [])
    }

    @Test func stateRenamesAreCheckedAgainstBothVersions() {
        let good = Self.v2(migration: "id: old.id, customer: old.buyer, items: old.items, total: old.total, status: Open")
        #expect(checkAgainst(Self.v2(migration: "id: old.id, customer: old.buyer, items: old.items, total: old.total, status: Open",
                                     stateRename: "waiting => pending"), Self.v1) == ["unknown-state"])
        #expect(codes(good.replacingOccurrences(of: "queued => pending", with: "queued => nowhere")) == ["unknown-state"])
    }

    @Test func chainsGapsAndMissingSteps() {
        #expect(codes("""
            type O @version(3) = { id: String }
            migrate O from 1 to 2 = fn(old) -> { id: old.id }
            """) == ["missing-migration"])
        #expect(codes("""
            type O @version(2) = { id: String }
            migrate O from 1 to 2 = fn(old) -> { id: old.id }
            migrate O from 2 to 3 = fn(old) -> { id: old.id }
            """) == ["version-gap"])
        #expect(codes("""
            type O = { id: String }
            type P = { id: Int }
            type Q @version(2) = { id: String }
            migrate Q from 1 to 2 = fn(old) -> P { id: 1 }
            """) == ["migration-type"])
        #expect(codes("""
            type Q @version(2) = { id: String }
            migrate Q from 1 to 2 = fn(old) -> 42
            """) == ["migration-type"])
        #expect(codes("migrate Nope from 1 to 2 = fn(old) -> old") == ["unknown-type"])
    }

    @Test func aliasedFieldsReadOldData() {
        let old = "type C = { id: String, name: String }\ncell K { face { signal f(c: C) -> String }\n on f(c: C) { c.name } }"
        let new = """
            type C @version(2) = { id: String, display_name: String @alias("name") }
            migrate C from 1 to 2 = fn(old) -> C { old | display_name = old.name }
            cell K { face { signal f(c: C) -> String }
              on f(c: C) { c.display_name } }
            """
        #expect(checkAgainst(new, old) == [])
    }
}

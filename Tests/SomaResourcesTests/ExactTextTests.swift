import Foundation
import GRDB
import SomaResources
import Testing

/// Strings are stored byte for byte (RUNTIME.md §3): a NUL inside a key or a text column keeps what follows it,
/// so two distinct ids never become one on disk.
@Suite struct ExactTextTests {
    static let layout = try! JSONDecoder().decode(DatabaseLayout.self, from: Data("""
    {"tables": [{"name": "orders", "row": "Order", "key": "id", "columns": [
      {"name": "id", "storage": "text", "nullable": false}, {"name": "note", "storage": "text", "nullable": true},
      {"name": "items", "storage": "json", "nullable": false}, {"name": "qty", "storage": "integer", "nullable": false}]}]}
    """.utf8))

    @Test func aSQLiteTableKeepsEveryByteOfItsText() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-exact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("shop.sqlite").path
        let orders = Self.layout.tables[0]
        var tables: SQLiteTables? = try SQLiteTables(name: "shop", path: path, layout: Self.layout)
        try tables!.createTables()
        try tables!.apply([
            .put(table: "orders", values: ["a\u{0}b".databaseValue, "x\u{0}y".databaseValue, #"["\u0000"]"#.databaseValue, 1.databaseValue]),
            .put(table: "orders", values: ["a".databaseValue, DatabaseValue.null, "[]".databaseValue, 2.databaseValue]),
        ])
        tables!.close()
        tables = try SQLiteTables(name: "shop", path: path, layout: Self.layout)
        defer { tables?.close() }

        #expect(try tables!.count(orders) == 2, "the two ids collided")
        let long = try #require(try tables!.get(orders, key: "a\u{0}b".databaseValue))
        #expect(long == ["a\u{0}b".databaseValue, "x\u{0}y".databaseValue, #"["\u0000"]"#.databaseValue, 1.databaseValue])
        #expect(try tables!.get(orders, key: "a".databaseValue)?[3] == 2.databaseValue)
        #expect(try tables!.all(orders).map { $0[0] } == ["a".databaseValue, "a\u{0}b".databaseValue])
        let queried = try tables!.query("SELECT id, note FROM orders WHERE qty = ?", arguments: [1.databaseValue])
        #expect(queried.first?.map(\.1) == [.value("a\u{0}b".databaseValue), .value("x\u{0}y".databaseValue)])

        // On disk it is TEXT, as the sqlite3 shell expects, with every byte.
        let raw = try DatabaseQueue(path: path)
        let stored = try raw.read { try Row.fetchAll($0, sql: "SELECT hex(id), typeof(id), typeof(note) FROM orders ORDER BY qty") }
        #expect(stored.map { $0[0] as String } == ["610062", "61"])
        #expect(stored.map { $0[1] as String } == ["text", "text"])
        #expect((stored[0][2] as String) == "text")
        try raw.close()

        try tables!.apply([.delete(table: "orders", key: "a\u{0}b".databaseValue)])
        #expect(try tables!.all(orders).map { $0[0] } == ["a".databaseValue])
    }
}

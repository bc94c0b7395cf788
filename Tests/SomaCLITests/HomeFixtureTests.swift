import Foundation
import Testing

/// Homes made by earlier somas (Tests/Fixtures) open with this one, moved to another place, and serve the
/// same data: the memory, the state machine, the versions, and the effects left pending when they were killed.
@Suite(.serialized) struct HomeFixtureTests {
    static let fixtures = SomaBinary.repository.appendingPathComponent("Tests/Fixtures")

    @Test func theShopHomeOfSoma010OpensMovedAndServesItsData() async throws {
        let fixture = Self.fixtures.appendingPathComponent("shop-home-0.1.0")
        let app = try LaunchedApp("", name: "shop")
        defer { app.finish() }
        for file in ["v2.cell", "soma.toml"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent("src/\(file)"), to: app.folder.appendingPathComponent(file))
        }
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("home"), to: URL(fileURLWithPath: app.somaHome))

        let launched = try await app.launch(file: "v2.cell")
        #expect(launched.status == 0, "\(launched.output)\(launched.error)\n\(app.logTail)")
        #expect(launched.output.contains("launched shop (version 2)"), "the stored version resumes: \(launched.output)")
        #expect(try await app.post("/Shop/stats", "{}").body == "5")
        let o1 = try await app.post("/Shop/get_order", #"{"id": "o1"}"#).body
        #expect(o1.contains(#""customer":"ann""#) && o1.contains(#""status":"Open""#), "migrated by the swap: \(o1)")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o5"}"#).body.contains(#""customer":"bo""#))
        #expect(try await app.post("/Shop/pay", #"{"id": "o1"}"#).status == 409, "o1 was paid already")
        #expect(try await app.post("/Shop/pay", #"{"id": "o2"}"#).status == 200)
        // The pushes left pending by the kill reach the queue, and through it the table.
        let database = "\(app.appHome)/resources/shop/shop.sqlite"
        #expect(try await ResourcesEndToEndTests.waitFor(10) { try await ResourcesEndToEndTests.sqlite3(database, "SELECT COUNT(*) FROM orders") == "5" },
                "\(app.logTail)")
        #expect(try await app.soma("versions").output.split(separator: "\n").count == 3)
    }

    /// The last home before format step 8 (order keys): its stored keys' text sorts otherwise than the Ints they
    /// are. Listed in order at once (sorted in memory), then given their order keys, then listed from the index.
    @Test func theNumbersHomeOfFormatStep7ListsItsKeysInOrderAndGetsOrderKeys() async throws {
        let fixture = Self.fixtures.appendingPathComponent("numbers-home-d470b93")
        let app = try LaunchedApp("", name: "numbers")
        defer { app.finish() }
        for file in ["numbers.cell", "soma.toml"] {
            try? FileManager.default.removeItem(at: app.folder.appendingPathComponent(file))
            try FileManager.default.copyItem(at: fixture.appendingPathComponent("src/\(file)"), to: app.folder.appendingPathComponent(file))
        }
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("home"), to: URL(fileURLWithPath: app.somaHome))
        let state = "\(app.appHome)/state/state.sqlite"
        #expect(try await ResourcesEndToEndTests.sqlite3(state, "SELECT COUNT(*) FROM slot_values WHERE slot = 'seen'") == "8")

        let launched = try await app.launch(file: "numbers.cell")
        #expect(launched.status == 0, "\(launched.output)\(launched.error)\n\(app.logTail)")
        let ordered = "[-20,-1,0,9,10,55,100,1000]"
        #expect(try await app.post("/Numbers/keys", "{}").body == ordered)
        #expect(try await ResourcesEndToEndTests.waitFor(10) {
            try await ResourcesEndToEndTests.sqlite3(state, "SELECT COUNT(*) FROM slot_values WHERE ord IS NULL AND key <> ''") == "0"
        }, "\(app.logTail)")
        #expect(try await app.post("/Numbers/keys", "{}").body == ordered)
        #expect(try await app.post("/Numbers/put", #"{"n": 8}"#).body == "9")
        #expect(try await app.post("/Numbers/keys", "{}").body == "[-20,-1,0,8,9,10,55,100,1000]")
    }
}

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
}

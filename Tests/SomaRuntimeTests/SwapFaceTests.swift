import Foundation
import SomaRuntime
import Testing

/// Old clients after a swap: the plan names every signal whose shapes change, `--strict-face` refuses them,
/// and a body in the running version's shape is read through the migration.
@Suite struct SwapFaceTests {
    let fixture = SwapTests()

    @Test func thePlanWarnsOfEverySignalWhoseShapesChangeAndStrictFaceRefuses() async throws {
        let harness = try await fixture.stock([("a", 3)])
        defer { harness.close() }
        let plan = harness.engine.planSwap(try fixture.request(harness, SwapTests.v2()))
        #expect(plan.refusals.isEmpty, "\(plan.refusals)")
        let warnings = plan.warnings ?? []
        #expect(warnings.map(\.code) == ["face-shape-change", "face-shape-change"], "\(warnings)")
        let put = try #require(warnings.first { $0.message.hasPrefix("Stock.put:") })
        #expect(put.message.contains("version 1's shape is read through its migration") && put.message.contains("Item 1 → 2"), "\(put.message)")
        #expect(warnings.contains { $0.message.hasPrefix("Stock.get:") && $0.message.contains("results go out in version 2's shape") })
        #expect(plan.text.contains("warning[face-shape-change]: Stock.put"), "\(plan.text)")

        var strict = try fixture.request(harness, SwapTests.v2())
        strict.strictFace = true
        #expect(harness.engine.planSwap(strict).refusals.map(\.code) == ["face-shape-change", "face-shape-change"])
        await #expect(throws: SwapRefused.self) { try await harness.engine.applySwap(strict) }
        #expect(try harness.store.programVersion() == 1)
    }

    @Test func aBodyInTheOldShapeIsMigratedAndTheResultIsInTheNewOne() async throws {
        let harness = try await fixture.stock([("a", 3)])
        defer { harness.close() }
        _ = try await harness.engine.applySwap(try fixture.request(harness, SwapTests.v2()))

        #expect(await harness.send("Stock.put", #"{"item": {"id": "new", "share": 5}}"#).status == 200)
        let old = await harness.send("Stock.put", #"{"item": {"id": "c", "qty": 4}}"#)
        #expect(old.status == 200, "a version 1 client's body: \(old.body)")
        #expect(await harness.send("Stock.get", #"{"id": "c"}"#).body == #"{"id":"c","share":3}"#)
        // Neither shape: the error is the new version's.
        let neither = await harness.send("Stock.put", #"{"item": {"id": "d"}}"#)
        #expect(neither.status == 400 && neither.body.contains("share"), "\(neither.body)")
        // The old shape whose migration aborts (12 / 0) is refused, and nothing is stored.
        #expect(await harness.send("Stock.put", #"{"item": {"id": "z", "qty": 0}}"#).status == 400)
        #expect(await harness.send("Stock.get", #"{"id": "z"}"#).body == "null")
    }
}

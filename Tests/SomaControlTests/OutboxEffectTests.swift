import SomaProtocol
import Testing

/// The outbox row's one type: what it writes it reads back, and rows of soma 0.1.0 read as they were written.
@Suite struct OutboxEffectTests {
    @Test(arguments: [
        OutboxEffect.push(messageID: "m-1", version: 2, body: "{\"note\":\"two\\nlines\"}\nand a raw newline"),
        .ack(messageID: "m-2"),
        .put(table: "orders", json: #"{"id":"o1","total":5.0}"#),
        .delete(table: "orders", json: #""o1""#),
    ])
    func aStoredRowReadsBackAsWritten(_ effect: OutboxEffect) {
        #expect(OutboxEffect(operation: effect.storedOperation, payload: effect.storedPayload) == effect)
    }

    @Test func aRowOfSoma010Reads() {
        // As the home fixture (Tests/Fixtures/shop-home-0.1.0) keeps it in pending_effects.
        let payload = "mgb16ilwxt9c-10\n2\n" + #"{"id":"o4","customer":"bo","items":[{"sku":"tea","qty":2,"price":2.5}],"total":5.0,"status":"Open","note":null}"#
        guard case .push(let id, let version, let body) = OutboxEffect(operation: "push", payload: payload) else {
            Issue.record("the row did not read")
            return
        }
        #expect(id == "mgb16ilwxt9c-10" && version == 2 && body.hasPrefix(#"{"id":"o4""#))
    }

    @Test func aRowThisFormatNeverWritesIsNoEffect() {
        #expect(OutboxEffect(operation: "push", payload: "m\nnot-a-version\n{}") == nil)
        #expect(OutboxEffect(operation: "push", payload: "m\n1") == nil)
        #expect(OutboxEffect(operation: "put", payload: "no newline") == nil)
        #expect(OutboxEffect(operation: "explode", payload: "") == nil)
    }
}

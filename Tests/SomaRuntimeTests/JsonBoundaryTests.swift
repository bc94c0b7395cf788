import Foundation
import PropertyBased
import SomaChecker
import SomaRuntime
import Testing

/// Json meeting a static type (LANGUAGE.md §3 "checked at run time", RUNTIME.md §2 "Json of the wrong shape"):
/// whatever Json a client sends, a typed slot, field, argument or result holds only a value of its type, a
/// mismatch aborts the turn with `json-shape` and changes nothing, and the state always reads back at a restart.
@Suite struct JsonBoundaryTests {
    static let program = """
    type Item = { sku: String, qty: Int }
    type Status = Open | Closed(reason: String)
    type Doc = { id: String, total: Float, items: List<Item>, status: Status, note: Option<String>,
                 tags: Set<String>, at: Time, size: Duration, blob: Bytes }

    cell Box {
      face {
        signal put_int(data: Json) -> Int
        signal put_doc(data: Json) -> Option<Doc>
        signal put_list(data: Json) -> List<Option<Int>>
        signal echo_int(data: Json) -> Int
        signal echo_doc(data: Json) -> Doc
        signal call_doc(data: Json) -> Option<Doc>
        signal bind_float(data: Json) -> Float
        signal field_int(data: Map) -> Int
        signal update_item(data: Json) -> Item
      }
      memory {
        n: Int [persistent] = 0
        docs: Map<String, Doc> [persistent]
        list: List<Option<Int>> [persistent]
        items: List<Item> [persistent]
      }
      on put_int(data: Json) { n = data
        n }
      on put_doc(data: Json) { docs.set("k", data)
        docs.get("k") }
      on put_list(data: Json) { list = data
        list }
      on echo_int(data: Json) { data }
      on echo_doc(data: Json) { data }
      on call_doc(data: Json) { call Sink.take(data) }
      on bind_float(data: Json) { let f: Float = data
        f }
      on field_int(data: Map) { n = data.n
        n }
      on update_item(data: Json) {
        let item: Item = { data | qty = 1 }
        items = items.append(item)
        item }
    }

    cell Sink {
      face { signal take(doc: Doc) -> Option<Doc> }
      memory { last: Option<Doc> [persistent] }
      on take(doc: Doc) { last = Some(doc)
        last }
    }
    """

    /// Each signal and the static type its `data` meets.
    static let targets: [(signal: String, type: SomaType)] = [
        ("put_int", .int), ("put_doc", .named("Doc")), ("put_list", .list(.option(.int))), ("echo_int", .int),
        ("echo_doc", .named("Doc")), ("call_doc", .named("Doc")), ("bind_float", .float),
    ]

    @Test func theIssuesExampleIsRefusedAndTheAppStillStarts() async throws {
        let harness = try await RuntimeHarness(Self.program)
        let refused = await harness.send("Box.field_int", #"{"data": {"n": "hello"}}"#)
        #expect(refused.status == 500)
        #expect(refused.body.contains(#""code":"json-shape""#))
        #expect(refused.body.contains("data.n: expected Int, got String"))
        let missing = await harness.send("Box.field_int", #"{"data": {}}"#)
        #expect(missing.status == 500)
        #expect(missing.body.contains("data.n: expected Int, got null"))
        #expect(await harness.send("Box.field_int", #"{"data": {"n": 7}}"#).body == "7")
        let folder = harness.folder
        harness.close()
        let again = try await RuntimeHarness(Self.program, folder: folder)
        defer { again.close() }
        #expect(await again.send("Box.put_int", #"{"data": 8}"#).body == "8")
    }

    @Test func anIntIsExactOrRefused() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        for refused in ["1.0", "1e2", "2.5", "-0.0"] {
            let answer = await harness.send("Box.echo_int", "{\"data\": \(refused)}")
            #expect(answer.status == 500, "\(refused) became \(answer.body)")
            #expect(answer.body.contains("expected Int, got Float"))
        }
        // Past 64 bits an integer is no Int and no Json number: refused where it enters, not rounded.
        let huge = await harness.send("Box.echo_int", #"{"data": 9223372036854775808}"#)
        #expect(huge.status == 400)
        #expect(huge.body.contains("outside Int's 64-bit range"))
        #expect(await harness.send("Box.echo_int", #"{"data": 9223372036854775807}"#).body == "9223372036854775807")
        #expect(await harness.send("Box.echo_int", #"{"data": -9223372036854775808}"#).body == "-9223372036854775808")
        // A typed Int parameter refuses the same numbers at the door, with 400.
        let typed = try await RuntimeHarness("""
        cell C { face { signal f(n: Int) -> Int } on f(n: Int) { n } }
        """)
        defer { typed.close() }
        for refused in ["1.0", "1e2", "18446744073709551616"] {
            #expect(await typed.send("C.f", "{\"n\": \(refused)}").status == 400, "\(refused)")
        }
    }

    @Test func aRecordUpdateOfJsonChecksTheFieldsItKeeps() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        #expect(await harness.send("Box.update_item", #"{"data": {"sku": "a", "qty": 9}}"#).body == #"{"sku":"a","qty":1}"#)
        let wrong = await harness.send("Box.update_item", #"{"data": {"sku": 5}}"#)
        #expect(wrong.status == 500)
        #expect(wrong.body.contains("sku: expected String, got Int"))
        // LANGUAGE.md §4: where the expected record is known, fields it lacks are dropped.
        let extra = await harness.send("Box.update_item", #"{"data": {"sku": "a", "colour": "red"}}"#)
        #expect(extra.body == #"{"sku":"a","qty":1}"#)
        let lacking = await harness.send("Box.update_item", #"{"data": {"qty": 2}}"#)
        #expect(lacking.status == 500)
        #expect(lacking.body.contains(#""code":"json-shape","message":"data: Item needs field 'sku'""#), "\(lacking.body)")
    }

    @Test func bytesThatAreNotUTF8AreRefusedNotReplaced() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        var body = Array(#"{"data": ""#.utf8)
        body += [0x61, 0xFF, 0x62]
        body += Array(#""}"#.utf8)
        let response = await harness.dispatcher.call(cell: "Box", signal: "echo_doc", body: body)
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self).contains("not UTF-8"))
    }

    /// The property: for any Json and any of the typed places above, the turn answers 200 with exactly what the
    /// JSON mapping reads (the same JSON sent as that type over HTTP), or 500 `json-shape` with the stored state
    /// unchanged; 400 only for a number no Json holds. After any run of such turns the state reopens as it was.
    @Test func anyJsonEitherFitsExactlyOrChangesNothing() async throws {
        var harness = try await RuntimeHarness(Self.program)
        let codec = RuntimeProgram(outcome: SomaCheck.check(source: Self.program)).codec
        var count = 0
        await propertyCheck(count: 400, input: JsonCase.generator) { item in
            count += 1
            let (signal, type) = Self.targets[item.target]
            var writer = JSONWriter()
            writer.json(item.json)
            let before = (try? harness.storedValues()) ?? []
            let answer = await harness.send("Box.\(signal)", "{\"data\": \(writer.text)}")
            if item.json.holdsLargeInteger {
                #expect(answer.status == 400, "\(signal) \(writer.text): \(answer.body)")
                return
            }
            switch Result(catching: { try codec.decode(item.json, as: type) }) {
            case .success(let expected):
                #expect(answer.status == 200, "\(signal) \(writer.text) fits \(type) but got \(answer.body)")
                let resultType: SomaType = signal == "put_doc" || signal == "call_doc" ? .option(type) : type
                let expectedValue: Value = resultType == type ? expected : .some(expected)
                #expect(answer.body == codec.encode(expectedValue, as: resultType), "\(signal) \(writer.text)")
            case .failure:
                #expect(answer.status == 500, "\(signal) \(writer.text) does not fit \(type) but got \(answer.status) \(answer.body)")
                #expect(answer.body.contains(#""code":"json-shape""#), "\(answer.body)")
                #expect((try? harness.storedValues()) == before, "a refused turn changed the state")
            }
            if count % 50 == 0 {
                let stored = try? harness.storedValues()
                let folder = harness.folder
                harness.close()
                do {
                    harness = try await RuntimeHarness(Self.program, folder: folder)
                } catch {
                    Issue.record("the state does not reopen after \(count) turns: \(error)")
                    return
                }
                #expect((try? harness.storedValues()) == stored)
            }
        }
        harness.close()
    }
}

/// One generated case: which typed place, and the Json sent to it.
struct JsonCase: Sendable, CustomStringConvertible {
    var target: Int
    var json: JSONValue
    var description: String {
        var writer = JSONWriter()
        writer.json(json)
        return "\(JsonBoundaryTests.targets[target].signal) \(writer.text)"
    }

    /// A third each: a value of the target type, one with a random part, and any Json at all.
    static let generator = Generator<JsonCase, Shrink.None<JsonCase>>(run: { rng in
        let target = Int.random(in: 0..<JsonBoundaryTests.targets.count, using: &rng)
        let type = JsonBoundaryTests.targets[target].type
        var json: JSONValue
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: json = valid(type, &rng)
        case 1: json = mutated(valid(type, &rng), &rng)
        default: json = random(depth: 3, &rng)
        }
        return JsonCase(target: target, json: json)
    })

    static let names = ["id", "total", "items", "sku", "qty", "status", "note", "tags", "at", "size", "blob", "Closed", "reason", "Open", "extra"]

    static func valid(_ type: SomaType, _ rng: inout some RandomNumberGenerator) -> JSONValue {
        switch type {
        case .int, .duration: return .int(Bool.random(using: &rng) ? Int.random(in: -5...5, using: &rng) : [Int.max, Int.min, 0].randomElement(using: &rng)!)
        case .float: return Bool.random(using: &rng) ? .int(Int.random(in: -9...9, using: &rng)) : .double([2.5, -0.125, 1e300, 3.0].randomElement(using: &rng)!)
        case .string: return .string(["a", "", "Ünï", "x\u{0}y", "\u{1F600}"].randomElement(using: &rng)!)
        case .bool: return .bool(Bool.random(using: &rng))
        case .time: return .string(["2026-01-31T12:00:00Z", "2026-01-31T12:00:00.250Z"].randomElement(using: &rng)!)
        case .bytes: return .string(["", "AAE=", "aGVsbG8="].randomElement(using: &rng)!)
        case .option(let wrapped): return Bool.random(using: &rng) ? .null : valid(wrapped, &rng)
        case .list(let element), .set(let element): return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in valid(element, &rng) })
        case .named("Item"): return .object(["sku": valid(.string, &rng), "qty": valid(.int, &rng)])
        case .named("Status"): return Bool.random(using: &rng) ? .string("Open") : .object(["Closed": .object(["reason": valid(.string, &rng)])])
        case .named("Doc"):
            var fields: [String: JSONValue] = [
                "id": valid(.string, &rng), "total": valid(.float, &rng), "items": valid(.list(.named("Item")), &rng),
                "status": valid(.named("Status"), &rng), "tags": valid(.set(.string), &rng), "at": valid(.time, &rng),
                "size": valid(.duration, &rng), "blob": valid(.bytes, &rng),
            ]
            if Bool.random(using: &rng) { fields["note"] = valid(.option(.string), &rng) }
            return .object(fields)
        default: return .null
        }
    }

    /// The value with one part, anywhere inside it, replaced by any Json.
    static func mutated(_ json: JSONValue, _ rng: inout some RandomNumberGenerator) -> JSONValue {
        switch json {
        case .array(var items) where !items.isEmpty && Bool.random(using: &rng):
            let index = Int.random(in: 0..<items.count, using: &rng)
            items[index] = mutated(items[index], &rng)
            return .array(items)
        case .object(var fields) where !fields.isEmpty && Int.random(in: 0..<4, using: &rng) > 0:
            let key = fields.keys.sorted().randomElement(using: &rng)!
            if Int.random(in: 0..<5, using: &rng) == 0 {
                fields[key] = nil
            } else {
                fields[key] = mutated(fields[key]!, &rng)
            }
            return .object(fields)
        default:
            return random(depth: 2, &rng)
        }
    }

    static func random(depth: Int, _ rng: inout some RandomNumberGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 0 ? 10 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int([0, 1, -1, 7, Int.max, Int.min].randomElement(using: &rng)!)
        case 3: return .double([1.0, 2.5, 1e2, -0.0, 1e-7].randomElement(using: &rng)!)
        case 4: return .string(["hello", "Open", "Closed", "2026-01-31T12:00:00Z", "AAE=", "", "x\u{0}"].randomElement(using: &rng)!)
        case 5: return .largeInteger(["9223372036854775808", "-9223372036854775809", "100000000000000000000"].randomElement(using: &rng)!)
        case 6: return .string(names.randomElement(using: &rng)!)
        case 7, 8:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &rng) { fields[names.randomElement(using: &rng)!] = random(depth: depth - 1, &rng) }
            return .object(fields)
        default:
            return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in random(depth: depth - 1, &rng) })
        }
    }
}

extension JSONValue {
    var holdsLargeInteger: Bool {
        switch self {
        case .largeInteger: return true
        case .array(let items): return items.contains { $0.holdsLargeInteger }
        case .object(let fields): return fields.values.contains { $0.holdsLargeInteger }
        default: return false
        }
    }
}

/// Strings are stored byte for byte: ids that differ after a NUL stay two ids after a restart.
@Suite struct ExactStringTests {
    static let program = """
    cell Shop {
      face {
        signal place(id: String) -> String
        signal pay(id: String) -> String
        signal status(id: String) -> Option<String>
      }
      memory { notes: Map<String, String> [persistent] }
      state lifecycle { pending -> paid }
      on place(id: String) { lifecycle.start(id)
        notes.set(id, id)
        id }
      on pay(id: String) { lifecycle.to(id, paid)
        "paid" }
      on status(id: String) { lifecycle.of(id) }
    }
    """

    @Test func idsThatDifferAfterANulStayDistinctAcrossARestart() async throws {
        let first = try await RuntimeHarness(Self.program)
        #expect(await first.send("Shop.place", #"{"id": "a\u0000b"}"#).status == 200)
        #expect(await first.send("Shop.pay", #"{"id": "a\u0000b"}"#).status == 200)
        first.close()
        let second = try await RuntimeHarness(Self.program, folder: first.folder)
        defer { second.close() }
        #expect(await second.send("Shop.status", #"{"id": "a\u0000b"}"#).body == #""paid""#)
        #expect(await second.send("Shop.status", #"{"id": "a"}"#).body == "null")
        let short = await second.send("Shop.place", #"{"id": "a"}"#)
        #expect(short.status == 200, "a later order with the short id is refused: \(short.body)")
    }
}

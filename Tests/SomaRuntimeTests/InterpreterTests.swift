import Foundation
import Testing

/// The interpreter through the face: each case is a program, a call and the exact JSON answer.
@Suite struct InterpreterTests {
    static let program = """
    type Item = { sku: String, qty: Int, price: Float }
    type Status = Open | Shipped(tracking: String) | Cancelled(reason: String)
    type Order = { id: String, items: List<Item>, status: Status, note: Option<String>, priority: Int = 3 }

    fn subtotal(items: List<Item>) -> Float { items.map(fn(i) -> Float(i.qty) * i.price).sum() }

    cell Calc {
      face {
        signal add(a: Int, b: Int) -> Int
        signal divide(a: Int, b: Int) -> Int
        signal greet(name: String) -> String
        signal total(items: List<Item>) -> Float
        signal describe(status: Status) -> String
        signal order(id: String) -> Order
        signal evens(n: Int) -> List<Int>
        signal words(text: String) -> List<String>
        signal maybe(x: Option<Int>) -> Int
        signal bump(o: Order) -> Order
        signal loop(n: Int) -> Int
        signal tags() -> Set<String>
        signal index(keys: List<Int>) -> Map<Int, String>
        signal early(x: Int) -> String
        signal overflow(x: Int) -> Int
        signal unwrap(x: Option<Int>) -> Int
        signal captures(n: Int) -> Int
        signal distinct(items: List<Item>) -> Set<Item>
      }
      on add(a: Int, b: Int) { a + b }
      on divide(a: Int, b: Int) { a / b }
      on greet(name: String) { "hello, \\(name.upper())!" }
      on total(items: List<Item>) { subtotal(items) }
      on describe(status: Status) {
        match status {
          Open => "open",
          Shipped(tracking: t) => "shipped " + t,
          Cancelled(r) => "cancelled: " + r
        }
      }
      on order(id: String) { Order { id: id, items: [], status: Shipped(tracking: "T1") } }
      on evens(n: Int) { range(0, n).filter(fn(x) -> x % 2 == 0) }
      on words(text: String) { text.split(" ").map(fn(w) -> w.trim()).filter(fn(w) -> w.count() > 0) }
      on maybe(x: Option<Int>) { x.unwrap_or(-1) }
      on bump(o: Order) { { o | priority = o.priority + 1 } }
      on loop(n: Int) {
        var total = 0
        for i in range(0, n) { total = total + i }
        total
      }
      on tags() { let s: Set<String> = []
        s.insert("b").insert("a").insert("b") }
      on index(keys: List<Int>) {
        var m: Map<Int, String> = [:]
        for k in keys { m = m.set(k, String(k * 10)) }
        m
      }
      on early(x: Int) {
        if x > 0 { return "positive" }
        "not positive"
      }
      on overflow(x: Int) { x * x }
      on unwrap(x: Option<Int>) { x.unwrap() }
      on captures(n: Int) {
        var f = fn(x: Int) -> x
        for i in range(0, n) {
          let k = i * 10
          f = fn(x: Int) -> x + k
        }
        // A scope a lambda still holds is not reused: this loop must not overwrite the k that f captured.
        for j in range(0, 3) { let k = 99 }
        f(1)
      }
      on distinct(items: List<Item>) {
        var seen: Set<Item> = []
        for item in items { seen = seen.insert(item) }
        seen
      }
    }
    """

    static let cases: [(call: String, body: String, status: Int, answer: String)] = [
        ("Calc.add", #"{"a": 2, "b": 40}"#, 200, "42"),
        ("Calc.divide", #"{"a": 7, "b": 2}"#, 200, "3"),
        ("Calc.greet", #"{"name": "ada"}"#, 200, #""hello, ADA!""#),
        ("Calc.total", #"{"items": [{"sku": "a", "qty": 2, "price": 1.5}, {"sku": "b", "qty": 1, "price": 4}]}"#, 200, "7.0"),
        ("Calc.describe", #"{"status": "Open"}"#, 200, #""open""#),
        ("Calc.describe", #"{"status": {"Shipped": {"tracking": "X9"}}}"#, 200, #""shipped X9""#),
        ("Calc.describe", #"{"status": {"Cancelled": {"reason": "late"}}}"#, 200, #""cancelled: late""#),
        ("Calc.order", #"{"id": "o1"}"#, 200, #"{"id":"o1","items":[],"status":{"Shipped":{"tracking":"T1"}},"note":null,"priority":3}"#),
        ("Calc.evens", #"{"n": 7}"#, 200, "[0,2,4,6]"),
        ("Calc.words", #"{"text": "a  bc d"}"#, 200, #"["a","bc","d"]"#),
        ("Calc.maybe", #"{"x": null}"#, 200, "-1"),
        ("Calc.maybe", #"{"x": 5}"#, 200, "5"),
        ("Calc.maybe", #"{}"#, 200, "-1"),
        ("Calc.bump", #"{"o": {"id": "x", "items": [], "status": "Open"}}"#, 200, #"{"id":"x","items":[],"status":"Open","note":null,"priority":4}"#),
        ("Calc.loop", #"{"n": 100}"#, 200, "4950"),
        ("Calc.tags", "", 200, #"["a","b"]"#),
        ("Calc.index", #"{"keys": [2, 1]}"#, 200, #"[[1,"10"],[2,"20"]]"#),
        ("Calc.early", #"{"x": 1}"#, 200, #""positive""#),
        ("Calc.early", #"{"x": 0}"#, 200, #""not positive""#),
        ("Calc.captures", #"{"n": 5}"#, 200, "41"),
        // A set of records is ordered field by field, by the fields' names (price, qty, sku), in every process.
        ("Calc.distinct", #"{"items": [{"sku": "a", "qty": 2, "price": 1.5}, {"sku": "b", "qty": 1, "price": 1.5}, {"sku": "c", "qty": 1, "price": 0.5}, {"sku": "b", "qty": 1, "price": 1.5}]}"#,
         200, #"[{"sku":"c","qty":1,"price":0.5},{"sku":"b","qty":1,"price":1.5},{"sku":"a","qty":2,"price":1.5}]"#),
        // Run-time errors: 500 with the reason and the place.
        ("Calc.divide", #"{"a": 1, "b": 0}"#, 500, "division by zero"),
        ("Calc.overflow", #"{"x": 5000000000}"#, 500, "integer overflow"),
        ("Calc.unwrap", #"{"x": null}"#, 500, "unwrap of None"),
        ("Calc.loop", #"{"n": 10000000}"#, 500, "step-budget"),
        // Bad input: 400 naming the field, 404 for what does not exist.
        ("Calc.add", #"{"a": 2}"#, 400, #""field":"b""#),
        ("Calc.add", #"{"a": "2", "b": 1}"#, 400, "a: expected Int, got String"),
        ("Calc.add", #"{"a": 1, "b": 2, "c": 3}"#, 400, #""field":"c""#),
        ("Calc.add", #"{"a": 1,"#, 400, "malformed-json"),
        ("Calc.add", #"[1, 2]"#, 400, "must be a JSON object"),
        ("Calc.total", #"{"items": [{"sku": "a", "qty": 1.5, "price": 1}]}"#, 400, #""field":"items[0].qty""#),
        ("Calc.describe", #"{"status": "Lost"}"#, 400, "unknown case"),
        ("Calc.total", #"{"items": [{"sku": "a", "qty": 1, "price": "x"}]}"#, 400, #""field":"items[0].price""#),
        ("Calc.nothing", "{}", 404, "unknown-signal"),
        ("Nobody.add", "{}", 404, "unknown-cell"),
    ]

    @Test func programRunsAsWritten() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        for testCase in Self.cases {
            let (status, body) = await harness.send(testCase.call, testCase.body)
            #expect(status == testCase.status, "\(testCase.call) \(testCase.body) → \(status) \(body)")
            if testCase.status == 200 {
                #expect(body == testCase.answer, "\(testCase.call) \(testCase.body)")
            } else {
                #expect(body.contains(testCase.answer), "\(testCase.call) \(testCase.body) → \(body)")
            }
        }
    }
}

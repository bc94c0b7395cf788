import Testing
@testable import SomaChecker

@Suite struct TypeCheckingTests {
    /// One program per rule: the codes it must produce, and nothing else.
    static let cases: [(name: String, source: String, expected: [String])] = [
        ("clean program", """
            type Item = { sku: String, qty: Int, price: Float }
            fn subtotal(items: List<Item>) -> Float { items.map(fn(i) -> i.price * Float(i.qty)).sum() }
            cell C {
              face { signal f(items: List<Item>) -> Float }
              on f(items: List<Item>) { subtotal(items) * 2 }
            }
            """, []),
        ("function cannot read memory", """
            fn bad() -> Int { orders.count() }
            cell C { memory { orders: Map<String, Int> } }
            """, ["unknown-name"]),
        ("invariant cannot change memory", """
            cell C {
              memory { m: Map<String, Int>; n: Int = 0 }
              invariant i { m.set("a", 1) > 0 }
            }
            """, ["impure"]),
        ("assignment to a let", """
            cell C { face { signal f() -> Int }
              on f() { let x = 1; x = 2; x } }
            """, ["immutable"]),
        ("map slot is not assigned", """
            cell C { face { signal f() -> Int }
              memory { m: Map<String, Int> }
              on f() { m = [:]; 1 } }
            """, ["immutable"]),
        ("scalar slot is assigned", """
            cell C { face { signal f() -> Int }
              memory { n: Int = 0 }
              on f() { n = n + 1; n } }
            """, []),
        ("arms must agree when the value is used", """
            type S = A | B
            cell C { face { signal f(s: S) -> Int }
              on f(s: S) { let x = match s { A => 1, B => "b" }; 1 } }
            """, ["type-mismatch"]),
        ("arms may differ when the value is discarded", """
            type S = A | B
            cell C { face { signal f(s: S) -> Int }
              memory { m: Map<String, Int> }
              on f(s: S) {
                match s { A => m.set("a", 1), B => m.delete("a") }
                1
              } }
            """, []),
        ("Option needs unwrapping", """
            type O = { id: String }
            cell C { face { signal f(id: String) -> String }
              memory { m: Map<String, O> }
              on f(id: String) { m.get(id).id } }
            """, ["unknown-field"]),
        ("non-exhaustive Option", """
            cell C { face { signal f(x: Option<Int>) -> Int }
              on f(x: Option<Int>) { match x { Some(v) => v } } }
            """, ["non-exhaustive"]),
        ("exhaustive with payload patterns", """
            type S = Open | Shipped(tracking: String)
            cell C { face { signal f(s: S) -> String }
              on f(s: S) { match s { Open => "open", Shipped(t) => t } } }
            """, []),
        ("variant payload needs its field", """
            type S = Open | Shipped(tracking: String)
            cell C { face { signal f() -> S }
              on f() { Shipped() } }
            """, ["missing-field"]),
        ("function in a face", """
            cell C { face { signal f(g: fn(Int) -> Int) -> Int }
              on f(g: fn(Int) -> Int) { 1 } }
            """, ["not-serializable"]),
        ("handler parameters must match the face", """
            cell C { face { signal f(a: Int) -> Int }
              on f(a: String) { 1 } }
            """, ["type-mismatch"]),
        ("call and send check their arguments", """
            cell B { face { signal charge(amount: Float) -> Bool }
              on charge(amount: Float) { amount > 0.0 } }
            cell A { face { signal buy() -> Bool }
              on buy() { send B.charge("ten"); call B.charge(1.0) } }
            """, ["type-mismatch"]),
        ("unknown cell", """
            cell A { face { signal buy() -> Int }
              on buy() { send Nobody.charge(1); 1 } }
            """, ["unknown-name"]),
        ("records: unknown field in a literal", """
            type I = { sku: String }
            cell C { face { signal f() -> I }
              on f() { I { sku: "a", qty: 1 } } }
            """, ["unknown-field"]),
        ("record update keeps fields, checks the target", """
            type I = { sku: String, qty: Int }
            cell C { face { signal f(i: I) -> I }
              on f(i: I) { { i | qty = i.qty + 1 } } }
            """, []),
        ("gradual Json flows both ways", """
            cell C { face { signal f(doc: Map) -> Int }
              memory { docs: Map [persistent] }
              on f(doc: Map) { docs.set(doc.id, doc); doc.count } }
            """, []),
        ("int and float do not mix silently", """
            cell C { face { signal f(a: Int, b: Float) -> Float }
              on f(a: Int, b: Float) { a + b } }
            """, ["type-mismatch"]),
        ("time arithmetic", """
            cell C { face { signal f(ttl: Duration) -> Bool }
              on f(ttl: Duration) { now() + ttl > now() } }
            """, []),
        ("ambiguous bare variant needs its type", """
            type A = Open | Closed
            type B = Open | Gone
            cell C { face { signal f() -> Int }
              on f() { let x = Open; 1 } }
            """, ["type-mismatch"]),
        ("expected type picks the variant", """
            type A = Open | Closed
            type B = Open | Gone
            cell C { face { signal f() -> A }
              on f() { Open } }
            """, []),
        ("state names are checked, strings are not", """
            cell C { face { signal f(k: String, s: String) -> Int }
              state { a -> b }
              on f(k: String, s: String) { lifecycle.to(k, b); lifecycle.to(k, s); 1 } }
            """, []),
        ("return must fit the result", """
            cell C { face { signal f() -> Int }
              on f() { if true { return "no" }; 1 } }
            """, ["type-mismatch"]),
        ("fail fits any branch", """
            cell C { face { signal f(x: Option<Int>) -> Int }
              on f(x: Option<Int>) { match x { Some(v) => v, None => fail("none") } } }
            """, []),
    ]

    @Test(arguments: cases.indices)
    func rule(_ index: Int) {
        let (name, source, expected) = Self.cases[index]
        expectCodes(name, source, expected)
    }

    @Test func expressionTypesAreRecordedForTheRuntime() {
        let outcome = SomaCheck.check(source: """
            cell C { face { signal f() -> List<Int> }
              on f() { [1, 2].map(fn(x) -> x * 2) } }
            """)
        #expect(!outcome.hasErrors)
        #expect(outcome.expressionTypes.values.contains(.list(.int)))
    }
}

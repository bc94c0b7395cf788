import Testing
@testable import SomaChecker

@Suite struct ResourceAndDistributionTests {
    static let cases: [(name: String, source: String, expected: [String])] = [
        ("queue and database", """
            type Order = { id: String }
            type Db = { orders: Table<Order> }
            cell C {
              face { signal f(o: Order) -> Int }
              let outbox = QueueService<Order>("outbox", max_attempts: 5, visibility: 30s)
              let db = Database<Db>("shop", engine: "postgres")
              on f(o: Order) { outbox.push(o); db.orders.count() }
              on outbox(o: Order) { db.orders.put(o); db.sql("SELECT 1", 2) }
            }
            """, []),
        ("dynamic provisioning in a handler", """
            type Row = { id: String }
            type TenantDb = { rows: Table<Row> }
            cell C {
              face { signal f(id: String) -> Int }
              on f(id: String) { Database<TenantDb>("tenant-" + id).rows.count() }
            }
            """, []),
        ("table outside a schema", """
            type Row = { id: String }
            cell C { memory { t: Table<Row> } }
            """, ["table-outside-schema"]),
        ("table rows need a key", """
            type Row = { name: String }
            type Db = { rows: Table<Row> }
            cell C { let db = Database<Db>("d") }
            """, ["missing-key"]),
        ("@key names the key", """
            type Row = { name: String @key }
            type Db = { rows: Table<Row> }
            cell C { let db = Database<Db>("d") }
            """, []),
        ("table rows must be serializable, in any declaration order", """
            type Db = { rows: Table<Row> }
            type Row = { id: String, hook: fn(Int) -> Int }
            cell C { let db = Database<Db>("d") }
            """, ["not-serializable"]),
        ("a database of a scalar", """
            cell C { let db = Database<Int>("d") }
            """, ["invalid-resource"]),
        ("database schema must be tables", """
            type Row = { id: String }
            cell C { let db = Database<Row>("d") }
            """, ["invalid-resource"]),
        ("unknown engine", """
            type Row = { id: String }
            type Db = { rows: Table<Row> }
            cell C { let db = Database<Db>("d", engine: "mysql") }
            """, ["invalid-resource"]),
        ("unknown host", """
            type J = { id: String }
            cell C { let q = QueueService<J>("jobs", on: "worker2")
              on q(j: J) { } }
            """, ["unknown-host"]),
        ("resource names stay safe", """
            type J = { id: String }
            cell C { let q = QueueService<J>("../etc; rm -rf")
              on q(j: J) { } }
            """, ["invalid-resource"]),
        ("one name, one resource", """
            type J = { id: String }
            type K = { id: Int }
            cell A { let q = QueueService<J>("jobs")
              on q(j: J) { } }
            cell B { let q = QueueService<K>("jobs")
              on q(k: K) { } }
            """, ["duplicate"]),
        ("a cell-level let binds resources only", """
            cell C { let x = 42 }
            """, ["invalid-resource"]),
        ("queue handler for a database", """
            type Row = { id: String }
            type Db = { rows: Table<Row> }
            cell C { let db = Database<Db>("d")
              on db(r: Row) { } }
            """, ["extra-handler"]),
        ("persistent and ephemeral", "cell C { memory { m: Map<String, Int> [persistent, ephemeral] } }", ["conflicting-properties"]),
        ("consistent and eventual", "cell C { memory { m: Map<String, Int> [consistent, eventual] } }", ["conflicting-properties"]),
        ("unknown property", "cell C { memory { m: Map<String, Int> [durable] } }", ["unknown-property"]),
        ("shard must be a map", """
            cell C { memory { n: Int = 0 }
              scale { replicas: 2, shard: n } }
            """, ["invalid-scale"]),
        ("unknown scale key", "cell C { scale { replicas: 2, zones: 3 } }", ["invalid-scale"]),
        ("consistency word", "cell C { scale { consistency: linear } }", ["invalid-scale"]),
        ("quorum with tolerance 2 of 5", """
            cell C { memory { m: Map<String, Int> [consistent] }
              scale { replicas: 5, shard: m, consistency: strong, tolerance: 2 } }
            """, []),
        ("scale hosts must be known", """
            cell C { scale { replicas: 2, hosts: ["nowhere"] } }
            """, ["unknown-host"]),
    ]

    @Test(arguments: cases.indices)
    func rule(_ index: Int) {
        let (name, source, expected) = Self.cases[index]
        expectCodes(name, source, expected)
    }

    @Test func hostsFromSomaTomlAreKnown() {
        let source = """
            type J = { id: String }
            cell C { let q = QueueService<J>("jobs", on: "worker2")
              on q(j: J) { } }
            """
        #expect(codes(source, config: "[hosts.worker2]\naddress = \"ssh://soma@10.0.0.2\"\n").isEmpty)
    }

    @Test func scaleSummaryFollowsThePaper() {
        let outcome = SomaCheck.check(source: """
            cell PricingEngine {
              face { signal f() -> Int }
              memory { trades: Map [persistent, consistent]; cache: Map<String, Float> [ephemeral, local] }
              scale { replicas: 50, shard: trades, consistency: strong, tolerance: 2 }
              on f() { 1 }
            }
            """)
        let text = CheckReport(outcome).text()
        #expect(text.contains("✓ replicas: 50 instances declared"))
        #expect(text.contains("✓ tolerance: survives 2 node failures (of 50 replicas)"))
        #expect(text.contains("✓ quorum: 26/50 nodes needed — tolerates 24 failures"))
        #expect(text.contains("✓ CAP: CP mode — consistent + partition-tolerant"))
        #expect(text.contains("✓ memory 'cache' is node-local — not distributed (fast path)"))
    }
}

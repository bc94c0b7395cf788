/// Generates a well-typed program of about the requested length: records, variants, pure functions and cells
/// with faces, memory, state machines, resources and handlers, so every checker path is exercised.
enum ProgramGenerator {
    static func program(lines target: Int) -> String {
        var out: [String] = []
        var index = 0
        while out.count < target {
            out += unit(index)
            index += 1
        }
        return out.joined(separator: "\n")
    }

    static func unit(_ i: Int) -> [String] {
        [
            "type Item\(i) = { sku: String, qty: Int, price: Float, note: Option<String> }",
            "type Status\(i) = Open | Paid | Shipped(tracking: String) | Cancelled(reason: String)",
            "type Order\(i) = {",
            "  id: String,",
            "  buyer: String,",
            "  items: List<Item\(i)>,",
            "  status: Status\(i),",
            "  priority: Int = 0",
            "}",
            "type Db\(i) = { orders: Table<Order\(i)> }",
            "",
            "fn total\(i)(items: List<Item\(i)>) -> Float {",
            "  items.map(fn(item) -> item.price * Float(item.qty)).sum()",
            "}",
            "",
            "cell Shop\(i) {",
            "  face {",
            "    signal place(order: Order\(i)) -> String",
            "    signal get(id: String) -> Option<Order\(i)>",
            "    signal pay(id: String) -> String",
            "    signal label(id: String) -> String",
            "    signal stats() -> Int",
            "  }",
            "  memory {",
            "    orders: Map<String, Order\(i)> [persistent, consistent]",
            "    views: Map<String, Int> [ephemeral, local]",
            "    placed: Int [persistent] = 0",
            "  }",
            "  state lifecycle { queued -> paid -> shipped; queued -> cancelled; paid -> cancelled; final shipped, cancelled }",
            "  scale { replicas: 5, shard: orders, consistency: strong, tolerance: 2 }",
            "  let outbox = QueueService<Order\(i)>(\"outbox-\(i)\", max_attempts: 5, visibility: 30s)",
            "  let db = Database<Db\(i)>(\"shop-\(i)\")",
            "  invariant placed_non_negative { placed >= 0 }",
            "",
            "  on place(order: Order\(i)) {",
            "    assert order.items.count() > 0, \"an order needs items\"",
            "    if orders.has(order.id) {",
            "      fail(\"order \\(order.id) exists already\")",
            "    }",
            "    let sum = total\(i)(order.items)",
            "    assert sum >= 0.0, \"negative total\"",
            "    orders.set(order.id, { order | status = Open })",
            "    placed = placed + 1",
            "    lifecycle.start(order.id)",
            "    outbox.push(order)",
            "    order.id",
            "  }",
            "  on get(id: String) {",
            "    views.set(id, views.get(id).unwrap_or(0) + 1)",
            "    orders.get(id)",
            "  }",
            "  on pay(id: String) { lifecycle.to(id, paid); \"paid\" }",
            "  on label(id: String) {",
            "    match orders.get(id) {",
            "      Some(o) => match o.status {",
            "        Open => \"open\"",
            "        Paid => \"paid\"",
            "        Shipped(tracking: t) => \"shipped \\(t)\"",
            "        Cancelled(reason) => \"cancelled: \" + reason",
            "      }",
            "      None => fail(\"no order \\(id)\")",
            "    }",
            "  }",
            "  on stats() { placed }",
            "  on outbox(order: Order\(i)) { db.orders.put(order) }",
            "  every 30s {",
            "    for id in orders.keys() {",
            "      if views.get(id).unwrap_or(0) > 100 { views.delete(id) }",
            "    }",
            "  }",
            "}",
            "",
        ]
    }
}

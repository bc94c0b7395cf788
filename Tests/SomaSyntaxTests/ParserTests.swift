import SomaDiagnostics
import Testing
@testable import SomaSyntax

@Suite struct ParserTests {
    func parse(_ text: String) -> (SourceUnit, [Diagnostic]) {
        let (unit, diagnostics, _) = Parser.parse(SourceFile(id: 0, path: "t.cell", text: text))
        return (unit, diagnostics.items)
    }

    func expression(_ text: String) -> Expression {
        let (unit, diagnostics) = parse("fn f() -> Int { \(text) }")
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        guard case .function(let function)? = unit.declarations.first, case .expression(let expression)? = function.body.statements.last?.kind else {
            Issue.record("no expression parsed from \(text)")
            return Expression(id: -1, kind: .invalid, span: .none)
        }
        return expression
    }

    @Test func precedenceIsOrAndComparisonAdditiveMultiplicative() {
        guard case .binary(.or, _, let right) = expression("a || b && c == d + e * f").kind,
              case .binary(.and, _, let comparison) = right.kind,
              case .binary(.equal, _, let sum) = comparison.kind,
              case .binary(.add, _, let product) = sum.kind,
              case .binary(.multiply, _, _) = product.kind else {
            Issue.record("wrong tree")
            return
        }
    }

    @Test func braceExpressionsAreBlocksRecordsOrUpdates() {
        if case .record(nil, let fields) = expression("{ sku: \"a\", qty: 1 }").kind { #expect(fields.count == 2) } else { Issue.record("record") }
        if case .update(_, let fields) = expression("{ old | qty = 2, sku = \"b\" }").kind { #expect(fields.count == 2) } else { Issue.record("update") }
        if case .block(let block) = expression("{ let x = 1\n x }").kind { #expect(block.statements.count == 2) } else { Issue.record("block") }
        if case .record("Item", _) = expression("Item { sku: \"a\" }").kind {} else { Issue.record("named record") }
    }

    @Test func ifConditionDoesNotTakeABraceAsARecord() {
        guard case .ifElse(let condition, _, let elseBranch) = expression("if ready { 1 } else { 2 }").kind else {
            Issue.record("if")
            return
        }
        #expect(condition.kind == .name("ready"))
        #expect(elseBranch != nil)
    }

    @Test func lambdasWithAndWithoutResultTypes() {
        if case .lambda(let parameters, nil, let body) = expression("fn(i) -> i.qty").kind {
            #expect(parameters.map(\.name) == ["i"])
            if case .member = body.kind {} else { Issue.record("member body") }
        } else { Issue.record("lambda") }
        if case .lambda(_, let result?, let body) = expression("fn(old) -> Order { id: old.id }").kind {
            #expect(result.description == "Order")
            if case .record = body.kind {} else { Issue.record("record body") }
        } else { Issue.record("typed lambda") }
    }

    @Test func genericCallsAreToldFromComparisons() {
        if case .call(_, let typeArguments, let arguments) = expression("QueueService<Order>(\"outbox\", max_attempts: 5)").kind {
            #expect(typeArguments.map(\.description) == ["Order"])
            #expect(arguments.map(\.label) == [nil, "max_attempts"])
        } else { Issue.record("generic call") }
        if case .binary(.less, _, _) = expression("a < b").kind {} else { Issue.record("comparison") }
    }

    @Test func matchArmsSeparatedByLinesOrCommas() {
        guard case .match(_, let arms) = expression("match s {\n Open => 1\n Shipped(tracking: t) => 2, _ => 3\n}").kind else {
            Issue.record("match")
            return
        }
        #expect(arms.count == 3)
        if case .variant(nil, "Shipped", let arguments) = arms[1].pattern.kind { #expect(arguments.first?.label == "tracking") } else { Issue.record("pattern") }
    }

    @Test func cellSectionsAllParse() {
        let (unit, diagnostics) = parse("""
            cell Shop {
              face { signal place(order: Order) -> String; signal get(id: String) -> Option<Order> }
              memory {
                orders: Map<String, Order> [persistent, consistent]
                c: Map<String, Int> [persistent] + eventual
                placed: Int = 0
                drop legacy
              }
              state lifecycle { pending -> paid -> shipped; pending -> cancelled; final shipped, cancelled }
              scale { replicas: 3, shard: orders, consistency: strong, tolerance: 1, memory: "8Gi", hosts: ["a"] }
              let outbox = QueueService<Order>("outbox")
              invariant ok { placed >= 0 }
              on place(order: Order) { order.id }
              on get(id: String) { orders.get(id) }
              on outbox(order: Order) { }
              on start { }
              every 30s { }
            }
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        guard case .cell(let cell)? = unit.declarations.first else {
            Issue.record("cell")
            return
        }
        #expect(cell.signals.count == 2)
        #expect(cell.slots.map(\.name) == ["orders", "c", "placed"])
        #expect(cell.slots[1].properties.map(\.name) == ["persistent", "eventual"])
        #expect(cell.drops.map(\.name) == ["legacy"])
        #expect(cell.stateMachines[0].states.map(\.name) == ["pending", "paid", "shipped", "cancelled"])
        #expect(cell.stateMachines[0].finals?.map(\.name) == ["shipped", "cancelled"])
        #expect(cell.scaleSections[0].entries.map(\.key) == ["replicas", "shard", "consistency", "tolerance", "memory", "hosts"])
        #expect(cell.handlers.count == 5)
    }

    @Test func declarationsOfTypesAndMigrations() {
        let (unit, diagnostics) = parse("""
            use "billing.cell"
            type Customer = { id: String, display_name: String @alias("name"), priority: Int = 0 }
            type Order @version(2) = { id: String, note: Option<String> }
            type Status = Pending | Shipped(tracking: String)
              | Cancelled(reason: String)
            migrate Order from 1 to 2 = fn(old) -> Order { id: old.id, note: None }
            migrate state Shop.lifecycle { queued => pending }
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        #expect(unit.declarations.count == 6)
        if case .type(let order) = unit.declarations[2] { #expect(order.version == 2) }
        if case .type(let status) = unit.declarations[3], case .variant(let cases) = status.body { #expect(cases.map(\.name) == ["Pending", "Shipped", "Cancelled"]) }
        if case .migrateState(let rename) = unit.declarations[5] { #expect(rename.renames.map(\.to) == ["pending"]) }
    }

    @Test func recoveryReportsEveryIndependentError() {
        let (_, diagnostics) = parse("""
            cell C {
              face { signal f( -> Int }
              on f() { 1 }
            }
            type T = { a: Int b: String }
            cell D {
              memory { m: Map<String, Int> [persistent }
            }
            """)
        let lines = diagnostics.map { SourceFile(id: 0, path: "", text: "").position(of: $0.span.start).line }
        #expect(diagnostics.allSatisfy { $0.code == .syntax })
        #expect(diagnostics.count == 3, "\(diagnostics.map(\.message)) \(lines)")
    }

    @Test func hostileNestingEndsInOneDiagnostic() {
        let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        let (_, diagnostics) = parse("fn f() -> Int { \(deep) }")
        #expect(diagnostics.map(\.code) == [.tooComplex])
    }

    @Test func expressionIDsAreUnique() {
        let (unit, _) = parse("fn f() -> Int { let a = 1 + 2\n a * \"\\(a + 1)\" }")
        var ids: [Int] = []
        func walk(_ expression: Expression) {
            ids.append(expression.id)
            switch expression.kind {
            case .binary(_, let a, let b): walk(a); walk(b)
            case .string(let parts): for case .interpolation(let inner) in parts { walk(inner) }
            default: break
            }
        }
        if case .function(let function)? = unit.declarations.first {
            for statement in function.body.statements {
                switch statement.kind {
                case .binding(_, _, _, let value, _): walk(value)
                case .expression(let value): walk(value)
                default: break
                }
            }
        }
        #expect(Set(ids).count == ids.count)
        #expect(ids.count == 9)
    }
}

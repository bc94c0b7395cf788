import SomaChecker
import SomaSyntax

/// A run-time value. Records and variants carry the key of their type in the type table, which names the
/// type's version (`Order`, or `Order@1` for an older shape).
public indirect enum Value: Hashable, Sendable {
    case unit
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// Milliseconds since the Unix epoch.
    case time(Int)
    /// Milliseconds.
    case duration(Int)
    case list([Value])
    case set(Set<Value>)
    case map([Value: Value])
    case some(Value)
    case none
    /// JSON `null` inside a `Json` value.
    case null
    case record(type: String, fields: [String: Value])
    case variant(type: String, name: String, fields: [String: Value])
    /// A resource handle: a reference by name, serialized as its name.
    case resource(kind: String, name: String)
    /// One table of a database handle.
    case table(database: String, table: String)
    case machine(cell: String, name: String)
    case function(Closure)

    public var typeName: String {
        switch self {
        case .unit: return "Unit"
        case .bool: return "Bool"
        case .int: return "Int"
        case .float: return "Float"
        case .string: return "String"
        case .bytes: return "Bytes"
        case .time: return "Time"
        case .duration: return "Duration"
        case .list: return "List"
        case .set: return "Set"
        case .map: return "Map"
        case .some, .none: return "Option"
        case .null: return "null"
        case .record(let type, _), .variant(let type, _, _): return type
        case .resource(let kind, _): return kind
        case .table: return "Table"
        case .machine: return "state machine"
        case .function: return "function"
        }
    }
}

/// A lambda with the variables it captured. Compared by identity: functions are never stored or sent.
// Unchecked: immutable after init, but `Scope` is a class the evaluator mutates; a closure is used only by the
// turn that made it (functions are never stored or sent), so its scopes are never shared between threads.
public final class Closure: Hashable, @unchecked Sendable {
    let parameters: [String]
    let body: SomaSyntax.Expression
    let captured: [Scope]

    init(parameters: [String], body: SomaSyntax.Expression, captured: [Scope]) {
        self.parameters = parameters
        self.body = body
        self.captured = captured
    }

    public static func == (lhs: Closure, rhs: Closure) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

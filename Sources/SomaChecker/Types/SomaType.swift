import Foundation

/// A checked type. `.unknown` stands where a type could not be found (the error is already reported) or is not
/// yet known (`[]` with nothing to say what it holds); it fits everywhere, so one mistake gives one diagnostic.
public indirect enum SomaType: Hashable, Sendable, CustomStringConvertible {
    case int, float, bool, string, bytes, unit, time, duration, json
    case list(SomaType)
    case set(SomaType)
    case map(SomaType, SomaType)
    case option(SomaType)
    /// A declared record or variant, by its key in the type table (`Order`, or `Order@1` for an old shape).
    case named(String)
    case queue(SomaType)
    case database(SomaType)
    case table(SomaType)
    case function([SomaType], SomaType)
    /// A cell's state machine, usable only as the receiver of start/to/of.
    case stateMachine(cell: String, name: String)
    /// The type of `fail` and `return`: fits any branch.
    case never
    case unknown

    public var description: String {
        switch self {
        case .int: return "Int"
        case .float: return "Float"
        case .bool: return "Bool"
        case .string: return "String"
        case .bytes: return "Bytes"
        case .unit: return "Unit"
        case .time: return "Time"
        case .duration: return "Duration"
        case .json: return "Json"
        case .list(let element): return "List<\(element)>"
        case .set(let element): return "Set<\(element)>"
        case .map(.string, .json): return "Map"
        case .map(let key, let value): return "Map<\(key), \(value)>"
        case .option(let wrapped): return "Option<\(wrapped)>"
        case .named(let key):
            guard let at = key.firstIndex(of: "@") else { return key }
            return "\(key[..<at]) (version \(key[key.index(after: at)...]))"
        case .queue(let element): return "QueueService<\(element)>"
        case .database(let schema): return "Database<\(schema)>"
        case .table(let row): return "Table<\(row)>"
        case .function(let parameters, let result): return "fn(\(parameters.map(\.description).joined(separator: ", "))) -> \(result)"
        case .stateMachine(let cell, let name): return "state machine \(cell).\(name)"
        case .never: return "Never"
        case .unknown: return "_"
        }
    }

    /// As a user writes it: old shapes (`Order@1`) by their plain name.
    public var plainDescription: String {
        var text = description
        while let range = text.range(of: #" \(version \d+\)"#, options: .regularExpression) { text.removeSubrange(range) }
        return text
    }

    public var isNumeric: Bool { self == .int || self == .float }

    /// Unknown, Json, or a type the checker cannot see into: operations on it are checked at run time.
    public var isDynamic: Bool { self == .json || self == .unknown }

    /// Whether `.unknown` appears anywhere inside: such a type is a hint, and what was found is more precise.
    public var containsUnknown: Bool {
        switch self {
        case .unknown: return true
        case .list(let t), .set(let t), .option(let t), .queue(let t), .database(let t), .table(let t): return t.containsUnknown
        case .map(let k, let v): return k.containsUnknown || v.containsUnknown
        case .function(let p, let r): return r.containsUnknown || p.contains { $0.containsUnknown }
        default: return false
        }
    }

    public var optionWrapped: SomaType? {
        if case .option(let wrapped) = self { return wrapped }
        return nil
    }
}

extension SomaType {
    /// The type of a running-version declaration, with its named types replaced by their old shapes.
    public func snapshotted(versions: [String: Int]) -> SomaType {
        let type = self
        switch type {
        case .named(let name): return versions[name].map { .named("\(name)@\($0)") } ?? type
        case .list(let element): return .list(element.snapshotted(versions: versions))
        case .set(let element): return .set(element.snapshotted(versions: versions))
        case .option(let element): return .option(element.snapshotted(versions: versions))
        case .map(let key, let value): return .map(key.snapshotted(versions: versions), value.snapshotted(versions: versions))
        case .queue(let element): return .queue(element.snapshotted(versions: versions))
        case .database(let schema): return .database(schema.snapshotted(versions: versions))
        case .table(let row): return .table(row.snapshotted(versions: versions))
        default: return type
        }
    }
}

extension SomaType {
    /// Whether a named type of one of these names (at any version) appears anywhere inside.
    public func mentions(anyOf names: Set<String>) -> Bool {
        switch self {
        case .named(let key): return names.contains(TypeKey.name(key))
        case .list(let t), .set(let t), .option(let t), .queue(let t), .table(let t), .database(let t): return t.mentions(anyOf: names)
        case .map(let k, let v): return k.mentions(anyOf: names) || v.mentions(anyOf: names)
        default: return false
        }
    }
}

/// The parts of a type-table key: `Order` (the current shape) or `Order@1` (an older version's shape).
public enum TypeKey {
    public static func name(_ key: String) -> String {
        key.firstIndex(of: "@").map { String(key[..<$0]) } ?? key
    }

    public static func version(_ key: String) -> Int? {
        key.firstIndex(of: "@").flatMap { Int(key[key.index(after: $0)...]) }
    }
}

extension TypeTable {
    /// Whether a value of type `actual` may stand where `expected` is required. Json goes both ways (checked at
    /// run time), a value fits its Option, collections are covariant, and an old shape fits the current type
    /// when it is structurally compatible (how `migrate` bodies are checked against old data).
    public func isAssignable(_ actual: SomaType, to expected: SomaType) -> Bool {
        var assumed: Set<Pair> = []
        return assignable(actual, expected, &assumed)
    }

    /// Whether a value of type `actual`, assignable to `expected`, may still not fit it when the program runs:
    /// Json (or a collection holding Json) standing where a static type is required. The interpreter checks
    /// such a value where it meets the type (RUNTIME.md §2, `json-shape`).
    public func needsRunTimeCheck(_ actual: SomaType, toFit expected: SomaType) -> Bool {
        switch (actual, expected) {
        case (_, .json), (_, .unknown), (.unknown, _), (.never, _):
            return false
        case (.json, _):
            return true
        case (.option(let a), .option(let b)), (.list(let a), .list(let b)), (.set(let a), .set(let b)):
            return needsRunTimeCheck(a, toFit: b)
        case (_, .option(let b)):
            return needsRunTimeCheck(actual, toFit: b)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            return needsRunTimeCheck(k1, toFit: k2) || needsRunTimeCheck(v1, toFit: v2)
        default:
            return false
        }
    }

    struct Pair: Hashable {
        var actual: String
        var expected: String
    }

    private func assignable(_ actual: SomaType, _ expected: SomaType, _ assumed: inout Set<Pair>) -> Bool {
        if actual == expected { return true }
        switch (actual, expected) {
        case (.never, _), (.unknown, _), (_, .unknown):
            return true
        case (_, .json):
            return isSerializable(actual)
        case (.json, _):
            return isSerializable(expected)
        case (.option(let a), .option(let b)):
            return assignable(a, b, &assumed)
        case (_, .option(let b)):
            return assignable(actual, b, &assumed)
        case (.list(let a), .list(let b)), (.set(let a), .set(let b)), (.queue(let a), .queue(let b)),
             (.table(let a), .table(let b)), (.database(let a), .database(let b)):
            return assignable(a, b, &assumed)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            return assignable(k1, k2, &assumed) && assignable(v1, v2, &assumed)
        case (.function(let p1, let r1), .function(let p2, let r2)):
            return p1.count == p2.count && zip(p2, p1).allSatisfy { assignable($0, $1, &assumed) } && assignable(r1, r2, &assumed)
        case (.named(let a), .named(let b)):
            return structurallyAssignable(a, b, &assumed)
        default:
            return false
        }
    }

    /// Only across versions: two distinct current types never mix, but an old shape reads as the new type
    /// when every field the new one requires is there with a fitting type.
    private func structurallyAssignable(_ actual: String, _ expected: String, _ assumed: inout Set<Pair>) -> Bool {
        guard actual.contains("@") || expected.contains("@"), let a = types[actual], let b = types[expected], a.name == b.name else { return false }
        let pair = Pair(actual: actual, expected: expected)
        if assumed.contains(pair) { return true }
        assumed.insert(pair)
        switch (a.shape, b.shape) {
        case (.record(let have), .record(let need)):
            return need.allSatisfy { field in
                guard let present = have.first(where: { $0.name == field.name || $0.name == field.alias }) else { return field.isOptional }
                return assignable(present.type, field.type, &assumed)
            }
        case (.variant(let have), .variant(let need)):
            return have.allSatisfy { old in
                guard let new = need.first(where: { $0.name == old.name }) else { return false }
                return new.fields.allSatisfy { field in
                    guard let present = old.fields.first(where: { $0.name == field.name }) else { return field.isOptional }
                    return assignable(present.type, field.type, &assumed)
                }
            }
        default:
            return false
        }
    }

    /// Every type but functions and state machines can be stored, sent and queued. Resource handles are references.
    public func isSerializable(_ type: SomaType) -> Bool {
        var visited: Set<String> = []
        return serializable(type, &visited)
    }

    private func serializable(_ type: SomaType, _ visited: inout Set<String>) -> Bool {
        switch type {
        case .function, .stateMachine:
            return false
        case .list(let element), .set(let element), .option(let element):
            return serializable(element, &visited)
        case .map(let key, let value):
            return serializable(key, &visited) && serializable(value, &visited)
        case .named(let key):
            guard visited.insert(key).inserted, let named = types[key] else { return true }
            switch named.shape {
            case .record(let fields): return fields.allSatisfy { serializable($0.type, &visited) }
            case .variant(let cases): return cases.allSatisfy { $0.fields.allSatisfy { serializable($0.type, &visited) } }
            }
        default:
            return true
        }
    }

    /// The first function type found inside a type, for the not-serializable message.
    public func unserializablePart(of type: SomaType) -> SomaType? {
        var visited: Set<String> = []
        return unserializable(type, &visited)
    }

    private func unserializable(_ type: SomaType, _ visited: inout Set<String>) -> SomaType? {
        switch type {
        case .function, .stateMachine: return type
        case .list(let element), .set(let element), .option(let element): return unserializable(element, &visited)
        case .map(let key, let value): return unserializable(key, &visited) ?? unserializable(value, &visited)
        case .named(let key):
            guard visited.insert(key).inserted, let named = types[key] else { return nil }
            let inner = named.fields + named.cases.flatMap(\.fields)
            for field in inner { if let part = unserializable(field.type, &visited) { return part } }
            return nil
        default: return nil
        }
    }

    /// The most specific type both fit, when branches of an `if` or `match` meet; nil when they do not meet.
    public func join(_ a: SomaType, _ b: SomaType) -> SomaType? {
        if a == .never { return b }
        if b == .never { return a }
        if isAssignable(a, to: b) { return b == .unknown ? a : b }
        if isAssignable(b, to: a) { return a }
        return nil
    }
}

import SomaDiagnostics
import SomaSyntax

extension Evaluator {
    func binary(_ op: BinaryOperator, _ left: SomaSyntax.Expression, _ right: SomaSyntax.Expression, span: SourceSpan) throws -> Value {
        // Short-circuit first: the right side may not run.
        if op == .and || op == .or {
            guard case .bool(let lhs) = try evaluate(left) else { throw runtimeError("\(op.rawValue) needs Bools", at: left.span) }
            if op == .and && !lhs { return .bool(false) }
            if op == .or && lhs { return .bool(true) }
            guard case .bool(let rhs) = try evaluate(right) else { throw runtimeError("\(op.rawValue) needs Bools", at: right.span) }
            return .bool(rhs)
        }
        let lhs = try evaluate(left)
        let rhs = try evaluate(right)
        switch op {
        case .equal: return .bool(Self.equal(lhs, rhs))
        case .notEqual: return .bool(!Self.equal(lhs, rhs))
        case .less, .lessEqual, .greater, .greaterEqual:
            guard let order = Self.compare(lhs, rhs) else {
                throw runtimeError("cannot compare \(lhs.typeName) with \(rhs.typeName)", at: span)
            }
            switch op {
            case .less: return .bool(order < 0)
            case .lessEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        default:
            return try arithmetic(op, lhs, rhs, span: span)
        }
    }

    /// Equality that sees `Some(x)` and `x` as different, but Int and Float by value and Json null as None.
    static func equal(_ lhs: Value, _ rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .float(let b)): return Double(a) == b
        case (.float(let a), .int(let b)): return a == Double(b)
        case (.null, .none), (.none, .null): return true
        default: return lhs == rhs
        }
    }

    static func compare(_ lhs: Value, _ rhs: Value) -> Int? {
        func sign<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return sign(a, b)
        case (.float(let a), .float(let b)): return sign(a, b)
        case (.int(let a), .float(let b)): return sign(Double(a), b)
        case (.float(let a), .int(let b)): return sign(a, Double(b))
        case (.string(let a), .string(let b)): return a == b ? 0 : (a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1)
        case (.time(let a), .time(let b)), (.duration(let a), .duration(let b)): return sign(a, b)
        default: return nil
        }
    }

    func arithmetic(_ op: BinaryOperator, _ lhs: Value, _ rhs: Value, span: SourceSpan) throws -> Value {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            let result: (Int, Bool)
            switch op {
            case .add: result = a.addingReportingOverflow(b)
            case .subtract: result = a.subtractingReportingOverflow(b)
            case .multiply: result = a.multipliedReportingOverflow(by: b)
            case .divide, .remainder:
                guard b != 0 else { throw runtimeError("division by zero", at: span) }
                result = op == .divide ? a.dividedReportingOverflow(by: b) : a.remainderReportingOverflow(dividingBy: b)
            default: throw runtimeError("\(op.rawValue) does not apply to Int", at: span)
            }
            if result.1 { throw runtimeError("integer overflow in \(a) \(op.rawValue) \(b)", at: span) }
            return .int(result.0)
        case (.float, .float), (.int, .float), (.float, .int):
            let a = Self.double(lhs)!, b = Self.double(rhs)!
            switch op {
            case .add: return .float(a + b)
            case .subtract: return .float(a - b)
            case .multiply: return .float(a * b)
            case .divide:
                guard b != 0 else { throw runtimeError("division by zero", at: span) }
                return .float(a / b)
            case .remainder:
                guard b != 0 else { throw runtimeError("division by zero", at: span) }
                return .float(a.truncatingRemainder(dividingBy: b))
            default: throw runtimeError("\(op.rawValue) does not apply to Float", at: span)
            }
        case (.string(let a), .string(let b)) where op == .add:
            return .string(a + b)
        case (.time(let t), .duration(let d)) where op == .add || op == .subtract:
            return .time(try checked(op == .add ? t.addingReportingOverflow(d) : t.subtractingReportingOverflow(d), span))
        case (.duration(let d), .time(let t)) where op == .add:
            return .time(try checked(t.addingReportingOverflow(d), span))
        case (.time(let a), .time(let b)) where op == .subtract:
            return .duration(try checked(a.subtractingReportingOverflow(b), span))
        case (.duration(let a), .duration(let b)) where op == .add || op == .subtract:
            return .duration(try checked(op == .add ? a.addingReportingOverflow(b) : a.subtractingReportingOverflow(b), span))
        case (.duration(let a), .int(let b)) where op == .multiply || op == .divide:
            if op == .divide && b == 0 { throw runtimeError("division by zero", at: span) }
            return .duration(try checked(op == .multiply ? a.multipliedReportingOverflow(by: b) : a.dividedReportingOverflow(by: b), span))
        default:
            throw runtimeError("\(op.rawValue) does not apply to \(lhs.typeName) and \(rhs.typeName)", at: span)
        }
    }

    func checked(_ result: (partialValue: Int, overflow: Bool), _ span: SourceSpan) throws -> Int {
        if result.overflow { throw runtimeError("overflow", at: span) }
        return result.partialValue
    }

    static func double(_ value: Value) -> Double? {
        switch value {
        case .int(let int): return Double(int)
        case .float(let double): return double
        default: return nil
        }
    }
}

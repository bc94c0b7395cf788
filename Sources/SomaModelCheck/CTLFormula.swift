/// A CTL formula over state names. `deadlock` is a reserved atom: the states a machine cannot leave
/// without being final.
public indirect enum CTLFormula: Hashable, Sendable, CustomStringConvertible {
    case constant(Bool)
    case atom(String)
    case not(CTLFormula)
    case and(CTLFormula, CTLFormula)
    case or(CTLFormula, CTLFormula)
    case implies(CTLFormula, CTLFormula)
    case allNext(CTLFormula)
    case existsNext(CTLFormula)
    case allFinally(CTLFormula)
    case existsFinally(CTLFormula)
    case allGlobally(CTLFormula)
    case existsGlobally(CTLFormula)
    case allUntil(CTLFormula, CTLFormula)
    case existsUntil(CTLFormula, CTLFormula)

    public static let deadlockAtom = "$deadlock"

    /// The disjunction of atoms: `a || b || c`.
    public static func anyOf(_ names: [String]) -> CTLFormula {
        guard let first = names.first else { return .constant(false) }
        return names.dropFirst().reduce(.atom(first)) { .or($0, .atom($1)) }
    }

    /// Every state name the formula mentions (the reserved deadlock atom excluded).
    public var atoms: Set<String> {
        switch self {
        case .constant: return []
        case .atom(let name): return name == Self.deadlockAtom ? [] : [name]
        case .not(let f), .allNext(let f), .existsNext(let f), .allFinally(let f), .existsFinally(let f),
             .allGlobally(let f), .existsGlobally(let f):
            return f.atoms
        case .and(let a, let b), .or(let a, let b), .implies(let a, let b), .allUntil(let a, let b), .existsUntil(let a, let b):
            return a.atoms.union(b.atoms)
        }
    }

    public var description: String {
        switch self {
        case .constant(let value): return value ? "true" : "false"
        case .atom(let name): return name == Self.deadlockAtom ? "deadlock" : name
        case .not(let f): return "!\(f.wrapped)"
        case .and(let a, let b): return "\(a.wrapped) && \(b.wrapped)"
        case .or(let a, let b): return "\(a.wrapped) || \(b.wrapped)"
        case .implies(let a, let b): return "\(a.wrapped) -> \(b.wrapped)"
        case .allNext(let f): return "AX \(f.wrapped)"
        case .existsNext(let f): return "EX \(f.wrapped)"
        case .allFinally(let f): return "AF \(f.wrapped)"
        case .existsFinally(let f): return "EF \(f.wrapped)"
        case .allGlobally(let f): return "AG \(f.wrapped)"
        case .existsGlobally(let f): return "EG \(f.wrapped)"
        case .allUntil(let a, let b): return "A[\(a) U \(b)]"
        case .existsUntil(let a, let b): return "E[\(a) U \(b)]"
        }
    }

    var wrapped: String {
        switch self {
        case .constant, .atom, .not, .allUntil, .existsUntil: return description
        default: return "(\(description))"
        }
    }
}

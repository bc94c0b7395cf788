/// Why a turn aborted. Program aborts (`fail`, `assert`, a broken invariant, an illegal state move) are the
/// program's answer and map to HTTP 409; run-time errors (None unwrapped, overflow, division by zero, Json of
/// the wrong shape, an exhausted step budget) map to 500. Either way the turn changed nothing.
public struct TurnError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case fail, assert, invariant, illegalMove = "illegal-move"
        case runtime, stepBudget = "step-budget", callCycle = "call-cycle", storage
        /// A dynamically typed value (Json) did not fit the static type it met.
        case jsonShape = "json-shape"
        /// A value the resource's engine cannot hold (U+0000 in PostgreSQL text).
        case unstorable = "unstorable-value"
        /// A resource the turn needed could not be provisioned or reached.
        case resource
        /// The turn touched a stored value that did not read when the worker started.
        case quarantined
        /// The turn would write while the state database's disk is full (HTTP 507); nothing changed.
        case diskFull = "disk-full"
        /// The turn's commit would take ephemeral memory past the cache budget (HTTP 507); nothing changed.
        case memoryLimit = "memory-limit"
    }
    public var kind: Kind
    public var message: String
    /// `file:line:col` of the expression that aborted, when known.
    public var location: String?

    /// A more precise stable code than the kind's (`sql-write` for a run-time error of db.sql).
    public var specificCode: String?

    public init(_ kind: Kind, _ message: String, at location: String? = nil, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.specificCode = code
    }

    /// Aborted by the program itself, as opposed to a run-time error.
    public var isProgramAbort: Bool {
        switch kind {
        case .fail, .assert, .invariant, .illegalMove: return true
        default: return false
        }
    }

    public var code: String { specificCode ?? kind.rawValue }

    public var description: String {
        location.map { "\(code) at \($0): \(message)" } ?? "\(code): \(message)"
    }
}

/// `return e` unwinds to the nearest handler, function or lambda.
struct ReturnSignal: Error {
    var value: Value
}

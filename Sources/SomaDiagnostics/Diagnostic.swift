/// One finding about a program or its configuration. Diagnostics are values collected in a list;
/// nothing in the front end throws them.
public struct Diagnostic: Hashable, Sendable {
    public var severity: Severity
    public var code: DiagnosticCode
    public var message: String
    public var span: SourceSpan
    public var hint: String?

    public init(_ severity: Severity, _ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.span = span
        self.hint = hint
    }

    public static func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil) -> Diagnostic {
        Diagnostic(.error, code, message, at: span, hint: hint)
    }

    public static func warning(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil) -> Diagnostic {
        Diagnostic(.warning, code, message, at: span, hint: hint)
    }
}

/// The list diagnostics are collected into while a phase runs.
public struct DiagnosticList: Sendable {
    public private(set) var items: [Diagnostic] = []
    /// Bounds the output for hostile input; the count of what was left out is kept.
    public let limit: Int
    public private(set) var suppressed = 0

    public init(limit: Int = 500) {
        self.limit = limit
    }

    public mutating func append(_ diagnostic: Diagnostic) {
        if items.count >= limit {
            suppressed += 1
        } else {
            items.append(diagnostic)
        }
    }

    public mutating func append(contentsOf other: DiagnosticList) {
        for item in other.items { append(item) }
        suppressed += other.suppressed
    }

    public mutating func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil) {
        append(.error(code, message, at: span, hint: hint))
    }

    public mutating func warning(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil) {
        append(.warning(code, message, at: span, hint: hint))
    }

    public var errorCount: Int { items.count { $0.severity == .error } + suppressed }
    public var warningCount: Int { items.count { $0.severity == .warning } }
    public var hasErrors: Bool { errorCount > 0 }

    /// In source order, so output reads top to bottom.
    public func sorted() -> [Diagnostic] {
        items.enumerated().sorted { a, b in
            let (l, r) = (a.element.span, b.element.span)
            if l.file != r.file { return l.file < r.file }
            if l.start != r.start { return l.start < r.start }
            return a.offset < b.offset
        }.map(\.element)
    }
}

/// Renders diagnostics as the text users read (`FILE:LINE:COL: error[CODE]: message`, the line, a caret)
/// or as JSON objects for tools.
public struct DiagnosticRenderer: Sendable {
    public let sources: SourceMap

    public init(sources: SourceMap) {
        self.sources = sources
    }

    public func location(_ diagnostic: Diagnostic) -> (path: String, start: SourcePosition, end: SourcePosition)? {
        guard let file = sources.file(diagnostic.span.file) else { return nil }
        return (file.path, file.position(of: diagnostic.span.start), file.position(of: diagnostic.span.end))
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        let head = "\(diagnostic.severity.rawValue)[\(diagnostic.code.rawValue)]: \(diagnostic.message)"
        guard let file = sources.file(diagnostic.span.file), let (path, start, end) = location(diagnostic) else {
            return head + (diagnostic.hint.map { "\n  = hint: \($0)" } ?? "")
        }
        var out = "\(path):\(start.line):\(start.column): \(head)\n"
        let text = Self.displayLine(file.lineText(start.line))
        let gutter = String(repeating: " ", count: String(start.line).count)
        out += "\(gutter) |\n"
        out += "\(start.line) | \(text.line)\n"
        let caretStart = min(start.column - 1, text.length)
        let caretWidth = end.line == start.line ? max(1, min(end.column - start.column, text.length - caretStart)) : 1
        out += "\(gutter) | " + String(repeating: " ", count: caretStart) + String(repeating: "^", count: max(1, caretWidth))
        if let hint = diagnostic.hint {
            out += "\n\(gutter) = hint: \(hint)"
        }
        return out
    }

    /// Long or control-laden lines are shown safely: tabs as spaces, control bytes as '?', at most 200 characters.
    static func displayLine(_ raw: String) -> (line: String, length: Int) {
        var scalars = String.UnicodeScalarView()
        var count = 0
        for scalar in raw.unicodeScalars {
            if count >= 200 { scalars.append(contentsOf: "…".unicodeScalars); break }
            if scalar == "\t" { scalars.append(" ") } else if scalar.value < 0x20 || scalar.value == 0x7F { scalars.append("?") } else { scalars.append(scalar) }
            count += 1
        }
        return (String(scalars), count)
    }

    public func renderAll(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined(separator: "\n\n")
    }

    public func jsonObject(_ diagnostic: Diagnostic) -> DiagnosticJSON {
        let place = location(diagnostic)
        return DiagnosticJSON(
            code: diagnostic.code.rawValue, severity: diagnostic.severity.rawValue,
            file: place?.path, line: place?.start.line, column: place?.start.column,
            end: place?.end, message: diagnostic.message, hint: diagnostic.hint)
    }
}

/// The JSON shape of one diagnostic (`soma check --json`).
public struct DiagnosticJSON: Codable, Sendable, Equatable {
    public var code: String
    public var severity: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var end: SourcePosition?
    public var message: String
    public var hint: String?

    /// Absent values are written as null, never left out: a reader sees every field the schema names
    /// (docs/schemas/check.schema.json).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(severity, forKey: .severity)
        try container.encode(file, forKey: .file)
        try container.encode(line, forKey: .line)
        try container.encode(column, forKey: .column)
        try container.encode(end, forKey: .end)
        try container.encode(message, forKey: .message)
        try container.encode(hint, forKey: .hint)
    }
}

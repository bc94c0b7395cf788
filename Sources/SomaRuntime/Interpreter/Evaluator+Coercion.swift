import SomaChecker
import SomaDiagnostics
import SomaSyntax

extension Evaluator {
    /// A Json value meeting a static type where the checker marked it (LANGUAGE.md §3, "checked at run time"):
    /// it is read with the JSON mapping of RUNTIME.md §3, exactly as the same JSON in a request body would be,
    /// so no typed slot, field, argument or result ever holds a value of another type. A value that does not
    /// fit aborts the turn with `json-shape`, naming the expression and the path inside it.
    func conform(_ value: Value, to type: SomaType, from expression: SomaSyntax.Expression) throws -> Value {
        if let fits = Self.alreadyFits(value, type) { return fits }
        do {
            return try codec.conform(value, from: expressionTypes[expression.id] ?? .json, to: type, path: subject(expression))
        } catch {
            throw TurnError(.jsonShape, error.description, at: location(expression.span))
        }
    }

    /// Scalars that are already what the type asks for need no round trip through the mapping.
    private static func alreadyFits(_ value: Value, _ type: SomaType) -> Value? {
        switch (value, type) {
        case (.int, .int), (.float, .float), (.bool, .bool), (.string, .string): return value
        case (.int(let int), .float): return .float(Double(int))
        default: return nil
        }
    }

    /// How a message names the value: its source text when that is short (`data.n`), else "the value".
    func subject(_ expression: SomaSyntax.Expression) -> String {
        guard let file = sources.file(expression.span.file) else { return "the value" }
        let text = file.text(expression.span)
        guard text.count <= 48, !text.contains("\n") else { return "the value" }
        return text
    }

    /// Reaching into a value that is not an object: for a Json base that is a shape error, for anything else a
    /// run-time error the checker could not rule out.
    func shapeError(of base: SomaSyntax.Expression, _ message: String, at span: SourceSpan) -> TurnError {
        let isDynamic = expressionTypes[base.id]?.isDynamic ?? true
        return TurnError(isDynamic ? .jsonShape : .runtime, isDynamic ? "\(subject(base)): \(message)" : message, at: location(span))
    }
}

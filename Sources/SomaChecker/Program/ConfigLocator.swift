import Foundation
import SomaDiagnostics

/// Finds where a TOML table, key or list item was written, so config diagnostics carry a line and column.
/// TOMLKit parses the values; this only maps them back to the text.
struct ConfigLocator {
    let file: SourceFile
    /// Per line: the table header in force and the line's text.
    private var lines: [(table: String, text: String)] = []

    init(file: SourceFile) {
        self.file = file
        var table = ""
        for number in 1...max(1, file.lineCount) {
            let text = file.lineText(number)
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("["), !trimmed.hasPrefix("[["), let close = trimmed.firstIndex(of: "]") {
                table = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
                    .split(separator: ".").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                    .joined(separator: ".")
            }
            lines.append((table, text))
        }
    }

    func line(table: String) -> Int {
        lines.firstIndex { $0.table == table }.map { $0 + 1 } ?? Int.max
    }

    func headerSpan(table: String) -> SourceSpan {
        guard let index = lines.firstIndex(where: { $0.table == table }) else { return wholeFile }
        return lineSpan(index + 1)
    }

    /// The key's line in the table; with `item`, the quoted item on that line or the lines of its array after it.
    func span(table: String, key: String, item: String? = nil) -> SourceSpan {
        guard let keyIndex = lines.indices.first(where: { index in
            lines[index].table == table && lines[index].text.trimmingCharacters(in: .whitespaces).hasPrefix(key)
                && lines[index].text.drop(while: { $0 == " " }).dropFirst(key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=")
        }) else { return headerSpan(table: table) }
        guard let item else { return lineSpan(keyIndex + 1) }
        let needle = "\"\(item)\""
        var index = keyIndex
        while index < lines.count && (index == keyIndex || lines[index].table == table) {
            if let range = lines[index].text.range(of: needle) {
                let start = file.offset(ofLine: index + 1) + lines[index].text.utf8.distance(from: lines[index].text.startIndex, to: range.lowerBound)
                return SourceSpan(file: file.id, start: start, end: start + needle.utf8.count)
            }
            if index > keyIndex && lines[index].text.contains("=") { break }
            index += 1
        }
        return lineSpan(keyIndex + 1)
    }

    /// A top-level name: its table header (`[face]`, or the first `[face.x]`), else its `key = …` line.
    func topLevelSpan(_ key: String) -> SourceSpan {
        if let index = lines.firstIndex(where: { $0.table == key || $0.table.hasPrefix(key + ".") }) { return lineSpan(index + 1) }
        return span(table: "", key: key)
    }

    func lineSpan(_ line: Int) -> SourceSpan {
        let start = file.offset(ofLine: line)
        return SourceSpan(file: file.id, start: start, end: start + file.lineText(line).utf8.count)
    }

    var wholeFile: SourceSpan { SourceSpan(file: file.id, start: 0, end: 0) }
}

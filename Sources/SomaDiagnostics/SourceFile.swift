/// One source text (a `.cell` file or a `soma.toml`) with a line table for turning byte offsets into positions.
public final class SourceFile: Sendable {
    public let id: Int
    /// The path as the user should see it in diagnostics.
    public let path: String
    public let bytes: [UInt8]
    private let lineStarts: [Int]

    public init(id: Int, path: String, bytes: [UInt8]) {
        self.id = id
        self.path = path
        self.bytes = bytes
        var starts = [0]
        starts.reserveCapacity(bytes.count / 24 + 1)
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(index + 1)
        }
        self.lineStarts = starts
    }

    public convenience init(id: Int, path: String, text: String) {
        self.init(id: id, path: path, bytes: Array(text.utf8))
    }

    public var lineCount: Int { lineStarts.count }

    /// 1-based line and column; the column counts characters (UTF-8 scalars), not bytes.
    public func position(of offset: Int) -> SourcePosition {
        let clamped = max(0, min(offset, bytes.count))
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        let start = lineStarts[low]
        var column = 1
        var index = start
        while index < clamped {
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return SourcePosition(line: low + 1, column: column)
    }

    /// The text of a 1-based line without its line break, decoded leniently.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// Byte offset of the first character of a 1-based line.
    public func offset(ofLine line: Int) -> Int {
        guard line >= 1, line <= lineStarts.count else { return bytes.count }
        return lineStarts[line - 1]
    }

    public func text(_ span: SourceSpan) -> String {
        let start = max(0, min(span.start, bytes.count))
        let end = max(start, min(span.end, bytes.count))
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

public struct SourcePosition: Hashable, Sendable, Codable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

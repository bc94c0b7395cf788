import Foundation
import Logging

/// One event a line, `TIME SOURCE LEVEL message key=value…`, appended to the app's log (the process's
/// stderr is the log file: the supervisor opens it in append mode, so lines from both processes interleave whole).
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let source: String
    /// Where lines go besides stderr (a foreground supervisor writes to the terminal and to the app's log).
    let copies: [Int32]

    public init(source: String, copies: [Int32] = []) {
        self.source = source
        self.copies = copies
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "\(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))) \(source) \(event.level) \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            line += " \(key)=\(merged[key]!)"
        }
        line += "\n"
        let bytes = Array(line.utf8)
        for descriptor in [2] + copies {
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        }
    }

    public static func bootstrap(source: String, copies: [Int32] = []) {
        LoggingSystem.bootstrap { _ in LineLogHandler(source: source, copies: copies) }
    }
}

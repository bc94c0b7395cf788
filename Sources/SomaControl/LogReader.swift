import Foundation
import SomaProtocol

/// Reads the app's log in chunks of whole lines: what the supervisor answers `logs` with, and what the CLI
/// reads itself when no supervisor runs.
public enum LogReader {
    /// At most `limit` bytes of whole lines from `from`. A line longer than `limit` comes in pieces cut
    /// between characters, so that every read moves on; a last line still being written waits for its newline.
    public static func chunk(at path: String, from: Int, limit requested: Int) -> LogChunk {
        let limit = max(4, requested)  // room for any one UTF-8 character
        guard let handle = FileHandle(forReadingAtPath: path) else { return LogChunk(from: 0, text: "", next: 0, size: 0) }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        let start = from > size ? 0 : max(0, from)
        guard size > start else { return LogChunk(from: start, text: "", next: start, size: size) }
        try? handle.seek(toOffset: UInt64(start))
        let data = (try? handle.read(upToCount: limit)) ?? Data()
        let whole: Data
        if let newline = data.lastIndex(of: 0x0A) {
            whole = data[data.startIndex...newline]
        } else {
            whole = data.count == limit ? data[data.startIndex..<characterBoundary(in: data)] : Data()
        }
        return LogChunk(from: start, text: String(decoding: whole, as: UTF8.self), next: start + whole.count, size: size)
    }

    /// The end of `data` without the last character when its bytes are not all there.
    static func characterBoundary(in data: Data) -> Data.Index {
        var lead = data.index(before: data.endIndex)
        while lead > data.startIndex, data[lead] & 0xC0 == 0x80 { lead = data.index(before: lead) }
        let length = data[lead] >= 0xF0 ? 4 : data[lead] >= 0xE0 ? 3 : data[lead] >= 0xC0 ? 2 : 1
        return data.distance(from: lead, to: data.endIndex) < length ? lead : data.endIndex
    }
}

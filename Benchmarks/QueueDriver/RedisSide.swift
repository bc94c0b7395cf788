import NIOCore

/// redis: a stream with a consumer group, over RESP: XADD pipelined a batch at a time, XREADGROUP with BLOCK,
/// XACK.
struct RedisSide: Producer, Consumer {
    var wire: Wire

    indirect enum Value {
        case simple(String), error(String), integer(Int), bulk(String?), array([Value]?)

        var text: String? {
            switch self {
            case .simple(let text): return text
            case .bulk(let text): return text
            default: return nil
            }
        }
    }

    static func command(_ words: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("*\(words.count)\r\n")
        for word in words {
            buffer.writeString("$\(word.utf8.count)\r\n")
            buffer.writeString(word)
            buffer.writeString("\r\n")
        }
        return buffer
    }

    /// One RESP value, or nil while it is incomplete.
    static func parse(_ buffer: inout ByteBuffer) throws -> Value? {
        guard let line = buffer.readLine(terminator: "\r\n"), let kind = line.first else { return nil }
        let rest = String(line.dropFirst())
        switch kind {
        case "+": return .simple(rest)
        case "-": return .error(rest)
        case ":": return .integer(Int(rest) ?? 0)
        case "$":
            guard let length = Int(rest) else { throw DriverError.refused(line) }
            if length < 0 { return .bulk(nil) }
            guard buffer.readableBytes >= length + 2, let text = buffer.readString(length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulk(text)
        case "*":
            guard let count = Int(rest) else { throw DriverError.refused(line) }
            if count < 0 { return .array(nil) }
            var items: [Value] = []
            for _ in 0..<count {
                guard let item = try parse(&buffer) else { return nil }
                items.append(item)
            }
            return .array(items)
        default:
            throw DriverError.refused(line)
        }
    }

    mutating func call(_ words: [String]) async throws -> Value {
        try await wire.send(Self.command(words))
        let value = try await wire.next(Self.parse)
        if case .error(let why) = value { throw DriverError.refused(why) }
        return value
    }

    mutating func push(_ numbers: Range<Int>) async throws {
        var pipeline = ByteBuffer()
        for _ in numbers {
            var command = Self.command(["XADD", "bench", "*", "b", Workload.payload])
            pipeline.writeBuffer(&command)
        }
        try await wire.send(pipeline)
        for _ in numbers {
            if case .error(let why) = try await wire.next(Self.parse) { throw DriverError.refused(why) }
        }
    }

    mutating func take(_ count: Int) async throws -> [String] {
        let reply = try await call(["XREADGROUP", "GROUP", "g", "c", "COUNT", "\(count)", "BLOCK", "500", "STREAMS", "bench", ">"])
        guard case .array(let streams?) = reply else { return [] }
        var ids: [String] = []
        for case .array(let stream?) in streams where stream.count == 2 {
            guard case .array(let entries?) = stream[1] else { continue }
            for case .array(let entry?) in entries { if let id = entry.first?.text { ids.append(id) } }
        }
        return ids
    }

    mutating func ack(_ ids: [String]) async throws {
        _ = try await call(["XACK", "bench", "g"] + ids)
    }
}

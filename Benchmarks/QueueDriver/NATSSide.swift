import Foundation
import NIOCore

let trace = ProcessInfo.processInfo.environment["DRIVER_TRACE"] != nil

/// NATS JetStream over the NATS protocol: a file-backed stream, publishes awaited for the stream's ack, a pull
/// consumer fetched `batch` at a time, and each message acknowledged synchronously (the server answers the ack).
struct NATSSide: Producer, Consumer {
    var wire: Wire
    /// This connection's inbox prefix: every reply it waits for comes to a subject under it.
    let inbox: String
    var serial = 0

    struct Message {
        var subject: String
        var replyTo: String?
        var payload: String
        /// The status line of a message with headers ("NATS/1.0 408 Request Timeout"), when it has one.
        var status: String?
    }

    enum Frame {
        case message(Message)
        case ping
        case error(String)
        case other
    }

    static func parse(_ buffer: inout ByteBuffer) throws -> Frame? {
        guard let line = buffer.readLine(terminator: "\r\n") else { return nil }
        let words = line.split(separator: " ").map(String.init)
        switch words.first {
        case "MSG":
            guard words.count >= 4, let length = Int(words.last!) else { throw DriverError.refused(line) }
            guard buffer.readableBytes >= length + 2, let payload = buffer.readString(length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .message(Message(subject: words[1], replyTo: words.count == 5 ? words[3] : nil, payload: payload))
        case "HMSG":
            guard words.count >= 5, let headers = Int(words[words.count - 2]), let total = Int(words.last!) else { throw DriverError.refused(line) }
            guard buffer.readableBytes >= total + 2, let head = buffer.readString(length: headers),
                  let payload = buffer.readString(length: total - headers) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            let status = head.split(separator: "\r\n").first.map(String.init)
            return .message(Message(subject: words[1], replyTo: words.count == 6 ? words[3] : nil, payload: payload, status: status))
        case "PING": return .ping
        case "-ERR": return .error(line)
        default: return .other
        }
    }

    /// Connects (CONNECT, then PING answered by PONG) and subscribes to the connection's inbox.
    static func open(_ wire: Wire, inbox: String) async throws -> NATSSide {
        var side = NATSSide(wire: wire, inbox: inbox)
        try await side.wire.send(#"CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"lang":"swift","version":"bench"}"# + "\r\nSUB \(inbox).> 1\r\nPING\r\n")
        while true {
            let line = try await side.wire.next { $0.readLine(terminator: "\r\n") }
            if line == "PONG" { return side }
            if line.hasPrefix("-ERR") { throw DriverError.refused(line) }
        }
    }

    /// The next message to this connection, answering the server's pings on the way.
    mutating func nextMessage() async throws -> Message {
        while true {
            let frame = try await wire.next(Self.parse)
            if trace { FileHandle.standardError.write(Data("\(inbox) ← \(frame)\n".utf8)) }
            switch frame {
            case .message(let message): return message
            case .ping: try await wire.send("PONG\r\n")
            case .error(let why): throw DriverError.refused(why)
            case .other: continue
            }
        }
    }

    static func publish(_ subject: String, replyTo: String, _ payload: String) -> String {
        "PUB \(subject) \(replyTo) \(payload.utf8.count)\r\n\(payload)\r\n"
    }

    mutating func newInbox() -> String {
        serial += 1
        return "\(inbox).\(serial)"
    }

    /// A JetStream API request, and its answer.
    mutating func request(_ subject: String, _ payload: String) async throws -> String {
        let reply = newInbox()
        try await wire.send(Self.publish(subject, replyTo: reply, payload))
        while true {
            let message = try await nextMessage()
            guard message.subject == reply else { continue }
            if let status = message.status { throw DriverError.refused("\(subject): \(status)") }
            if message.payload.contains(#""error""#) { throw DriverError.refused("\(subject): \(message.payload)") }
            return message.payload
        }
    }

    mutating func createStream() async throws {
        _ = try await request("$JS.API.STREAM.CREATE.bench", #"{"name":"bench","subjects":["bench.x"],"storage":"file"}"#)
    }

    mutating func createConsumer() async throws {
        _ = try await request("$JS.API.CONSUMER.DURABLE.CREATE.bench.c",
                              #"{"stream_name":"bench","config":{"durable_name":"c","ack_policy":"explicit","deliver_policy":"all","filter_subject":"bench.x"}}"#)
    }

    mutating func push(_ numbers: Range<Int>) async throws {
        var out = ""
        for _ in numbers { out += Self.publish("bench.x", replyTo: newInbox(), Workload.payload) }
        try await wire.send(out)
        var acknowledged = 0
        while acknowledged < numbers.count {
            let message = try await nextMessage()
            if let status = message.status { throw DriverError.refused("publish: \(status)") }
            if message.payload.contains(#""error""#) { throw DriverError.refused("publish: \(message.payload)") }
            acknowledged += 1
        }
    }

    /// Up to `count` messages: a pull request for `count`, which ends when they have come or it expires (500 ms).
    mutating func take(_ count: Int) async throws -> [String] {
        let reply = newInbox()
        try await wire.send(Self.publish("$JS.API.CONSUMER.MSG.NEXT.bench.c", replyTo: reply, #"{"batch":\#(count),"expires":500000000}"#))
        var acks: [String] = []
        while acks.count < count {
            let message = try await nextMessage()
            // A delivered message keeps its own subject and carries its ack subject; the request's end (408
            // when it expired) is a status on the request's inbox.
            if let ack = message.replyTo, ack.hasPrefix("$JS.ACK.") {
                acks.append(ack)
            } else if message.subject == reply, message.status != nil {
                break
            }
        }
        return acks
    }

    mutating func ack(_ subjects: [String]) async throws {
        var out = ""
        for subject in subjects { out += Self.publish(subject, replyTo: newInbox(), "+ACK") }
        try await wire.send(out)
        var answered = 0
        while answered < subjects.count {
            let message = try await nextMessage()
            if message.subject.hasPrefix(inbox) { answered += 1 }
        }
    }
}

import Foundation

/// The work, the same for every system (as the Python driver's): a producer pushes `total` messages `batch` at a
/// time, each batch awaited until acknowledged, while a consumer takes up to `batch` at a time and acknowledges
/// them, until all are consumed. Each runs on a connection of its own.
protocol Producer: SendableMetatype {
    mutating func push(_ numbers: Range<Int>) async throws
}

protocol Consumer: SendableMetatype {
    associatedtype Taken
    mutating func take(_ count: Int) async throws -> [Taken]
    mutating func ack(_ taken: [Taken]) async throws
}

enum Workload {
    static let payload = String(repeating: "x", count: 1024)

    static func produce<P: Producer>(_ producer: inout P, total: Int, batch: Int) async throws {
        for start in stride(from: 0, to: total, by: batch) {
            try await producer.push(start..<min(start + batch, total))
        }
    }

    static func consume<C: Consumer>(_ consumer: inout C, total: Int, batch: Int) async throws {
        var done = 0
        while done < total {
            let taken = try await consumer.take(batch)
            if !taken.isEmpty {
                try await consumer.ack(taken)
                done += taken.count
            }
        }
    }
}

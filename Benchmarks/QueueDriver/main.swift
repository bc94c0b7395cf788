// A compiled driver for the queue benchmark (Benchmarks/resources/queue_throughput.py): the same work as the
// Python driver, over SwiftNIO, speaking each system's own protocol, so that the servers are what is measured.
//   soma-queue-driver soma SOCKET MESSAGES BATCH
//   soma-queue-driver redis|nats HOST:PORT MESSAGES BATCH
// Prints the seconds the work took.
import Foundation
import NIOCore

let arguments = CommandLine.arguments
guard arguments.count == 5, let total = Int(arguments[3]), let batch = Int(arguments[4]), total > 0, batch > 0 else {
    FileHandle.standardError.write(Data("usage: soma-queue-driver soma|redis|nats SOCKET|HOST:PORT MESSAGES BATCH\n".utf8))
    exit(2)
}
let system = arguments[1], place = arguments[2]
let address: Wire.Address
if system == "soma" {
    address = .unix(place)
} else {
    let parts = place.split(separator: ":")
    guard parts.count == 2, let port = Int(parts[1]) else {
        FileHandle.standardError.write(Data("soma-queue-driver: \(place) is not HOST:PORT\n".utf8))
        exit(2)
    }
    address = .tcp(String(parts[0]), port)
}

/// Runs `setup` on a connection of its own (creating the stream, the group or the consumer), then the producer
/// and the consumer, each on a connection of its own that its task opens; gives the seconds they took.
func measure<P: Producer, C: Consumer>(setup: @Sendable (Wire) async throws -> Void,
                                       producer openProducer: @escaping @Sendable (Wire) async throws -> P,
                                       consumer openConsumer: @escaping @Sendable (Wire) async throws -> C) async throws -> Double {
    let setupChannel = try await Wire.connect(address)
    try await setupChannel.executeThenClose { inbound, outbound in try await setup(Wire(inbound, outbound)) }
    let producerChannel = try await Wire.connect(address), consumerChannel = try await Wire.connect(address)
    return try await producerChannel.executeThenClose { producerIn, producerOut in
        try await consumerChannel.executeThenClose { consumerIn, consumerOut in
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var producer = try await openProducer(Wire(producerIn, producerOut))
                    try await Workload.produce(&producer, total: total, batch: batch)
                }
                group.addTask {
                    var consumer = try await openConsumer(Wire(consumerIn, consumerOut))
                    try await Workload.consume(&consumer, total: total, batch: batch)
                }
                try await group.waitForAll()
            }
            let elapsed = (ContinuousClock.now - started).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        }
    }
}

do {
    let seconds: Double
    switch system {
    case "soma":
        seconds = try await measure(setup: { _ in }, producer: { try await SomaQueueSide.open($0) }, consumer: { try await SomaQueueSide.open($0) })
    case "redis":
        seconds = try await measure(setup: { wire in
            var setup = RedisSide(wire: wire)
            _ = try await setup.call(["XGROUP", "CREATE", "bench", "g", "0", "MKSTREAM"])
        }, producer: { RedisSide(wire: $0) }, consumer: { RedisSide(wire: $0) })
    case "nats":
        seconds = try await measure(setup: { wire in
            var setup = try await NATSSide.open(wire, inbox: "_INBOX.s")
            try await setup.createStream()
            try await setup.createConsumer()
        }, producer: { try await NATSSide.open($0, inbox: "_INBOX.p") }, consumer: { try await NATSSide.open($0, inbox: "_INBOX.c") })
    default:
        FileHandle.standardError.write(Data("soma-queue-driver: no system '\(system)' (soma, redis or nats)\n".utf8))
        exit(2)
    }
    print(seconds)
} catch {
    FileHandle.standardError.write(Data("soma-queue-driver: \(system): \(error)\n".utf8))
    exit(1)
}

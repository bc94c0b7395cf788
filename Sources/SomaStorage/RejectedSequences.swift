/// The sequence numbers of batches dropped because the disk was full: their turns failed, and a waiter that
/// asks about one later must hear so even once later batches have made higher numbers durable. A full disk
/// rejects runs of consecutive numbers, so this holds a few ranges, whatever the number of batches.
struct RejectedSequences: Sendable, Equatable {
    private(set) var ranges: [ClosedRange<UInt64>] = []

    mutating func insert(_ range: ClosedRange<UInt64>) {
        if let last = ranges.last, range.lowerBound <= last.upperBound &+ 1, range.lowerBound >= last.lowerBound {
            ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
        } else {
            ranges.append(range)
        }
    }

    mutating func insert(_ sequence: UInt64) {
        insert(sequence...sequence)
    }

    func contains(_ sequence: UInt64) -> Bool {
        // The newest ranges are the likeliest to be asked about.
        ranges.reversed().contains { $0.contains(sequence) }
    }
}

@testable import SomaRuntime
import Testing

/// The cache of one Map slot, without a store: what it knows, what it counts, and what it lets go of.
@Suite struct SlotCacheTests {
    @Test func aSlotWithNothingStoredIsCompleteAndAnswersAbsentWithoutTheStore() {
        var cache = SlotCache(count: 0)
        #expect(cache.isComplete)
        #expect(cache.lookup(.string("a")) == .absent)
        cache.write(.string("a"), .int(1), existed: false, bytes: 100, pinnedUntil: 1)
        #expect(cache.lookup(.string("a")) == .present(.int(1)))
        #expect(cache.count == 1 && cache.bytes == 100 && cache.isComplete)
    }

    @Test func aStoredSlotMissesUntilItsEveryKeyIsHeld() {
        var cache = SlotCache(count: 2)
        #expect(!cache.isComplete)
        #expect(cache.lookup(.int(1)) == .miss)
        cache.fill(.int(1), .string("one"), bytes: 10)
        cache.fill(.int(9), nil, bytes: 10)
        #expect(cache.lookup(.int(9)) == .absent, "a miss that found nothing is remembered")
        #expect(!cache.isComplete)
        cache.fill(.int(2), .string("two"), bytes: 10)
        #expect(cache.isComplete, "both stored keys are held")
        #expect(cache.lookup(.int(3)) == .absent)
    }

    @Test func theCountFollowsWhatTheTurnFoundBeforeItsWrite() {
        var cache = SlotCache(count: 5)
        cache.write(.int(1), .int(1), existed: true, bytes: 10, pinnedUntil: 1)
        cache.write(.int(2), .int(2), existed: false, bytes: 10, pinnedUntil: 1)
        cache.write(.int(3), nil, existed: true, bytes: 10, pinnedUntil: 1)
        cache.write(.int(4), nil, existed: false, bytes: 10, pinnedUntil: 1)
        #expect(cache.count == 5)
        #expect(cache.lookup(.int(3)) == .absent, "a delete is held as a tombstone")
    }

    @Test func anEntryStaysUntilItsBatchIsDurable() {
        var cache = SlotCache(count: 0)
        cache.write(.int(1), .int(1), existed: false, bytes: 100, pinnedUntil: SlotCache.forever)
        cache.pin([.int(1)], until: 7)
        cache.write(.int(2), nil, existed: false, bytes: 100, pinnedUntil: 8)
        #expect(cache.evict(freeing: 1_000, durable: 6) == 0, "nothing is durable yet")
        #expect(cache.lookup(.int(1)) == .present(.int(1)))
        // Both were read lately: the first pass of the hand gives each a second chance.
        #expect(cache.evict(freeing: 1_000, durable: 7) == 100)
        #expect(cache.lookup(.int(1)) == .miss, "once durable it may go; the store has it")
        #expect(!cache.isComplete)
        #expect(cache.lookup(.int(2)) == .absent, "the tombstone of an undurable delete stays")
        #expect(cache.evict(freeing: 1_000, durable: 8) == 100)
        #expect(cache.bytes == 0 && cache.entryCount == 0 && cache.count == 1)
    }

    @Test func theHandLetsGoOfWhatWasNotReadLatelyFirst() {
        var cache = SlotCache(count: 4)
        for key in 0..<4 { cache.fill(.int(key), .int(key), bytes: 10) }
        // The hand's first round clears every entry's bit and lets go of the first; a read gives key 2 one more round.
        #expect(cache.evict(freeing: 1, durable: 0) == 10)
        #expect(cache.entryCount == 3)
        _ = cache.lookup(.int(2))
        _ = cache.evict(freeing: 20, durable: 0)
        #expect(cache.entryCount == 1)
        #expect(cache.peek(.int(2)) == .present(.int(2)), "the entry read last is the one left")
    }

    @Test func anEphemeralSlotIsHeldWholeAndNeverLetGo() {
        var cache = SlotCache(entries: [.int(1): .int(10), .int(2): .int(20)], pinnedUntil: SlotCache.forever) { _, _ in 50 }
        #expect(cache.isComplete && cache.count == 2 && cache.bytes == 100)
        #expect(cache.evict(freeing: 1_000, durable: .max - 1) == 0)
        #expect(cache.lookup(.int(2)) == .present(.int(20)))
    }
}

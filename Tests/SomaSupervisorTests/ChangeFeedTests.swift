@testable import SomaSupervisor
import Testing

/// `watch`'s wait: answered at once when something changed since what the client saw, at the change when not,
/// and after its timeout without one.
@Suite struct ChangeFeedTests {
    @Test func aClientThatHasNotSeenTheLatestChangeIsAnsweredAtOnce() async {
        let feed = ChangeFeed()
        feed.changed()
        let started = ContinuousClock.now
        #expect(await feed.next(after: 0, timeout: .seconds(5)) == feed.generation)
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func aWaitEndsAtTheNextChange() async {
        let feed = ChangeFeed()
        let seen = feed.generation
        let started = ContinuousClock.now
        async let next = feed.next(after: seen, timeout: .seconds(10))
        try? await Task.sleep(for: .milliseconds(100))
        feed.changed()
        #expect(await next == seen + 1)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aWaitWithoutAChangeEndsAtItsTimeoutWithTheSameGeneration() async {
        let feed = ChangeFeed()
        let seen = feed.generation
        let started = ContinuousClock.now
        #expect(await feed.next(after: seen, timeout: .milliseconds(150)) == seen)
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(150) && waited < .seconds(5))
    }

    @Test func everyWaiterHearsTheChange() async {
        let feed = ChangeFeed()
        let seen = feed.generation
        async let first = feed.next(after: seen, timeout: .seconds(10))
        async let second = feed.next(after: seen, timeout: .seconds(10))
        try? await Task.sleep(for: .milliseconds(100))
        feed.changed()
        #expect(await [first, second] == [seen + 1, seen + 1])
    }
}

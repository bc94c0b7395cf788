import Foundation
import PropertyBased
@testable import SomaRuntime
import Testing

/// `OrderKey` is `Value.precedes` as bytes (docs/state.md): the store can then stream a Map's entries in the
/// order turns see them. And `precedes` depends on nothing but the values, in every process.
@Suite struct OrderKeyTests {
    /// Two values of one random shape (the keys of one Map are of one type), often close to each other.
    struct Pair: CustomStringConvertible {
        var left: Value
        var right: Value
        var description: String { "\(left) ~ \(right)" }
    }

    static let pairs = Generator<Pair, Shrink.None<Pair>>(run: { rng in
        let shape = Int.random(in: 0..<Self.shapes, using: &rng)
        let left = value(shape: shape, depth: 2, &rng)
        // Half the time a copy with one part changed, so that long common prefixes are tested.
        let right = Bool.random(using: &rng) ? value(shape: shape, depth: 2, &rng) : nudged(left, &rng)
        return Pair(left: left, right: right)
    })

    static let shapes = 12
    static let texts = ["", "a", "ab", "a\u{0}", "a\u{0}b", "a\u{1}", "b", "Ünï", "\u{1F600}", "\u{0}"]

    static func value(shape: Int, depth: Int, _ rng: inout some RandomNumberGenerator) -> Value {
        let small = Int.random(in: -3...3, using: &rng)
        switch shape {
        case 0: return .int([small, Int.max, Int.min, 1 << 53, (1 << 53) + 1, -(1 << 53) - 1].randomElement(using: &rng)!)
        case 1: return .float([Double(small), -0.0, 0.5, -2.25, 1e300, -1e-300, 9_007_199_254_740_992].randomElement(using: &rng)!)
        case 2: return .string(texts.randomElement(using: &rng)!)
        case 3: return .bool(Bool.random(using: &rng))
        case 4: return .bytes(Array(texts.randomElement(using: &rng)!.utf8))
        case 5: return Bool.random(using: &rng) ? .none : .some(value(shape: 2, depth: depth, &rng))
        case 6: return .time(small * 1000)
        case 7:
            let inner = Int.random(in: 0...2, using: &rng)
            return .list((0..<Int.random(in: 0...3, using: &rng)).map { _ in value(shape: inner, depth: depth - 1, &rng) })
        case 8: return .set(Set((0..<Int.random(in: 0...3, using: &rng)).map { _ in value(shape: 2, depth: depth - 1, &rng) }))
        case 9:
            var fields: [String: Value] = ["sku": value(shape: 2, depth: depth, &rng), "qty": value(shape: 0, depth: depth, &rng)]
            if Bool.random(using: &rng) { fields["note"] = value(shape: 5, depth: depth, &rng) }
            return .record(type: "Item", fields: fields)
        case 10:
            return Bool.random(using: &rng) ? .variant(type: "Status", name: "Open", fields: [:])
                : .variant(type: "Status", name: ["Closed", "Cancelled"].randomElement(using: &rng)!, fields: ["reason": value(shape: 2, depth: depth, &rng)])
        default:
            let keys = (0..<Int.random(in: 0...3, using: &rng)).map { _ in value(shape: 2, depth: depth, &rng) }
            return .map(Dictionary(keys.map { ($0, value(shape: 0, depth: depth, &rng)) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    /// The value with one part changed a little.
    static func nudged(_ value: Value, _ rng: inout some RandomNumberGenerator) -> Value {
        switch value {
        case .int(let number): return .int(number &+ Int.random(in: -1...1, using: &rng))
        case .string(let text): return .string(Bool.random(using: &rng) ? text + "\u{0}" : String(text.dropLast()))
        case .list(var items) where !items.isEmpty:
            let index = Int.random(in: 0..<items.count, using: &rng)
            items[index] = nudged(items[index], &rng)
            return .list(Bool.random(using: &rng) ? items : Array(items.dropLast()))
        case .record(let type, var fields):
            fields["qty"] = nudged(fields["qty"] ?? .int(0), &rng)
            return .record(type: type, fields: fields)
        case .some(let inner): return .some(nudged(inner, &rng))
        default: return value
        }
    }

    @Test func theKeysOrderIsTheOrderTurnsSee() async {
        await propertyCheck(count: 2000, input: Self.pairs) { pair in
            let left = OrderKey(pair.left), right = OrderKey(pair.right)
            // Equal values have equal keys, and different values different ones.
            #expect((left == right) == (pair.left == pair.right), "\(pair)")
            if Value.precedes(pair.left, pair.right) { #expect(left < right, "\(pair)") }
            if Value.precedes(pair.right, pair.left) { #expect(right < left, "\(pair)") }
        }
    }

    @Test func recordsAreOrderedByTheirFieldsNamesNotByTheDictionarysOrder() {
        let cheap = Value.record(type: "Item", fields: ["sku": .string("z"), "price": .float(0.5), "qty": .int(9)])
        let dear = Value.record(type: "Item", fields: ["sku": .string("a"), "price": .float(2), "qty": .int(1)])
        // price before qty before sku, whatever order the fields' dictionary holds them in.
        #expect(Value.precedes(cheap, dear) && !Value.precedes(dear, cheap))
        #expect(OrderKey(cheap) < OrderKey(dear))
        let open = Value.variant(type: "Status", name: "Open", fields: [:])
        let closed = Value.variant(type: "Status", name: "Closed", fields: ["reason": .string("late")])
        #expect(Value.precedes(closed, open) && OrderKey(closed) < OrderKey(open))
    }

    @Test func numbersOrderByValueAcrossTheirWholeRange() {
        let ints: [Int] = [Int.min, -(1 << 53) - 1, -1, 0, 1, 1 << 53, (1 << 53) + 1, Int.max]
        #expect(ints.map { OrderKey(.int($0)) } == ints.map { OrderKey(.int($0)) }.sorted())
        let floats: [Double] = [-.infinity, -1e300, -2.5, -1e-300, 0, 1e-300, 0.5, 1e300, .infinity]
        #expect(floats.map { OrderKey(.float($0)) } == floats.map { OrderKey(.float($0)) }.sorted())
        #expect(OrderKey(.float(-0.0)) == OrderKey(.float(0)))
        let strings = ["", "\u{0}", "a", "a\u{0}", "a\u{0}b", "a\u{1}", "ab", "b"]
        #expect(strings.map { OrderKey(.string($0)) } == strings.map { OrderKey(.string($0)) }.sorted())
    }

    /// An Int slot's keys are stored by their 8 bytes alone: the same order as `OrderKey`, in less than half
    /// the bytes; a key of any other slot is stored by `OrderKey`'s.
    @Test func anIntSlotsStoredKeysAreEightBytesInTheSameOrder() {
        var generator = SystemRandomNumberGenerator()
        var ints: [Int] = [Int.min, -(1 << 53) - 1, -1, 0, 1, 1 << 53, (1 << 53) + 1, Int.max]
        for _ in 0..<200 { ints.append(Int.random(in: Int.min...Int.max, using: &generator)) }
        let stored = ints.map { OrderKey.stored(.int($0), keyType: .int) }
        #expect(stored.allSatisfy { $0.count == 8 })
        for (left, right) in zip(ints, ints.dropFirst()) {
            let compact = OrderKey.stored(.int(left), keyType: .int).lexicographicallyPrecedes(OrderKey.stored(.int(right), keyType: .int))
            #expect(compact == (OrderKey(.int(left)) < OrderKey(.int(right))), "\(left) ~ \(right)")
        }
        #expect(OrderKey.stored(.string("a"), keyType: .string) == Data(OrderKey(.string("a")).bytes))
        #expect(OrderKey.stored(.int(3), keyType: .json) == Data(OrderKey(.int(3)).bytes))
    }
}

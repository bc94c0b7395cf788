import Foundation
import SomaChecker

/// A value as bytes whose order is `Value.precedes`: what the store will index a Map's keys by, so that a
/// whole-Map operation streams its entries in the order turns see them (docs/state.md). Equal values give
/// equal keys and different values different ones; where `precedes` leaves two different values unordered
/// (an Int and a Float of the same size), the key still orders them, the Float first.
///
/// Every part is self-delimiting (fixed width, or escaped and terminated), so a list's or record's key is
/// its parts one after another and compares part by part.
public struct OrderKey: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]

    public init(_ value: Value) {
        var bytes: [UInt8] = []
        Self.append(value, to: &bytes)
        self.bytes = bytes
    }

    public static func < (lhs: OrderKey, rhs: OrderKey) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// What a Map row with a key of `keyType` is stored with (`slot_values.ord`): an Int key is its 8 bytes
    /// alone, since every key of the slot is an Int and the kind and the parts that order Ints among Floats
    /// order nothing there (the store keeps the key twice, in the row and in its index); any other key is
    /// `OrderKey`'s bytes.
    public static func stored(_ key: Value, keyType: SomaType) -> Data {
        guard keyType == .int, case .int(let number) = key else { return Data(OrderKey(key).bytes) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        appendInt(number, to: &bytes)
        return Data(bytes)
    }

    // The first byte of each part is its kind, in the order `precedes` ranks kinds.
    private enum Kind: UInt8 {
        case nothing = 0, none, bool, number, string, time, duration, bytes, list, set, map, record, variant, some, other
    }

    private static func append(_ value: Value, to bytes: inout [UInt8]) {
        switch value {
        case .null: bytes += [Kind.nothing.rawValue, 0]
        case .unit: bytes += [Kind.nothing.rawValue, 1]
        case .none: bytes.append(Kind.none.rawValue)
        case .bool(let flag): bytes += [Kind.bool.rawValue, flag ? 1 : 0]
        case .int(let number):
            bytes.append(Kind.number.rawValue)
            appendDouble(Double(number), to: &bytes)
            // Ints too close for a Double to tell apart are ordered exactly; a Float of the same size (0)
            // comes before the Int (1).
            bytes.append(1)
            appendInt(number, to: &bytes)
        case .float(let number):
            bytes.append(Kind.number.rawValue)
            appendDouble(number, to: &bytes)
            bytes.append(0)
        case .string(let text): appendText(Array(text.utf8), kind: .string, to: &bytes)
        case .bytes(let data): appendText(data, kind: .bytes, to: &bytes)
        case .time(let milliseconds):
            bytes.append(Kind.time.rawValue)
            appendInt(milliseconds, to: &bytes)
        case .duration(let milliseconds):
            bytes.append(Kind.duration.rawValue)
            appendInt(milliseconds, to: &bytes)
        case .list(let items):
            bytes.append(Kind.list.rawValue)
            appendSequence(items, to: &bytes)
        case .set(let items):
            bytes.append(Kind.set.rawValue)
            appendSequence(items.sorted(by: Value.precedes), to: &bytes)
        case .map(let entries):
            bytes.append(Kind.map.rawValue)
            let keys = entries.keys.sorted(by: Value.precedes)
            appendSequence(keys, to: &bytes)
            appendSequence(keys.map { entries[$0]! }, to: &bytes)
        case .record(let type, let fields):
            appendText(Array(type.utf8), kind: .record, to: &bytes)
            appendFields(fields, to: &bytes)
        case .variant(let type, let name, let fields):
            appendText(Array(type.utf8), kind: .variant, to: &bytes)
            appendText(Array(name.utf8), kind: .variant, to: &bytes)
            appendFields(fields, to: &bytes)
        case .some(let inner):
            bytes.append(Kind.some.rawValue)
            append(inner, to: &bytes)
        case .resource, .table, .machine, .function:
            appendText(Array(String(describing: value).utf8), kind: .other, to: &bytes)
        }
    }

    /// Big-endian with the sign bit flipped: two's complement order becomes byte order.
    private static func appendInt(_ number: Int, to bytes: inout [UInt8]) {
        let biased = UInt64(bitPattern: Int64(number)) ^ (1 << 63)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: biased >> UInt64(shift))) }
    }

    /// IEEE 754 bits, negatives inverted and positives with the sign bit set: numeric order becomes byte order.
    private static func appendDouble(_ number: Double, to bytes: inout [UInt8]) {
        let bits = (number == 0 ? 0.0 : number).bitPattern  // -0.0 is 0.0
        let ordered = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: ordered >> UInt64(shift))) }
    }

    /// The bytes with 0x00 written as 0x00 0xFF, then 0x00 0x00: a prefix sorts first, and the end is found
    /// without a length.
    private static func appendText(_ text: [UInt8], kind: Kind, to bytes: inout [UInt8]) {
        bytes.append(kind.rawValue)
        for byte in text {
            bytes.append(byte)
            if byte == 0 { bytes.append(0xFF) }
        }
        bytes += [0, 0]
    }

    /// Each item after a 1, then a 0: a shorter list that is a prefix of a longer one sorts first.
    private static func appendSequence(_ items: [Value], to bytes: inout [UInt8]) {
        for item in items {
            bytes.append(1)
            append(item, to: &bytes)
        }
        bytes.append(0)
    }

    private static func appendFields(_ fields: [String: Value], to bytes: inout [UInt8]) {
        for name in fields.keys.sorted(by: Value.textPrecedes) {
            bytes.append(1)
            appendText(Array(name.utf8), kind: .string, to: &bytes)
            append(fields[name]!, to: &bytes)
        }
        bytes.append(0)
    }
}

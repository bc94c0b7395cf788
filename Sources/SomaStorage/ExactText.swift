import Foundation
import GRDB

/// Text stored and read byte for byte. GRDB binds a String as a C string and reads TEXT back as one, so both
/// sides stop at the first NUL, while SQLite itself keeps text of any length. A string goes in as a blob of its
/// UTF-8 bytes through `CAST(? AS TEXT)` (still TEXT on disk, as the sqlite3 shell expects), and comes out of a
/// cursor's row with its length (`Row.exactValues`).
public enum ExactText {
    /// The placeholder of a TEXT parameter bound with `bindable`.
    public static let placeholder = "CAST(? AS TEXT)"

    /// A TEXT argument for `placeholder`: a string becomes its bytes; other values are left as they are.
    public static func bindable(_ value: DatabaseValue) -> DatabaseValue {
        guard case .string(let text) = value.storage else { return value }
        return Data(text.utf8).databaseValue
    }
}

extension Row {
    /// The row's values with TEXT read to its full length. Only rows of a cursor still hold their statement;
    /// a copied row has already lost what followed a NUL.
    public func exactValues() throws -> [DatabaseValue] {
        var values: [DatabaseValue] = []
        values.reserveCapacity(count)
        for (index, value) in databaseValues.enumerated() {
            guard case .string = value.storage else {
                values.append(value)
                continue
            }
            values.append(try withUnsafeData(atIndex: index) { data in
                data.map { String(decoding: $0, as: UTF8.self).databaseValue } ?? .null
            })
        }
        return values
    }

    /// One TEXT column of a cursor's row, to its full length.
    public func exactText(atIndex index: Int) throws -> String {
        try withUnsafeData(atIndex: index) { data in data.map { String(decoding: $0, as: UTF8.self) } ?? "" }
    }
}

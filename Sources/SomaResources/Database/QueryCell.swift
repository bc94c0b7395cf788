import GRDB

/// One cell of a `db.sql` row: an SQL scalar, or a JSON value the engine gave as such (a PostgreSQL json or
/// jsonb column, a boolean), which the program reads as Json rather than as its text.
public enum QueryCell: Sendable, Equatable {
    case value(DatabaseValue)
    /// JSON text.
    case json(String)
}

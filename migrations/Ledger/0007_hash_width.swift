extension LedgerMigration {
    /// Program hashes are 16 hex digits; earlier ones were written without their leading zeros.
    static let hashWidth = LedgerMigration(identifier: "0007-hash-width", sql: """
        UPDATE versions SET hash = substr('0000000000000000', 1, 16 - length(hash)) || hash WHERE length(hash) < 16;
        """)
}

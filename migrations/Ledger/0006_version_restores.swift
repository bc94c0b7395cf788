extension LedgerMigration {
    /// A version made by `soma rollback` runs the code of an earlier one: which one.
    static let versionRestores = LedgerMigration(identifier: "0006-version-restores", sql: """
        ALTER TABLE versions ADD COLUMN restores INTEGER;
        """)
}

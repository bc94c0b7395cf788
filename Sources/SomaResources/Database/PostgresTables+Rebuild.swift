/// Swaps that change a postgres database's tables are refused in their plan for now (docs/swap.md): the
/// sqlite engine rebuilds tables in a swap; postgres keeps its tables as they are.
extension PostgresTables {
    public func storedLayout() throws -> DatabaseLayout? { nil }

    public func rebuild(to layout: DatabaseLayout, _ rebuilds: [TableRebuild]) throws {
        throw Self.unsupported(name)
    }

    public func restoreArchives(to layout: DatabaseLayout, _ rebuilds: [TableRebuild]) throws {
        throw Self.unsupported(name)
    }

    public func dropArchives(_ rebuilds: [TableRebuild]) throws {}

    public func dropLeftoverArchives() throws {}

    static func unsupported(_ name: String) -> ResourceError {
        ResourceError(code: "unsupported", "database '\(name)' (postgres): a swap cannot change its tables yet")
    }
}

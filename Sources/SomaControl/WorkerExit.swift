/// Exit codes the worker and its supervisor agree on.
public enum WorkerExit {
    /// The program's resources could not be provisioned: restarting the worker would not help, so the
    /// supervisor marks the app failed with the provisioning error (EX_CONFIG).
    public static let resourcesUnavailable: Int32 = 78
    /// The stored state is at another program version than the one the worker was started with (a swap's
    /// commit point passed without the ledger hearing of it): the supervisor starts the state's version.
    public static let versionMismatch: Int32 = 75
}

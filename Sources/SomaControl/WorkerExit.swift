/// Exit codes the worker and its supervisor agree on.
public enum WorkerExit {
    /// The program's resources could not be provisioned: restarting the worker would not help, so the
    /// supervisor marks the app failed with the provisioning error (EX_CONFIG).
    public static let resourcesUnavailable: Int32 = 78
}

import ArgumentParser

/// The flags `soma swap` and `soma rollback` share.
struct SwapOptions: ParsableArguments {
    @Flag(help: "Print the plan and stop; nothing changes.")
    var dryRun = false

    @Flag(help: "Apply without asking, also on a terminal.")
    var yes = false

    @Flag(help: "Print the plan (and the outcome) as JSON.")
    var json = false

    @Flag(help: "Refuse the swap when a signal's accepted or returned shape changes (old clients may break).")
    var strictFace = false
}

import ArgumentParser

/// The flags `soma swap` and `soma rollback` share.
struct SwapOptions: ParsableArguments {
    @Flag(help: "Print the plan and stop; nothing changes.")
    var dryRun = false

    @Flag(help: "Apply without asking, also on a terminal.")
    var yes = false

    @Flag(help: "Print the plan (and the outcome) as JSON.")
    var json = false
}

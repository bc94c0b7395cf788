/// What a turn reaches beyond its own cell's memory (docs/turns.md): the program's resources, the effects
/// committed turns have not carried out yet, and other cells through `call`. A turn and its evaluator get
/// this, not the engine.
protocol TurnContext: AnyObject, Sendable {
    var resources: ResourceSet { get }
    var pump: EffectPump { get }
    /// Runs `cell.signal` as a turn of its own for a turn of `caller`, and gives its result.
    func call(from caller: String, cell: String, signal: String, arguments: [String: Value], location: String?) throws(TurnError) -> Value
}

extension TurnEngine: TurnContext {}

/// Thrown by a turn running on its caller's thread when it reaches a call or a resource that can wait: before
/// anything is done, so the turn can run again from the start on its cell's lane (docs/turns.md).
struct LaneRequired: Error {
    /// Whether every turn of the handler will need the lane (it calls, or reads a resource, or runs long), so
    /// that later ones go there at once; a turn that missed in memory is on its own, since the next may not.
    var always = true
}

/// Thrown by a turn running on its caller's thread when it reaches a call or a resource that can wait: before
/// anything is done, so the turn can run again from the start on its cell's lane (docs/turns.md).
struct LaneRequired: Error {}

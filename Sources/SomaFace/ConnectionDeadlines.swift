import NIOCore
import NIOHTTPTypes

/// Closes a connection that keeps a place without using it: one that has not sent a whole request head within
/// `header` of opening, or that has been idle for `idle` (no request part read and no response being written).
/// A client sending headers a byte at a time, or holding connections open, would otherwise keep them for ever.
/// One repeating check per connection, not a timer per request: a request costs a clock read.
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let header: TimeAmount
    let idle: TimeAmount
    private var opened = NIODeadline.now()
    private var lastActive = NIODeadline.now()
    private var headArrived = false
    private var inProgress = 0
    private var check: RepeatedTask?

    init(header: TimeAmount, idle: TimeAmount) {
        self.header = header
        self.idle = idle
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActive = .now()
        if case .head = unwrapInboundIn(data) {
            headArrived = true
            inProgress += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inProgress = max(0, inProgress - 1)
            lastActive = .now()
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    private func start(_ context: ChannelHandlerContext) {
        guard check == nil else { return }
        opened = .now()
        lastActive = opened
        let every = TimeAmount.nanoseconds(max(min(header.nanoseconds, idle.nanoseconds) / 4, 10_000_000))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            let (handler, context) = bound.value
            handler.closeIfOverdue(context)
        }
    }

    private func closeIfOverdue(_ context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        // A response being worked on (a turn running) is never cut short.
        let overdue = !headArrived ? now - opened > header : inProgress == 0 && now - lastActive > idle
        guard overdue else { return }
        check?.cancel()
        check = nil
        context.close(promise: nil)
    }
}

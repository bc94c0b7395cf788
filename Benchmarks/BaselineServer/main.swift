// The baselines for the HTTP benchmark: a plain Hummingbird + GRDB server doing what the Soma benchmark
// program does — decode a JSON body, write one key/value row (SQLite WAL, synchronous = FULL), answer once
// committed. Same durability as a Soma turn, no runtime in between. Two ways to write:
//   one transaction per request (the default);
//   --batching: concurrent requests' rows share one transaction and one sync (group commit by hand), the
//   best a hand-written server does at this durability.
import Foundation
import GRDB
import Hummingbird

struct Put: Decodable {
    var key: String
    var value: Int
}

let arguments = CommandLine.arguments
guard arguments.count == 3 || (arguments.count == 4 && arguments[3] == "--batching"), let port = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: soma-baseline DATABASE PORT [--batching]\n".utf8))
    exit(2)
}
var configuration = Configuration()
configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
let database = try DatabaseQueue(path: arguments[1], configuration: configuration)
try database.writeWithoutTransaction { db in
    try db.execute(sql: "PRAGMA journal_mode = WAL")
    try db.execute(sql: "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
}
let writer = arguments.count == 4 ? BatchingWriter(database: database) : nil

let router = Router()
router.post("/Bench/put") { request, context -> Response in
    let put = try await request.decode(as: Put.self, context: context)
    if let writer {
        try await writer.put(put)
    } else {
        try await database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", arguments: [put.key, put.value])
        }
    }
    return Response(status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: String(put.value))))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()

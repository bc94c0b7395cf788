"""Rows of a Map slot as the worker writes them, for the benchmarks that fill a home by SQL. From format step 8 a
row carries its key's order key (`ord`, Sources/SomaRuntime/Values/OrderKey.swift); a home of a build before
that has no such column, and gets none."""
import json, struct


def order_key(key):
    """The stored order key of an Int or a String key, byte for byte (`OrderKey.stored`): an Int slot's key is
    its 8 bytes alone, a String's is `OrderKey`'s."""
    if isinstance(key, bool):
        raise TypeError("Bool keys are not filled by SQL")
    if isinstance(key, int):
        return struct.pack(">Q", (key & 0xFFFF_FFFF_FFFF_FFFF) ^ (1 << 63))
    if isinstance(key, str):
        return bytes([4]) + key.encode().replace(b"\x00", b"\x00\xff") + b"\x00\x00"
    raise TypeError(f"no order key for {key!r} here")


def insert(database, cell, slot, version, entries):
    """Inserts (key, value) pairs, both as Python values, with their order keys where the home has the column."""
    columns = [row[1] for row in database.execute("PRAGMA table_info(slot_values)")]
    compact = {"separators": (",", ":")}
    if "ord" in columns:
        written = database.execute("SELECT key, ord FROM slot_values WHERE cell = ? AND slot = ? AND ord IS NOT NULL LIMIT 1", (cell, slot)).fetchone()
        if written and order_key(json.loads(written[0])) != written[1]:
            raise RuntimeError(f"the worker writes the order key of {written[0]} as {written[1].hex()}, which this fill does not")
        rows = [(cell, slot, json.dumps(key, **compact), version, json.dumps(value, **compact), order_key(key)) for key, value in entries]
        database.executemany("INSERT INTO slot_values (cell, slot, key, version, value, ord) VALUES (?, ?, ?, ?, ?, ?)", rows)
    else:
        rows = [(cell, slot, json.dumps(key, **compact), version, json.dumps(value, **compact)) for key, value in entries]
        database.executemany("INSERT INTO slot_values (cell, slot, key, version, value) VALUES (?, ?, ?, ?, ?)", rows)

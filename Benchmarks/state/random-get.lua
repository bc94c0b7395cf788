-- Benchmarks/state/relaunch.py's load: `get` of keys drawn at random from k0 … k(ENTRIES-1), or from the first
-- HOT of them (a working set that fits in memory) when HOT is set.
local entries = tonumber(os.getenv("ENTRIES") or "1000000")
local hot = tonumber(os.getenv("HOT") or "0")
local span = hot > 0 and hot or entries
local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("seed", thread_id)
end
function init(args)
  math.randomseed(os.time() + seed)
end
function request()
  return wrk.format("POST", "/Store/get", { ["Content-Type"] = "application/json" },
    '{"id":"k' .. math.random(0, span - 1) .. '"}')
end

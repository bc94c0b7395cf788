-- wrk script: POST /Bench/put with a fresh key on every request (each thread its own prefix).
local counter = 0
local thread_id = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  thread_id = id
end

request = function()
  counter = counter + 1
  local body = string.format('{"key":"t%d-%d","value":%d}', thread_id, counter, counter)
  return wrk.format("POST", "/Bench/put", { ["Content-Type"] = "application/json" }, body)
end

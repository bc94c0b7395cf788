-- Spreads POST /C<n>/work over the first CELLS cells, one unique key per request.
local cells = tonumber(os.getenv("CELLS") or "1")
local counter = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local prefix = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  local body = '{"key": "' .. prefix .. '-' .. counter .. '"}'
  return wrk.format("POST", "/C" .. ((counter % cells) + 1) .. "/work", { ["Content-Type"] = "application/json" }, body)
end

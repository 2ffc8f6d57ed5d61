local reqs = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do
    local tab = string.find(line, "\t", 1, true)
    reqs[#reqs + 1] = {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)}
  end
  i = math.random(#reqs)
end
request = function()
  i = i % #reqs + 1
  local r = reqs[i]
  return wrk.format("POST", "/line/webhook", {["Content-Type"] = "application/json", ["X-Line-Signature"] = r[1]}, r[2])
end

-- With a pace (milliseconds, third script argument), each connection waits that long
-- between requests: an offered load instead of a saturating closed loop.
local pace = 0
local base_init = init
init = function(args)
  base_init(args)
  pace = tonumber(args[2] or "0") or 0
end
delay = function()
  return pace
end

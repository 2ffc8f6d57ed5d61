-- Replays correctly signed webhook bodies (one per line: signature TAB body).
-- Arguments: the bodies file, a pace in milliseconds (0: a saturating closed loop) and
-- the number of wrk threads. Each thread takes every threads-th body from its own
-- offset, so no two threads (and no two requests) send the same webhook.
local counter = 0
function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

local reqs = {}
local i = 1
local step = 1
local pace = 0
init = function(args)
  for line in io.lines(args[1]) do
    local tab = string.find(line, "\t", 1, true)
    reqs[#reqs + 1] = {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)}
  end
  pace = tonumber(args[2] or "0") or 0
  step = tonumber(args[3] or "1") or 1
  i = (thread_id or 0) + 1
end
request = function()
  local r = reqs[i]
  i = i + step
  if i > #reqs then
    i = (thread_id or 0) + 1 -- only after every distinct body was sent
  end
  return wrk.format("POST", "/line/webhook", {["Content-Type"] = "application/json", ["X-Line-Signature"] = r[1]}, r[2])
end

-- With a pace, each connection waits that long between requests: an offered load
-- instead of a saturating closed loop.
delay = function()
  return pace
end

-- POST /sip-status walking each call through ringing, in-progress, completed.
-- wrk's request() is per thread, not per connection, so consecutive requests go out on different
-- connections at once. Requests are taken in blocks of 3 * STRIDE: call i of a block gets its
-- ringing at i, in-progress at STRIDE + i and completed at 2 * STRIDE + i, so STRIDE requests
-- separate a call's steps and each step has been answered before the next one is sent.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local STRIDE = 1000
local STEPS = {"ringing", "in-progress", "completed"}

function request()
  local position = counter % (3 * STRIDE)
  local block = math.floor(counter / (3 * STRIDE))
  local call = block * STRIDE + position % STRIDE
  local step = STEPS[math.floor(position / STRIDE) + 1]
  counter = counter + 1
  return common.post("/sip-status", string.format('{"call_sid":"%s","status":"%s"}',
                                                  common.call_sid(call), step))
end

-- POST /sip-prewarm with the seed's example body, a new call_sid on every request.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

function request()
  counter = counter + 1
  return common.post("/sip-prewarm", string.format(common.PREWARM_BODY, common.call_sid(counter)))
end

-- POST /bench/set with the prewarm body: the floor plus the prewarm's one Redis write.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

function request()
  counter = counter + 1
  return common.post("/bench/set", string.format(common.PREWARM_BODY, common.call_sid(counter)))
end

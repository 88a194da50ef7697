-- POST /bench/noop with the same body as a prewarm: the floor (same app, same gunicorn).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

function request()
  counter = counter + 1
  return common.post("/bench/noop", string.format(common.PREWARM_BODY, common.call_sid(counter)))
end

-- POST /sip-webhook: an inbound-call event from the bridge, a new call_sid on every request.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local template = '{"event":"inbound_call","call_sid":"%s","from":"+15559876543",' ..
  '"to":"+15551234567"}'

function request()
  counter = counter + 1
  return common.post("/sip-webhook", string.format(template, common.call_sid(counter)))
end

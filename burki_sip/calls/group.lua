-- Creates a consumer group if absent, and makes sure Redis knows how many entries the group has
-- not been delivered yet (its `lag`), which record.lua's backlog check relies on. Called by
-- Consumer.ensure_group. Redis 7.0 loses that count for a group created at `$` on a trimmed
-- stream as soon as an entry is added, and for any group after an XDEL: its lag reads nil.
--
-- KEYS: 1 stream. ARGV: 1 group, 2 where a new group starts ('0' or '$').
-- Returns {1 if created now else 0, entries counted to repair the lag (-1: nothing to repair)}.

local stream, group = KEYS[1], ARGV[1]

local function field(reply, name)
  for i = 1, #reply, 2 do if reply[i] == name then return reply[i + 1] end end
end

local function entries_added()
  if redis.call('EXISTS', stream) == 0 then return 0 end
  return field(redis.call('XINFO', 'STREAM', stream), 'entries-added')
end

-- At `$`, say how many entries that is; from the start (`0`) Redis estimates it itself.
local create = {'XGROUP', 'CREATE', stream, group, ARGV[2], 'MKSTREAM'}
if ARGV[2] == '$' then
  create[#create + 1] = 'ENTRIESREAD'; create[#create + 1] = entries_added()
end
local reply = redis.pcall(unpack(create))
if reply.err and not string.find(reply.err, 'BUSYGROUP') then return reply end
local created = reply.err and 0 or 1

local info
for _, each in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  if field(each, 'name') == group then info = each end
end
if field(info, 'lag') then return {created, -1} end

-- Count the entries after the group's position, a page at a time (once, off the request path).
local last = field(info, 'last-delivered-id')
local after, count = '(' .. last, 0
while true do
  local page = redis.call('XRANGE', stream, after, '+', 'COUNT', 1000)
  count = count + #page
  if #page < 1000 then break end
  after = '(' .. page[#page][1]
end
redis.call('XGROUP', 'SETID', stream, group, last, 'ENTRIESREAD', entries_added() - count)
return {created, count}

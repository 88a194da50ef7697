-- Creates a consumer group if absent, and makes sure Redis knows how many entries the group has
-- not been delivered yet (its `lag`), which record.lua's backlog check relies on. Called by
-- Consumer.ensure_group; inputs: scripts.GroupScript. Redis 7.0 loses that count for a group
-- created at `$` on a trimmed stream as soon as an entry is added, and for any group after an
-- XDEL: its lag reads nil.
-- The group is looked up before it is created, rather than created and its BUSYGROUP error
-- caught, so that every command here succeeds: a restart then needs no error handling in Lua.
--
-- Returns {1 if created now else 0, entries counted to repair the lag (-1: nothing to repair)}.

local stream = KEYS[1]
local group = ARGV[1]
local start = ARGV[2]  -- where a new group starts: '0' (every entry kept) or '$' (new ones)

local function field(reply, name)
  for i = 1, #reply, 2 do if reply[i] == name then return reply[i + 1] end end
end

local function entries_added()
  if redis.call('EXISTS', stream) == 0 then return 0 end
  return field(redis.call('XINFO', 'STREAM', stream), 'entries-added')
end

local function group_info()
  if redis.call('EXISTS', stream) == 0 then return nil end
  for _, each in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    if field(each, 'name') == group then return each end
  end
end

local created = 0
local info = group_info()
if not info then
  -- At `$`, say how many entries that is; from the start (`0`) Redis estimates it itself.
  local create = {'XGROUP', 'CREATE', stream, group, start, 'MKSTREAM'}
  if start == '$' then
    create[#create + 1] = 'ENTRIESREAD'; create[#create + 1] = entries_added()
  end
  redis.call(unpack(create))
  created, info = 1, group_info()
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

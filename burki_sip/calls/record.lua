-- Records one webhook or status request in one atomic step: the backlog check, the duplicate
-- check, the call's lifecycle, the stream entry and the call's reference to it.
-- Inputs: recording.RecordScript. Each part runs when its keys are given, so on a Redis
-- Cluster, where the stream lives in another slot than the call's keys, the store runs the parts
-- slot by slot (recording.record). Reads come first and the duplicate marker is written last, so a
-- script that fails half way (for example on OOM) leaves no marker and the bridge's retry counts.
-- Returns {duplicate 0/1, applied 0/1, call's status, stream entry id, status as resolved};
-- refused for backlog: {-1, the slowest group's unacknowledged entries, '', '', ''}: nothing
-- written.

-- KEYS are those ARGV[1] names, in its order; a key not named is nil here.
local given, count = {}, 0
for name in string.gmatch(ARGV[1], '%S+') do count = count + 1; given[name] = KEYS[count] end
local status_key = given.status    -- the call's status hash (lifecycle, facts, claim)
local context_key = given.context  -- the call's context: kept as long as a call that ended
local refs_key = given.refs        -- where the call's stream entries are (Keys.call_events)
local marker_key = given.marker    -- the delivery's duplicate marker (webhook-id, Idempotency-Key)
local stream_key = given.stream    -- the event stream

local kind = ARGV[2]                         -- the stream's kind, for the call's reference
local now = ARGV[3]                          -- ISO 8601 UTC
local dedupe_ttl = ARGV[4]                   -- seconds a duplicate marker lives
local status = ARGV[5]                       -- the transition ('' none; 'hangup' resolved here)
local rank = tonumber(ARGV[6])               -- the transition's rank
local sequence = tonumber(ARGV[7])           -- orders callbacks of equal rank (nil: none)
local terminal_rank = tonumber(ARGV[8])      -- the rank every ending shares
local idle_ttl = ARGV[9]                     -- seconds a call not ended lives after its update
local retention = ARGV[10]                   -- seconds a call lives once it ended
local maxlen = ARGV[11]                      -- the stream's cap ('' = append nothing here)
local backlog_limit = tonumber(ARGV[12])     -- refuse past this backlog (nil: no check)
local appended = ARGV[13]                    -- an entry appended outside, to refer to ('' none)
local refs_kept = tonumber(ARGV[14])         -- how many references a call keeps at most
local max_age = tonumber(ARGV[15])           -- seconds entries are kept (nil: by length only)
local fact_count = tonumber(ARGV[16])        -- the transition's facts (name/value pairs from 18),
local event_fact_count = tonumber(ARGV[17])  -- then its event facts' pairs,
local FACTS = 18                             -- then the entry's field/value pairs
local EVENT_FACTS = FACTS + 2 * fact_count
local ENTRY = EVENT_FACTS + 2 * event_fact_count

-- === the stream: backlog admission and retention (docs/events.md) ===========================
-- While a stream has consumer groups, no entry is trimmed before every group acknowledged it, and
-- a write is refused (before anything else is written) once the slowest group has backlog_limit
-- entries unacknowledged. O(groups + their consumers): XINFO GROUPS, and XPENDING's summary.
local function id_below(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  a_ms, b_ms = tonumber(a_ms), tonumber(b_ms)
  return a_ms < b_ms or (a_ms == b_ms and tonumber(a_seq) < tonumber(b_seq))
end

-- The slowest group's unacknowledged entries (0 without groups), and the id below which every
-- group has acknowledged everything (false without groups).
local function stream_backlog(stream)
  if redis.call('EXISTS', stream) == 0 then return 0, false end
  local backlog, floor, length = 0, false, nil
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local info = {}
    for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
    local unacked = info['lag'] and info['pending'] + info['lag'] or nil
    if not unacked then
      -- lag is unknown after an XDEL: at most every entry of the stream.
      length = length or redis.call('XLEN', stream)
      unacked = length
    end
    if unacked > backlog then backlog = unacked end
    -- The oldest entry it still needs: its oldest pending one, else the one after its position.
    local ms, seq = string.match(info['last-delivered-id'], '^(%d+)-(%d+)$')
    local oldest = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
    if info['pending'] > 0 then oldest = redis.call('XPENDING', stream, info['name'])[2] end
    if not floor or id_below(oldest, floor) then floor = oldest end
  end
  return backlog, floor
end

-- XADD's trim: MAXLEN ~ as ever without groups; with groups, only entries below the floor, and
-- never so many that fewer than MAXLEN remain (LIMIT; LIMIT 0 would mean no limit).
local function trim_args(stream, floor)
  if not floor then return {'MAXLEN', '~', maxlen} end
  local excess = redis.call('XLEN', stream) + 1 - tonumber(maxlen)
  if excess <= 0 then return {} end
  return {'MINID', '~', floor, 'LIMIT', excess}
end

-- The trim by age (max_age): the id below which entries are older than it, by Redis's clock
-- (which made the ids), but no higher than the floor: entries a group still needs stay. XTRIM
-- MINID removes them exactly, freeing whole nodes at once. nil without max_age.
local function age_cutoff(floor)
  if not max_age then return nil end
  local time = redis.call('TIME')
  local oldest = string.format('%d-0', (tonumber(time[1]) - max_age) * 1000
                                       + math.floor(tonumber(time[2]) / 1000))
  if floor and id_below(floor, oldest) then return floor end
  return oldest
end

local backlog, floor = 0, false
if stream_key and (maxlen ~= '' or backlog_limit) then
  backlog, floor = stream_backlog(stream_key)
end
if backlog_limit and backlog >= backlog_limit then return {-1, backlog, '', '', ''} end

-- === the duplicate check =====================================================================
if marker_key and appended == '' then
  local first = redis.call('GET', marker_key)
  if first then
    local current = ''
    if status ~= '' then current = redis.call('HGET', status_key, 'status') or '' end
    return {1, 0, current, first, status}
  end
end

-- === the call's lifecycle (docs/lifecycle.md) =================================================
-- Facts are applied by name, whatever they are: written when the transition applies, else only
-- added where the hash lacks them, so a late or repeated callback never overwrites a newer fact.
-- Event facts describe an event the callback reports (a dialled leg), not the call's state: the
-- latest event's are written whatever the status does.
local function apply_facts(applied)
  for i = FACTS, EVENT_FACTS - 1, 2 do
    if applied then redis.call('HSET', status_key, ARGV[i], ARGV[i + 1])
    else redis.call('HSETNX', status_key, ARGV[i], ARGV[i + 1]) end
  end
  for i = EVENT_FACTS, ENTRY - 1, 2 do redis.call('HSET', status_key, ARGV[i], ARGV[i + 1]) end
end

local function moves_forward(stored_rank, stored_sequence)
  if stored_rank >= terminal_rank then return false end
  if rank > stored_rank then return true end
  if rank ~= stored_rank or sequence == nil then return false end
  return not stored_sequence or sequence > stored_sequence
end

local applied, current = false, ''
if status ~= '' then
  local stored = redis.call('HMGET', status_key, 'status', 'rank', 'sequence', 'in-progress_at')
  if status == 'hangup' then status = stored[4] and 'completed' or 'canceled' end
  applied = moves_forward(tonumber(stored[2]) or -1, tonumber(stored[3]))
  if applied then
    redis.call('HSET', status_key, 'status', status, 'rank', rank, 'updated_at', now)
    if sequence then redis.call('HSET', status_key, 'sequence', sequence) end
  end
  apply_facts(applied)
  -- A late ringing is still a fact of the call; a second ending is not (a call ends once).
  if applied or rank < terminal_rank then redis.call('HSETNX', status_key, status .. '_at', now) end
  current = redis.call('HGET', status_key, 'status')
  if applied and rank >= terminal_rank then
    redis.call('EXPIRE', status_key, retention)
    redis.call('EXPIRE', context_key, retention)
  elseif tonumber(redis.call('HGET', status_key, 'rank')) < terminal_rank then
    redis.call('EXPIRE', status_key, idle_ttl)
  end
end

-- === the stream entry, and the call's reference to it =======================================
local event_id = appended
if stream_key and maxlen ~= '' then
  local entry = trim_args(stream_key, floor)
  entry[#entry + 1] = '*'
  for i = ENTRY, #ARGV do entry[#entry + 1] = ARGV[i] end
  if status ~= '' then
    entry[#entry + 1] = 'status'; entry[#entry + 1] = status
    entry[#entry + 1] = 'applied'; entry[#entry + 1] = applied and 'true' or 'false'
  end
  event_id = redis.call('XADD', stream_key, unpack(entry))
  local aged = age_cutoff(floor)
  if aged then redis.call('XTRIM', stream_key, 'MINID', aged) end
end

-- The references live as long as the call's status (idle while it has none).
if refs_key and event_id ~= '' then
  redis.call('RPUSH', refs_key, kind .. ':' .. event_id)
  redis.call('LTRIM', refs_key, -refs_kept, -1)
  local ttl = redis.call('PTTL', status_key)
  if ttl > 0 then redis.call('PEXPIRE', refs_key, ttl)
  else redis.call('EXPIRE', refs_key, idle_ttl) end
end

if marker_key then
  redis.call('SET', marker_key, event_id ~= '' and event_id or now, 'EX', dedupe_ttl)
end
return {0, applied and 1 or 0, current, event_id, status}

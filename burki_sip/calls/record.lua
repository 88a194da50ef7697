-- Records one webhook or status request in one atomic step: the duplicate check, the call's
-- lifecycle update and the stream entry. Called by CallStore.record_event, which documents the
-- arguments; calls/recording.py builds them (its ARGV_BOOKKEEPING is C below: test_recording.py).
-- Reads come first and the duplicate marker is written last, so a script that fails half way (for
-- example on OOM) leaves no marker behind and the bridge's retry is not lost.
--
-- KEYS: 1 status hash (it also holds a claim), 2 context, 3 unused, 4 duplicate marker, 5 stream,
--       6 call index.
--       A key the request does not use is passed as a copy of one it does (same hash slot).
-- Returns {duplicate 0/1, applied 0/1, current status, stream entry id, status as resolved}.
-- ARGV: 1 duplicate TTL ('' = no check), 2 status ('' = no lifecycle, 'hangup' = resolve here),
--       3 its rank, 4 sequence ('' = none), 5 now, 6 idle TTL, 7 retention, 8 terminal rank,
--       9 sip_code, 10 reason, 11 duration (each '' = absent), 12 stream MAXLEN ('' = no XADD),
--       13 backlog limit ('' = no check), 14-17 (C .. C+3) the console's bookkeeping (see its
--       block), 18.. stream entry field/value pairs.
-- Refused for backlog: {-1, the slowest group's unacknowledged entries, '', '', ''}, nothing written.

local dedupe_ttl, status, rank, sequence = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now, terminal_rank = ARGV[5], tonumber(ARGV[8])
local C = 14  -- console bookkeeping (issue 16): its first argument; the entry pairs follow its 4

-- === events: backlog admission and retention (docs/events.md) ===============================
-- While a stream has consumer groups, no entry is trimmed before every group acknowledged it, and
-- a write is refused (before anything else is written) once the slowest group has ARGV[13]
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
    local oldest = info['last-delivered-id']
    if info['pending'] > 0 then oldest = redis.call('XPENDING', stream, info['name'])[2] end
    if not floor or id_below(oldest, floor) then floor = oldest end
  end
  return backlog, floor
end

-- XADD's trim: MAXLEN ~ as ever without groups; with groups, only entries below the floor, and
-- never so many that fewer than MAXLEN remain (LIMIT; LIMIT 0 would mean no limit).
local function trim_args(stream, maxlen, floor)
  if not floor then return {'MAXLEN', '~', maxlen} end
  local excess = redis.call('XLEN', stream) + 1 - tonumber(maxlen)
  if excess <= 0 then return {} end
  return {'MINID', '~', floor, 'LIMIT', excess}
end

local backlog, floor = 0, false
if ARGV[12] ~= '' or ARGV[13] ~= '' then backlog, floor = stream_backlog(KEYS[5]) end
if ARGV[13] ~= '' and backlog >= tonumber(ARGV[13]) then return {-1, backlog, '', '', ''} end
-- === end of events block =====================================================================

if dedupe_ttl ~= '' then
  local first = redis.call('GET', KEYS[4])
  if first then
    local current = ''
    if status ~= '' then current = redis.call('HGET', KEYS[1], 'status') or '' end
    -- console bookkeeping (issue 16): a retried delivery is a duplicated callback too.
    if ARGV[C + 2] ~= '' and current ~= '' then redis.call('HINCRBY', KEYS[1], 'duplicates', 1) end
    return {1, 0, current, first, status}
  end
end

local applied, current = 0, ''
if status ~= '' then
  local hash = KEYS[1]
  local stored = redis.call('HMGET', hash, 'status', 'rank', 'sequence', 'in-progress_at')
  local stored_rank, stored_sequence = tonumber(stored[2]) or -1, tonumber(stored[3])
  if status == 'hangup' then
    status = stored[4] and 'completed' or 'canceled'
  end
  if stored_rank < terminal_rank then
    if rank > stored_rank then
      applied = 1
    elseif rank == stored_rank and sequence and (not stored_sequence or sequence > stored_sequence) then
      applied = 1
    end
  end
  local facts = {'sip_code', ARGV[9], 'reason', ARGV[10], 'duration', ARGV[11]}
  if applied == 1 then
    redis.call('HSET', hash, 'status', status, 'rank', rank, 'updated_at', now)
    if sequence then redis.call('HSET', hash, 'sequence', sequence) end
  end
  for i = 1, #facts, 2 do
    if facts[i + 1] ~= '' then
      -- A late or duplicate callback may add a fact, never overwrite a newer one.
      if applied == 1 then redis.call('HSET', hash, facts[i], facts[i + 1])
      else redis.call('HSETNX', hash, facts[i], facts[i + 1]) end
    end
  end
  -- A late ringing is still a fact of the call; a second ending is not (a call ends once).
  if applied == 1 or rank < terminal_rank then
    redis.call('HSETNX', hash, status .. '_at', now)
  end
  current = redis.call('HGET', hash, 'status')
  if applied == 1 and rank >= terminal_rank then
    for i = 1, 2 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
  elseif tonumber(redis.call('HGET', hash, 'rank')) < terminal_rank then
    redis.call('EXPIRE', hash, ARGV[6])
  end
end

-- >>> console bookkeeping (issue 16), only while the console is enabled (its 3rd argument).
-- ARGV from C: C call_sid to index here ('' = none, or on a Cluster, where the store indexes
-- outside), C+1 its first-seen score (ms), C+2 most calls the index keeps, C+3 oldest score kept.
if ARGV[C + 2] ~= '' then
  if status ~= '' and applied == 0 then
    redis.call('HINCRBY', KEYS[1], status == current and 'duplicates' or 'refused', 1)
  end
  for i = C + 4, #ARGV - 1, 2 do
    if status ~= '' and ARGV[i] == 'provider' then
      redis.call('HSETNX', KEYS[1], 'provider', ARGV[i + 1])
    end
  end
  if ARGV[C] ~= '' then
    redis.call('ZADD', KEYS[6], 'NX', ARGV[C + 1], ARGV[C])
    redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. ARGV[C + 3])
    redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -1 - tonumber(ARGV[C + 2]))
  end
end
-- <<< console bookkeeping

local event_id = ''
if ARGV[12] ~= '' then
  local entry = trim_args(KEYS[5], ARGV[12], floor)
  entry[#entry + 1] = '*'
  for i = C + 4, #ARGV do entry[#entry + 1] = ARGV[i] end
  if status ~= '' then
    entry[#entry + 1] = 'status'; entry[#entry + 1] = status
    entry[#entry + 1] = 'applied'; entry[#entry + 1] = applied == 1 and 'true' or 'false'
  end
  event_id = redis.call('XADD', KEYS[5], unpack(entry))
end

if dedupe_ttl ~= '' then
  redis.call('SET', KEYS[4], event_id ~= '' and event_id or now, 'EX', dedupe_ttl)
end
return {0, applied, current, event_id, status}

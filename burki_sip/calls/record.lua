-- Records one webhook or status request in one atomic step: the duplicate check, the call's
-- lifecycle update and the stream entry. Called by CallStore.record_event, which documents the
-- arguments. Reads come first and the duplicate marker is written last, so a script that fails
-- half way (for example on OOM) leaves no marker behind and the bridge's retry is not lost.
--
-- KEYS: 1 status hash (it also holds a claim), 2 context, 3 unused, 4 duplicate marker, 5 stream.
--       A key the request does not use is passed as a copy of one it does (same hash slot).
-- Returns {duplicate 0/1, applied 0/1, current status, stream entry id, status as resolved}.
-- ARGV: 1 duplicate TTL ('' = no check), 2 status ('' = no lifecycle, 'hangup' = resolve here),
--       3 its rank, 4 sequence ('' = none), 5 now, 6 idle TTL, 7 retention, 8 terminal rank,
--       9 sip_code, 10 reason, 11 duration (each '' = absent), 12 stream MAXLEN ('' = no XADD),
--       13.. stream entry field/value pairs.

local dedupe_ttl, status, rank, sequence = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now, terminal_rank = ARGV[5], tonumber(ARGV[8])

if dedupe_ttl ~= '' then
  local first = redis.call('GET', KEYS[4])
  if first then
    local current = ''
    if status ~= '' then current = redis.call('HGET', KEYS[1], 'status') or '' end
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

local event_id = ''
if ARGV[12] ~= '' then
  local entry = {}
  for i = 13, #ARGV do entry[#entry + 1] = ARGV[i] end
  if status ~= '' then
    entry[#entry + 1] = 'status'; entry[#entry + 1] = status
    entry[#entry + 1] = 'applied'; entry[#entry + 1] = applied == 1 and 'true' or 'false'
  end
  event_id = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[12], '*', unpack(entry))
end

if dedupe_ttl ~= '' then
  redis.call('SET', KEYS[4], event_id ~= '' and event_id or now, 'EX', dedupe_ttl)
end
return {0, applied, current, event_id, status}

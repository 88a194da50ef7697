-- Hands a call's context to one owner at a time (CallStore.claim; see docs/lifecycle.md, "Claims").
-- The claim lives in the call's status hash, so its time is part of the call's timeline:
-- claim_token, claimed_by and claimed_at; release.lua removes claim_token only.
-- KEYS: 1 context, 2 status hash (same slot). ARGV: 1 owner, 2 new token, 3 now, 4 idle TTL in s.
-- Returns {outcome, context or '', token, owner, claimed_at}; outcome is 'claimed',
-- 'already_claimed' (context and token then '') or 'missing' (nothing else).
local context = redis.call('GET', KEYS[1])
if not context then return {'missing'} end
local held = redis.call('HMGET', KEYS[2], 'claim_token', 'claimed_by', 'claimed_at')
if held[1] then
  if held[2] == ARGV[1] then return {'claimed', context, held[1], held[2], held[3]} end
  return {'already_claimed', '', '', held[2], held[3]}
end
local created = redis.call('EXISTS', KEYS[2]) == 0
redis.call('HSET', KEYS[2], 'claim_token', ARGV[2], 'claimed_by', ARGV[1], 'claimed_at', ARGV[3])
-- A hash made here expires like one a callback made; and no claim ends before its context does.
local current, needed = redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[1])
local ttl = created and tonumber(ARGV[4]) * 1000 or current
if ttl > 0 and needed > ttl then ttl = needed end
if ttl > 0 and ttl ~= current then redis.call('PEXPIRE', KEYS[2], ttl) end
return {'claimed', context, ARGV[2], ARGV[1], ARGV[3]}

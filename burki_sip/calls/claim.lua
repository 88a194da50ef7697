-- Hands a call's context to one owner at a time (CallStore.claim; see docs/lifecycle.md, "Claims").
-- The claim lives in the call's status hash, so its time is part of the call's timeline:
-- claim_token, claimed_by and claimed_at; release.lua removes claim_token only. A new claim also
-- keeps how long it waited for the context (claim_waited_ms) and when that context was prewarmed.
-- Inputs: claims.ClaimScript. Returns {outcome, context or '', token, owner, claimed_at}; outcome
-- is 'claimed', 'already_claimed' (context and token then '') or 'missing' (nothing else).
local context_key = KEYS[1]        -- the prewarmed context (JSON)
local status_key = KEYS[2]         -- the call's status hash, where the claim is kept
local owner = ARGV[1]              -- who claims
local token = ARGV[2]              -- the new claim's token, if this claim is granted
local now = ARGV[3]                -- ISO 8601 UTC
local idle_ttl = tonumber(ARGV[4]) -- seconds a status hash created here lives
local waited_ms = ARGV[5]          -- how long the claimant waited for the context to arrive

local context = redis.call('GET', context_key)
if not context then return {'missing'} end
local held = redis.call('HMGET', status_key, 'claim_token', 'claimed_by', 'claimed_at')
if held[1] then
  if held[2] == owner then return {'claimed', context, held[1], held[2], held[3]} end
  return {'already_claimed', '', '', held[2], held[3]}
end
local created = redis.call('EXISTS', status_key) == 0
redis.call('HSET', status_key, 'claim_token', token, 'claimed_by', owner, 'claimed_at', now,
           'claim_waited_ms', waited_ms)
local decoded, fields = pcall(cjson.decode, context)
if decoded and type(fields) == 'table' and type(fields.prewarmed_at) == 'string' then
  redis.call('HSET', status_key, 'prewarmed_at', fields.prewarmed_at)
end
-- A hash made here expires like one a callback made; and no claim ends before its context does.
local current, needed = redis.call('PTTL', status_key), redis.call('PTTL', context_key)
local ttl = created and idle_ttl * 1000 or current
if ttl > 0 and needed > ttl then ttl = needed end
if ttl > 0 and ttl ~= current then redis.call('PEXPIRE', status_key, ttl) end
return {'claimed', context, token, owner, now}

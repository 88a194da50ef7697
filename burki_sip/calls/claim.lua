-- Hands a call's context to the first caller only: returns it and marks the call claimed, or
-- returns nil when the context is absent or already claimed. The marker lives as long as the
-- context, so a new prewarm after the context expired can be claimed again.
-- KEYS: 1 context, 2 claimed marker. ARGV: 1 now, 2 fallback TTL in ms (context without TTL).
local context = redis.call('GET', KEYS[1])
if not context then return false end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then ttl = tonumber(ARGV[2]) end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ttl) then return context end
return false

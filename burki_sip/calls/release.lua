-- Ends a claim if ``token`` holds it (CallStore.release): the call can be claimed again, by any
-- owner. claimed_by and claimed_at stay as the latest claim's; released_at records when.
-- Inputs: claims.ReleaseScript. Returns 1 if released, 0 if the token held nothing.
local status_key = KEYS[1]  -- the call's status hash, where the claim is kept
local token = ARGV[1]       -- the claim's token, as claim.lua gave it
local now = ARGV[2]         -- ISO 8601 UTC

if redis.call('HGET', status_key, 'claim_token') ~= token then return 0 end
redis.call('HDEL', status_key, 'claim_token')
redis.call('HSET', status_key, 'released_at', now)
return 1

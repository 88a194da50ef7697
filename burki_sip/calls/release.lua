-- Ends a claim if ``token`` holds it (CallStore.release): the call can be claimed again, by any
-- owner. claimed_by and claimed_at stay as the latest claim's; released_at records when.
-- KEYS: 1 status hash. ARGV: 1 token, 2 now. Returns 1 if released, 0 if the token held nothing.
if redis.call('HGET', KEYS[1], 'claim_token') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'claim_token')
redis.call('HSET', KEYS[1], 'released_at', ARGV[2])
return 1

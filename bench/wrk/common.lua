-- Shared by every scenario: unique call_sids per thread, request headers, and a JSON report.
-- Arguments after `--`: a run tag (makes call_sids unique across runs) and an optional API key.
local common = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  run_tag = args[1] or "0"
  headers = {["Content-Type"] = "application/json"}
  if args[2] and args[2] ~= "" then
    headers["Authorization"] = "Bearer " .. args[2]
  end
  counter = 0
end

common.PREWARM_BODY = '{"call_sid":"%s","from_number":"+15559876543","to_number":"+15551234567",' ..
  '"outbound":false,"assistant_id":123,"welcome_message":"Thanks for calling. How can I help?",' ..
  '"agenda":"Customer support intake","variables":{"customer_id":"cust_123"}}'

-- A call_sid unique to this run, thread and request number.
function common.call_sid(n)
  return string.format("sip-%s%d-%07d", run_tag, thread_id, n)
end

function common.post(path, body)
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end

return common

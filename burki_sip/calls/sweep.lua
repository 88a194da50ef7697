-- One page of an erasure's sweep through an event stream (erasure.py): which entries hold one of
-- the numbers being erased, and which belong to the calls being erased (their call_sid or
-- provider_call_id). Inputs: sweeps.StreamPage. At most `count` entries, so Redis is held
-- for milliseconds. A number is held where one of its forms (numbers.py) stands between
-- non-digits, in any field's value. With `delete`, the calls' entries that hold no number are deleted;
-- those that hold one are left for the end of the erasure, so that a run cut short leaves what
-- finds its calls again.
-- Returns {where the next page starts ('' after the last), entries read, the calls' entries
-- without a number (deleted with `delete`), {{id, call_sid, provider_call_id} of each entry
-- holding a number}}.
local stream = KEYS[1]
local after = ARGV[1]                 -- the page starts here ('-', or '(' and the last id read)
local last = ARGV[2]                  -- the newest entry to read: the stream's end at the start
local count = tonumber(ARGV[3])       -- entries per page
local delete = ARGV[4] == '1'         -- XDEL the calls' entries without a number, else count them
local number_count = tonumber(ARGV[5])  -- from ARGV[6]: each number's forms, then the calls' ids
local NUMBERS, CALLS = 6, 6 + number_count

-- Each number's forms, its shortest first: every other form contains it, so it is looked for
-- first and a text without it is passed over at the cost of one search.
local numbers = {}
for i = NUMBERS, CALLS - 1 do
  local forms = {}
  for form in string.gmatch(ARGV[i], '%d+') do forms[#forms + 1] = form end
  numbers[#numbers + 1] = forms
end
local calls = {}
for i = CALLS, #ARGV do calls[ARGV[i]] = true end

local function is_digit(byte)
  return byte ~= nil and byte >= 48 and byte <= 57
end

local function stands_alone(text, form)
  local from = 1
  while true do
    local first, stop = string.find(text, form, from, true)
    if not first then return false end
    if not is_digit(string.byte(text, first - 1)) and not is_digit(string.byte(text, stop + 1))
    then return true end
    from = first + 1
  end
end

local function holds_number(text)
  for _, forms in ipairs(numbers) do
    if string.find(text, forms[1], 1, true) then
      for _, form in ipairs(forms) do
        if stands_alone(text, form) then return true end
      end
    end
  end
  return false
end

local page = redis.call('XRANGE', stream, after, last, 'COUNT', count)
local found, members = {}, {}
for _, entry in ipairs(page) do
  local fields, call_sid, provider_call_id, number = entry[2], '', '', false
  for i = 1, #fields, 2 do
    local name, value = fields[i], fields[i + 1]
    if name == 'call_sid' then call_sid = value
    elseif name == 'provider_call_id' then provider_call_id = value end
    number = number or holds_number(value)
  end
  if number then
    found[#found + 1] = {entry[1], call_sid, provider_call_id}
  elseif calls[call_sid] or calls[provider_call_id] then
    members[#members + 1] = entry[1]
  end
end
if delete and #members > 0 then redis.call('XDEL', stream, unpack(members)) end

local next_page = ''
if #page == count then next_page = '(' .. page[#page][1] end
return {next_page, #page, #members, found}

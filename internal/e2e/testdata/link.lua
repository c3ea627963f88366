-- The native alternative to tracelink in the real-host benchmark: after Fluent Bit's parser
-- filter has split the line, convert the ids exactly (full 64-bit range) and write the
-- backend's fields. Lua numbers are doubles, so the ids go through LuaJIT's 64-bit integer
-- cdata (the 0ULL literals), the fastest exact way Fluent Bit's LuaJIT offers.

-- dec64 parses a decimal string into a uint64 cdata.
local function dec64(s)
  local n = 0ULL
  for i = 1, #s do n = n * 10ULL + (s:byte(i) - 48) end
  return n
end

-- hex64 parses a hex string (at most 16 digits) into a uint64 cdata.
local function hex64(s)
  local n = 0ULL
  for i = 1, #s do
    local c = s:byte(i)
    local v = c - 48
    if c >= 97 then v = c - 87 elseif c >= 65 then v = c - 55 end
    n = n * 16ULL + v
  end
  return n
end

-- udec formats a uint64 cdata in decimal (tostring adds a ULL suffix).
local function udec(n) return (string.gsub(tostring(n), "ULL$", "")) end

-- link_text: the ddtrace-py text line, parsed by the regex parser into level, trace_id and
-- span_id (decimal; Preserve_Key keeps the line, as tracelink does), rewritten for Cloud
-- Logging.
function link_text(tag, ts, record)
  local t, s = record["trace_id"], record["span_id"]
  if t == nil or s == nil then return 0, ts, record end
  record["logging.googleapis.com/trace"] = "projects/demo-project/traces/0000000000000000" .. bit.tohex(dec64(t), 16)
  record["logging.googleapis.com/spanId"] = bit.tohex(dec64(s), 16)
  record["logging.googleapis.com/severity"] = record["level"]
  record["trace_id"], record["span_id"] = nil, nil
  return 1, ts, record
end

-- link_text_only: the same without a parser filter: Lua finds the level and the ids in the
-- line itself (string.match), which costs less than the regex parser filter.
function link_text_only(tag, ts, record)
  local log = record["log"]
  if log == nil then return 0, ts, record end
  local level, t, s = string.match(log, "^%S+ %S+ (%a+) .- dd%.trace_id=(%d+) dd%.span_id=(%d+)%]")
  if t == nil then return 0, ts, record end
  record["logging.googleapis.com/trace"] = "projects/demo-project/traces/0000000000000000" .. bit.tohex(dec64(t), 16)
  record["logging.googleapis.com/spanId"] = bit.tohex(dec64(s), 16)
  record["logging.googleapis.com/severity"] = level
  return 1, ts, record
end

-- link_pino: the pino line, parsed by the json parser (dd.trace_id 32 hex, dd.span_id
-- decimal), rewritten for Datadog: the trace's lower 64 bits in decimal.
function link_pino(tag, ts, record)
  local dd = record["dd"]
  if dd == nil or dd["trace_id"] == nil then return 0, ts, record end
  local t = dd["trace_id"]
  if #t == 32 then t = udec(hex64(string.sub(t, 17))) end
  record["dd.trace_id"] = t
  record["dd.span_id"] = dd["span_id"]
  return 1, ts, record
end
